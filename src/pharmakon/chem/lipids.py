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

:func:`lipid_descriptor_table` is the NaN-free, wider table for the generic SMILES
featurizer (:data:`LIPID_TABLE_COLUMNS`, units below): every column is 0 for a missing or
unparsable SMILES (``lipid_parsed`` 0) and the tail columns are 0 for a molecule without
tails (``lipid_is_lipid`` 0). Each distinct SMILES is computed once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "LIPID_COLUMNS",
    "LIPID_TABLE_COLUMNS",
    "LIPID_TABLE_UNITS",
    "LIPID_LIKE_SHARE",
    "lipid_descriptors",
    "lipid_descriptor_table",
    "lipid_vector",
    "looks_like_lipids",
]

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
#: Linkers and head-group motifs of :func:`lipid_descriptor_table` (counts of SMARTS matches).
_TABLE_SMARTS = {
    "lipid_carbonates": "[OX2][CX3](=O)[OX2]",
    "lipid_carbamates": "[NX3][CX3](=O)[OX2]",
    "lipid_disulfides": "[SX2][SX2]",
    "lipid_ethers": "[OX2;!$(O-C=O);!$(O-[#1])]([#6;!$(C=O)])[#6;!$(C=O)]",
    "lipid_hydroxyls": "[OX2H][CX4]",
    "lipid_beta_hetero_amines": "[NX3;!$(N-C=[O,S,N]);!$(N-a)]-[CH2,CH1]-[CH2,CH1]-[O,N,S]",
    "lipid_piperazines": "N1CCNCC1",
    "lipid_aromatic_n": "[n]",
}
#: Units of every :func:`lipid_descriptor_table` column.
LIPID_TABLE_UNITS: dict[str, str] = {
    "lipid_parsed": "1 if the SMILES parsed, else 0",
    "lipid_is_lipid": "1 if the molecule has a tail (terminal chain of >= 6 carbons), else 0",
    **{c: "count per molecule" for c in _SMARTS},
    "lipid_ionizable_centres": "count of aliphatic, non-amide amines (primary + secondary + tertiary)",
    **{c: "count per molecule" for c in _TABLE_SMARTS},
    "lipid_tails": "count of tails",
    "lipid_tail_carbons_max": "carbons in the longest tail",
    "lipid_tail_carbons_min": "carbons in the shortest tail",
    "lipid_tail_carbons_mean": "mean carbons per tail",
    "lipid_tail_carbons_total": "carbons in all tails",
    "lipid_tail_cc_double": "C=C bonds inside tails",
    "lipid_unsaturated_tails": "count of tails with at least one C=C",
    "lipid_cc_double": "C=C bonds in the molecule",
    "lipid_branch_points": "sp3 carbons with >= 3 carbon neighbours",
    "lipid_head_heavy_atoms": "heavy atoms outside the tails",
    "lipid_centres_per_tail": "ionizable centres / tails (0 without tails)",
    "lipid_rings": "ring count",
    "lipid_heavy_atoms": "heavy atoms",
    "lipid_mol_weight": "Da (average molecular weight)",
    "lipid_clogp": "Crippen logP (dimensionless)",
    "lipid_tpsa": "topological polar surface area, Å²",
    "lipid_hbd": "hydrogen-bond donors (Lipinski count)",
    "lipid_rotatable_bonds": "count",
    "lipid_fraction_csp3": "fraction of carbons that are sp3 (0 to 1)",
}
LIPID_TABLE_COLUMNS: tuple[str, ...] = tuple(LIPID_TABLE_UNITS)


def _row(mol) -> dict[str, float]:
    """:data:`LIPID_COLUMNS` of one molecule: the same values as its :func:`lipid_descriptor_table` row."""
    table = _table_row(mol, _compiled())
    return {name: table[name] for name in LIPID_COLUMNS}


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


@functools.cache
def _compiled() -> dict[str, object]:
    from rdkit import Chem

    return {name: Chem.MolFromSmarts(sm) for name, sm in {**_SMARTS, **_TABLE_SMARTS}.items()}


def _tail_atoms(mol) -> list[list[int]]:
    """Atom indices of each tail, from the methyl end.

    A tail is a terminal chain: from each CH3, through acyclic carbons that bond only carbon
    (and H), with at most two carbon neighbours; it stops before a branch point, a ring or a
    heteroatom, and counts when it has at least ``_MIN_TAIL`` carbons.
    """

    def chain_atom(a) -> bool:
        others = list(a.GetNeighbors())
        return (
            a.GetSymbol() == "C" and not a.IsInRing() and all(n.GetSymbol() == "C" for n in others) and len(others) <= 2
        )

    tails = []
    for atom in mol.GetAtoms():
        if not (chain_atom(atom) and atom.GetDegree() == 1):
            continue
        prev, cur, chain = -1, atom, [atom.GetIdx()]
        while True:
            nxt = [a for a in cur.GetNeighbors() if a.GetIdx() != prev]
            if len(nxt) != 1 or not chain_atom(nxt[0]):
                break
            prev, cur = cur.GetIdx(), nxt[0]
            chain.append(cur.GetIdx())
        if len(chain) >= _MIN_TAIL:
            tails.append(chain)
    return tails


