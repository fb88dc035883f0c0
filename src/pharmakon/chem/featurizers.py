"""Molecular featurizers with the scikit-learn fit/transform contract.

Each featurizer takes a sequence of SMILES, standardises them (:mod:`.standardize`),
and returns a float array of shape ``(n_molecules, len(featurizer))``. Rows whose
SMILES is invalid are all-NaN; :meth:`SmilesFeaturizer.prepare` reports them with
their row number. Vectors are cached by canonical SMILES in a byte-bounded LRU
(:class:`~pharmakon.core.cache.BoundedCache`, the one cache policy; the cache is not
pickled).

``FEATURIZER_VERSION`` is what this code computes (``SmilesFeaturizer.version``); a
fitted featurizer records it (``version_``) and travels inside every model, so the
registry asks the unpickled featurizer and a model made with another version refuses
to load (the vectors would mean something else).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pharmakon.chem.lipids import LIPID_TABLE_COLUMNS, lipid_vector, looks_like_lipids
from pharmakon.chem.standardize import rdkit_quiet, standardize_smiles, to_mol
from pharmakon.core.cache import BoundedCache
from pharmakon.errors import InputError, NotFittedError

__all__ = [
    "FEATURIZER_VERSION",
    "CACHE_BYTES",
    "DESCRIPTOR_NAMES",
    "FEATURIZERS",
    "SmilesFeaturizer",
    "make_featurizer",
    "NotFittedError",
]

FEATURIZER_VERSION = "1"
#: Distinct training SMILES read to decide whether to add the lipid block (``lipids="auto"``).
LIPID_SAMPLE = 2_000
#: Upper bound on one featurizer's SMILES -> vector cache, in bytes (256 MiB).
CACHE_BYTES = 256 * 1024**2
#: Uncached molecules featurized together (batch-level blocks such as ``pharmabench`` run once a batch).
MISS_BATCH = 1024

#: The curated, fast RDKit 2D descriptor subset (about 1 ms a molecule in total).
DESCRIPTOR_NAMES: tuple[str, ...] = (
    "MolWt",
    "HeavyAtomMolWt",
    "ExactMolWt",
    "MolLogP",
    "MolMR",
    "TPSA",
    "LabuteASA",
    "NumHDonors",
    "NumHAcceptors",
    "NHOHCount",
    "NOCount",
    "NumRotatableBonds",
    "NumHeteroatoms",
    "HeavyAtomCount",
    "RingCount",
    "NumAromaticRings",
    "NumAliphaticRings",
    "NumSaturatedRings",
    "NumAromaticHeterocycles",
    "NumAromaticCarbocycles",
    "NumAliphaticHeterocycles",
    "FractionCSP3",
    "NumValenceElectrons",
    "BalabanJ",
    "HallKierAlpha",
    "Kappa1",
    "Kappa2",
    "Kappa3",
    "Chi0v",
    "Chi1v",
    "Chi2v",
    "Chi3v",
    "Chi4v",
    "fr_halogen",
    "fr_COO",
    "fr_NH2",
    "fr_Ar_OH",
    "fr_amide",
    "fr_sulfonamd",
    "fr_ester",
    "fr_ether",
    "fr_nitro",
    "fr_pyridine",
    "fr_piperdine",
    "fr_benzene",
    "fr_aniline",
    "fr_ketone",
    *(f"PEOE_VSA{i}" for i in range(1, 15)),
    *(f"SMR_VSA{i}" for i in range(1, 11)),
    *(f"SlogP_VSA{i}" for i in range(1, 13)),
)

#: Length of RDKit's ErG vector: 21 pharmacophore-type pairs x 15 topological distances.
ERG_LENGTH = 315

#: Short alias -> what it computes (``make_featurizer`` resolves these).
FEATURIZERS: dict[str, str] = {
    "morgan": "Morgan count fingerprint (radius, n_bits), counts clipped at 255",
    "rdkit2d": f"curated fast RDKit 2D descriptors ({len(DESCRIPTOR_NAMES)})",
    "maccs": "MACCS structural keys (167 bits)",
    "erg": f"ErG extended reduced-graph pharmacophore-pair fuzzy counts ({ERG_LENGTH}; Stiefl et al. 2006)",
    "lipid": "lipid-structure descriptors: tails, unsaturation, linkers, ionizable centres (pharmakon.chem.lipids)",
    "pharmabench": "predicted logD, solubility, human/rat/mouse microsomal CL and PPB from LightGBM models "
    "fitted on public PharmaBench data (6; pharmakon.chem.transfer)",
}


def _descriptor_functions():
    from rdkit.Chem import Descriptors

    table = dict(Descriptors._descList)
    return [table[name] for name in DESCRIPTOR_NAMES]


#: Descriptors RDKit computes in one C++ pass (``rdMolDescriptors.Properties``): same values, less overhead.
_PROPERTY_NAMES = {
    "MolWt": "amw",
    "ExactMolWt": "exactmw",
    "MolLogP": "CrippenClogP",
    "MolMR": "CrippenMR",
    "TPSA": "tpsa",
    "LabuteASA": "labuteASA",
    "NumHDonors": "NumHBD",
    "NumHAcceptors": "NumHBA",
    "NHOHCount": "lipinskiHBD",
    "NOCount": "lipinskiHBA",
    "NumRotatableBonds": "NumRotatableBonds",
    "NumHeteroatoms": "NumHeteroatoms",
    "HeavyAtomCount": "NumHeavyAtoms",
    "RingCount": "NumRings",
    "NumAromaticRings": "NumAromaticRings",
    "NumAliphaticRings": "NumAliphaticRings",
    "NumSaturatedRings": "NumSaturatedRings",
    "NumAromaticHeterocycles": "NumAromaticHeterocycles",
    "NumAliphaticHeterocycles": "NumAliphaticHeterocycles",
    "FractionCSP3": "FractionCSP3",
    "HallKierAlpha": "hallKierAlpha",
    "Kappa1": "kappa1",
    "Kappa2": "kappa2",
    "Kappa3": "kappa3",
    "Chi0v": "chi0v",
    "Chi1v": "chi1v",
    "Chi2v": "chi2v",
    "Chi3v": "chi3v",
    "Chi4v": "chi4v",
}
_VSA_BLOCKS = {"PEOE_VSA": "PEOE_VSA_", "SMR_VSA": "SMR_VSA_", "SlogP_VSA": "SlogP_VSA_"}
_DESCRIPTORS: list = []


class _DescriptorCalculator:
    """:data:`DESCRIPTOR_NAMES` for one molecule, batching what RDKit can compute together.

    Each value is the one ``rdkit.Chem.Descriptors`` returns for that name (the tests
    compare them name by name); a descriptor that raises gives NaN.
    """

    def __init__(self) -> None:
        from rdkit.Chem import rdMolDescriptors

        index = {name: i for i, name in enumerate(DESCRIPTOR_NAMES)}
        wanted = [(d, p) for d, p in _PROPERTY_NAMES.items() if d in index]
        self.properties = rdMolDescriptors.Properties([p for _, p in wanted])
        self.property_slots = np.array([index[d] for d, _ in wanted])
        self.vsa = [
            (
                getattr(rdMolDescriptors, fn),
                np.array([index[n] for n in DESCRIPTOR_NAMES if n.startswith(prefix) and n[len(prefix) :].isdigit()]),
                [
                    int(n[len(prefix) :]) - 1
                    for n in DESCRIPTOR_NAMES
                    if n.startswith(prefix) and n[len(prefix) :].isdigit()
                ],
            )
            for prefix, fn in _VSA_BLOCKS.items()
        ]
        covered = {d for d, _ in wanted} | {n for n in DESCRIPTOR_NAMES for p in _VSA_BLOCKS if n.startswith(p)}
        functions = _descriptor_functions()
        self.rest = [(i, functions[i]) for i, n in enumerate(DESCRIPTOR_NAMES) if n not in covered]
        self.functions = functions

    def values(self, mol) -> np.ndarray:
        out = np.empty(len(DESCRIPTOR_NAMES))
        try:
            out[self.property_slots] = list(self.properties.ComputeProperties(mol))
            for fn, slots, bins in self.vsa:
                values = fn(mol)
                out[slots] = [values[b] for b in bins]
        except Exception:  # noqa: BLE001 - fall back to one call per descriptor, NaN where one fails
            return np.array([_safe(fn, mol) for fn in self.functions])
        for i, fn in self.rest:
            out[i] = _safe(fn, mol)
        return out


def _safe(fn, mol) -> float:
    try:
        return float(fn(mol))
    except Exception:  # noqa: BLE001 - one failed descriptor is NaN, imputed later
        return np.nan


def _descriptors() -> _DescriptorCalculator:
    if not _DESCRIPTORS:
        _DESCRIPTORS.append(_DescriptorCalculator())
    return _DESCRIPTORS[0]


class SmilesFeaturizer(TransformerMixin, BaseEstimator):
    """SMILES -> concatenated Morgan counts, RDKit 2D descriptors, ErG counts and/or MACCS keys.

    Parameters
    ----------
    kinds : tuple of str, default ("morgan", "rdkit2d")
        Blocks to concatenate, in order; each one of :data:`FEATURIZERS`.
    radius : int, default 2
        Morgan radius (2 is ECFP4-like).
    n_bits : int, default 2048
        Morgan fingerprint width.
    tautomer : bool, default False
        Canonicalise tautomers during standardisation (slow).
    lipids : {"auto", "never"}, default "auto"
        With "auto", :meth:`fit` on molecules that look like lipids (at least half of them
        with a tail of >= 6 carbons, :func:`~pharmakon.chem.lipids.looks_like_lipids`)
        appends the ``lipid`` block when ``kinds`` lacks it: tail length and unsaturation
        decide an ionizable lipid's potency, and neither Morgan counts nor the RDKit
        descriptors state them. Drug-like sets never meet the test, so their features are
        unchanged. Put ``"lipid"`` in ``kinds`` to compute it always.

    Attributes
    ----------
    feature_names_ : list of str
        ``morgan:<bit>``, ``rdkit2d:<name>``, ``erg:<i>``, ``maccs:<key>``, ``lipid:<name>``;
        length ``len(self)``.
    blocks_ : tuple of str
        The blocks computed, in order: ``kinds``, plus ``"lipid"`` when "auto" added it.
    fingerprint_columns_ : ndarray of int
        Columns holding fingerprint bits/counts (used for Tanimoto applicability domain).
    version_ : str
        :data:`FEATURIZER_VERSION` at fit time (what the model was trained with).
    version : str
        Class attribute: the version this code computes now (:data:`FEATURIZER_VERSION`);
        the registry refuses a model whose ``version_`` differs.

    Examples
    --------
    >>> f = SmilesFeaturizer(kinds=("morgan",), n_bits=64).fit(["CCO"])
    >>> f.transform(["CCO", "c1ccccc1"]).shape
    (2, 64)
    """

    _constraints: ClassVar[dict[str, tuple[int, int]]] = {"radius": (1, 6), "n_bits": (16, 1 << 16)}
    #: The version this code computes (the registry compares it with a loaded model's ``version_``).
    version: ClassVar[str] = FEATURIZER_VERSION

    def __init__(
        self,
        kinds: tuple[str, ...] = ("morgan", "rdkit2d"),
        radius: int = 2,
        n_bits: int = 2048,
        tautomer: bool = False,
        lipids: str = "auto",
    ) -> None:
        self.kinds = kinds
        self.radius = radius
        self.n_bits = n_bits
        self.tautomer = tautomer
        self.lipids = lipids

    # -- contract -----------------------------------------------------------------
    def _validate(self) -> None:
        unknown = [k for k in self.kinds if k not in FEATURIZERS]
        if not self.kinds or unknown:
            raise InputError(
                f"SmilesFeaturizer: kinds must be a non-empty tuple of {sorted(FEATURIZERS)}, got {self.kinds!r}",
                field="kinds",
            )
        if self.lipids not in ("auto", "never"):
            raise InputError(f"SmilesFeaturizer: lipids must be 'auto' or 'never', got {self.lipids!r}", field="lipids")
        for name, (lo, hi) in self._constraints.items():
            value = getattr(self, name)
            if not isinstance(value, int) or not lo <= value <= hi:
                raise InputError(
                    f"SmilesFeaturizer: {name} must be an integer in [{lo}, {hi}], got {value!r}", field=name
                )

    def fit(self, smiles: Sequence[str] | None = None, y: object = None) -> SmilesFeaturizer:
        """Validate parameters and fix the output layout.

        The only thing learned from ``smiles`` is whether to add the ``lipid`` block
        (``lipids="auto"``); without ``smiles`` it is not added.
        """
        self._validate()
        blocks = tuple(self.kinds)
        if self.lipids == "auto" and "lipid" not in blocks and smiles is not None:
            from rdkit import Chem

            distinct = list(dict.fromkeys(s for s in smiles if isinstance(s, str)))
            # an evenly spaced sample of LIPID_SAMPLE estimates the share to a few percent at any size
            sample = distinct[:: max(1, len(distinct) // LIPID_SAMPLE)]
            with rdkit_quiet():
                if looks_like_lipids([Chem.MolFromSmiles(s) for s in sample]):
                    blocks += ("lipid",)
        names: list[str] = []
        for kind in blocks:
            if kind == "morgan":
                names += [f"morgan:{i}" for i in range(self.n_bits)]
            elif kind == "rdkit2d":
                names += [f"rdkit2d:{n}" for n in DESCRIPTOR_NAMES]
            elif kind == "lipid":
                names += [f"lipid:{n.removeprefix('lipid_')}" for n in LIPID_TABLE_COLUMNS]
            elif kind == "erg":
                names += [f"erg:{i}" for i in range(ERG_LENGTH)]
            elif kind == "pharmabench":
                from pharmakon.chem.transfer import auxiliary_bundle

                self.auxiliary_ = auxiliary_bundle()
                names += [f"pharmabench:{n}" for n in self.auxiliary_.names]
            else:
                names += [f"maccs:{i}" for i in range(167)]
        self.blocks_ = blocks
        self.feature_names_ = names
        self.fingerprint_columns_ = np.array(
            [i for i, n in enumerate(names) if n.startswith(("morgan:", "maccs:"))], dtype=int
        )
        if "pharmabench" in blocks:
            self.auxiliary_inputs_ = self._auxiliary_input_columns(names)
        self.version_ = self.version
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_names_"):
            raise NotFittedError("this SmilesFeaturizer is not fitted yet; call fit() first")

    def __len__(self) -> int:
        self._check_fitted()
        return len(self.feature_names_)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self.feature_names_, dtype=object)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_cache", None)
        state.pop("_gen", None)
        return state

    def __setstate__(self, state: dict) -> None:
        # A featurizer saved before the lipid block existed computed exactly its kinds.
        if "feature_names_" in state and "blocks_" not in state:
            state = {**state, "blocks_": tuple(state["kinds"]), "lipids": state.get("lipids", "never")}
        self.__dict__.update(state)

    def training_notes(self, smiles: Sequence[object]) -> list[str]:
        """QC warnings about featurizing these training molecules (the model lifecycle reports them)."""
        self._check_fitted()
        if "pharmabench" not in self.blocks_:
            return []
        from pharmakon.chem.transfer import overlap_warning

        note = overlap_warning(smiles, self.auxiliary_)
        return [note] if note else []

    # -- work -----------------------------------------------------------------------
    def prepare(self, smiles: Sequence[object]):
        """Standardise ``smiles``; see :func:`~pharmakon.chem.standardize_smiles` (row statuses)."""
        return standardize_smiles(smiles, tautomer=self.tautomer)

    def _mol_vector(self, mol) -> np.ndarray:
        from rdkit.Chem import MACCSkeys, rdFingerprintGenerator, rdReducedGraphs

        parts = []
        for kind in self.blocks_:
            if kind == "morgan":
                if getattr(self, "_gen", None) is None:
                    self._gen = rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.n_bits)
                parts.append(np.minimum(self._gen.GetCountFingerprintAsNumPy(mol), 255).astype(np.float64))
            elif kind == "rdkit2d":
                parts.append(_descriptors().values(mol))
            elif kind == "lipid":
                parts.append(lipid_vector(mol))
            elif kind == "erg":
                parts.append(np.asarray(rdReducedGraphs.GetErGFingerprint(mol), dtype=np.float64))
            elif kind == "pharmabench":
                # filled for the whole batch by _fill_auxiliary: one model call per batch, not per molecule
                parts.append(np.full(len(self.auxiliary_.names), np.nan))
            else:
                parts.append(np.array(list(MACCSkeys.GenMACCSKeys(mol)), dtype=np.float64))
        vec = np.concatenate(parts)
        vec[~np.isfinite(vec)] = np.nan
        return vec

    def transform_mols(self, mols: Sequence[object]) -> np.ndarray:
        """Vectors for standardised RDKit molecules (``None`` gives an all-NaN row), shape (n, len(self)).

        The molecules must be what :meth:`transform_canonical` would parse from the
        canonical SMILES (e.g. ``Chem.MolFromSmiles(canonical)``); nothing is cached.
        """
        self._check_fitted()
        out = np.full((len(mols), len(self.feature_names_)), np.nan)
        with rdkit_quiet():
            for i, mol in enumerate(mols):
                if mol is not None:
                    out[i] = self._mol_vector(mol)
        if "pharmabench" in self.blocks_:
            self._fill_auxiliary(out, mols)
        return out

    def _auxiliary_input_columns(self, names: list[str]) -> np.ndarray | None:
        """Where the auxiliary models' inputs sit among ``names``, or None when this layout lacks them."""
        from pharmakon.chem.transfer import input_featurizer

        inputs = input_featurizer()
        if not set(inputs.kinds) <= set(self.kinds) or (self.radius, self.n_bits) != (inputs.radius, inputs.n_bits):
            return None
        where = {name: i for i, name in enumerate(names)}
        return np.array([where[name] for name in inputs.feature_names_], dtype=int)

    def _auxiliary_inputs(self, out: np.ndarray, mols: Sequence[object]) -> np.ndarray:
        """The auxiliary models' inputs: columns of ``out`` when it holds them, else computed."""
        from pharmakon.chem.transfer import input_featurizer

        if self.auxiliary_inputs_ is not None:
            return out[:, self.auxiliary_inputs_]
        return input_featurizer().transform_mols(mols)

    def _fill_auxiliary(self, out: np.ndarray, mols: Sequence[object]) -> None:
        rows = np.array([mol is not None for mol in mols], dtype=bool)
        if not rows.any():
            return
        first = self.feature_names_.index(f"pharmabench:{self.auxiliary_.names[0]}")
        columns = slice(first, first + len(self.auxiliary_.names))
        inputs = self._auxiliary_inputs(out[rows], [m for m, keep in zip(mols, rows) if keep])
        out[rows, columns] = self.auxiliary_.predict(inputs)

    def transform_canonical(self, canonical: Sequence[str | None]) -> np.ndarray:
        """Vectors for already-canonical SMILES; ``None`` gives an all-NaN row. Shape (n, len(self)).

        Vectors are cached by canonical SMILES, least recently used dropped first, up to
        :data:`CACHE_BYTES` per featurizer.
        """
        from rdkit import Chem

        self._check_fitted()
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = self.__dict__.setdefault("_cache", BoundedCache(CACHE_BYTES))
        out = np.full((len(canonical), len(self.feature_names_)), np.nan)
        misses: dict[str, list[int]] = {}
        for i, key in enumerate(canonical):
            if not isinstance(key, str):
                continue
            vec = cache.get(key)
            if vec is None:
                misses.setdefault(key, []).append(i)
            else:
                out[i] = vec
        pending = list(misses.items())
        for start in range(0, len(pending), MISS_BATCH):  # batches bound the extra memory
            chunk = pending[start : start + MISS_BATCH]
            with rdkit_quiet():
                mols = [Chem.MolFromSmiles(key) for key, _ in chunk]
            for (key, rows), vec in zip(chunk, self.transform_mols(mols)):
                out[rows] = vec
                cache.put(key, vec.copy(), vec.nbytes)  # a copy: a view would keep the whole batch alive
        return out

    def transform(self, smiles: Sequence[object]) -> np.ndarray:
        """Shape (n, len(self)); invalid SMILES give all-NaN rows (see :meth:`prepare`)."""
        self._check_fitted()
        batch = self.prepare(list(smiles))
        return self.transform_canonical(batch.table["canonical"].tolist())

    def bit_substructures(self, column: int, smiles: Sequence[str], limit: int = 1) -> list[str]:
        """SMILES fragments that set Morgan column ``column`` in the given molecules (up to ``limit``).

        Returns an empty list for non-Morgan columns or when no molecule sets the bit.
        """
        self._check_fitted()
        name = self.feature_names_[column]
        if not name.startswith("morgan:"):
            return []
        from rdkit import Chem
        from rdkit.Chem import rdFingerprintGenerator

        bit = int(name.split(":")[1])
        gen = rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.n_bits)
        found: list[str] = []
        with rdkit_quiet():
            for smi in smiles:
                mol = to_mol(smi) if isinstance(smi, str) else None
                if mol is None:
                    continue
                ao = rdFingerprintGenerator.AdditionalOutput()
                ao.AllocateBitInfoMap()
                gen.GetCountFingerprintAsNumPy(mol, additionalOutput=ao)
                for atom, rad in ao.GetBitInfoMap().get(bit, ()):
                    if rad == 0:
                        frag = mol.GetAtomWithIdx(atom).GetSymbol()
                    else:
                        env = Chem.FindAtomEnvironmentOfRadiusN(mol, rad, atom)
                        atoms = (
                            {atom}
                            | {mol.GetBondWithIdx(b).GetBeginAtomIdx() for b in env}
                            | {mol.GetBondWithIdx(b).GetEndAtomIdx() for b in env}
                        )
                        frag = Chem.MolFragmentToSmiles(mol, atomsToUse=sorted(atoms), bondsToUse=list(env))
                    if frag not in found:
                        found.append(frag)
                    break
                if len(found) >= limit:
                    break
        return found


def make_featurizer(spec: str = "morgan+rdkit2d", **params: object) -> SmilesFeaturizer:
    """A featurizer from a ``+``-joined alias string such as ``"morgan+rdkit2d"``.

    Raises
    ------
    InputError
        If an alias is unknown; the message lists :data:`FEATURIZERS`.
    """
    kinds = tuple(part.strip() for part in spec.split("+") if part.strip())
    unknown = [k for k in kinds if k not in FEATURIZERS]
    if unknown or not kinds:
        raise InputError(
            f"unknown featurizer {spec!r}; choose '+'-joined names from {sorted(FEATURIZERS)}", field="featurizer"
        )
    return SmilesFeaturizer(kinds=kinds, **params)  # type: ignore[arg-type]
