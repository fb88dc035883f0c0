"""Soft sensors and the digital twin as services, on core's governed lifecycle.

- ``softsensor_fit``: spectra are preprocessed with chemotools (:mod:`pharmakon.process.softsensor`),
  the regression (PLS with CV-chosen components, gradient boosting) is trained, selected by CV,
  calibrated (conformal intervals) and registered by :func:`pharmakon.core.service.train_and_register`
  (its own ``model.train`` audit steps); the preprocessing and the wavelength grid are stored as
  ``process_softsensor/<name>`` with a ``process.softsensor.fit`` event.
- ``softsensor_predict``: same preprocessing, core's model predicts with intervals; the CSV is
  written atomically; ``process.softsensor.predict`` event.
- ``twin_fit``: the mechanistic form fitted with lmfit (standard errors) plus a residual model
  trained through core; ``process_twin/<name>``; ``process.twin.fit`` event.
- ``twin_whatif`` / ``twin_correct``: predictions and the set-point correction after a drift
  (read-only; no event).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.results import Result
from pharmakon.specs import Spec

if TYPE_CHECKING:
    from pharmakon.store import Store

__all__ = [
    "SoftSensorFitSpec",
    "SoftSensorFitResult",
    "softsensor_fit",
    "SoftSensorPredictSpec",
    "SoftSensorPredictBody",
    "softsensor_predict_rows",
    "predict_spectra",
    "Formulation",
    "CorrectBody",
    "SoftSensorPredictResult",
    "softsensor_predict",
    "TwinFitSpec",
    "TwinFitResult",
    "twin_fit",
    "WhatIfSpec",
    "WhatIfResult",
    "twin_whatif",
    "CorrectSpec",
    "CorrectResult",
    "twin_correct",
    "list_softsensors",
    "list_twins",
    "residual_correction",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,255}$"
SOFT_KIND, TWIN_KIND = "process_softsensor", "process_twin"


class _Spec(Spec):
    model_config = ConfigDict(allow_inf_nan=False)


def _register_pls() -> None:
    from pharmakon.process.softsensor import register_pls_family

    register_pls_family()


# -- soft sensor: fit -----------------------------------------------------------------------------


class SoftSensorFitSpec(_Spec):
    """``process softsensor fit``: spectra + reference values -> a registered soft sensor."""

    spectra: Path = Field(description="Spectra table: one row per spectrum, one column per wavelength (numeric names).")
    reference: Path = Field(description="Reference table with the target column (and a time column to align).")
    target: str | None = Field(None, min_length=1, description="Reference column to predict (default: the only one).")
    name: str = Field(pattern=NAME_PATTERN, description="Soft-sensor name (also the core model's name).")
    time_col: str | None = Field(
        None, description="Reference time column (h): align to spectra taken every interval_min (else row by row)."
    )
    interval_min: float = Field(1.25, gt=0, le=1440, description="Minutes between spectra (alignment rule).")
    preprocess: str = Field(
        "baseline+sg1+snv", max_length=200, description="chemotools steps joined by '+': snv, msc, sg1, sg2, baseline."
    )
    wavelength_min: float | None = Field(950.0, description="Keep wavelengths from here (None: from the start).")
    wavelength_max: float | None = Field(1550.0, description="Keep wavelengths up to here (None: to the end).")
    scores: int | None = Field(
        10,
        ge=1,
        le=100,
        description="Pass the first k PCA scores of the preprocessed spectra to core (None: channels).",
    )
    models: list[Literal["pls", "lightgbm", "ridge", "rf"]] = Field(
        ["pls", "lightgbm"], min_length=1, description="Model families core selects from by CV."
    )
    alpha: float = Field(0.1, ge=0.01, le=0.5, description="Conformal miscoverage (0.1 = 90 % intervals).")
    seed: int = Field(0, ge=0, le=2**31 - 1)


class SoftSensorFitResult(Result):
    """A registered soft sensor."""

    name: str
    version: int
    model_version: int = Field(description="Version of the core model of the same name.")
    best: dict[str, Any]
    cv_metrics: dict[str, float | None]
    n_spectra: int
    n_wavelengths: int
    alignment: str
    notes: list[str]

    def summary(self) -> str:
        m = ", ".join(f"{k} {v:.3f}" for k, v in self.cv_metrics.items() if v is not None and k != "n")
        return (
            f"soft sensor {self.name} v{self.version} (core model v{self.model_version}): {self.best.get('model')} "
            f"on {self.n_spectra} spectra x {self.n_wavelengths} wavelengths; CV {m}\n  alignment: {self.alignment}"
        )


def _read_spectra(path: Path) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """(spectra frame with float columns, wavelength grid, ignored non-wavelength columns)."""
    from pharmakon.tables import read_table

    frame = read_table(path)
    keep, ignored, grid = [], [], []
    for c in frame.columns:
        try:
            grid.append(float(c))
            keep.append(c)
        except ValueError:
            ignored.append(c)
    if len(keep) < 3:
        raise InputError("a spectra table has one column per wavelength (numeric names)", file=str(path))
    spectra = frame[keep]
    for c in keep:
        col = pd.to_numeric(spectra[c], errors="coerce")
        bad = col.isna()
        if bad.any():
            raise InputError("not a number", file=str(path), row=int(np.flatnonzero(bad)[0]) + 2, field=str(c))
    return spectra.astype(float), np.asarray(grid), ignored


def _usable(X: np.ndarray) -> np.ndarray:
    """Spectra that are not blank (non-zero variance, finite)."""
    return np.isfinite(X).all(axis=1) & (X.std(axis=1) > 0)


def _features(pre: Any, X: np.ndarray) -> pd.DataFrame:
    Z = pre.transform(X) if pre is not None else X
    return pd.DataFrame(Z, columns=[f"f{i}" for i in range(Z.shape[1])])


def softsensor_fit(store: Store, spec: SoftSensorFitSpec, caller: Caller) -> SoftSensorFitResult:
    """Preprocess, align, train through core and store the soft sensor; audited."""
    import joblib

    from pharmakon.core.service import TrainSpec, train_and_register
    from pharmakon.hashing import sha256_bytes, sha256_file
    from pharmakon.process.softsensor import align_reference, make_preprocessor
    from pharmakon.store import record_event, save_object
    from pharmakon.tables import read_table

    _register_pls()
    spectra, grid, ignored = _read_spectra(spec.spectra)
    ref = read_table(spec.reference)
    rfile = str(spec.reference)
    candidates = [c for c in ref.columns if c != spec.time_col]
    target = spec.target or (candidates[0] if len(candidates) == 1 else None)
    if target is None or target not in ref.columns:
        raise InputError(f"give the target column (columns: {list(ref.columns)})", file=rfile, field="target")
    y = pd.to_numeric(ref[target], errors="coerce")
    if y.isna().any():
        raise InputError("not a number", file=rfile, row=int(np.flatnonzero(y.isna())[0]) + 2, field=target)
    X = spectra.to_numpy()
    usable = _usable(X)
    if spec.time_col:
        if spec.time_col not in ref.columns:
            raise InputError("column not found", file=rfile, field=spec.time_col)
        try:
            idx = align_reference(len(X), ref[spec.time_col].to_numpy(float), spec.interval_min, usable=usable)
        except ValueError as exc:
            raise InputError(str(exc), file=rfile, field=spec.time_col) from None
        alignment = f"by time: spectrum k at k x {spec.interval_min:g} min, nearest usable spectrum"
    else:
        if len(ref) != len(X):
            raise InputError(
                f"{len(ref)} reference rows for {len(X)} spectra: give a time column to align them",
                file=rfile,
                field="time_col",
            )
        idx = np.flatnonzero(usable)
        y = y.iloc[idx]
        alignment = "row by row (reference row i is spectrum i); blank spectra dropped"
    keep = (
        None
        if spec.wavelength_min is None and spec.wavelength_max is None
        else (
            spec.wavelength_min if spec.wavelength_min is not None else float(grid.min()),
            spec.wavelength_max if spec.wavelength_max is not None else float(grid.max()),
        )
    )
    try:
        pre = make_preprocessor(spec.preprocess, grid, keep, min(spec.scores, len(idx) - 1) if spec.scores else None)
    except ValueError as exc:
        raise InputError(str(exc), field="preprocess") from None
    Xa = X[idx]
    if pre is not None:
        pre.fit(Xa)
    frame = _features(pre, Xa)
    frame["__target__"] = np.asarray(y, float)
    train = TrainSpec(
        target="__target__",
        name=spec.name,
        task="regression",
        trials=0,
        seed=spec.seed,
        alpha=spec.alpha,
        cv=min(5, len(frame)),
        models=list(spec.models),
        reason=f"soft sensor {spec.name}: {spec.preprocess} on {spec.spectra.name}",
    )
    trained = train_and_register(store, train, caller, frame=frame)
    buffer = io.BytesIO()
    joblib.dump(pre, buffer, compress=3)
    blob = buffer.getvalue()
    notes = [f"ignored non-wavelength column(s): {', '.join(ignored[:5])}"] if ignored else []
    content = {
        "model": spec.name,
        "model_version": trained.version,
        "target": target,
        "wavelengths": grid.tolist(),
        "preprocess": spec.preprocess,
        "scores": spec.scores,
        "keep": list(keep) if keep else None,
        "alignment": alignment,
        "n_spectra": int(len(frame)),
        "notes": notes,
    }
    with store.session() as session:
        obj = save_object(
            session,
            kind=SOFT_KIND,
            name=spec.name,
            content=content,
            actor=caller.actor,
            artifacts={"preprocess.joblib": blob},
        )
        record_event(
            session,
            actor=caller.actor,
            action="process.softsensor.fit",
            object_type=SOFT_KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"spectra": sha256_file(spec.spectra), "reference": sha256_file(spec.reference)},
            outputs={"preprocess.joblib": sha256_bytes(blob)},
            params={
                "model": f"{spec.name}@{trained.version}",
                "preprocess": spec.preprocess,
                "target": target,
                "n_spectra": len(frame),
                "channel": caller.channel,
            },
        )
    return SoftSensorFitResult(
        name=obj.name,
        version=obj.version,
        model_version=trained.version,
        best=trained.best,
        cv_metrics=trained.cv_metrics,
        n_spectra=len(frame),
        n_wavelengths=len(grid),
        alignment=alignment,
        notes=notes,
    )


# -- soft sensor: predict -------------------------------------------------------------------------


class SoftSensorPredictSpec(_Spec):
    """``process softsensor predict NAME --spectra X -o OUT.csv``."""

    name: str = Field(pattern=NAME_PATTERN, description="Soft-sensor name.")
    spectra: Path = Field(description="Spectra on the soft sensor's wavelength grid.")
    out: Path = Field(description="Output CSV: row, prediction, pred_lower, pred_upper, in_domain, pred_status.")


class SoftSensorPredictResult(Result):
    """What a prediction wrote."""

    name: str
    version: int
    rows: int
    predicted: int
    output: str
    mean_prediction: float | None
    preview: list[dict[str, Any]] = Field(description="The first 200 rows of the output (all rows for posted spectra).")

    def summary(self) -> str:
        return f"soft sensor {self.name} v{self.version}: {self.predicted} of {self.rows} spectra predicted -> {self.output}"


class SoftSensorPredictBody(_Spec):
    """Spectra posted as rows: wavelength (as text) -> value, on the soft sensor's grid."""

    rows: list[dict[str, float]] = Field(min_length=1, max_length=10_000, description="One spectrum per row.")


