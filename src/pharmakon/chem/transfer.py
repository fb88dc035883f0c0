"""Auxiliary ADMET predictions learned from public data: the ``pharmabench`` feature block.

Transfer by stacking. Six LightGBM regressors are fitted on public PharmaBench data (Niu et
al. 2024; the ADMET panel's endpoints of the same names): logD at pH 7.4, log10 aqueous
solubility, log human, rat and mouse microsomal clearance, and plasma protein binding. Their
inputs are Morgan counts (radius 2, 2,048 columns) and the curated RDKit 2D descriptors; their
six predictions for a molecule become six feature columns. A model of a related in-house assay
(a Biogen microsomal stability, solubility or protein binding table, say) can then draw on what
thousands of public measurements say about the molecule's lipophilicity, clearance and binding,
which its own few thousand rows cannot teach it.

The fitted models ship with pharmakon (:data:`BUNDLE_PATH`, compressed LightGBM model text in
JSON, as ADMET-AI ships its weights), so the block needs neither the data mirror nor a minute of
fitting at run time. ``scripts/build_pharmabench_block.py`` fits them again from the mirror
(fixed seed, LightGBM's deterministic mode); the tests check that the shipped file was fitted on
the mirror's current rows with these settings, and that a refit reproduces its predictions.

Assumptions and guard rails:

* Only PharmaBench's scaffold-*train* rows fit the auxiliary models (the panel's rule), so
  PharmaBench's own scaffold test stays a fair test of anything that uses this block.
* A molecule that is itself among those training rows gets a prediction close to its
  published label. A benchmark whose molecules were compiled from the same public sources
  (ChEMBL-derived solubility or logD sets) is then not a fair test of this block:
  :func:`overlap_warning` counts such molecules, and model training reports them as a QC
  warning.
* A fitted featurizer carries the bundle inside every registered model, so an old model keeps
  the bundle it was trained with.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pharmakon.chem.featurizers import SmilesFeaturizer

__all__ = [
    "BUNDLE_PATH",
    "AUXILIARY_ENDPOINTS",
    "AUXILIARY_INPUT",
    "AUXILIARY_PARAMS",
    "AuxiliaryBundle",
    "auxiliary_bundle",
    "data_key",
    "fit_bundle",
    "input_featurizer",
    "read_bundle",
    "training_frames",
    "write_bundle",
    "OVERLAP_WARNING",
    "overlap_warning",
]

#: Column suffix -> ADMET panel endpoint (:data:`pharmakon.chem.admet.ENDPOINTS`) whose training rows fit it.
AUXILIARY_ENDPOINTS: dict[str, str] = {
    "logd": "pb_logd",
    "log_solubility": "pb_water_solubility",
    "human_microsomal_cl": "pb_human_mic_cl",
    "rat_microsomal_cl": "pb_rat_mic_cl",
    "mouse_microsomal_cl": "pb_mouse_mic_cl",
    "ppb": "pb_ppb",
}
#: The auxiliary models' input features (a :func:`~pharmakon.chem.make_featurizer` spec, lipid block off).
AUXILIARY_INPUT = "morgan+rdkit2d"
#: LightGBM settings of every auxiliary model: fixed in advance, not tuned on any downstream task.
AUXILIARY_PARAMS: dict[str, object] = {
    "n_estimators": 500,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "colsample_bytree": 0.3,
    "subsample": 0.8,
    "subsample_freq": 1,
    "random_state": 0,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
#: Share of a training table's distinct molecules among the auxiliary models' own training
#: molecules at which :func:`overlap_warning` speaks.
OVERLAP_WARNING = 0.05
#: The shipped bundle (``scripts/build_pharmabench_block.py`` writes it).
BUNDLE_PATH = Path(__file__).with_name("data") / "pharmabench_block.json.gz"


@dataclass
class AuxiliaryBundle:
    """The fitted auxiliary models.

    Attributes
    ----------
    names : tuple of str
        Output column suffixes, in order (:data:`AUXILIARY_ENDPOINTS`' keys).
    models : tuple of bytes
        zlib-compressed LightGBM model text, one per name.
    key : str
        SHA-256 of the training rows, inputs and settings (:func:`data_key`).
    training_inchikeys : frozenset of str
        First InChIKey blocks (connectivity) of every training molecule, for :func:`overlap_warning`.
    """

    names: tuple[str, ...]
    models: tuple[bytes, ...]
    key: str
    training_inchikeys: frozenset[str]
    _boosters: list | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_boosters": None}

    def _loaded(self) -> list:
        if self._boosters is None:
            import lightgbm as lgb

            self._boosters = [lgb.Booster(model_str=zlib.decompress(m).decode()) for m in self.models]
        return self._boosters

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """Predictions, shape (n, len(names)), from :data:`AUXILIARY_INPUT` features of shape (n, d)."""
        inputs = np.asarray(inputs, dtype=np.float64)
        if len(inputs) == 0:
            return np.empty((0, len(self.names)))
        return np.column_stack([b.predict(inputs, num_threads=1) for b in self._loaded()])


@cache
def input_featurizer() -> SmilesFeaturizer:
    """The featurizer that gives the auxiliary models their inputs (fitted; lipid block off; shared, not to be changed)."""
    from pharmakon.chem.featurizers import make_featurizer

    return make_featurizer(AUXILIARY_INPUT, lipids="never").fit()


def training_frames() -> dict[str, pd.DataFrame]:
    """Each auxiliary model's training rows (columns ``smiles``, ``y``), from the data mirror or cache.

    Raises
    ------
    NotFoundError
        If the PharmaBench tables are not available (the message says where they were looked for).
    """
    from pharmakon.chem.admet import ENDPOINTS, endpoint_frame

    return {name: endpoint_frame(ENDPOINTS[endpoint]) for name, endpoint in AUXILIARY_ENDPOINTS.items()}


def data_key(frames: dict[str, pd.DataFrame]) -> str:
    """SHA-256 of the training rows, input features and settings a bundle is fitted with."""
    from pharmakon.chem.featurizers import FEATURIZER_VERSION

    digest = hashlib.sha256()
    digest.update(repr((AUXILIARY_INPUT, sorted(AUXILIARY_PARAMS.items()), FEATURIZER_VERSION)).encode())
    for name, frame in frames.items():
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _inchikey_blocks(smiles: Sequence[object]) -> set[str]:
    from rdkit import Chem

    from pharmakon.chem.standardize import rdkit_quiet

    keys: set[str] = set()
    with rdkit_quiet():
        for smi in dict.fromkeys(smiles):
            mol = Chem.MolFromSmiles(smi) if isinstance(smi, str) else None
            if mol is not None:
                keys.add(Chem.MolToInchiKey(mol).split("-")[0])
    return keys


def fit_bundle(frames: dict[str, pd.DataFrame] | None = None) -> AuxiliaryBundle:
    """Fit the auxiliary models on ``frames`` (default :func:`training_frames`); about a minute on two cores."""
    import lightgbm as lgb

    frames = training_frames() if frames is None else frames
    featurizer = input_featurizer()
    models, inchikeys = [], set()
    for frame in frames.values():
        smiles = frame["smiles"].tolist()
        X = featurizer.transform(smiles)
        y = frame["y"].to_numpy(float)
        keep = np.isfinite(y) & ~np.isnan(X).all(axis=1)
        booster = lgb.LGBMRegressor(**AUXILIARY_PARAMS, n_jobs=os.cpu_count() or 1).fit(X[keep], y[keep]).booster_
        models.append(zlib.compress(booster.model_to_string().encode(), 9))
        inchikeys |= _inchikey_blocks(smiles)
    return AuxiliaryBundle(tuple(frames), tuple(models), data_key(frames), frozenset(inchikeys))


def write_bundle(bundle: AuxiliaryBundle, path: Path) -> None:
    """Write ``bundle`` as gzipped JSON (no pickle: loading it runs no code), atomically."""
    import lightgbm
    import rdkit

    record = {
        "key": bundle.key,
        "names": list(bundle.names),
        "fitted_with": {"lightgbm": lightgbm.__version__, "rdkit": rdkit.__version__},
        "models": [base64.b64encode(m).decode("ascii") for m in bundle.models],
        "training_inchikeys": sorted(bundle.training_inchikeys),
    }
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(record, handle, separators=(",", ":"))
    os.replace(tmp, path)


def read_bundle(path: Path) -> AuxiliaryBundle:
    """The bundle :func:`write_bundle` wrote to ``path``."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        record = json.load(handle)
    models = tuple(base64.b64decode(m) for m in record["models"])
    return AuxiliaryBundle(tuple(record["names"]), models, record["key"], frozenset(record["training_inchikeys"]))


@cache
def auxiliary_bundle(path: Path = BUNDLE_PATH) -> AuxiliaryBundle:
    """The shipped auxiliary models (read once per process)."""
    return read_bundle(path)


def overlap_warning(smiles: Sequence[object], bundle: AuxiliaryBundle) -> str | None:
    """A QC warning when at least :data:`OVERLAP_WARNING` of ``smiles`` trained ``bundle``, else None."""
    distinct = _inchikey_blocks(smiles)
    shared = len(distinct & bundle.training_inchikeys)
    if not distinct or shared < OVERLAP_WARNING * len(distinct):
        return None
    return (
        f"{shared} of {len(distinct)} distinct training molecules ({shared / len(distinct):.0%}) also trained the "
        "pharmabench feature block (public PharmaBench logD, solubility, microsomal clearance and PPB): its columns "
        "echo published labels for them, so cross-validation can overstate accuracy on new molecules, above all when "
        "the target is one of those properties from public sources; --featurizer morgan+rdkit2d+erg leaves the "
        "block out"
    )
