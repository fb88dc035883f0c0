"""Trial design as a service: one spec, one function and one typed result per use case.

The CLI (``pharmakon trial ...``), the REST API (``/api/v1/trial/...``) and the workbench
(``/trial``) build the same specs and call these functions; defaults live in the specs
and nowhere else.

=====================  =====================================  ===========================
use case               function                               audited as
=====================  =====================================  ===========================
compute a design       :func:`compute_design`                 (nothing stored)
store a design         :func:`store_design`                   ``trial.design`` (+ ``object.save``)
sample size            :func:`compute_sample_size`            (nothing stored)
simulate a design      :func:`simulate_design`                ``trial.simulate`` (+ ``object.save``)
Bayesian multi-arm     :func:`simulate_bayes`                 (nothing stored)
dose finding           :func:`simulate_dose_finding`          (nothing stored)
adaptive enrichment    :func:`simulate_enrichment_design`     (nothing stored)
stored designs         :func:`list_designs`, :func:`show_design`, :func:`report_design`
stored simulations     :func:`list_simulations`, :func:`show_simulation`
=====================  =====================================  ===========================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

if TYPE_CHECKING:  # pragma: no cover - tables are built on demand: pandas costs start-up
    import pandas as pd

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.results import Result, result_of
from pharmakon.trials.design.bayesian import BayesianResult
from pharmakon.trials.design.characteristics import DesignCharacteristics
from pharmakon.trials.design.crm import CrmResult
from pharmakon.trials.design.enrichment import EnrichmentResult
from pharmakon.trials.design.groupsequential import GroupSequentialDesign
from pharmakon.trials.design.samplesize import SampleSizeResult
from pharmakon.trials.design.simulation import SimulationResult
from pharmakon.trials.design.spec import (
    BayesSpec,
    DesignSpec,
    DoseFindingSpec,
    EnrichmentSpec,
    SampleSizeInputs,
    SampleSizeSpec,
    SaveDesignSpec,
    SimulationSpec,
    design_from_spec,
    load_spec,
)

__all__ = [
    "DesignSpec",
    "SaveDesignSpec",
    "SampleSizeInputs",
    "SampleSizeSpec",
    "SimulationSpec",
    "BayesSpec",
    "DoseFindingSpec",
    "EnrichmentSpec",
    "DesignResult",
    "SampleSizeReport",
    "SimulationReport",
    "BayesReport",
    "DoseFindingReport",
    "EnrichmentReport",
    "StoredDesignRow",
    "DesignList",
    "StoredDesign",
    "DesignReport",
    "StoredSimulationRow",
    "SimulationList",
    "StoredSimulation",
    "compute_design",
    "store_design",
    "compute_sample_size",
    "simulate_design",
    "load_simulation_spec",
    "simulate_bayes",
    "simulate_dose_finding",
    "simulate_enrichment_design",
    "list_designs",
    "show_design",
    "report_design",
    "list_simulations",
    "show_simulation",
]

Progress = Callable[[int, int], Any] | None


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _lines(pairs: Mapping[str, Any]) -> list[str]:
    """``key  value`` lines; missing (``None``) and empty values are left out."""
    pairs = {k: v for k, v in pairs.items() if v is not None and v != "" and v != [] and v != {}}
    width = max((len(k) for k in pairs), default=0)
    return [f"  {k:<{width}}  {_fmt(v)}" for k, v in pairs.items()]


def _scalars_and_table(result: Result, title: str, table: bool = True) -> str:
    """``title``, the result's scalar fields, then (with ``table``) its table (:meth:`Result.to_frame`)."""
    scalars = {k: v for k, v in result.to_dict().items() if not isinstance(v, dict | list) and v is not None}
    lines = [title, *_lines(scalars)]
    if table:
        lines += ["", result.to_frame().to_string(index=False, float_format=lambda v: f"{v:.4f}")]
    return "\n".join(lines)


# --------------------------------------------------------------------------- results


class StageProbabilities(Result):
    """Per-stage probabilities (length K)."""

    reject: list[float]
    futility: list[float]
    stop: list[float]