def softsensor_predict_rows(
    store: Store, name: str, body: SoftSensorPredictBody, caller: Caller
) -> SoftSensorPredictResult:
    """Predict posted spectra (no file written); audited as ``process.softsensor.predict``."""
    from pharmakon.hashing import sha256_frame
    from pharmakon.process.softsensor import wavelength_grid
    from pharmakon.store import record_event

    frame = pd.DataFrame(body.rows)
    try:
        grid = wavelength_grid(list(frame.columns))
    except ValueError as exc:
        raise InputError(str(exc), file="request body", field="rows") from None
    if frame.isna().any().any():
        raise InputError("every spectrum needs a value at every wavelength", file="request body", field="rows")
    obj, table = predict_spectra(store, name, frame, grid, "request body")
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="process.softsensor.predict",
            object_type=SOFT_KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"spectra": sha256_frame(frame)},
            outputs={"predictions": sha256_frame(table)},
            params={"rows": len(table), "predicted": int(table["prediction"].notna().sum()), "channel": caller.channel},
        )
    pred = table["prediction"].dropna()
    return SoftSensorPredictResult(
        name=obj.name,
        version=obj.version,
        rows=len(table),
        predicted=len(pred),
        output="response",
        mean_prediction=float(pred.mean()) if len(pred) else None,
        preview=table.astype(object).where(table.notna(), None).to_dict("records"),
    )


