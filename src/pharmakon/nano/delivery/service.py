"""Nanoparticle delivery as a service: PBPK simulation and fitting, the tumour-delivery QSAR, AI-assisted PBPK.

Each use case takes a typed spec, the store and the :class:`~pharmakon.caller.Caller`,
computes, saves its versioned result (``save_object``) and records its audit event with
the caller's channel in the same transaction, and returns a typed result. The CLI
(``pharmakon nano delivery|pbpk|pbpk-fit``), the REST routes (``/api/v1/nano/...``) and the
workbench pages (``/nano/delivery``) only build specs and render these results.
"""

from __future__ import annotations

import json
import re
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
    "MAX_SUBJECTS",
    "MAX_INLINE_SUBJECTS",
    "SimulateSpec",
    "SimulateResult",
    "simulate_pbpk",
    "FitSpec",
    "FitResult",
    "fit_pbpk",
    "DeliveryTrainSpec",
    "DeliveryTrainResult",
    "train_delivery",
    "Particle",
    "DeliveryPredictSpec",
    "DeliveryPredictResult",
    "predict_delivery",
    "AIPBPKSpec",
    "AIPBPKResult",
    "ai_assisted_pbpk",
    "list_specs",
    "SimulateRequest",
    "FitRequest",
    "DeliveryTrainRequest",
    "DeliveryPredictRequest",
    "DeliveryModelInfo",
    "show_delivery_models",
]

#: Largest population one command simulates (the executor batches it).
MAX_SUBJECTS = 200_000
#: Largest population a REST or workbench request simulates (the answer holds percentiles only).
MAX_INLINE_SUBJECTS = 10_000
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}$"
_MODEL_KIND = "nano_delivery_model"


class _Spec(Spec):
    model_config = ConfigDict(allow_inf_nan=False)


def _object_name(label: str) -> str:
    stem = Path(label).stem if ("/" in label or label.endswith((".yaml", ".yml", ".json"))) else label
    return re.sub(r"[^A-Za-z0-9_.:@+-]", "_", stem).lstrip("_.-:@+")[:128] or "spec"


# -- simulate ---------------------------------------------------------------------------------


class SimulateSpec(_Spec):
    """``nano pbpk``: simulate a spec (file or built-in) for a population.

    Times in h; amounts in the spec's dose unit.
    """

    spec: str | None = Field(None, max_length=4096, description="Spec file (YAML) or built-in name.")
    model: dict[str, Any] | None = Field(None, description="The spec itself as a mapping (REST, Python).")
    subjects: int | None = Field(None, ge=1, le=MAX_SUBJECTS, description="Overrides population.n.")
    hours: float = Field(168.0, gt=0, le=24 * 365, description="Simulated time (h).")
    step: float = Field(1.0, gt=0, le=24 * 365, description="Output interval (h).")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Overrides population.seed.")
    output: Path | None = Field(None, description="Trajectories as Parquet: one row per subject and time.")
    backend: Literal["serial", "local", "ray"] | None = Field(None, description="Executor for > batch subjects.")
    batch_size: int = Field(1000, ge=10, le=100_000, description="Subjects per stacked solve.")