class Stopping(Result):
    """Stage-wise probabilities under H0 and under H1."""

    h0: StageProbabilities
    h1: StageProbabilities


class PowerCurve(Result):
    """Power and expected information (relative to the fixed design) against effect / H1 effect."""

    effect_ratio: list[float]
    power: list[float]
    expected_information: list[float]


class DesignResult(Result):
    """A computed group-sequential design (rpact ``getDesignGroupSequential`` + ``getDesignCharacteristics``).

    ``name``, ``version``, ``content_hash`` and ``stored`` (``name@version``) are set
    when the design was stored.
    """

    model_config = ConfigDict(populate_by_name=True)

    design: GroupSequentialDesign
    text: str = Field(alias="summary", description="The design in one paragraph.")
    characteristics: DesignCharacteristics
    stopping: Stopping
    power_curve: PowerCurve
    name: str | None = None
    version: int | None = None
    content_hash: str | None = None
    stored: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def to_frame(self) -> pd.DataFrame:
        """One row per look: information rate, critical value, stage level, alpha spent (, futility)."""
        import pandas as pd

        return pd.DataFrame(self.design.table())

    def summary(self) -> str:
        ch = self.characteristics
        lines = [self.text, "", self.to_frame().to_string(index=False, float_format=lambda v: f"{v:.6g}"), ""]
        lines.append(f"inflation factor: {ch.inflation_factor:.6f}")
        lines.append(
            "ASN (H1, H1/2, H0) / n_fixed: "
            f"{ch.average_sample_number1:.4f}, {ch.average_sample_number01:.4f}, {ch.average_sample_number0:.4f}"
        )
        if self.stored:
            lines.append(f"stored: trial_design {self.stored}")
        return "\n".join(lines)