def _load_softsensor(store: Store, name: str) -> tuple[Any, Any, Any]:
    import joblib

    from pharmakon.core.registry import load_model
    from pharmakon.store import get_object, read_artifact

    _register_pls()
    with store.read_session() as session:
        obj = get_object(session, SOFT_KIND, name)
        model = load_model(session, obj.content["model"], obj.content["model_version"])
    pre = joblib.load(io.BytesIO(read_artifact(obj.artifacts["preprocess.joblib"])))
    return obj, pre, model


def predict_spectra(
    store: Store, name: str, spectra: pd.DataFrame, grid: np.ndarray, file: str
) -> tuple[Any, pd.DataFrame]:
    """(stored soft sensor, prediction table) for spectra on ``grid``; blank spectra get no prediction."""
    obj, pre, model = _load_softsensor(store, name)
    want = np.asarray(obj.content["wavelengths"])
    if len(want) != len(grid) or not np.allclose(want, grid, rtol=0, atol=1e-6):
        first = next(
            (i for i in range(min(len(want), len(grid))) if abs(want[i] - grid[i]) > 1e-6), min(len(want), len(grid))
        )
        raise InputError(
            f"another wavelength grid than the soft sensor's ({len(grid)} columns, the model has {len(want)}; "
            f"first difference at column {first + 1})",
            file=file,
            field=str(grid[first]) if first < len(grid) else "wavelengths",
        )
    X = spectra.to_numpy(float)
    ok = _usable(X)
    table = pd.DataFrame({"row": np.arange(1, len(X) + 1)})
    for col in ("prediction", "pred_lower", "pred_upper"):
        table[col] = np.nan
    table["in_domain"] = False
    table["pred_status"] = "blank or non-finite spectrum"
    if ok.any():
        res = model.predict(_features(pre, X[ok]))
        for col in ("prediction", "pred_lower", "pred_upper", "in_domain", "pred_status"):
            table.loc[ok, col] = res.table[col].to_numpy()
    return obj, table