class SimulateResult(Result):
    """Typical trajectories, population percentiles (p5, p50, p95) and the mass-balance check."""

    spec: str
    subjects: int
    times: list[float]
    compartments: list[str]
    typical: dict[str, list[float]] = Field(description="Amount per compartment over time, unvaried parameters.")
    excreted: list[float] = Field(description="Cumulative excreted amount (typical subject).")
    excreted_by_route: dict[str, list[float]] = Field(description="urine, bile, other (typical subject).")
    percentiles: dict[str, dict[str, list[float]]] = Field(description="p5/p50/p95 -> compartment -> amounts.")
    dose: float
    dose_into: str
    max_mass_balance_error: float
    varied: list[str] = Field(description="Parameters varied across subjects (log-normal).")
    output: str | None = None

    def summary(self) -> str:
        last = {c: v[-1] for c, v in self.typical.items()}
        lines = [
            f"PBPK {self.spec}: {self.subjects} subject(s), {self.times[-1]:g} h, dose {self.dose:g} into "
            f"{self.dose_into}; mass balance error {self.max_mass_balance_error:.2e}",
            f"  typical subject at {self.times[-1]:g} h (% of dose):",
        ]
        lines += [f"    {c:<12} {100 * a / self.dose:8.3f}" for c, a in last.items()]
        lines.append(f"    {'excreted':<12} {100 * self.excreted[-1] / self.dose:8.3f}")
        if self.output:
            lines.append(f"  trajectories written to {self.output}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"time": self.times})
        for c, values in self.typical.items():
            frame[c] = values
        frame["excreted"] = self.excreted
        return frame


def list_specs() -> list[dict[str, str]]:
    """The built-in specs: name and description."""
    from pharmakon.nano.delivery.pbpk_spec import builtin_spec_names, load_spec

    return [{"name": n, "description": load_spec(n)[0].description or ""} for n in builtin_spec_names()]


def _load(spec: SimulateSpec | FitSpec) -> tuple[Any, str]:
    from pharmakon.nano.delivery.pbpk_spec import load_spec, parse_spec

    if (spec.spec is None) == (spec.model is None):
        raise InputError("give a spec file or built-in name (spec), or the spec itself (model)", field="spec")
    if spec.model is not None:
        return parse_spec(spec.model, file="model"), str(spec.model.get("name") or "inline")
    return load_spec(spec.spec)


def _series(values: np.ndarray) -> list[float]:
    return [float(v) for v in values]


def simulate_pbpk(store: Store, spec: SimulateSpec, caller: Caller) -> SimulateResult:
    """Simulate, write the Parquet trajectories (atomically), save the summary and audit it.

    Raises
    ------
    InputError
        A bad spec (file and field named) or option.
    SolverError
        The solver failed (subject and time named); nothing is written.
    """
    from pharmakon.files import staged_files
    from pharmakon.nano.delivery.pbpk import output_times
    from pharmakon.nano.delivery.population import simulate_population
    from pharmakon.store import record_event, save_object

    model, label = _load(spec)
    times = output_times(spec.hours, spec.step)
    if len(times) > 100_001:
        raise InputError(f"{len(times):,} output times; at most 100,001 (raise step)", field="step")
    traj = simulate_population(
        model, times, subjects=spec.subjects, seed=spec.seed, backend=spec.backend, batch_size=spec.batch_size
    )
    pct = {k: {c: _series(v[:, i]) for i, c in enumerate(traj.compartments)} for k, v in traj.percentiles().items()}
    result = SimulateResult(
        spec=label,
        subjects=int(traj.amounts.shape[0]),
        times=_series(traj.times),
        compartments=traj.compartments,
        typical={c: _series(traj.typical[:, i]) for i, c in enumerate(traj.compartments)},
        excreted=_series(traj.typical_excreted),
        excreted_by_route={r: _series(v) for r, v in traj.typical_by_route.items()},
        percentiles=pct,
        dose=float(traj.dose),
        dose_into=model.dose.into,
        max_mass_balance_error=traj.max_mass_balance_error,
        varied=list(traj.parameters.columns),
        output=str(spec.output) if spec.output else None,
    )
    params = {
        "spec": label,
        "subjects": result.subjects,
        "hours": spec.hours,
        "step": spec.step,
        "seed": spec.seed,
        "output": spec.output.name if spec.output else None,
        "channel": caller.channel,
    }
    content = result.to_dict() | {"request": params}
    with staged_files() as staged, store.session() as session:  # the file appears after its event commits
        written = {}
        if spec.output is not None:
            traj.to_frame().to_parquet(staged.path(spec.output), index=False)
            written["trajectory"] = staged.sha256(spec.output)
        saved = save_object(
            session, kind="pbpk_simulation", name=_object_name(label), content=content, actor=caller.actor
        )
        record_event(
            session,
            actor=caller.actor,
            action="nano.pbpk.simulate",
            object_type="pbpk_simulation",
            object_id=f"{saved.name}@{saved.version}",
            outputs=written,
            params=params,
        )
    return result


# -- fit --------------------------------------------------------------------------------------


class FitSpec(_Spec):
    """``nano pbpk-fit``: estimate spec parameters from observed concentrations (amount/L) over time (h)."""

    spec: str | None = Field(None, max_length=4096, description="Spec file (YAML) or built-in name.")
    model: dict[str, Any] | None = Field(None, description="The spec itself as a mapping (REST, Python).")
    data: Path | None = Field(None, description="Observations: CSV/Parquet with time, compartment, concentration.")
    observations: list[dict[str, Any]] | None = Field(
        None, max_length=10_000, description="Observations as rows (REST): time, compartment, concentration."
    )
    parameters: list[str] = Field(min_length=1, max_length=12, description="'compartment.parameter' to estimate.")
    max_iterations: int = Field(50, ge=1, le=1000, description="Least-squares function evaluations.")
    plot: Path | None = Field(None, description="Goodness-of-fit plot (PNG) to write.")


class FitResult(Result):
    """Estimates with standard errors, and the fit at each observation."""

    spec: str
    estimates: dict[str, float]
    initial: dict[str, float]
    standard_errors: dict[str, float | None]
    cv_percent: dict[str, float | None]
    rss: float = Field(description="Residual sum of squares of log concentrations.")
    n_observations: int
    converged: bool
    message: str
    fit: list[dict[str, Any]] = Field(description="time, compartment, observed, predicted.")
    gof_png: str = Field(description="Goodness-of-fit plot, PNG as base64.")
    plot: str | None = None

    def summary(self) -> str:
        lines = [
            f"PBPK fit of {self.spec} to {self.n_observations} observations (log scale): RSS {self.rss:.4g}, "
            f"{'converged' if self.converged else 'not converged'}",
            f"  {'parameter':<34} {'initial':>11} {'estimate':>11} {'SE':>11} {'CV%':>7}",
        ]
        for k, v in self.estimates.items():
            se, cv = self.standard_errors.get(k), self.cv_percent.get(k)
            se_t = f"{se:11.4g}" if se is not None else f"{'-':>11}"
            cv_t = f"{cv:7.1f}" if cv is not None else f"{'-':>7}"
            lines.append(f"  {k:<34} {self.initial[k]:11.4g} {v:11.4g} {se_t} {cv_t}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.fit)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def fit_pbpk(store: Store, spec: FitSpec, caller: Caller) -> FitResult:
    """Fit, save the estimates and audit them; the GOF plot goes into the result (and ``plot``)."""
    from pharmakon.files import staged_files
    from pharmakon.nano.delivery.figures import gof_figure
    from pharmakon.nano.delivery.pbpk_fit import check_observations, fit_parameters
    from pharmakon.plots import figure_png_base64
    from pharmakon.store import record_event, save_object
    from pharmakon.tables import read_table

    model, label = _load(spec)
    if (spec.data is None) == (spec.observations is None):
        raise InputError("give the observations as a file (data) or as rows (observations)", field="data")
    raw = read_table(spec.data) if spec.data is not None else pd.DataFrame(spec.observations)
    obs = check_observations(raw, model, str(spec.data) if spec.data else "observations")
    out = fit_parameters(model, obs, list(dict.fromkeys(spec.parameters)), max_iterations=spec.max_iterations)
    png = figure_png_base64(gof_figure(out.table, label))
    se = {k: _finite(v) for k, v in out.standard_errors.items()}
    result = FitResult(
        spec=label,
        estimates=out.estimates,
        initial=out.initial,
        standard_errors=se,
        cv_percent={k: (100 * v / out.estimates[k] if v is not None else None) for k, v in se.items()},
        rss=out.rss,
        n_observations=out.n_observations,
        converged=out.converged,
        message=out.message,
        fit=out.table.to_dict(orient="records"),
        gof_png=png,
        plot=str(spec.plot) if spec.plot else None,
    )
    params = {"spec": label, "parameters": list(out.estimates), "n": out.n_observations, "channel": caller.channel}
    content = result.to_dict() | {"request": params}
    content.pop("gof_png")
    with staged_files() as staged, store.session() as session:  # the plot appears after its event commits
        if spec.plot is not None:
            import base64

            staged.write_bytes(spec.plot, base64.b64decode(png))
        saved = save_object(session, kind="pbpk_fit", name=_object_name(label), content=content, actor=caller.actor)
        record_event(
            session,
            actor=caller.actor,
            action="nano.pbpk.fit",
            object_type="pbpk_fit",
            object_id=f"{saved.name}@{saved.version}",
            params=params,
        )
    return result


# -- delivery QSAR ----------------------------------------------------------------------------


class DeliveryTrainSpec(_Spec):
    """``nano delivery train``: one governed model per delivery target (log10 %ID), on core's lifecycle."""

    data: Path | None = Field(None, description="Particle table; default: the Nano-Tumor DB subset of the mirror.")
    name: str = Field("nano-delivery", pattern=_NAME, description="Name of the model set (models: NAME-DE_24, ...).")
    targets: list[Literal["DE_24", "DE_168", "DE_Max"]] = Field(["DE_24", "DE_168", "DE_Max"], min_length=1)
    models: list[str] | None = Field(None, max_length=10, description="Model families (default: the zoo).")
    trials: int = Field(0, ge=0, le=200, description="Optuna trials after screening (fixed work: reproducible).")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    alpha: float = Field(0.1, ge=0.01, le=0.5, description="Conformal miscoverage (0.1: 90% intervals).")


class DeliveryTrainResult(Result):
    """The registered models, their CV metrics, SHAP importance and the data QC report."""

    name: str
    version: int
    models: dict[str, str] = Field(description="target -> registered model name@version.")
    cv_metrics: dict[str, dict[str, float | None]] = Field(description="target -> CV metrics on log10 %ID.")
    importance: dict[str, dict[str, float]] = Field(description="target -> property -> mean |SHAP| (log10 %ID).")
    qc: dict[str, Any]

    def summary(self) -> str:
        lines = [f"delivery models {self.name} v{self.version} ({self.qc['rows']} particles)"]
        for t, ref in self.models.items():
            m = self.cv_metrics[t]
            top = ", ".join(list(self.importance[t])[:3])
            lines.append(f"  {t:<7} {ref:<28} CV R2 {m.get('r2') or float('nan'):.3f}  drivers: {top}")
        merged = self.qc.get("categories_merged") or {}
        lines.append(f"  QC: {self.qc['zp_missing']} missing zeta potentials (flagged); merged spellings {merged}")
        return "\n".join(lines)


def _training_frame(spec: DeliveryTrainSpec) -> tuple[pd.DataFrame, str]:
    from pharmakon.tables import read_table

    if spec.data is not None:
        return read_table(spec.data), str(spec.data)
    from pharmakon.datasets import load

    return load("nano_tumor_db", "delivery"), "nano_tumor_db/nano_tumor_de_dev.csv"


def _importance(model: Any, frame: pd.DataFrame) -> dict[str, float]:
    """Mean |SHAP| per particle property (one-hot columns summed back to their property)."""
    from pharmakon.core.explain import shap_values
    from pharmakon.nano.delivery.tumor_db import FEATURES

    res = shap_values(model, frame.head(100), background=frame, n_background=50)  # 100 rows: seconds, not minutes
    mean_abs = np.abs(res.values).mean(axis=0)
    out = dict.fromkeys(FEATURES, 0.0)
    for name, value in zip(res.feature_names, mean_abs):
        base = name.split("__", 1)[-1]
        key = next((f for f in sorted(FEATURES, key=len, reverse=True) if base == f or base.startswith(f + "_")), None)
        if key is not None:
            out[key] += float(value)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def train_delivery(store: Store, spec: DeliveryTrainSpec, caller: Caller) -> DeliveryTrainResult:
    """Clean the particle table, train and register one model per target, save the set and audit it."""
    from pharmakon.core.registry import load_model
    from pharmakon.core.service import TrainSpec, train_and_register
    from pharmakon.hashing import sha256_frame
    from pharmakon.nano.delivery.tumor_db import FEATURES, category_vocabulary, clean_particles
    from pharmakon.store import record_event, save_object

    raw, source = _training_frame(spec)
    clean, qc = clean_particles(raw, file=source)
    refs, metrics, importance = {}, {}, {}
    for target in dict.fromkeys(spec.targets):
        frame = clean[list(FEATURES)].copy()
        frame[f"log10_{target}"] = np.log10(np.maximum(clean[target], 1e-3))  # %ID spans 4 decades
        train = TrainSpec(
            target=f"log10_{target}",
            task="regression",
            name=f"{spec.name}-{target}",
            trials=spec.trials,
            seed=spec.seed,
            alpha=spec.alpha,
            models=spec.models,
            reason=f"nano delivery QSAR ({source})",
        )
        trained = train_and_register(store, train, caller, frame=frame)
        refs[target] = f"{trained.name}@{trained.version}"
        metrics[target] = trained.cv_metrics
        with store.read_session() as session:
            model = load_model(session, trained.name, trained.version)
        importance[target] = _importance(model, frame)
    content = {
        "models": refs,
        "cv_metrics": metrics,
        "importance": importance,
        "qc": qc,
        "vocabulary": category_vocabulary(clean),
        "source": source,
        "data_sha256": sha256_frame(raw),
    }
    params = {"source": Path(source).name, "targets": list(refs), "trials": spec.trials, "channel": caller.channel}
    with store.session() as session:
        saved = save_object(session, kind=_MODEL_KIND, name=spec.name, content=content, actor=caller.actor)
        record_event(
            session,
            actor=caller.actor,
            action="nano.delivery.train",
            object_type=_MODEL_KIND,
            object_id=f"{spec.name}@{saved.version}",
            params=params,
        )
    return DeliveryTrainResult(
        name=spec.name, version=saved.version, models=refs, cv_metrics=metrics, importance=importance, qc=qc
    )


class Particle(_Spec):
    """One nanoparticle: categories as in the Nano-Tumor DB, Size in log10 nm, ZP in mV (None: not measured)."""

    Type: str = Field(max_length=64, description="Organic | Inorganic.")
    MAT: str = Field(max_length=64, description="Core material (Gold, Polymeric, Liposomes, ...).")
    TS: str = Field(max_length=64, description="Targeting: Active | Passive.")
    CT: str = Field(max_length=64, description="Cancer type (Breast, Liver, Skin, ...).")
    TM: str = Field(max_length=64, description="Tumour model: XH, AH, XO, AO.")
    Shape: str = Field(max_length=64, description="Spherical, Rod, Plate, Other.")
    Size: float = Field(ge=0, le=4, description="log10 of the hydrodynamic diameter (nm).")
    ZP: float | None = Field(None, ge=-200, le=200, description="Zeta potential (mV).")


class DeliveryPredictSpec(_Spec):
    """``nano delivery predict``: delivery efficiencies with conformal intervals and a domain flag."""

    name: str = Field("nano-delivery", pattern=_NAME, description="Model set name.")
    version: int | None = Field(None, ge=1, description="Model set version (default: newest).")
    particles: list[Particle] | None = Field(None, min_length=1, max_length=10_000)
    data: Path | None = Field(None, description="Particle table (CSV/Parquet).")
    output: Path | None = Field(None, description="Predictions CSV to write.")


class DeliveryPredictResult(Result):
    """Per particle: DE_x (%ID) with DE_x_lower/upper, in_domain and why not."""

    name: str
    version: int
    rows: list[dict[str, Any]]
    in_domain: int
    output: str | None = None

    def summary(self) -> str:
        return f"{len(self.rows)} particle(s) predicted with {self.name} v{self.version}: {self.in_domain} in domain"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def _predict_frame(store: Store, name: str, version: int | None, particles: pd.DataFrame, file: str | None):
    """(rows frame, model-set object) for cleaned particles."""
    from pharmakon.core.registry import load_model
    from pharmakon.nano.delivery.tumor_db import CATEGORIES, FEATURES, TARGETS, clean_particles, unseen_categories
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, _MODEL_KIND, name, version)
    vocab = obj.content["vocabulary"]
    clean, _ = clean_particles(particles, targets=False, file=file)
    for c in CATEGORIES:  # a known category in another case or spacing is that category
        lookup = {v.casefold(): v for v in vocab[c]}
        clean[c] = clean[c].map(lambda v, lk=lookup: lk.get(str(v).casefold(), v) if not pd.isna(v) else v)
    out = clean[list(FEATURES)].copy()
    unseen = unseen_categories(clean, vocab)
    refs = obj.content["models"]  # stored content has sorted keys: report in the TARGETS order
    for target, ref in sorted(refs.items(), key=lambda kv: TARGETS.index(kv[0])):
        model_name, _, model_version = ref.rpartition("@")
        with store.read_session() as session:
            model = load_model(session, model_name, int(model_version), cache=True)
        pred = model.predict(clean[list(FEATURES)]).table
        out[target] = 10 ** pred["prediction"].to_numpy(float)
        out[f"{target}_lower"] = 10 ** pred["pred_lower"].to_numpy(float)
        out[f"{target}_upper"] = 10 ** pred["pred_upper"].to_numpy(float)
        flag = pred["in_domain"].to_numpy(bool)
        out["in_domain"] = flag if "in_domain" not in out else out["in_domain"].to_numpy(bool) & flag
    out["unseen_categories"] = unseen
    out["in_domain"] = out["in_domain"].to_numpy(bool) & (np.array(unseen) == "")
    return out, obj


def predict_delivery(store: Store, spec: DeliveryPredictSpec, caller: Caller) -> DeliveryPredictResult:
    """Predict, write the CSV (atomically) if asked, audit it. A never-seen category is out of domain, not an error."""
    from pharmakon.files import staged_files
    from pharmakon.hashing import sha256_frame
    from pharmakon.store import record_event
    from pharmakon.tables import read_table

    if (spec.particles is None) == (spec.data is None):
        raise InputError("give particles (rows) or a particle table (data)", field="particles")
    if spec.data is not None:
        frame, file = read_table(spec.data), str(spec.data)
    else:
        frame, file = pd.DataFrame([p.model_dump() for p in spec.particles or []]), None
    out, obj = _predict_frame(store, spec.name, spec.version, frame, file)
    rows = json.loads(out.to_json(orient="records"))
    with staged_files() as staged, store.session() as session:  # the CSV appears after its event commits
        if spec.output is not None:
            out.to_csv(staged.path(spec.output), index=False)
        record_event(
            session,
            actor=caller.actor,
            action="nano.delivery.predict",
            object_type=_MODEL_KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"data": sha256_frame(frame)},
            outputs={"predictions": sha256_frame(out)},
            params={"rows": len(out), "in_domain": int(out["in_domain"].sum()), "channel": caller.channel},
        )
    return DeliveryPredictResult(
        name=obj.name,
        version=obj.version,
        rows=rows,
        in_domain=int(out["in_domain"].sum()),
        output=str(spec.output) if spec.output else None,
    )


