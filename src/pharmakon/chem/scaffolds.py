"""Bemis-Murcko scaffolds, the grouping key of scaffold splits.

References
----------
Bemis, G. W. & Murcko, M. A. (1996). The properties of known drugs. 1. Molecular
frameworks. J. Med. Chem. 39, 2887-2893.
"""

from __future__ import annotations

from collections.abc import Sequence

from pharmakon.chem.standardize import rdkit_quiet

__all__ = ["murcko_scaffold", "murcko_scaffolds"]


def murcko_scaffold(smiles: str, *, include_chirality: bool = False) -> str | None:
    """The Bemis-Murcko scaffold SMILES of one molecule.

    Returns
    -------
    str or None
        ``""`` for acyclic molecules (they share one empty scaffold, as in TDC and
        chemprop); None when the SMILES cannot be parsed.

    Examples
    --------
    >>> murcko_scaffold("CCOc1ccccc1C(=O)N")
    'c1ccccc1'
    """
    if not isinstance(smiles, str):
        raise TypeError(f"murcko_scaffold expects a SMILES string, got {type(smiles).__name__}")
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    with rdkit_quiet():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return None
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=include_chirality)


def murcko_scaffolds(smiles: Sequence[str], *, include_chirality: bool = False) -> list[str | None]:
    """:func:`murcko_scaffold` for each SMILES, shape (n,)."""
    return [murcko_scaffold(s, include_chirality=include_chirality) if isinstance(s, str) else None for s in smiles]