def softsensor_predict(store: Store, spec: SoftSensorPredictSpec, caller: Caller) -> SoftSensorPredictResult:
    """Predict every spectrum of a file into a CSV (atomic) with intervals; audited."""
    from pharmakon.files import atomic_path
    from pharmakon.hashing import sha256_file, sha256_frame
    from pharmakon.store import record_event

    spectra, grid, _ = _read_spectra(spec.spectra)
    obj, table = predict_spectra(store, spec.name, spectra, grid, str(spec.spectra))
    with atomic_path(spec.out) as tmp, store.session() as session:  # the CSV appears after its event commits
        table.to_csv(tmp, index=False)
        record_event(
            session,
            actor=caller.actor,
            action="process.softsensor.predict",
            object_type=SOFT_KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"spectra": sha256_file(spec.spectra)},
            outputs={"predictions": sha256_frame(table)},
            params={"rows": len(table), "predicted": int(table["prediction"].notna().sum()), "channel": caller.channel},
        )
    pred = table["prediction"].dropna()
    preview = table.head(200).astype(object).where(table.head(200).notna(), None).to_dict("records")
    return SoftSensorPredictResult(
        name=obj.name,
        version=obj.version,
        rows=len(table),
        predicted=len(pred),
        output=str(spec.out),
        mean_prediction=float(pred.mean()) if len(pred) else None,
        preview=preview,
    )


# -- twin -----------------------------------------------------------------------------------------


class TwinFitSpec(_Spec):
    """``process twin fit``: the mechanistic size model plus a residual model through core."""

    data: Path | None = Field(None, description="PLGA-PEG table (default: the mirror's all_samples.csv).")
    name: str = Field("plga-peg-twin", pattern=NAME_PATTERN, description="Twin name (residual model: NAME-residual).")
    holdout: float = Field(0.2, ge=0.0, le=0.5, description="Share of formulations held out to score the twin.")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    residual_model: bool = Field(True, description="Train the ML correction of the residuals through core.")