class DeliveryModelInfo(Result):
    """A stored delivery model set: its models, CV metrics, SHAP importance, QC report."""

    name: str
    version: int
    models: dict[str, str]
    cv_metrics: dict[str, dict[str, float | None]]
    importance: dict[str, dict[str, float]]
    qc: dict[str, Any]
    vocabulary: dict[str, list[str]]
    source: str
    created_by: str
    created_at: str


def show_delivery_models(store: Store, name: str = "nano-delivery", version: int | None = None) -> DeliveryModelInfo:
    """The model card data of a delivery model set. Raises NotFoundError."""
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, _MODEL_KIND, name, version)
    c = obj.content
    return DeliveryModelInfo(
        name=obj.name,
        version=obj.version,
        models=c["models"],
        cv_metrics=c["cv_metrics"],
        importance=c["importance"],
        qc=c["qc"],
        vocabulary=c["vocabulary"],
        source=c["source"],
        created_by=obj.created_by,
        created_at=str(obj.created_at),
    )


# -- AI-assisted PBPK -------------------------------------------------------------------------


class AIPBPKSpec(_Spec):
    """A particle -> QSAR delivery (with its interval) -> tumour parameters -> population simulation."""

    particle: Particle
    name: str = Field("nano-delivery", pattern=_NAME, description="Delivery model set.")
    version: int | None = Field(None, ge=1)
    spec: str = Field("nanoparticle-mouse", max_length=4096, description="PBPK spec (file or built-in).")
    subjects: int = Field(100, ge=1, le=MAX_INLINE_SUBJECTS, description="Population size per QSAR scenario.")
    hours: float = Field(168.0, ge=24, le=24 * 60, description="Simulated time (h).")
    step: float = Field(1.0, gt=0, le=24)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


