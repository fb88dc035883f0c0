"""RDKit standardisation of SMILES with a per-row status.

Policy (STYLE.md, datamol section): a wrong *type* raises; unparseable chemistry in a
batch becomes a row with ``status="invalid"`` and the reason, never a crash and never a
silent drop.

Size limits: every molecule the platform featurizes, trains on or predicts for comes
through here, so here its size is bounded (some RDKit descriptors, e.g. ``BalabanJ``,
grow with the cube of the atom count: a 2,000-carbon chain takes seconds, and one huge
molecule must not stall a server or a batch). A SMILES longer than
``PHARMAKON_MAX_SMILES_LENGTH`` characters (default 2,000) is refused before it is
parsed; a molecule with more than ``PHARMAKON_MAX_HEAVY_ATOMS`` heavy atoms (default
300, counted in its largest fragment) or more than :data:`MAX_FRAGMENTS` fragments is
refused before the costlier standardisation steps. Each is an invalid row whose reason
names the limit. 300 keeps every ionizable lipid of LNPDB (the largest has 282 heavy atoms;
229 of its 10,734 distinct lipids have more than 150) while one molecule's descriptors stay
under about a second (a 300-carbon chain: 0.7 s; the cost grows with the cube of the size).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "StandardizedBatch",
    "MAX_FRAGMENTS",
    "MoleculeLimits",
    "molecule_limits",
    "rdkit_quiet",
    "to_mol",
    "standardize_smiles",
    "standardize_mols",
    "canonical_smiles",
]


@contextlib.contextmanager
def rdkit_quiet() -> Iterator[None]:
    """Silence RDKit's logger where parse failures are expected (they become row statuses)."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        yield
    finally:
        RDLogger.EnableLog("rdApp.*")


#: Most "."-separated fragments (salt, solvents, mixture components) one SMILES may have.
MAX_FRAGMENTS = 64


@dataclass(frozen=True)
class MoleculeLimits:
    """How large a molecule may be (see the module notes).

    Attributes
    ----------
    max_length : int
        Longest SMILES, in characters (``PHARMAKON_MAX_SMILES_LENGTH``).
    max_heavy_atoms : int
        Most heavy atoms in the largest fragment (``PHARMAKON_MAX_HEAVY_ATOMS``).
    """

    max_length: int
    max_heavy_atoms: int

    def too_long(self, text: str) -> str:
        """Why ``text`` is refused before parsing, or ``""``."""
        if len(text) <= self.max_length:
            return ""
        return (
            f"SMILES too long: {len(text):,} characters (at most {self.max_length:,}; "
            "setting PHARMAKON_MAX_SMILES_LENGTH)"
        )

    def too_large(self, mol, *, by_fragment: bool = False) -> str:
        """Why ``mol`` is refused, or ``""``; ``by_fragment`` counts its largest fragment and
        refuses more than :data:`MAX_FRAGMENTS` fragments (choosing among many is slow)."""
        if by_fragment:
            from rdkit import Chem

            frags = Chem.GetMolFrags(mol)
            if len(frags) > MAX_FRAGMENTS:
                return f"too many fragments: {len(frags):,} (at most {MAX_FRAGMENTS})"
            heavy = [a.GetAtomicNum() > 1 for a in mol.GetAtoms()]
            n = max(sum(heavy[i] for i in frag) for frag in frags)
        else:
            n = mol.GetNumHeavyAtoms()
        if n <= self.max_heavy_atoms:
            return ""
        return (
            f"molecule too large: {n:,} heavy atoms (at most {self.max_heavy_atoms:,}; "
            "setting PHARMAKON_MAX_HEAVY_ATOMS)"
        )


def molecule_limits() -> MoleculeLimits:
    """The size limits of this process's settings (:func:`pharmakon.config.get_settings`)."""
    from pharmakon.config import get_settings

    settings = get_settings()
    return MoleculeLimits(settings.max_smiles_length, settings.max_heavy_atoms)


class _Tools:
    """RDKit's standardisers, built on first use and kept for a batch.

    Building an ``Uncharger`` costs about 0.3 ms (it compiles its SMARTS patterns), as much as
    parsing a molecule; the objects keep no state between molecules, so one serves a whole batch.
    """

    def __init__(self) -> None:
        self._made: dict[str, object] = {}

    def get(self, name: str):
        from rdkit.Chem.MolStandardize import rdMolStandardize

        if name not in self._made:
            make = {
                "chooser": lambda: rdMolStandardize.LargestFragmentChooser(preferOrganic=True),
                "uncharger": rdMolStandardize.Uncharger,
                "tautomers": rdMolStandardize.TautomerEnumerator,
            }[name]
            self._made[name] = make()
        return self._made[name]