class TwinFitResult(Result):
    """A fitted twin with its held-out scores."""

    name: str
    version: int
    params: dict[str, float]
    stderr: dict[str, float | None]
    correlation_p_s: float | None
    rmse_log: float = Field(description="Training RMSE of ln(size).")
    n_train: int
    n_holdout: int
    holdout: dict[str, float | None] = Field(description="RMSE (nm) and R² of the twin and twin + ML correction.")
    residual_model: str | None
    not_identifiable: list[str]

    def summary(self) -> str:
        p = ", ".join(f"{k} {v:.3g} ± {self.stderr.get(k) or float('nan'):.2g}" for k, v in self.params.items())
        h = self.holdout
        return (
            f"twin {self.name} v{self.version}: {p}\n  held-out ({self.n_holdout}): twin RMSE "
            f"{h.get('twin_rmse') or float('nan'):.1f} nm R² {h.get('twin_r2') or float('nan'):.2f}; with ML correction RMSE "
            f"{h.get('hybrid_rmse') or float('nan'):.1f} nm\n  not identifiable: " + "; ".join(self.not_identifiable)
        )


NOT_IDENTIFIABLE = [
    "total-flow-rate exponent (no total flow rate in the data): absorbed into d0",
    "polymer-concentration exponent (no concentration): absorbed into d0",
    "p and s separately (correlated through the four S/AS levels): their combined curve is identified",
]


def _plga_frame(data: Path | None) -> tuple[pd.DataFrame, str]:
    from pharmakon.process.twin import POLYMERS, RATIO
    from pharmakon.tables import read_table

    if data is None:
        from pharmakon.datasets import load

        frame, file = load("plga_peg_microfluidics", "samples"), "plga_peg_microfluidics/all_samples.csv"
    else:
        frame, file = read_table(data), str(data)
    for col in (*POLYMERS, RATIO, "Z_ave"):
        if col not in frame.columns:
            raise InputError("column not found", file=file, field=col)
        bad = pd.to_numeric(frame[col], errors="coerce").isna()
        if bad.any():
            raise InputError("not a number", file=file, row=int(np.flatnonzero(bad)[0]) + 2, field=col)
    if (pd.to_numeric(frame["Z_ave"]) <= 0).any():
        raise InputError("sizes must be positive", file=file, field="Z_ave")
    return frame, file


def _scores(y: np.ndarray, p: np.ndarray) -> tuple[float | None, float | None]:
    if len(y) < 2:
        return None, None
    e = y - p
    return float(np.sqrt(np.mean(e**2))), float(1 - np.sum(e**2) / np.sum((y - y.mean()) ** 2))


def twin_fit(store: Store, spec: TwinFitSpec, caller: Caller) -> TwinFitResult:
    """Fit the twin, train the residual model through core, score on held-out formulations; audited."""
    from pharmakon.core.service import TrainSpec, train_and_register
    from pharmakon.hashing import sha256_frame
    from pharmakon.process.twin import POLYMERS, RATIO, fit_twin, twin_log_size
    from pharmakon.store import record_event, save_object

    frame, _ = _plga_frame(spec.data)
    rng = np.random.default_rng(spec.seed)
    test = rng.random(len(frame)) < spec.holdout
    tr, te = frame[~test], frame[test]
    cols = list(POLYMERS)
    fit = fit_twin(tr[RATIO].to_numpy(float), tr[cols].to_numpy(float), tr["Z_ave"].to_numpy(float))
    holdout: dict[str, float | None] = {}
    holdout["twin_rmse"], holdout["twin_r2"] = _scores(
        te["Z_ave"].to_numpy(float), fit.predict(te[RATIO].to_numpy(float), te[cols].to_numpy(float))
    )
    residual_name = None
    if spec.residual_model:
        design = tr[[*cols, RATIO]].astype(float).reset_index(drop=True)
        design["log_residual"] = np.log(tr["Z_ave"].to_numpy(float)) - twin_log_size(
            fit.params, tr[RATIO].to_numpy(float), tr[cols].to_numpy(float)
        )
        residual_name = f"{spec.name}-residual"
        trained = train_and_register(
            store,
            TrainSpec(
                target="log_residual",
                name=residual_name,
                task="regression",
                trials=0,
                seed=spec.seed,
                cv=5,
                models=["ridge", "rf"],
                reason=f"ML correction of twin {spec.name}",
            ),
            caller,
            frame=design,
        )
        residual_name = f"{residual_name}@{trained.version}"
        if len(te):
            corr = residual_correction(store, residual_name, te[[*cols, RATIO]].astype(float))
            hybrid = fit.predict(te[RATIO].to_numpy(float), te[cols].to_numpy(float)) * np.exp(corr)
            holdout["hybrid_rmse"], holdout["hybrid_r2"] = _scores(te["Z_ave"].to_numpy(float), hybrid)
    content = {
        "params": fit.params,
        "stderr": fit.stderr,
        "correlation_p_s": fit.correlation_p_s,
        "rmse_log": fit.rmse_log,
        "n_train": int(len(tr)),
        "n_holdout": int(len(te)),
        "holdout": holdout,
        "residual_model": residual_name,
        "not_identifiable": NOT_IDENTIFIABLE,
    }
    with store.session() as session:
        obj = save_object(session, kind=TWIN_KIND, name=spec.name, content=content, actor=caller.actor)
        record_event(
            session,
            actor=caller.actor,
            action="process.twin.fit",
            object_type=TWIN_KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"data": sha256_frame(frame)},
            params={
                "holdout": spec.holdout,
                "seed": spec.seed,
                "residual_model": residual_name,
                "channel": caller.channel,
            },
        )
    return TwinFitResult(name=obj.name, version=obj.version, **content)


