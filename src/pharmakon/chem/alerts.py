"""Structural alerts and drug-likeness: PAINS, Brenk, Lipinski, Veber, QED.

Alerts use RDKit's :class:`~rdkit.Chem.FilterCatalog.FilterCatalog` (PAINS A/B/C of
Baell & Holloway 2010 and the Brenk et al. 2008 unwanted-group list, as shipped with
RDKit). Rule counts follow the published cut-offs:

* Lipinski (1997): MW <= 500 Da, Crippen logP <= 5, H-bond donors <= 5, H-bond
  acceptors <= 10 (Lipinski's own N+O / NH+OH counts, ``NOCount``/``NHOHCount``).
* Veber (2002): rotatable bonds <= 10, TPSA <= 140 A^2.

QED is Bickerton et al. 2012 (RDKit's implementation, default weights). The
numbers are descriptive flags, not predictions: no uncertainty is attached to them.

Speed without changing a result: a query can only match a molecule whose RDKit
pattern fingerprint contains every bit of the query's pattern fingerprint (the
screen RDKit's own ``SubstructLibrary`` uses). Each batch computes one pattern
fingerprint per molecule, screens all PAINS, Brenk and QED patterns at once with a
matrix product, and runs the catalogue's own matcher (or ``HasSubstructMatch``)
only on the patterns that pass. The tests compare the result with the unscreened
``FilterCatalog.GetMatches`` and ``QED.qed`` molecule by molecule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.chem.standardize import rdkit_quiet

__all__ = [
    "ALERT_COLUMNS",
    "LIPINSKI_RULES",
    "VEBER_RULES",
    "alert_catalog",
    "mol_alerts",
    "compute_alerts",
    "alerts_for_mols",
]

#: Descriptor, limit pairs: a violation is ``value > limit``.
LIPINSKI_RULES: dict[str, float] = {"mw": 500.0, "clogp": 5.0, "hbd": 5.0, "hba": 10.0}
VEBER_RULES: dict[str, float] = {"rotatable_bonds": 10.0, "tpsa": 140.0}

#: Output columns of :func:`compute_alerts`, in order.
ALERT_COLUMNS: tuple[str, ...] = (
    "pains_count",
    "pains_alerts",
    "brenk_count",
    "brenk_alerts",
    "mw",
    "clogp",
    "hbd",
    "hba",
    "tpsa",
    "rotatable_bonds",
    "lipinski_violations",
    "veber_violations",
    "qed",
)
_INT_COLUMNS = (
    "pains_count",
    "brenk_count",
    "hbd",
    "hba",
    "rotatable_bonds",
    "lipinski_violations",
    "veber_violations",
)
_FP_SIZE = 4096
_PICKLE_MAGIC = b"\xef\xbe\xad\xde"  # first bytes of an RDKit molecule pickle

_CATALOG: dict[str, Any] = {}
_SCREEN: list[Any] = []


def alert_catalog(family: str):
    """The RDKit FilterCatalog for ``family`` (``"pains"`` or ``"brenk"``), built once per process."""
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    if family not in ("pains", "brenk"):
        raise ValueError(f"alert family must be 'pains' or 'brenk', got {family!r}")
    if family not in _CATALOG:
        params = FilterCatalogParams()
        params.AddCatalog(
            FilterCatalogParams.FilterCatalogs.PAINS if family == "pains" else FilterCatalogParams.FilterCatalogs.BRENK
        )
        _CATALOG[family] = FilterCatalog(params)
    return _CATALOG[family]


def _entry_query(entry):
    """The query molecule inside a catalogue entry (None if it cannot be recovered: never screened)."""
    from rdkit import Chem

    blob = entry.Serialize()
    at = blob.find(_PICKLE_MAGIC)
    if at < 0:
        return None
    try:
        return Chem.Mol(blob[at:])
    except Exception:  # noqa: BLE001 - an unreadable query only loses its screen, not its match
        return None


def _pattern_bits(mol) -> np.ndarray:
    from rdkit import Chem, DataStructs

    out = np.zeros(_FP_SIZE, dtype=np.float32)
    DataStructs.ConvertToNumpyArray(Chem.PatternFingerprint(mol, fpSize=_FP_SIZE), out)
    return out


class _Screen:
    """Every pattern the alerts use, with its screening bits; built once per process."""

    def __init__(self) -> None:
        from rdkit.Chem import QED

        self.entries = {
            f: [alert_catalog(f).GetEntryWithIdx(i) for i in range(alert_catalog(f).GetNumEntries())]
            for f in ("pains", "brenk")
        }
        queries = [_entry_query(e) for f in ("pains", "brenk") for e in self.entries[f]]
        queries += list(QED.Acceptors) + list(QED.StructuralAlerts)
        n_p, n_b, n_a = len(self.entries["pains"]), len(self.entries["brenk"]), len(QED.Acceptors)
        self.slices = {
            "pains": slice(0, n_p),
            "brenk": slice(n_p, n_p + n_b),
            "acceptors": slice(n_p + n_b, n_p + n_b + n_a),
            "qed_alerts": slice(n_p + n_b + n_a, None),
        }
        # An unrecoverable query gets no bits, so it is never screened out.
        self.bits = np.array([_pattern_bits(q) if q is not None else np.zeros(_FP_SIZE, np.float32) for q in queries])
        self.need = self.bits.sum(axis=1) - 0.5

    def candidates(self, mols: Sequence[Any]) -> np.ndarray:
        """Boolean (n_mols, n_patterns): True where the pattern may match (must be checked)."""
        if not mols:
            return np.zeros((0, len(self.bits)), bool)
        return np.array([_pattern_bits(m) for m in mols]) @ self.bits.T >= self.need


def _screen() -> _Screen:
    if not _SCREEN:
        _SCREEN.append(_Screen())
    return _SCREEN[0]


def _qed(mol, logp: float, acceptors: list, alerts: list) -> float:
    """QED (RDKit, mean weights) with the acceptor and alert patterns already narrowed by the screen."""
    from rdkit import Chem
    from rdkit.Chem import QED, MolSurf
    from rdkit.Chem import rdMolDescriptors as rdmd

    if mol.GetNumAtoms() != mol.GetNumHeavyAtoms():  # explicit H: QED strips them first, so take its route
        return QED.qed(mol)
    props = QED.QEDproperties(
        MW=rdmd._CalcMolWt(mol),
        ALOGP=logp,
        HBA=sum(len(mol.GetSubstructMatches(p)) for p in acceptors if mol.HasSubstructMatch(p)),
        HBD=rdmd.CalcNumHBD(mol),
        PSA=MolSurf.TPSA(mol),
        ROTB=rdmd.CalcNumRotatableBonds(mol, rdmd.NumRotatableBondsOptions.Strict),
        AROM=len(Chem.GetSSSR(Chem.DeleteSubstructs(Chem.Mol(mol), QED.AliphaticRings))),
        ALERTS=sum(1 for a in alerts if mol.HasSubstructMatch(a)),
    )
    return QED.qed(mol, qedProperties=props)


def _mol_alerts(mol, candidate: np.ndarray, screen: _Screen) -> dict[str, Any]:
    from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

    out: dict[str, Any] = {}
    for family in ("pains", "brenk"):
        entries = screen.entries[family]
        hits = np.flatnonzero(candidate[screen.slices[family]])
        names = sorted({entries[j].GetDescription() for j in hits if entries[j].HasFilterMatch(mol)})
        out[f"{family}_count"] = len(names)
        out[f"{family}_alerts"] = ";".join(names)
    out["mw"] = Descriptors.MolWt(mol)
    out["clogp"] = Crippen.MolLogP(mol)
    out["hbd"] = Lipinski.NHOHCount(mol)
    out["hba"] = Lipinski.NOCount(mol)
    out["tpsa"] = rdMolDescriptors.CalcTPSA(mol)
    out["rotatable_bonds"] = rdMolDescriptors.CalcNumRotatableBonds(mol)
    out["lipinski_violations"] = sum(out[k] > v for k, v in LIPINSKI_RULES.items())
    out["veber_violations"] = sum(out[k] > v for k, v in VEBER_RULES.items())
    acceptors = [QED.Acceptors[j] for j in np.flatnonzero(candidate[screen.slices["acceptors"]])]
    alerts = [QED.StructuralAlerts[j] for j in np.flatnonzero(candidate[screen.slices["qed_alerts"]])]
    try:
        out["qed"] = _qed(mol, out["clogp"], acceptors, alerts)
    except Exception:  # noqa: BLE001 - QED fails on a few exotic molecules; that row gets NaN
        out["qed"] = float("nan")
    return out


def mol_alerts(mol) -> dict[str, Any]:
    """Alerts and drug-likeness of one RDKit molecule (see module notes for the rules).

    Returns
    -------
    dict
        Keys :data:`ALERT_COLUMNS`; ``*_alerts`` are ``;``-joined alert names (empty
        when none); ``mw`` in Da, ``tpsa`` in A^2; ``qed`` in [0, 1].
    """
    screen = _screen()
    return _mol_alerts(mol, screen.candidates([mol])[0], screen)


def alerts_for_mols(mols: Sequence[Any]) -> pd.DataFrame:
    """:data:`ALERT_COLUMNS` for RDKit molecules (``None`` gives a row of missing values), shape (n, 13)."""
    screen = _screen()
    valid = [k for k, m in enumerate(mols) if m is not None]
    rows: list[dict[str, Any]] = [dict.fromkeys(ALERT_COLUMNS) for _ in mols]
    with rdkit_quiet():
        candidate = screen.candidates([mols[k] for k in valid])
        for i, k in enumerate(valid):
            rows[k] = _mol_alerts(mols[k], candidate[i], screen)
    frame = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
    for col in _INT_COLUMNS:
        frame[col] = frame[col].astype("Int64")
    return frame


def compute_alerts(canonical: Sequence[str | None]) -> pd.DataFrame:
    """Alerts and drug-likeness for canonical SMILES (e.g. ``standardize_smiles(...).table["canonical"]``).

    Parameters
    ----------
    canonical : sequence of str or None
        Shape (n,). ``None`` (an invalid input) gives a row of missing values.

    Returns
    -------
    DataFrame
        Shape (n, len(ALERT_COLUMNS)), rows in input order.

    Examples
    --------
    >>> compute_alerts(["CC(=O)Oc1ccccc1C(=O)O"])[["lipinski_violations", "pains_count"]].iloc[0].tolist()
    [0, 0]
    """
    from rdkit import Chem

    with rdkit_quiet():
        mols = [Chem.MolFromSmiles(smi) if isinstance(smi, str) else None for smi in canonical]
    return alerts_for_mols(mols)