class AIPBPKResult(Result):
    """Tumour and organ curves: the typical curve at the QSAR point, lower and upper; population bands."""

    particle: dict[str, Any]
    prediction: dict[str, Any] = Field(description="DE_x with DE_x_lower/upper (%ID), in_domain, unseen.")
    tumour_parameters: dict[str, dict[str, float]] = Field(
        description="scenario (lower, point, upper) -> fitted tumour parameter values."
    )
    achieved: dict[str, dict[str, float]] = Field(description="scenario -> simulated DE_24, DE_168 (typical, %ID).")
    times: list[float]
    compartments: list[str]
    median: dict[str, list[float]] = Field(description="Population median at the QSAR point, % of dose.")
    band_low: dict[str, list[float]] = Field(description="5th percentile over QSAR lower + population, % of dose.")
    band_high: dict[str, list[float]] = Field(description="95th percentile over QSAR upper + population, % of dose.")
    qsar_low: dict[str, list[float]] = Field(description="Typical subject at the QSAR lower bound, % of dose.")
    qsar_high: dict[str, list[float]] = Field(description="Typical subject at the QSAR upper bound, % of dose.")
    subjects: int
    max_mass_balance_error: float

    def summary(self) -> str:
        p = self.prediction
        t = self.times.index(24.0) if 24.0 in self.times else 0
        return (
            f"AI-assisted PBPK: QSAR DE_24 {p['DE_24']:.3g} %ID ({p['DE_24_lower']:.3g}-{p['DE_24_upper']:.3g}), "
            f"DE_168 {p['DE_168']:.3g} %ID; in domain: {p['in_domain']}\n"
            f"  simulated tumour at 24 h: median {self.median['tumor'][t]:.3g} %ID, band "
            f"{self.band_low['tumor'][t]:.3g}-{self.band_high['tumor'][t]:.3g} ({self.subjects} subjects per scenario)"
        )


