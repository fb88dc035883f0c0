"""Structural alerts and drug-likeness: PAINS, Brenk, Lipinski, Veber, QED.

Alerts use RDKit's :class:`~rdkit.Chem.FilterCatalog.FilterCatalog` (PAINS A/B/C of
Baell & Holloway 2010 and the Brenk et al. 2008 unwanted-group list, as shipped with
RDKit). Rule counts follow the published cut-offs:

* Lipinski (1997): MW <= 500 Da, Crippen logP <= 5, H-bond donors <= 5, H-bond
  acceptors <= 10 (Lipinski's own N+O / NH+OH counts, ``NOCount``/``NHOHCount``).
* Veber (2002): rotatable bonds <= 10, TPSA <= 140 A^2.

QED is Bickerton et al. 2012 (RDKit's implementation, default weights). The
numbers are descriptive flags, not predictions: no uncertainty is attached to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pharmakon.chem.standardize import rdkit_quiet

__all__ = ["ALERT_COLUMNS", "LIPINSKI_RULES", "VEBER_RULES", "alert_catalog", "mol_alerts", "compute_alerts"]

#: Descriptor, limit pairs: a violation is ``value > limit``.
LIPINSKI_RULES: dict[str, float] = {"mw": 500.0, "clogp": 5.0, "hbd": 5.0, "hba": 10.0}
VEBER_RULES: dict[str, float] = {"rotatable_bonds": 10.0, "tpsa": 140.0}

#: Output columns of :func:`compute_alerts`, in order.
ALERT_COLUMNS: tuple[str, ...] = (
    "pains_count", "pains_alerts", "brenk_count", "brenk_alerts", "mw", "clogp", "hbd", "hba", "tpsa",
    "rotatable_bonds", "lipinski_violations", "veber_violations", "qed",
)  # fmt: skip

_CATALOG: dict[str, Any] = {}


def alert_catalog(family: str):
    """The RDKit FilterCatalog for ``family`` (``"pains"`` or ``"brenk"``), built once per process."""
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    if family not in ("pains", "brenk"):
        raise ValueError(f"alert family must be 'pains' or 'brenk', got {family!r}")
    if family not in _CATALOG:
        params = FilterCatalogParams()
        params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS if family == "pains"
                          else FilterCatalogParams.FilterCatalogs.BRENK)  # fmt: skip
        _CATALOG[family] = FilterCatalog(params)
    return _CATALOG[family]


def mol_alerts(mol) -> dict[str, Any]:
    """Alerts and drug-likeness of one RDKit molecule (see module notes for the rules).

    Returns
    -------
    dict
        Keys :data:`ALERT_COLUMNS`; ``*_alerts`` are ``;``-joined alert names (empty
        when none); ``mw`` in Da, ``tpsa`` in A^2; ``qed`` in [0, 1].
    """
    from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

    out: dict[str, Any] = {}
    for family in ("pains", "brenk"):
        names = sorted({m.GetDescription() for m in alert_catalog(family).GetMatches(mol)})
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
    try:
        out["qed"] = QED.qed(mol)
    except Exception:  # noqa: BLE001 - QED fails on a few exotic molecules; that row gets NaN
        out["qed"] = float("nan")
    return out


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

    rows: list[dict[str, Any]] = []
    empty = dict.fromkeys(ALERT_COLUMNS)
    with rdkit_quiet():
        for smi in canonical:
            mol = Chem.MolFromSmiles(smi) if isinstance(smi, str) else None
            rows.append(empty if mol is None else mol_alerts(mol))
    frame = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
    for col in ("pains_count", "brenk_count", "hbd", "hba", "rotatable_bonds", "lipinski_violations",
                "veber_violations"):  # fmt: skip
        frame[col] = frame[col].astype("Int64")
    return frame