def _table_row(mol, patterns: dict[str, object]) -> dict[str, float]:
    from rdkit import Chem
    from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors

    out = {name: float(len(mol.GetSubstructMatches(p))) for name, p in patterns.items()}
    out["lipid_ionizable_centres"] = sum(
        out[k] for k in ("lipid_amines_tertiary", "lipid_amines_secondary", "lipid_amines_primary")
    )
    tails = _tail_atoms(mol)
    lengths = [len(t) for t in tails]
    in_tail = {i for t in tails for i in t}
    double = [
        b
        for b in mol.GetBonds()
        if b.GetBondType() == Chem.BondType.DOUBLE and b.GetBeginAtom().GetSymbol() == b.GetEndAtom().GetSymbol() == "C"
    ]
    tail_of = {i: k for k, t in enumerate(tails) for i in t}
    tail_double = [b for b in double if b.GetBeginAtomIdx() in in_tail and b.GetEndAtomIdx() in in_tail]
    out |= {
        "lipid_parsed": 1.0,
        "lipid_is_lipid": float(bool(tails)),
        "lipid_tails": float(len(tails)),
        "lipid_tail_carbons_max": float(max(lengths, default=0)),
        "lipid_tail_carbons_min": float(min(lengths, default=0)),
        "lipid_tail_carbons_mean": float(np.mean(lengths)) if lengths else 0.0,
        "lipid_tail_carbons_total": float(sum(lengths)),
        "lipid_tail_cc_double": float(len(tail_double)),
        "lipid_unsaturated_tails": float(len({tail_of[b.GetBeginAtomIdx()] for b in tail_double})),
        "lipid_cc_double": float(len(double)),
        "lipid_branch_points": float(
            sum(
                1
                for a in mol.GetAtoms()
                if a.GetSymbol() == "C"
                and a.GetHybridization() == Chem.HybridizationType.SP3
                and sum(n.GetSymbol() == "C" for n in a.GetNeighbors()) >= 3
            )
        ),
        "lipid_head_heavy_atoms": float(mol.GetNumHeavyAtoms() - len(in_tail)),
        "lipid_rings": float(rdMolDescriptors.CalcNumRings(mol)),
        "lipid_heavy_atoms": float(mol.GetNumHeavyAtoms()),
        "lipid_mol_weight": float(Descriptors.MolWt(mol)),
        "lipid_clogp": float(Crippen.MolLogP(mol)),
        "lipid_tpsa": float(rdMolDescriptors.CalcTPSA(mol)),
        "lipid_hbd": float(Lipinski.NumHDonors(mol)),
        "lipid_rotatable_bonds": float(rdMolDescriptors.CalcNumRotatableBonds(mol)),
        "lipid_fraction_csp3": float(rdMolDescriptors.CalcFractionCSP3(mol)),
    }
    out["lipid_centres_per_tail"] = out["lipid_ionizable_centres"] / len(tails) if tails else 0.0
    return out


def lipid_descriptor_table(smiles: Sequence[object]) -> pd.DataFrame:
    """NaN-free lipid descriptors, shape (n, len(LIPID_TABLE_COLUMNS)), one row per input in order.

    Columns and units: :data:`LIPID_TABLE_UNITS` (counts per molecule, carbons, Da, Å²).
    A missing or unparsable SMILES gives a row of zeros (``lipid_parsed`` 0); a molecule
    without a tail of >= 6 carbons has ``lipid_is_lipid`` 0 and zero tail columns, so a
    table model can read every row. Deterministic; each distinct SMILES is computed once.

    Examples
    --------
    >>> t = lipid_descriptor_table(["CCCCCC/C=C\\CCCCCCCCN(C)C", "O", None])
    >>> t[["lipid_tails", "lipid_tail_cc_double", "lipid_ionizable_centres", "lipid_parsed"]].to_numpy().tolist()
    [[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]
    """
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    patterns = _compiled()
    keys = [s.strip() if isinstance(s, str) else "" for s in smiles]
    rows: dict[str, dict[str, float]] = {}
    for key in dict.fromkeys(keys):
        mol = Chem.MolFromSmiles(key) if key else None
        rows[key] = dict.fromkeys(LIPID_TABLE_COLUMNS, 0.0) if mol is None else _table_row(mol, patterns)
    frame = pd.DataFrame([rows[k] for k in keys], columns=list(LIPID_TABLE_COLUMNS), dtype=float)
    return frame.reset_index(drop=True)


#: A molecule set "looks like lipids" when at least this share of its parsed molecules has a tail.
LIPID_LIKE_SHARE = 0.5


def lipid_vector(mol) -> np.ndarray:
    """:data:`LIPID_TABLE_COLUMNS` of one parsed RDKit molecule, shape (len(LIPID_TABLE_COLUMNS),).

    The same values as the molecule's row of :func:`lipid_descriptor_table`; for a
    featurizer that already holds the molecule.
    """
    row = _table_row(mol, _compiled())
    return np.array([row[c] for c in LIPID_TABLE_COLUMNS], dtype=float)


def looks_like_lipids(mols: Sequence[object]) -> bool:
    """True when at least :data:`LIPID_LIKE_SHARE` of the parsed molecules (None skipped) has a tail.

    A tail is a terminal all-carbon chain of >= 6 carbons (see :func:`lipid_descriptor_table`);
    drug-like sets score near 0 (Biogen ADME: under 1%), ionizable-lipid libraries high
    (LNPDB: 81%).
    """
    parsed = [m for m in mols if m is not None]
    return bool(parsed) and sum(bool(_tail_atoms(m)) for m in parsed) >= LIPID_LIKE_SHARE * len(parsed)