#: Tumour parameters the QSAR targets are fitted to (as the Lin lab's AI-assisted PBPK predicts them).
TUMOUR_PARAMETERS = ("tumor.phagocytic.max_rate", "tumor.phagocytic.release")


def _tumour_fit(model: Any, de24: float, de168: float) -> tuple[dict[str, float], dict[str, float]]:
    """Tumour parameters whose typical simulation gives DE_24 and DE_168 (%ID); and what it gives."""
    from pharmakon.nano.delivery.pbpk_fit import fit_parameters, predicted_concentrations

    tumour = next(c for c in model.compartments if c.name == "tumor")
    dose = model.dose.amount
    obs = pd.DataFrame(
        {
            "time": [24.0, 168.0],
            "compartment": ["tumor", "tumor"],
            "concentration": [de24 / 100 * dose / tumour.volume, de168 / 100 * dose / tumour.volume],
        }
    )
    out = fit_parameters(model, obs, list(TUMOUR_PARAMETERS), max_iterations=25, exact=True)
    pred = predicted_concentrations(model, pd.DataFrame([out.estimates]), obs)[0] * tumour.volume / dose * 100
    return out.estimates, {"DE_24": float(pred[0]), "DE_168": float(pred[1])}


def _with_values(model: Any, values: dict[str, float]) -> Any:
    data = model.model_dump(mode="json", exclude_none=True)
    for key, value in values.items():
        comp, _, param = key.partition(".")
        target = next(c for c in data["compartments"] if c["name"] == comp)
        if param.startswith("phagocytic."):
            target["phagocytic"][param.split(".", 1)[1]] = value
        else:
            target[param] = value
    from pharmakon.nano.delivery.pbpk_spec import parse_spec

    return parse_spec(data)


