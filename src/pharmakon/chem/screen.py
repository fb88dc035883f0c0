"""The screening profile's prediction path: one parse, one fingerprint block, one domain pass, one product.

:class:`ScreenPanel` predicts a panel of fingerprint-only endpoint models (``pharmakon
admet predict --profile screen``) with the columns and numbers of
:class:`~pharmakon.chem.panel_io.Panel`, doing each piece of work once per chunk instead
of once per endpoint:

* **One parse.** Each SMILES is parsed and standardised once
  (:func:`~pharmakon.chem.standardize.standardize_mols`, the same standardisation as
  training: largest organic fragment, neutralised charges, size limits); the Morgan
  counts are taken from that standardised molecule instead of from a second parse of
  its canonical SMILES, which is what training does (so the trained models stay valid;
  nothing is retrained). The two give the same counts: the canonical SMILES is written
  from that molecule and reading it back rebuilds the same graph, aromaticity and
  hydrogen counts. Measured on 25,701 mirror molecules (the bench's 10,000 plus
  MoleculeNet BBBP, ClinTox, Tox21, Lipophilicity and ESOL, salts and charges included):
  none differs; ``tests/chem/test_fast_paths.py`` checks about 500 of them. Building
  RDKit's uncharger and fragment chooser once per chunk instead of once per molecule
  (:mod:`~pharmakon.chem.standardize`) is the other saving here.
* **One fingerprint block**, sparse (CSR, shape (n, n_bits)): a molecule sets a few
  dozen of 2,048 bits.
* **One domain pass.** The endpoints' Tanimoto reference sets are pooled and
  deduplicated (the 36 endpoints' 60,352 references are 29,304 distinct fingerprints:
  Tox21's twelve assays and Biogen's six tables share molecules), grouped by which
  endpoints hold them, and searched once per molecule with
  :class:`~pharmakon.core.nearest.TanimotoIndex`; each endpoint's score is the best
  similarity over its own groups, so it equals
  :meth:`~pharmakon.core.uncertainty.ApplicabilityDomain.score` exactly (same float32
  ratios over the same references).
* **One product for the linear endpoints.** A ridge or binary logistic model on Morgan
  counts is ``x[keep] @ coef + intercept`` (the count columns are neither imputed nor
  scaled; the few columns ``CountAwareScaler`` standardises and clips are handled as it
  does), so every such endpoint is a column of one weight matrix and the panel is one
  sparse-by-dense product. Predictions equal the model's own to rounding (relative
  1e-10, tested; the sums run in another order). Any other model (LightGBM, an ensemble) predicts through its own
  ``predict_rows`` on a dense block made for it.

Conformal intervals and sets and the domain flag come from each model's own fitted
conformal predictor and domain threshold, as in ``TrainedModel.predict_rows``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError

__all__ = ["ScreenPanel", "screen_supported", "morgan_counts"]


def _featurizer_of(models: dict[str, Any]) -> Any | None:
    """The one Morgan-only featurizer every model shares, else None."""
    from pharmakon.chem.panel_io import feature_key

    featurizers = {feature_key(m.featurizer): m.featurizer for m in models.values()}
    if len(featurizers) != 1:
        return None
    featurizer = next(iter(featurizers.values()))
    if tuple(getattr(featurizer, "kinds", ())) != ("morgan",) or getattr(featurizer, "tautomer", False):
        return None
    return featurizer


def screen_supported(models: dict[str, Any]) -> bool:
    """Whether :class:`ScreenPanel` can serve ``models``: one Morgan-counts featurizer (no tautomers),
    structure-only models (no tabular columns) with a Tanimoto domain, no model that reads SMILES."""
    return (
        bool(models)
        and _featurizer_of(models) is not None
        and all(
            m.smiles_col
            and not (m.numeric_cols or m.categorical_cols or m.smiles_input)
            and m.domain.metric == "tanimoto"
            for m in models.values()
        )
    )


def morgan_counts(mols: Sequence[Any], *, radius: int, n_bits: int) -> Any:
    """Morgan count fingerprints of RDKit molecules as a CSR matrix, shape (n, n_bits), counts capped at 255.

    The counts :class:`~pharmakon.chem.featurizers.SmilesFeaturizer` (``kinds=("morgan",)``) computes,
    in a sparse layout. Every molecule must be a valid RDKit molecule.
    """
    from rdkit.Chem import rdFingerprintGenerator
    from scipy import sparse

    from pharmakon.chem.standardize import rdkit_quiet

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    dense = np.zeros((len(mols), n_bits), dtype=np.uint8)  # 2 KB a molecule; counts above 255 capped as training did
    with rdkit_quiet():
        for i, mol in enumerate(mols):
            np.minimum(generator.GetCountFingerprintAsNumPy(mol), 255, out=dense[i], casting="unsafe")
    return sparse.csr_matrix(dense, dtype=np.float64)


class _PooledDomain:
    """Every endpoint's Tanimoto reference pooled, deduplicated and grouped by the endpoints holding it.

    A *group* is the set of distinct references held by exactly the same endpoints; groups
    are contiguous in the bit-major reference layout, so for each query one pass over the
    distinct references gives the best similarity per group (``np.maximum.reduceat``), and
    an endpoint's best is the maximum over its groups (a gather from a vector of a few
    thousand, in cache). The ratios are :class:`~pharmakon.core.nearest.TanimotoIndex`'s,
    computed the same way (float32), so each endpoint's score equals its own domain's.

    Parameters
    ----------
    domains : sequence of ApplicabilityDomain
        Fitted Tanimoto domains, one per endpoint, of the same fingerprint width.
    """

    def __init__(self, domains: Sequence[Any]) -> None:
        from pharmakon.core.nearest import TanimotoIndex

        packed = [d.reference_packed() for d in domains]
        self.n_bits = packed[0][1]
        rows = np.concatenate([p for p, _ in packed])
        owner = np.repeat(np.arange(len(packed)), [len(p) for p, _ in packed])
        first, inverse = _distinct_rows(rows)
        held = np.zeros((len(first), len(packed)), dtype=bool)
        held[inverse, owner] = True
        pattern_rows, group = _distinct_rows(np.packbits(held, axis=1))
        order = np.argsort(group, kind="stable")
        sizes = np.bincount(group)
        index = TanimotoIndex.from_packed(rows[first[order]], self.n_bits, sizes)
        self.by_bit, self.counts, self.starts = index.by_bit, index.counts, index.starts
        members = held[pattern_rows]  # (n_groups, n_endpoints): which endpoints hold each group
        per_endpoint = [np.flatnonzero(members[:, j]) for j in range(len(packed))]
        self.gather = np.concatenate(per_endpoint)  # each endpoint's groups, one endpoint after another
        self.gather_starts = np.cumsum([0, *(len(g) for g in per_endpoint[:-1])])
        self.n_reference, self.n_distinct, self.n_groups = len(rows), len(first), len(sizes)

    def scores(self, indices: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        """Best Tanimoto similarity of each query to each endpoint's reference, shape (n, n_endpoints), float64.

        The queries are the rows of a CSR fingerprint matrix (``indices``/``indptr``: each
        row's set bits). Two empty fingerprints have similarity 1, an empty and a non-empty 0.
        """
        n = len(indptr) - 1
        out = np.empty((n, len(self.gather_starts)), dtype=np.float32)
        sim = np.empty(self.by_bit.shape[1], dtype=np.float32)
        denominator = np.empty_like(sim)
        for i in range(n):
            on = indices[indptr[i] : indptr[i + 1]]
            if len(on) == 0:
                sim[:] = self.counts == 0
            else:  # |q & r| summed from the reference rows of the query's bits, as TanimotoIndex does
                overlap = np.add.reduce(self.by_bit[on], axis=0, dtype=np.uint8 if len(on) < 256 else np.uint16)
                np.add(self.counts, len(on), out=denominator)
                denominator -= overlap
                np.divide(overlap, denominator, out=sim)
            best = np.maximum.reduceat(sim, self.starts)
            out[i] = np.maximum.reduceat(best[self.gather], self.gather_starts)
        return out.astype(float)


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)``: the first row of each distinct row of a 2-D uint8 array, and each row's distinct index.

    Keyed by the rows' bytes (exact), in order of first appearance; ``rows[first][inverse]`` equals ``rows``.
    A dictionary does this in linear time, where ``np.unique(axis=0)`` sorts byte strings (seconds here).
    """
    seen: dict[bytes, int] = {}
    first: list[int] = []
    inverse = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        key = row.tobytes()
        j = seen.get(key)
        if j is None:
            j = seen[key] = len(first)
            first.append(i)
        inverse[i] = j
    return np.asarray(first, dtype=np.int64), inverse


@dataclass
class _LinearBlock:
    """The linear endpoints as one product: ``decision = X @ weights + intercepts`` (+ scaled columns).

    ``weights`` has shape (n_bits, n_linear), zero where a model dropped a column;
    ``scaled`` lists, per model position, the columns ``CountAwareScaler`` standardises
    and clips, with their mean, scale, range and coefficients.
    """

    names: list[str]
    weights: np.ndarray
    intercepts: np.ndarray
    scaled: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def decisions(self, X: Any) -> np.ndarray:
        """Decision values, shape (n, n_linear), for the CSR count block ``X`` (n, n_bits)."""
        out = np.asarray(X @ self.weights) + self.intercepts
        for k, cols, mean, scale, lower, upper, coef in self.scaled:
            Z = np.clip((X[:, cols].toarray() - mean) / scale, lower, upper)
            out[:, k] += Z @ coef
        return out


def _linear_parts(model: Any, n_bits: int) -> tuple[np.ndarray, float, tuple] | None:
    """``(weights (n_bits,), intercept, scaled columns)`` of a ridge or binary logistic model, else None."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge

    from pharmakon.core.zoo import CountAwareScaler, MinSupport

    prep, est = model.pipeline[0], model.pipeline[-1]
    if type(est) not in (Ridge, LogisticRegression) or len(model.pipeline) != 2:
        return None
    if type(est) is LogisticRegression and len(est.classes_) != 2:
        return None
    parts = [p for p in getattr(prep, "transformers_", []) if not (p[1] == "drop" and len(p[2]) == 0)]
    if len(parts) != 1 or parts[0][0] != "num" or list(parts[0][2]) != list(model.featurizer.feature_names_):
        return None
    steps = [step for _, step in getattr(parts[0][1], "steps", [])]
    if [type(s) for s in steps] != [SimpleImputer, MinSupport, CountAwareScaler]:
        return None
    keep, scaler = steps[1].keep_, steps[2]
    coef = np.asarray(est.coef_, float).reshape(-1)
    weights = np.zeros(n_bits)
    counts = np.asarray(scaler.counts_, bool)  # counts of valid molecules are never missing: no imputation
    weights[keep[counts]] = coef[counts]
    s = ~counts
    unbounded = np.full(len(counts), np.inf)  # a scaler saved before the training-range clip has no range
    lower, upper = getattr(scaler, "lower_", None), getattr(scaler, "upper_", None)
    lower, upper = (-unbounded, unbounded) if lower is None or upper is None else (lower, upper)
    scaled = (keep[s], scaler.mean_[s], scaler.scale_[s], lower[s], upper[s], coef[s])
    return weights, float(np.asarray(est.intercept_).reshape(-1)[0]), scaled


def _compile_linear(models: dict[str, Any], n_bits: int) -> _LinearBlock:
    names, weights, intercepts, scaled = [], [], [], []
    for name, model in models.items():
        parts = _linear_parts(model, n_bits)
        if parts is None:
            continue
        w, b, (cols, mean, scale, lower, upper, coef) = parts
        if len(cols):
            scaled.append((len(names), cols, mean, scale, lower, upper, coef))
        names.append(name)
        weights.append(w)
        intercepts.append(b)
    W = np.stack(weights, axis=1) if weights else np.zeros((n_bits, 0))
    return _LinearBlock(names, W, np.asarray(intercepts, float), scaled)


def _set_labels(member: np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    """Conformal sets as ``"a|b"`` strings (what ``TrainedModel.predict_rows`` writes), shape (n,).

    One string per membership pattern, looked up, instead of one join per row.
    """
    k = len(classes)
    if k > 12:  # 4,096 patterns: join per row instead
        return np.array(["|".join(str(c) for c, m in zip(classes, row) if m) for row in member], dtype=object)
    labels = np.array(
        ["|".join(str(c) for j, c in enumerate(classes) if p >> j & 1) for p in range(1 << k)], dtype=object
    )
    return labels[member.astype(np.int64) @ (1 << np.arange(k))]


class ScreenPanel:
    """Fingerprint-only endpoint models made ready for many chunks (see the module notes).

    Same interface and columns as :class:`~pharmakon.chem.panel_io.Panel`.

    Raises
    ------
    InputError
        The models are not a screening panel (:func:`screen_supported`).
    """

    def __init__(self, models: dict[str, Any]) -> None:
        if not screen_supported(models):
            raise InputError(
                "the screening fast path needs Morgan-count models with a Tanimoto domain "
                "(`pharmakon admet train --profile screen`)",
                field="profile",
            )
        self.models = models
        self.featurizer = _featurizer_of(models)
        self.n_bits = len(self.featurizer.feature_names_)
        self.domain = _PooledDomain([m.domain for m in models.values()])
        self.linear = _compile_linear(models, self.n_bits)
        self._lock = threading.Lock()

    def predict_smiles(
        self, smiles: Sequence[object], *, ids: Sequence[str] | None = None, alerts: bool = True
    ) -> pd.DataFrame:
        """As :meth:`Panel.predict_smiles <pharmakon.chem.panel_io.Panel.predict_smiles>`."""
        from pharmakon.chem.panel_io import smiles_frame

        if len(smiles) == 0:
            raise InputError("no molecules given", field="smiles")
        with self._lock:
            return self.predict_chunk(smiles_frame(smiles, ids), alerts=alerts)

    def predict_chunk(self, chunk: pd.DataFrame, *, alerts: bool = True) -> pd.DataFrame:
        """As :meth:`Panel.predict_chunk <pharmakon.chem.panel_io.Panel.predict_chunk>` (same columns)."""
        from pharmakon.chem.alerts import alerts_for_mols
        from pharmakon.chem.panel_io import endpoint_columns, panel_frame
        from pharmakon.chem.standardize import standardize_mols

        n = len(chunk)
        batch, mols = standardize_mols(chunk["input"].tolist())
        ok = np.array([m is not None for m in mols], dtype=bool)
        valid = [m for m in mols if m is not None]
        cols: dict[str, Any] = {}
        if valid:
            X = morgan_counts(valid, radius=self.featurizer.radius, n_bits=self.featurizer.n_bits)
            scores = self.domain.scores(X.indices, X.indptr)
            rows = self._rows(X, scores)
        for j, (name, model) in enumerate(self.models.items()):
            cols.update(endpoint_columns(name, model, rows[j] if valid else None, ok, n))
        parts = [panel_frame(chunk, batch.table), pd.DataFrame(cols)]
        return pd.concat(parts + ([alerts_for_mols(mols)] if alerts else []), axis=1)

    def _rows(self, X: Any, scores: np.ndarray) -> list[dict[str, np.ndarray]]:
        """Each endpoint's prediction columns for the valid rows (``TrainedModel.predict_rows``'s keys)."""
        decisions = self.linear.decisions(X) if self.linear.names else None
        position = {name: k for k, name in enumerate(self.linear.names)}
        dense = None
        out = []
        for j, (name, model) in enumerate(self.models.items()):
            score = scores[:, j]
            if name not in position:  # not a linear model: its own path, on a dense block made once
                if dense is None:
                    dense = X.toarray()
                frame = pd.DataFrame(dense, columns=pd.Index(model.featurizer.feature_names_, dtype=object), copy=False)
                out.append(model.predict_rows(frame, raw=dense, domain_score=score))
                continue
            out.append(_linear_columns(model, decisions[:, position[name]], score))
        return out


def _linear_columns(model: Any, decision: np.ndarray, score: np.ndarray) -> dict[str, np.ndarray]:
    """``TrainedModel.predict_rows``'s columns of a linear model from its decision values, shape (n,) each."""
    from scipy.special import expit

    novelty = model.domain.novelty(score)
    if model.task == "regression":
        lower, upper = model.conformal.interval(decision, novelty)
        cols = {"prediction": decision, "pred_lower": lower, "pred_upper": upper}
    else:
        est = model.pipeline[-1]
        p1 = expit(decision)  # binary LogisticRegression.predict_proba: [1 - expit(d), expit(d)]
        p = np.zeros((len(decision), len(model.classes)))
        p[:, est.classes_[0]], p[:, est.classes_[1]] = 1.0 - p1, p1
        member = model.conformal.sets(p, novelty)
        cols = {
            "prediction": np.asarray(model.classes, dtype=object)[p.argmax(1)],
            "pred_set": _set_labels(np.asarray(member, bool), model.classes),
            **{f"proba_{c}": p[:, k] for k, c in enumerate(model.classes)},
        }
    cols["in_domain"] = model.domain.flag(score)
    return cols
