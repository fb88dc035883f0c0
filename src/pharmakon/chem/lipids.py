"""Lipid-structure descriptors: ionizable centres, tails, unsaturation, linkers (RDKit).

Ionizable and cationic lipids are a head group (one or more amines), linkers (esters,
amides, carbonates) and hydrophobic tails; their delivery depends on the pKa-setting
amines, the tail count and length, and unsaturation. :func:`lipid_descriptors` counts
these from the structure with RDKit SMARTS and ring/chain perception, one row per
SMILES, so a table model can read them beside fingerprints.

Columns (all per molecule): ``lipid_amines_tertiary``, ``lipid_amines_secondary``,
``lipid_amines_primary``, ``lipid_quaternary_n``, ``lipid_ionizable_centres`` (aliphatic
amines, not amides), ``lipid_esters``, ``lipid_amides``, ``lipid_tails`` (terminal
all-carbon chains of >= 6 carbons, counted from the methyl end up to, not including, the
first carbon that bonds a heteroatom, branches or sits in a ring), ``lipid_tail_carbons_max``
and ``_mean`` (carbons per tail), ``lipid_cc_double`` (C=C), ``lipid_branch_points`` (sp3 carbons with three or
more carbon neighbours), ``lipid_heavy_atoms``, ``lipid_clogp`` (Crippen), ``lipid_tpsa``.
An unparsable SMILES gives a row of NaN and its reason in ``status``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["LIPID_COLUMNS", "lipid_descriptors"]

_SMARTS = {
    "lipid_amines_tertiary": "[NX3;H0;!$(N-C=[O,S,N]);!$(N-a);!$(N#*);!$(N=*)]([#6])([#6])[#6]",
    "lipid_amines_secondary": "[NX3;H1;!$(N-C=[O,S,N]);!$(N-a)]([#6])[#6]",
    "lipid_amines_primary": "[NX3;H2;!$(N-C=[O,S,N]);!$(N-a)][#6]",
    "lipid_quaternary_n": "[NX4+]",
    "lipid_esters": "[#6][CX3](=O)[OX2][#6]",
    "lipid_amides": "[CX3](=O)[NX3]",
}
LIPID_COLUMNS: tuple[str, ...] = (
    *_SMARTS,
    "lipid_ionizable_centres",
    "lipid_tails",
    "lipid_tail_carbons_max",
    "lipid_tail_carbons_mean",
    "lipid_cc_double",
    "lipid_branch_points",
    "lipid_heavy_atoms",
    "lipid_clogp",
    "lipid_tpsa",
)
_MIN_TAIL = 6


def _tails(mol) -> list[int]:
    """Carbon counts of terminal chains: from each CH3, through acyclic carbons that bond only carbon (and H),
    with at most two carbon neighbours; the chain stops before a branch point, a ring or a heteroatom."""

    def chain_atom(a) -> bool:
        others = [n for n in a.GetNeighbors()]
        return (
            a.GetSymbol() == "C" and not a.IsInRing() and all(n.GetSymbol() == "C" for n in others) and len(others) <= 2
        )

    lengths = []
    for atom in mol.GetAtoms():
        if not (chain_atom(atom) and atom.GetDegree() == 1):
            continue
        prev, cur, n = -1, atom, 1
        while True:
            nxt = [a for a in cur.GetNeighbors() if a.GetIdx() != prev]
            if len(nxt) != 1 or not chain_atom(nxt[0]):
                break
            prev, cur, n = cur.GetIdx(), nxt[0], n + 1
        if n >= _MIN_TAIL:
            lengths.append(n)
    return lengths


def _row(mol) -> dict[str, float]:
    from rdkit import Chem
    from rdkit.Chem import Crippen, rdMolDescriptors

    out = {name: float(len(mol.GetSubstructMatches(Chem.MolFromSmarts(s)))) for name, s in _SMARTS.items()}
    out["lipid_ionizable_centres"] = sum(
        out[k] for k in ("lipid_amines_tertiary", "lipid_amines_secondary", "lipid_amines_primary")
    )
    tails = _tails(mol)
    out["lipid_tails"] = float(len(tails))
    out["lipid_tail_carbons_max"] = float(max(tails, default=0))
    out["lipid_tail_carbons_mean"] = float(np.mean(tails)) if tails else 0.0
    out["lipid_cc_double"] = float(len(mol.GetSubstructMatches(Chem.MolFromSmarts("[#6]=[#6]"))))
    out["lipid_branch_points"] = float(
        sum(
            1
            for a in mol.GetAtoms()
            if a.GetSymbol() == "C"
            and a.GetHybridization() == Chem.HybridizationType.SP3
            and sum(n.GetSymbol() == "C" for n in a.GetNeighbors()) >= 3
        )
    )
    out["lipid_heavy_atoms"] = float(mol.GetNumHeavyAtoms())
    out["lipid_clogp"] = float(Crippen.MolLogP(mol))
    out["lipid_tpsa"] = float(rdMolDescriptors.CalcTPSA(mol))
    return out


def lipid_descriptors(smiles: Sequence[object]) -> pd.DataFrame:
    """Descriptors of each SMILES, shape (n, len(LIPID_COLUMNS) + 1): :data:`LIPID_COLUMNS` and ``status``.

    ``status`` is ``ok`` or why the row has no descriptors (missing or unparsable SMILES).

    Examples
    --------
    >>> d = lipid_descriptors(["CCCCCCCCCCCCN(C)CCCCCCCCCCCC"])
    >>> int(d.loc[0, "lipid_amines_tertiary"]), int(d.loc[0, "lipid_tails"]), int(d.loc[0, "lipid_tail_carbons_max"])
    (1, 2, 11)
    """
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    rows, status = [], []
    for s in smiles:
        mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s.strip() else None
        if mol is None:
            rows.append(dict.fromkeys(LIPID_COLUMNS, np.nan))
            status.append("missing SMILES" if not (isinstance(s, str) and s.strip()) else "unparsable SMILES")
        else:
            rows.append(_row(mol))
            status.append("ok")
    frame = pd.DataFrame(rows, columns=list(LIPID_COLUMNS))
    frame["status"] = status
    return frame