def _standardize(
    text: str,
    limits: MoleculeLimits,
    *,
    largest_fragment: bool,
    neutralize: bool,
    tautomer: bool,
    tools: _Tools | None = None,
):
    """``(mol, "")`` or ``(None, reason)`` for one stripped, non-empty SMILES."""
    from rdkit import Chem

    tools = tools or _Tools()
    reason = limits.too_long(text)
    if reason:
        return None, reason
    mol = Chem.MolFromSmiles(text)
    if mol is None or mol.GetNumAtoms() == 0:
        return None, _PARSE_FAILED
    # A SMILES without "." has one fragment and one without "+"/"-" has no charged atom: for
    # those the chooser and the uncharger would return the molecule unchanged, so skip them.
    fragments = largest_fragment and "." in text
    charges = neutralize and ("+" in text or "-" in text)
    reason = limits.too_large(mol, by_fragment=fragments)  # before the costlier steps (fragments, tautomers)
    if reason:
        return None, reason
    try:
        if fragments:
            mol = tools.get("chooser").choose(mol)
        if not (fragments or charges or tautomer):
            return mol, ""
        if charges:
            mol = tools.get("uncharger").uncharge(mol)
        if tautomer:
            mol = tools.get("tautomers").Canonicalize(mol)
        Chem.SanitizeMol(mol)
    except Exception:  # noqa: BLE001 - any RDKit failure on one molecule is that row's status
        return None, _PARSE_FAILED
    return mol, ""


_PARSE_FAILED = "RDKit could not parse or sanitise the SMILES"


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
        None when the SMILES cannot be parsed or sanitised, or is over the size limits
        (:func:`molecule_limits`; :func:`standardize_smiles` says which).

    Raises
    ------
    TypeError
        If ``smiles`` is not a string.
    """
    if not isinstance(smiles, str):
        raise TypeError(f"to_mol expects a SMILES string, got {type(smiles).__name__}")
    text = smiles.strip()
    if not text:
        return None
    mol, _ = _standardize(
        text, molecule_limits(), largest_fragment=largest_fragment, neutralize=neutralize, tautomer=tautomer
    )
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
    return _PARSE_FAILED


def standardize_smiles(
    smiles: Sequence[object], *, largest_fragment: bool = True, neutralize: bool = True, tautomer: bool = False
) -> StandardizedBatch:
    """Standardise a batch of SMILES, one status per row.

    Parameters
    ----------
    smiles : sequence of str
        Shape (n,). Missing values (None/NaN), empty strings and molecules over the size
        limits (:func:`molecule_limits`) are reported as invalid, with the reason.
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
    return standardize_mols(smiles, largest_fragment=largest_fragment, neutralize=neutralize, tautomer=tautomer)[0]


def standardize_mols(
    smiles: Sequence[object], *, largest_fragment: bool = True, neutralize: bool = True, tautomer: bool = False
) -> tuple[StandardizedBatch, list]:
    """:func:`standardize_smiles` plus the standardised molecules themselves (each SMILES parsed once).

    Returns
    -------
    batch : StandardizedBatch
        As :func:`standardize_smiles`.
    mols : list of rdkit.Chem.Mol or None
        Shape (n,): the standardised molecule whose canonical SMILES is ``batch.table["canonical"]``,
        None where that row is invalid. Callers that featurize these molecules skip parsing the
        canonical SMILES a second time (the ADMET screening profile).
    """
    from rdkit import Chem

    limits, tools = molecule_limits(), _Tools()
    rows, mols = [], []
    with rdkit_quiet():
        for i, value in enumerate(smiles, start=1):
            mol, reason = None, ""
            if isinstance(value, str) and value.strip():
                mol, reason = _standardize(
                    value.strip(),
                    limits,
                    largest_fragment=largest_fragment,
                    neutralize=neutralize,
                    tautomer=tautomer,
                    tools=tools,
                )
            mols.append(mol)
            if mol is None:
                rows.append((i, value, None, "invalid", reason or _reason(value)))
            else:
                rows.append((i, value, Chem.MolToSmiles(mol), "ok", ""))
    table = pd.DataFrame(rows, columns=["row", "input", "canonical", "status", "reason"])
    return StandardizedBatch(table.astype({"canonical": object})), mols