class SampleSizeReport(result_of(SampleSizeResult)):
    """Sample size of a fixed or group-sequential trial (rpact ``getSampleSize*``)."""

    def to_frame(self) -> pd.DataFrame:
        """One row per look: cumulative subjects (and events), rejection probability, effect-scale boundary."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "stage": range(1, len(self.number_of_subjects) + 1),
                "number_of_subjects": self.number_of_subjects,
                "reject_per_stage": self.reject_per_stage,
                "critical_value_effect_scale": self.critical_values_effect_scale,
            }
        )
        if self.events_per_stage is not None:
            frame.insert(2, "events", self.events_per_stage)
        return frame

    def rounded_subjects(self, n: float) -> tuple[int, list[int]]:
        """``n`` subjects rounded up as a trial enrols them: whole subjects in each group.

        Returns the rounded total and the per-group counts (one group: ``[total]``).
        """
        if self.groups == 1:
            whole = _ceil(n)
            return whole, [whole]
        r = self.allocation_ratio
        per_group = [_ceil(n * r / (1 + r)), _ceil(n / (1 + r))]
        return sum(per_group), per_group

    def summary(self) -> str:
        total, per_group = self.rounded_subjects(self.max_number_of_subjects)
        groups = f" ({' + '.join(str(g) for g in per_group)} per group)" if self.groups == 2 else ""
        head: dict[str, Any] = {
            "endpoint": self.endpoint,
            "groups": self.groups,
            "allocation ratio": self.allocation_ratio,
            "max subjects": f"{total}{groups}, rounded up from {_fmt(self.max_number_of_subjects)}",
        }
        if self.max_number_of_events is not None:
            head["max events"] = (
                f"{_ceil(self.max_number_of_events)}, rounded up from {_fmt(self.max_number_of_events)}"
            )
        expected = "events" if self.max_number_of_events is not None else "subjects"
        head |= {
            f"expected {expected} (H0, H1/2, H1)": [
                self.expected_number_h0,
                self.expected_number_h01,
                self.expected_number_h1,
            ],
            "P(early stop) under H1": self.early_stop,
            **{
                k.replace("_", " "): v
                for k, v in self.extra.items()
                if v is not None and v != {} and v != [] and not isinstance(v, dict)
            },
        }
        import pandas as pd

        table = pd.DataFrame(
            {
                "stage": range(1, len(self.number_of_subjects) + 1),
                "subjects": [self.rounded_subjects(n)[0] for n in self.number_of_subjects],
                "subjects (exact)": self.number_of_subjects,
            }
        )
        if self.events_per_stage is not None:
            table["events"] = [_ceil(e) for e in self.events_per_stage]
            table["events (exact)"] = self.events_per_stage
        table["P(reject) under H1"] = self.reject_per_stage
        table["boundary (effect scale)"] = self.critical_values_effect_scale
        lines = [f"Sample size ({self.endpoint})", *_lines(head), ""]
        lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        lines.append("subjects and events are cumulative at each look, rounded up to whole subjects per group")
        lines += [f"- {a}" for a in self.assumptions]
        return "\n".join(lines)


def _ceil(x: float) -> int:
    """``x`` rounded up, ignoring floating-point dust (100.0000000001 is 100)."""
    return math.ceil(x - 1e-9)


class PowerPoint(Result):
    """One point of a simulated power curve."""

    effect: float
    power: float
    mc_se: float
    expected_n: float


class SimulationReport(result_of(SimulationResult)):
    """Simulated operating characteristics of a design (rpact ``getSimulationRates/Means``)."""

    power_curve: list[PowerPoint] = Field(default_factory=list)
    name: str | None = None
    version: int | None = None
    content_hash: str | None = None
    stored: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per look: cumulative N, P(reject), P(futility stop), P(stop here)."""
        k = len(self.reject_per_stage)
        import pandas as pd

        return pd.DataFrame(
            {
                "stage": range(1, k + 1),
                "cumulative_n": [int(n) for n in self.sample_size_distribution],
                "reject": self.reject_per_stage,
                "futility": [*self.futility_per_stage, 0.0][:k],
                "stop": list(self.sample_size_distribution.values()),
            }
        )

    def summary(self) -> str:
        lines = [
            f"Simulation ({self.endpoint}), {self.sims} trials, seed {self.seed}",
            *_lines(
                {
                    "power": f"{self.power:.4f} (MC SE {self.mc_se:.4f})",
                    "expected N": f"{self.expected_n:.1f} (MC SE {self.mc_se_expected_n:.2f})",
                    "P(early stop)": self.early_stop,
                    "trials/s": f"{self.sims_per_second or 0:.0f} ({self.backend})",
                }
            ),
            "",
            self.to_frame()
            .rename(
                columns={
                    "cumulative_n": "cumulative N",
                    "reject": "P(reject)",
                    "futility": "P(futility stop)",
                    "stop": "P(stop here)",
                }
            )
            .to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        if self.power_curve:
            lines += ["", "Power curve"]
        for p in self.power_curve:
            lines.append(f"  effect {p.effect:.4g}: power {p.power:.4f} (SE {p.mc_se:.4f})")
        if self.stored:
            lines.append(f"stored as trial_simulation {self.stored}")
        return "\n".join(lines)


class Calibration(Result):
    """Efficacy threshold calibrated to a type I error under the null scenario."""

    efficacy: float
    type_one_error: float
    mc_se: float


class BayesReport(result_of(BayesianResult)):
    """Operating characteristics of a Bayesian adaptive multi-arm trial."""

    endpoint: Literal["binary", "normal"]
    assumptions: list[str] = Field(default_factory=list)
    calibration: Calibration | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per arm (control first): P(selected), mean allocation."""
        import pandas as pd

        return pd.DataFrame(
            {
                "arm": range(len(self.allocation)),
                "select_probability": self.select_probability,
                "allocation": self.allocation,
            }
        )

    def summary(self) -> str:
        text = _scalars_and_table(self, f"Bayesian adaptive multi-arm trial ({self.endpoint} endpoint)")
        if self.calibration is not None:
            c = self.calibration
            text += f"\ncalibrated efficacy threshold {c.efficacy:.4f}: type I error {c.type_one_error:.4f}"
        return text + "".join(f"\n- {a}" for a in self.assumptions)


class DoseFindingReport(result_of(CrmResult)):
    """Operating characteristics of a BOIN or CRM dose-finding design."""

    method: Literal["boin", "crm"]
    boundaries: tuple[float, float] | None = Field(None, description="BOIN escalation / de-escalation boundaries.")

    def to_frame(self) -> pd.DataFrame:
        """One row per dose: P(selected as MTD), mean patients and DLTs."""
        import pandas as pd

        return pd.DataFrame(
            {
                "dose": range(1, len(self.select_probability) + 1),
                "select_probability": self.select_probability,
                "patients": self.patients_per_dose,
                "dlts": self.dlt_per_dose,
            }
        )

    def summary(self) -> str:
        text = _scalars_and_table(self, f"Dose finding ({self.method.upper()})")
        if self.boundaries is not None:
            text += f"\nescalate if DLT rate <= {self.boundaries[0]:.4f}, de-escalate if >= {self.boundaries[1]:.4f}"
        return text


class EnrichmentReport(result_of(EnrichmentResult)):
    """Operating characteristics of the two-stage enrichment design."""

    def summary(self) -> str:
        return _scalars_and_table(self, "Two-stage adaptive enrichment", table=False)


class StoredDesignRow(Result):
    """A stored design (latest version) in a listing."""

    name: str
    version: int
    created_by: str
    created_at: str
    type: str
    kmax: int
    critical_values: list[float]


class DesignList(Result):
    """Stored designs, latest version of each."""

    designs: list[StoredDesignRow]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([d.model_dump() for d in self.designs], columns=list(StoredDesignRow.model_fields))

    def summary(self) -> str:
        return "\n".join(
            f"{r.name}@{r.version}  {r.type} K={r.kmax}  by {r.created_by} {r.created_at}" for r in self.designs
        )


class StoredDesignContent(Result):
    """What a stored design holds: its spec, boundaries and characteristics."""

    spec: dict[str, Any]
    design: GroupSequentialDesign
    characteristics: DesignCharacteristics


class StoredDesign(Result):
    """One stored design version (``trial_design``)."""

    kind: str
    name: str
    version: int
    content: StoredDesignContent
    content_hash: str
    artifacts: dict[str, str]
    created_by: str
    created_at: str

    def summary(self) -> str:
        return f"trial_design {self.name}@{self.version} by {self.created_by} {self.created_at}\n" + (
            self.content.design.summary()
        )


class DesignReport(Result):
    """The HTML report of a stored design."""

    stored: str
    html: str

    def summary(self) -> str:
        return f"HTML report of trial_design {self.stored} ({len(self.html)} characters)"

    def _repr_html_(self) -> str:
        return self.html


class StoredSimulationRow(Result):
    """A stored simulation (latest version) in a listing."""

    name: str
    version: int
    created_by: str
    created_at: str
    endpoint: str
    power: float
    sims: int


class SimulationList(Result):
    """Stored simulations, latest version of each."""

    simulations: list[StoredSimulationRow]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([s.model_dump() for s in self.simulations], columns=list(StoredSimulationRow.model_fields))


class StoredSimulation(Result):
    """One stored simulation version (``trial_simulation``); ``content`` as stored."""

    kind: str
    name: str
    version: int
    content: dict[str, Any]
    content_hash: str
    artifacts: dict[str, str]
    created_by: str
    created_at: str


# --------------------------------------------------------------------------- use cases


def _design_result(design: GroupSequentialDesign, n_points: int = 21, **stored: Any) -> DesignResult:
    from pharmakon.trials.design.report import operating_characteristics

    oc = operating_characteristics(design, n_points=n_points)
    return DesignResult(
        design=design,
        text=design.summary(),
        characteristics=DesignCharacteristics(**oc["characteristics"]),
        stopping=Stopping(**oc["stopping"]),
        power_curve=PowerCurve(**oc["power_curve"]),
        **stored,
    )


def compute_design(spec: DesignSpec) -> DesignResult:
    """Boundaries, characteristics, stopping probabilities and power curve of ``spec`` (nothing stored)."""
    return _design_result(design_from_spec(spec))


def store_design(store: Any, spec: SaveDesignSpec, caller: Caller) -> DesignResult:
    """Compute ``spec.design`` and store it as a new version of ``trial_design/spec.name``.

    One transaction: the object (with its HTML report as an artifact, ``object.save``)
    and the ``trial.design`` audit event. Nothing is stored when the spec is invalid.
    """
    from pharmakon.store import record_event
    from pharmakon.trials.design.persist import KIND, save_design

    with store.session() as session:
        obj, design = save_design(session, name=spec.name, spec=spec.design, actor=caller.actor, reason=spec.reason)
        record_event(
            session,
            actor=caller.actor,
            action="trial.design",
            object_type=KIND,
            object_id=f"{obj.name}@{obj.version}",
            outputs={"content": obj.content_hash, **obj.artifacts},
            params={"design": spec.design.model_dump(mode="json", exclude_none=True), "channel": caller.channel},
            reason=spec.reason,
        )
    return _design_result(
        design, name=obj.name, version=obj.version, content_hash=obj.content_hash, stored=f"{obj.name}@{obj.version}"
    )


def compute_sample_size(spec: SampleSizeSpec) -> SampleSizeReport:
    """Sample size for means, rates or survival under ``spec.design`` (nothing stored)."""
    from pharmakon.trials.design.samplesize import sample_size_means, sample_size_rates
    from pharmakon.trials.design.survival import sample_size_survival

    design = design_from_spec(spec.design)
    h0 = {} if spec.theta_h0 is None else {"theta_h0": spec.theta_h0}
    if spec.endpoint == "means":
        if spec.alternative is None:
            raise InputError("means need 'alternative'", field="alternative")
        res = sample_size_means(
            design,
            spec.alternative,
            spec.stdev,
            groups=spec.groups,
            allocation_ratio=spec.allocation_ratio,
            normal_approximation=spec.normal_approximation,
            **h0,
        )
    elif spec.endpoint == "rates":
        if spec.pi1 is None:
            raise InputError("rates need 'pi1'", field="pi1")
        res = sample_size_rates(
            design,
            spec.pi1,
            spec.pi2,
            groups=spec.groups,
            allocation_ratio=spec.allocation_ratio,
            risk_ratio=spec.risk_ratio,
            **h0,
        )
    else:
        if spec.hazard_ratio is None:
            raise InputError("survival needs 'hazard_ratio'", field="hazard_ratio")
        res = sample_size_survival(
            design,
            spec.hazard_ratio,
            spec.control_hazard(),
            accrual_time=spec.accrual_time,
            follow_up_time=spec.follow_up_time,
            allocation_ratio=spec.allocation_ratio,
            dropout_rate1=spec.dropout,
            dropout_rate2=spec.dropout,
            dropout_time=spec.dropout_time,
            type_of_computation=spec.method,
            **h0,
        )
    return SampleSizeReport(**res.to_dict())


def simulate_design(
    store: Any, spec: SimulationSpec, caller: Caller, *, backend: Any = None, progress: Progress = None
) -> SimulationReport:
    """Simulate ``spec`` (and a power curve), store it as ``trial_simulation`` and audit ``trial.simulate``.

    ``backend`` (serial, local, ray, or an open executor) changes the speed, never the
    answer: the same seed gives the same numbers on every backend.
    """
    from pharmakon.store import record_event
    from pharmakon.trials.design.sim_store import SIM_KIND, save_simulation, simulate_operating_characteristics

    design = design_from_spec(spec.design)
    oc = simulate_operating_characteristics(
        design,
        spec.endpoint,
        spec.scenario(),
        spec.planned,
        sims=spec.sims,
        seed=spec.seed,
        curve_points=spec.curve,
        backend=backend,
        progress=progress,
    )
    request = spec.model_dump(mode="json", exclude={"reason"})
    name = spec.name or f"{spec.endpoint}-simulation"
    with store.session() as session:
        obj = save_simulation(
            session, name=name, design=design, oc=oc, spec=request, actor=caller.actor, reason=spec.reason
        )
        record_event(
            session,
            actor=caller.actor,
            action="trial.simulate",
            object_type=SIM_KIND,
            object_id=f"{obj.name}@{obj.version}",
            outputs={"content": obj.content_hash},
            params=request | {"channel": caller.channel},
            reason=spec.reason,
        )
    return SimulationReport(
        **oc["result"],
        power_curve=oc["power_curve"],
        name=obj.name,
        version=obj.version,
        content_hash=obj.content_hash,
        stored=f"{obj.name}@{obj.version}",
    )


def load_simulation_spec(path: Any, **overrides: Any) -> SimulationSpec:
    """A :class:`SimulationSpec` from a YAML file (``name``, ``design``, ``simulate``), with overrides.

    ``overrides`` given as None are ignored; the file's ``name`` (else its stem) names
    the stored simulation.
    """
    from pathlib import Path

    from pharmakon.trials.design.spec import check_keys

    data = load_spec(path)
    sim = dict(data.get("simulate") or {})
    endpoint = sim.get("endpoint", "rates")
    allowed = {
        "rates": ("endpoint", "pi1", "pi2", "planned", "sims", "seed"),
        "means": ("endpoint", "alternative", "stdev", "theta_h0", "planned", "sims", "seed"),
    }.get(endpoint)
    if allowed is None:
        raise InputError(f"endpoint must be rates or means, got {endpoint!r}", file=str(path), field="endpoint")
    check_keys(sim, allowed, f"simulate spec for {endpoint}", str(path))
    if "planned" not in sim:
        raise InputError("simulate needs 'planned' (cumulative total sample sizes)", file=str(path), field="planned")
    given = {k: v for k, v in overrides.items() if v is not None}
    values = {"name": data.get("name") or Path(path).stem, **sim, **given}
    return SimulationSpec.parse(values, design=data["design"], file=str(path))


def simulate_bayes(spec: BayesSpec, *, backend: Any = None, progress: Progress = None) -> BayesReport:
    """Bayesian adaptive multi-arm trial (RAR, arm dropping, posterior stopping), optionally calibrated first."""
    from pharmakon.executor import get_executor
    from pharmakon.trials.design.bayes_continuous import calibrate_continuous, simulate_bayesian_continuous
    from pharmakon.trials.design.bayesian import calibrate_efficacy, simulate_bayesian_multiarm

    binary = spec.p is not None
    values = spec.p if binary else spec.mu
    assert values is not None
    kw: dict[str, Any] = {"n_max": spec.n_max, "block": spec.block, "futility": spec.futility, "rar": spec.rar}
    if not binary:
        kw["sigma"] = spec.sigma
    run, calibrate = (
        (simulate_bayesian_multiarm, calibrate_efficacy)
        if binary
        else (simulate_bayesian_continuous, calibrate_continuous)
    )
    efficacy, cal = spec.efficacy, None
    with get_executor(backend or "serial") as executor:  # one pool for calibration and run
        if spec.calibrate is not None:
            cal = calibrate(
                [values[0]] * len(values), spec.calibrate, sims=spec.sims, seed=spec.seed, backend=executor, **kw
            )
            efficacy = cal["efficacy"]
        res = run(values, efficacy=efficacy, sims=spec.sims, seed=spec.seed, backend=executor, progress=progress, **kw)
    data = res.to_dict()
    data["assumptions"] = list(data.get("assumptions") or [])
    return BayesReport(endpoint="binary" if binary else "normal", calibration=cal, **data)


def simulate_dose_finding(
    spec: DoseFindingSpec, *, backend: Any = None, progress: Progress = None
) -> DoseFindingReport:
    """BOIN or CRM dose finding: simulated MTD selection probabilities and allocation."""
    from pharmakon.trials.design.boin import simulate_boin
    from pharmakon.trials.design.crm import simulate_crm

    kw = {
        "cohort_size": spec.cohort_size,
        "n_cohorts": spec.cohorts,
        "sims": spec.sims,
        "seed": spec.seed,
        "backend": backend or "serial",
        "progress": progress,
    }
    if spec.method == "boin":
        res = simulate_boin(spec.tox, spec.target, **kw)
    else:
        res = simulate_crm(spec.tox, spec.skeleton or [], spec.target, **kw)
    return DoseFindingReport(method=spec.method, **res.to_dict())


def simulate_enrichment_design(
    spec: EnrichmentSpec, *, backend: Any = None, progress: Progress = None
) -> EnrichmentReport:
    """Two-stage adaptive enrichment: P(enrich), rejection probabilities, expected N."""
    from pharmakon.trials.design.enrichment import simulate_enrichment

    res = simulate_enrichment(
        spec.effect_s,
        spec.effect_c,
        prevalence=spec.prevalence,
        n1=spec.n1,
        n2=spec.n2,
        futility_c=spec.futility_c,
        alpha=spec.alpha,
        sims=spec.sims,
        seed=spec.seed,
        backend=backend or "serial",
        progress=progress,
    )
    return EnrichmentReport(**res.to_dict())


def list_designs(store: Any) -> DesignList:
    """Stored designs, latest version of each."""
    from pharmakon.store import list_objects
    from pharmakon.trials.design.persist import KIND

    with store.read_session() as session:
        objs = list_objects(session, KIND)
    return DesignList(
        designs=[
            StoredDesignRow(
                name=o.name,
                version=o.version,
                created_by=o.created_by,
                created_at=o.created_at,
                type=o.content["design"]["type_of_design"],
                kmax=o.content["design"]["kmax"],
                critical_values=o.content["design"]["critical_values"],
            )
            for o in objs
        ]
    )


def _split(name: str, version: int | str | None) -> tuple[str, int | str | None]:
    base, _, ver = name.partition("@")
    return base, version if version is not None else (ver or None)


def show_design(store: Any, name: str, version: int | str | None = None) -> StoredDesign:
    """One stored design version (``NAME``, ``NAME@VERSION`` or an explicit ``version``; latest by default)."""
    from pharmakon.store import get_object
    from pharmakon.trials.design.persist import KIND

    base, ver = _split(name, version)
    with store.read_session() as session:
        obj = get_object(session, KIND, base, ver)
    return StoredDesign(**obj.to_dict())


def report_design(store: Any, name: str, version: int | str | None = None) -> DesignReport:
    """The HTML report (boundaries, characteristics, plots) of a stored design."""
    from pharmakon.trials.design.persist import load_design
    from pharmakon.trials.design.report import design_report_html

    base, ver = _split(name, version)
    with store.read_session() as session:
        obj, design = load_design(session, base, ver)
    stored = f"{obj.name}@{obj.version}"
    return DesignReport(stored=stored, html=design_report_html(design, stored))


def list_simulations(store: Any) -> SimulationList:
    """Stored simulations, latest version of each."""
    from pharmakon.store import list_objects
    from pharmakon.trials.design.sim_store import SIM_KIND

    with store.read_session() as session:
        objs = list_objects(session, SIM_KIND)
    return SimulationList(
        simulations=[
            StoredSimulationRow(
                name=o.name,
                version=o.version,
                created_by=o.created_by,
                created_at=o.created_at,
                endpoint=o.content["endpoint"],
                power=o.content["result"]["power"],
                sims=o.content["result"]["sims"],
            )
            for o in objs
        ]
    )


def show_simulation(store: Any, name: str, version: int | str | None = None) -> StoredSimulation:
    """One stored simulation version (latest by default)."""
    from pharmakon.store import get_object
    from pharmakon.trials.design.sim_store import SIM_KIND

    base, ver = _split(name, version)
    with store.read_session() as session:
        obj = get_object(session, SIM_KIND, base, ver)
    return StoredSimulation(**obj.to_dict())