def ai_assisted_pbpk(store: Store, spec: AIPBPKSpec, caller: Caller) -> AIPBPKResult:
    """Run the loop for one particle; audited as ``nano.delivery.ai_pbpk``.

    Raises
    ------
    InputError
        A spec without a ``tumor`` compartment with a phagocytic block and permeability.
    """
    from pharmakon.nano.delivery.pbpk import output_times, simulate
    from pharmakon.nano.delivery.pbpk_spec import load_spec
    from pharmakon.store import record_event

    model, label = load_spec(spec.spec)
    tumour = next((c for c in model.compartments if c.name == "tumor"), None)
    if tumour is None or tumour.phagocytic is None or not tumour.permeability_limited:
        raise InputError(
            "the spec needs a permeability-limited 'tumor' compartment with phagocytic uptake", field="spec"
        )
    frame = pd.DataFrame([spec.particle.model_dump()])
    pred_frame, obj = _predict_frame(store, spec.name, spec.version, frame, None)
    pred = pred_frame.iloc[0]
    times = output_times(spec.hours, spec.step)
    scenarios = {"lower": "_lower", "point": "", "upper": "_upper"}
    fitted, achieved, runs = {}, {}, {}
    for scenario, suffix in scenarios.items():
        values, got = _tumour_fit(model, float(pred[f"DE_24{suffix}"]), float(pred[f"DE_168{suffix}"]))
        fitted[scenario], achieved[scenario] = values, got
        runs[scenario] = simulate(_with_values(model, values), times, subjects=spec.subjects, seed=spec.seed)
    names = runs["point"].compartments
    dose = model.dose.amount

    def pct(a: np.ndarray) -> dict[str, list[float]]:
        return {c: _series(100 * a[:, i] / dose) for i, c in enumerate(names)}

    result = AIPBPKResult(
        particle=spec.particle.model_dump(),
        prediction=json.loads(pred_frame.iloc[[0]].to_json(orient="records"))[0],
        tumour_parameters=fitted,
        achieved=achieved,
        times=_series(times),
        compartments=names,
        median=pct(np.percentile(runs["point"].amounts, 50, axis=0)),
        band_low=pct(np.percentile(np.concatenate([runs["lower"].amounts, runs["point"].amounts]), 5, axis=0)),
        band_high=pct(np.percentile(np.concatenate([runs["upper"].amounts, runs["point"].amounts]), 95, axis=0)),
        qsar_low=pct(runs["lower"].typical),
        qsar_high=pct(runs["upper"].typical),
        subjects=spec.subjects,
        max_mass_balance_error=max(r.max_mass_balance_error for r in runs.values()),
    )
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="nano.delivery.ai_pbpk",
            object_type=_MODEL_KIND,
            object_id=f"{obj.name}@{obj.version}",
            params={
                "spec": label,
                "subjects": spec.subjects,
                "in_domain": bool(pred["in_domain"]),
                "channel": caller.channel,
            },
        )
    return result