def residual_correction(store: Store, ref: str, design: pd.DataFrame) -> np.ndarray:
    """ML correction of ``ln d`` by the residual model ``ref`` (``name@version``) for design rows (n,) -> (n,)."""
    from pharmakon.core.registry import load_model

    name, _, version = ref.partition("@")
    with store.read_session() as session:
        model = load_model(session, name, int(version), cache=True)
    return model.predict(design.reset_index(drop=True)).table["prediction"].to_numpy(float)


def _load_twin(store: Store, name: str) -> tuple[Any, Any]:
    from pharmakon.process.twin import TwinFit
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, TWIN_KIND, name)
    c = obj.content
    return obj, TwinFit(c["params"], c["stderr"], c["correlation_p_s"], c["rmse_log"], c["n_train"])


class Formulation(_Spec):
    """Polymer fractions (sum 1) and the S/AS flow ratio."""

    plga: float = Field(0.0, ge=0, le=1, description="PLGA fraction.")
    pp_l: float = Field(0.0, ge=0, le=1, description="PLGA-PEG (-L end) fraction.")
    pp_cooh: float = Field(0.0, ge=0, le=1, description="PLGA-PEG-COOH fraction.")
    pp_nh2: float = Field(0.0, ge=0, le=1, description="PLGA-PEG-NH2 fraction.")
    ratio: float = Field(0.2, ge=0.01, le=2.0, description="S/AS flow-rate ratio.")

    def fractions(self) -> np.ndarray:
        f = np.array([self.plga, self.pp_l, self.pp_cooh, self.pp_nh2])
        if abs(f.sum() - 1) > 0.02:
            raise InputError(f"polymer fractions must sum to 1, got {f.sum():.3f}", field="plga")
        return f


class WhatIfSpec(Formulation):
    """``process twin whatif``: predicted size of a formulation at a set-point."""

    name: str = Field("plga-peg-twin", pattern=NAME_PATTERN)


class WhatIfResult(Result):
    """Predicted size, nm (twin and twin + ML correction)."""

    twin_nm: float
    hybrid_nm: float | None
    extrapolation: bool = Field(description="S/AS outside the data's range 0.1-0.25.")

    def summary(self) -> str:
        h = f", with ML correction {self.hybrid_nm:.1f} nm" if self.hybrid_nm is not None else ""
        return f"predicted size {self.twin_nm:.1f} nm{h}" + (" (extrapolation)" if self.extrapolation else "")


def twin_whatif(store: Store, spec: WhatIfSpec) -> WhatIfResult:
    """Size predicted by the stored twin for one formulation and S/AS (read only)."""
    from pharmakon.process.twin import POLYMERS, RATIO, RATIO_BOUNDS

    obj, fit = _load_twin(store, spec.name)
    f = spec.fractions()
    twin = float(fit.predict(np.array([spec.ratio]), f.reshape(1, -1))[0])
    hybrid = None
    if obj.content.get("residual_model"):
        design = pd.DataFrame([dict(zip([*POLYMERS, RATIO], [*f, spec.ratio], strict=True))])
        hybrid = twin * float(np.exp(residual_correction(store, obj.content["residual_model"], design)[0]))
    return WhatIfResult(
        twin_nm=twin, hybrid_nm=hybrid, extrapolation=not RATIO_BOUNDS[0] <= spec.ratio <= RATIO_BOUNDS[1]
    )


