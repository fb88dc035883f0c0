"""RDKit standardisation of SMILES with a per-row status.

Policy (STYLE.md, datamol section): a wrong *type* raises; unparseable chemistry in a
batch becomes a row with ``status="invalid"`` and the reason, never a crash and never a
silent drop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["StandardizedBatch", "rdkit_quiet", "to_mol", "standardize_smiles", "canonical_smiles"]


@contextlib.contextmanager
def rdkit_quiet() -> Iterator[None]:
    """Silence RDKit's logger where parse failures are expected (they become row statuses)."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        yield
    finally:
        RDLogger.EnableLog("rdApp.*")


def to_mol(smiles: str, *, largest_fragment: bool = True, neutralize: bool = True, tautomer: bool = False):
    """Parse and standardise one SMILES.

    Parameters
    ----------
    smiles : str
        The input SMILES.
    largest_fragment : bool, default True
        Keep only the largest organic fragment (drops counter-ions and solvents).
    neutralize : bool, default True
        Neutralise charges where a neutral form exists (RDKit ``Uncharger``).
    tautomer : bool, default False
        Replace the molecule by RDKit's canonical tautomer (slow: about 5 ms a molecule).

    Returns
    -------
    rdkit.Chem.Mol or None
        None when the SMILES cannot be parsed or sanitised.

    Raises
    ------
    TypeError
        If ``smiles`` is not a string.
    """
    if not isinstance(smiles, str):
        raise TypeError(f"to_mol expects a SMILES string, got {type(smiles).__name__}")
    from rdkit import Chem
    from rdkit.Chem.MolStandardize import rdMolStandardize

    text = smiles.strip()
    if not text:
        return None
    mol = Chem.MolFromSmiles(text)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    # A SMILES without "." has one fragment and one without "+"/"-" has no charged atom: for
    # those the chooser and the uncharger would return the molecule unchanged, so skip them.
    fragments = largest_fragment and "." in text
    charges = neutralize and ("+" in text or "-" in text)
    if not (fragments or charges or tautomer):
        return mol
    try:
        if fragments:
            mol = rdMolStandardize.LargestFragmentChooser(preferOrganic=True).choose(mol)
        if charges:
            mol = rdMolStandardize.Uncharger().uncharge(mol)
        if tautomer:
            mol = rdMolStandardize.TautomerEnumerator().Canonicalize(mol)
        Chem.SanitizeMol(mol)
    except Exception:  # noqa: BLE001 - any RDKit failure on one molecule is that row's status
        return None
    return mol


def canonical_smiles(smiles: str, **options: bool) -> str | None:
    """Canonical SMILES after :func:`to_mol`, or None if the input is invalid."""
    from rdkit import Chem

    mol = to_mol(smiles, **options)
    return None if mol is None else Chem.MolToSmiles(mol)


@dataclass
class StandardizedBatch:
    """The result of :func:`standardize_smiles`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per input, in input order: ``row`` (1-based data row number),
        ``input``, ``canonical`` (None where invalid), ``status`` (``ok``/``invalid``),
        ``reason`` (why invalid, else empty).
    """

    table: pd.DataFrame

    @property
    def ok(self) -> pd.Series:
        """Boolean mask, shape (n,), of the rows that standardised."""
        return self.table["status"].eq("ok")

    @property
    def n_invalid(self) -> int:
        return int((~self.ok).sum())

    def invalid_rows(self) -> pd.DataFrame:
        return self.table.loc[~self.ok, ["row", "input", "reason"]]


def _reason(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "missing SMILES"
    if not isinstance(value, str) or not value.strip():
        return "empty SMILES"
    return "RDKit could not parse or sanitise the SMILES"


def standardize_smiles(
    smiles: Sequence[object], *, largest_fragment: bool = True, neutralize: bool = True, tautomer: bool = False
) -> StandardizedBatch:
    """Standardise a batch of SMILES, one status per row.

    Parameters
    ----------
    smiles : sequence of str
        Shape (n,). Missing values (None/NaN) and empty strings are reported as invalid.
    largest_fragment, neutralize, tautomer : bool
        See :func:`to_mol`.

    Returns
    -------
    StandardizedBatch
        Row numbers are 1-based positions in ``smiles``.

    Examples
    --------
    >>> batch = standardize_smiles(["CCO", "not a smiles", "[Na+].CC(=O)[O-]"])
    >>> batch.table["canonical"].tolist()
    ['CCO', None, 'CC(=O)O']
    """
    from rdkit import Chem

    rows = []
    with rdkit_quiet():
        for i, value in enumerate(smiles, start=1):
            mol = None
            if isinstance(value, str):
                mol = to_mol(value, largest_fragment=largest_fragment, neutralize=neutralize, tautomer=tautomer)
            if mol is None:
                rows.append((i, value, None, "invalid", _reason(value)))
            else:
                rows.append((i, value, Chem.MolToSmiles(mol), "ok", ""))
    table = pd.DataFrame(rows, columns=["row", "input", "canonical", "status", "reason"])
    return StandardizedBatch(table.astype({"canonical": object}))