# -- request bodies of the REST API and the workbench (no server file paths) -----------------


class SimulateRequest(_Spec):
    """``POST /nano/pbpk``: a built-in spec by name, or the spec itself; percentiles come back."""

    spec: str | None = Field(None, max_length=128, description="Built-in spec name (nanoparticle-mouse).")
    model: dict[str, Any] | None = Field(None, description="The spec itself (same keys as a YAML spec file).")
    subjects: int | None = Field(None, ge=1, le=MAX_INLINE_SUBJECTS, description="Overrides population.n.")
    hours: float = Field(168.0, gt=0, le=24 * 365, description="Simulated time (h).")
    step: float = Field(1.0, gt=0, le=24 * 365, description="Output interval (h).")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Overrides population.seed.")

    def to_spec(self) -> SimulateSpec:
        """The service spec; a ``spec`` must name a built-in (never a file on the server)."""
        from pharmakon.nano.delivery.pbpk_spec import builtin_spec_names

        if self.spec is not None and self.spec not in builtin_spec_names():
            raise InputError(f"unknown built-in spec {self.spec!r}; choose from {builtin_spec_names()}", field="spec")
        return SimulateSpec(**self.model_dump(exclude_none=True))


class FitRequest(_Spec):
    """``POST /nano/pbpk/fit``: a built-in or inline spec, observations as rows, parameters to estimate."""

    spec: str | None = Field(None, max_length=128, description="Built-in spec name.")
    model: dict[str, Any] | None = Field(None, description="The spec itself.")
    observations: list[dict[str, Any]] = Field(min_length=2, max_length=10_000)
    parameters: list[str] = Field(min_length=1, max_length=12)
    max_iterations: int = Field(50, ge=1, le=1000)

    def to_spec(self) -> FitSpec:
        from pharmakon.nano.delivery.pbpk_spec import builtin_spec_names

        if self.spec is not None and self.spec not in builtin_spec_names():
            raise InputError(f"unknown built-in spec {self.spec!r}; choose from {builtin_spec_names()}", field="spec")
        return FitSpec(**self.model_dump(exclude_none=True))


class DeliveryTrainRequest(_Spec):
    """``POST /nano/delivery/models``: train on the mirror's Nano-Tumor DB subset."""

    name: str = Field("nano-delivery", pattern=_NAME)
    targets: list[Literal["DE_24", "DE_168", "DE_Max"]] = Field(["DE_24", "DE_168", "DE_Max"], min_length=1)
    models: list[str] | None = Field(None, max_length=10)
    trials: int = Field(0, ge=0, le=200)
    seed: int = Field(0, ge=0, le=2**32 - 1)

    def to_spec(self) -> DeliveryTrainSpec:
        return DeliveryTrainSpec(**self.model_dump(exclude_none=True))


class DeliveryPredictRequest(_Spec):
    """``POST /nano/delivery/predict``: particles as rows."""

    name: str = Field("nano-delivery", pattern=_NAME)
    version: int | None = Field(None, ge=1)
    particles: list[Particle] = Field(min_length=1, max_length=10_000)

    def to_spec(self) -> DeliveryPredictSpec:
        return DeliveryPredictSpec(**self.model_dump(exclude_none=True))