class CorrectBody(Formulation):
    """After a drift, the S/AS that brings the size back to target (the body of the REST call)."""

    target_nm: float = Field(gt=1, le=5000, description="Target size, nm.")
    observed_nm: list[float] = Field(
        min_length=1, max_length=1000, description="Sizes measured at the current set-point (ratio) since the drift."
    )
    tolerance: float = Field(0.08, gt=0, le=1, description="Specification: |size/target - 1| <= tolerance.")


class CorrectSpec(CorrectBody):
    """``process twin correct``: :class:`CorrectBody` for the twin ``name``."""

    name: str = Field("plga-peg-twin", pattern=NAME_PATTERN)


class CorrectResult(Result):
    """The proposed set-point."""

    current_ratio: float
    drift_log: float = Field(description="Estimated drift of ln(size): mean observed minus predicted.")
    proposed_ratio: float
    predicted_nm: float
    in_spec: bool
    history: list[dict[str, float]] = Field(description="Closed-loop trace: step, ratio, predicted size.")

    def summary(self) -> str:
        return (
            f"drift {100 * (np.exp(self.drift_log) - 1):+.1f}% in size: move S/AS {self.current_ratio:g} -> "
            f"{self.proposed_ratio:.3f}; predicted {self.predicted_nm:.1f} nm "
            f"({'in' if self.in_spec else 'OUT OF'} specification)"
        )


def twin_correct(store: Store, spec: CorrectSpec) -> CorrectResult:
    """Estimate the drift from the observed sizes and propose the S/AS that restores the target (read only).

    The model is the twin plus its ML residual correction where the twin has one (the
    hybrid predicts held-out sizes better, bench/process.py); the drift is the mean of
    observed minus predicted ``ln d`` at the current set-point.
    """
    from pharmakon.process.twin import POLYMERS, RATIO, correct_setpoint, twin_log_size

    obj, fit = _load_twin(store, spec.name)
    f = spec.fractions()
    obs = np.asarray(spec.observed_nm, float)
    if (obs <= 0).any():
        raise InputError("observed sizes must be positive", field="observed_nm")
    ref = obj.content.get("residual_model")

    def correction(ratios: np.ndarray) -> np.ndarray:
        design = pd.DataFrame([dict(zip([*POLYMERS, RATIO], [*f, r], strict=True)) for r in ratios])
        return residual_correction(store, ref, design)

    corr = correction if ref else None

    def log_size(r: float) -> float:
        base = float(twin_log_size(fit.params, np.array([r]), f.reshape(1, -1))[0])
        return base + (float(corr(np.array([r]))[0]) if corr else 0.0)

    before = log_size(spec.ratio)
    drift = float(np.mean(np.log(obs)) - before)
    proposed = correct_setpoint(fit, f, spec.target_nm, drift, correction=corr)
    after = float(np.exp(log_size(proposed) + drift))
    history = [
        {"step": 0, "ratio": spec.ratio, "size_nm": float(np.exp(before))},
        {"step": 1, "ratio": spec.ratio, "size_nm": float(np.exp(before + drift))},
        {"step": 2, "ratio": proposed, "size_nm": after},
    ]
    return CorrectResult(
        current_ratio=spec.ratio,
        drift_log=drift,
        proposed_ratio=proposed,
        predicted_nm=after,
        in_spec=abs(after / spec.target_nm - 1) <= spec.tolerance,
        history=history,
    )


def list_softsensors(store: Store) -> list[dict[str, Any]]:
    """Stored soft sensors (newest versions)."""
    from pharmakon.store import list_objects

    with store.read_session() as session:
        return [
            {"name": o.name, "version": o.version, **o.content, "wavelengths": len(o.content["wavelengths"])}
            for o in list_objects(session, SOFT_KIND)
        ]


def list_twins(store: Store) -> list[dict[str, Any]]:
    """Stored twins (newest versions)."""
    from pharmakon.store import list_objects

    with store.read_session() as session:
        return [{"name": o.name, "version": o.version, **o.content} for o in list_objects(session, TWIN_KIND)]
