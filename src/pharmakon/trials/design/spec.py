"""The request specs of trial design (one per use case), and the machinery that checks them.

Every front end builds these specs and hands them to :mod:`pharmakon.trials.design.service`.

:class:`DesignSpec` is what a user writes down for a group-sequential design (YAML,
JSON body, CLI options, workbench form); :func:`design_from_spec` turns it into a
:class:`GroupSequentialDesign`. Defaults are rpact's ``getDesignGroupSequential``
defaults (``kMax = 3``, ``alpha = 0.025``, ``beta = 0.2``, ``sided = 1``,
``typeOfDesign = "OF"``, equally spaced information, no futility bounds) and live here
only. Unknown keys are refused with the closest valid key as a hint, so a typo such as
``alhpa`` can never silently fall back to a default.

Example YAML::

    design:
      kmax: 3
      alpha: 0.025
      spending: asOF
      information_rates: [0.33, 0.67, 1]
    simulate:
      endpoint: rates
      pi1: 0.5
      pi2: 0.3
      planned: [100, 200, 300]
      sims: 1000000
      seed: 42
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from pharmakon.errors import InputError
from pharmakon.specs import Spec, unknown_key_error

if TYPE_CHECKING:  # the science is imported when a design is built: the specs stay cheap to import
    from pharmakon.trials.design.groupsequential import GroupSequentialDesign

__all__ = [
    "DESIGN_KEYS",
    "SIMULATE_KEYS",
    "Spec",
    "DesignSpec",
    "SaveDesignSpec",
    "SampleSizeInputs",
    "SampleSizeSpec",
    "SimulationSpec",
    "BayesSpec",
    "DoseFindingSpec",
    "EnrichmentSpec",
    "design_from_spec",
    "load_spec",
    "check_keys",
    "parse_rates",
]

#: spec key -> design_group_sequential keyword
DESIGN_KEYS = {
    "kmax": "kmax",
    "alpha": "alpha",
    "beta": "beta",
    "sided": "sided",
    "spending": "type_of_design",
    "gamma": "gamma_a",
    "delta_wt": "delta_wt",
    "information_rates": "information_rates",
    "futility": "type_beta_spending",
    "gamma_b": "gamma_b",
    "binding": "binding_futility",
    "futility_bounds": "futility_bounds",
    "user_alpha_spending": "user_alpha_spending",
    "user_beta_spending": "user_beta_spending",
    "optimization_criterion": "optimization_criterion",
    "delta_pt1": "delta_pt1",
    "delta_pt0": "delta_pt0",
}
SIMULATE_KEYS = ("endpoint", "pi1", "pi2", "alternative", "stdev", "theta_h0", "planned", "sims", "seed")


#: Largest magnitude of a quantity in endpoint or time units (beyond it the arithmetic overflows).
BIG = 1e6
Finite = Annotated[float, Field(ge=-BIG, le=BIG)]
Z = Annotated[float, Field(ge=-10, le=10)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(gt=0, le=1)]


class _Spec(Spec):
    """Base of the trial-design specs: numbers must be finite (no NaN or infinity)."""

    model_config = ConfigDict(allow_inf_nan=False)


def check_keys(spec: Mapping[str, Any], allowed: Any, where: str, file: str | None = None) -> None:
    """Refuse keys not in ``allowed``, naming the closest valid one."""
    allowed = list(allowed)
    for key in spec:
        if key not in allowed:
            raise unknown_key_error(str(key), allowed, where, file)


def parse_rates(text: str | None, field: str = "information_rates") -> list[float] | None:
    """``"0.3,0.7,1"`` -> ``[0.3, 0.7, 1.0]`` (None and "" give None)."""
    if text is None or text == "":
        return None
    try:
        return [float(x) for x in str(text).replace(" ", "").split(",") if x]
    except ValueError as exc:
        raise InputError(f"expected comma-separated numbers, got {text!r}", field=field) from exc


class DesignSpec(_Spec):
    """A group-sequential design (rpact ``getDesignGroupSequential`` defaults).

    Boundaries are on the z-scale; ``alpha`` is the one-sided level, or the two-sided
    total when ``sided = 2``.
    """

    what: ClassVar[str] = "design spec"

    kmax: int = Field(3, ge=1, le=20, description="Number of looks K (information rates default to k/K).")
    alpha: float = Field(0.025, gt=0, lt=0.5, description="Type I error (two-sided total when sided = 2).")
    beta: float = Field(0.2, gt=0, lt=1, description="Type II error (1 - power); used by beta spending and ASN.")
    sided: int = Field(1, ge=1, le=2, description="1 (one-sided upper) or 2.")
    spending: str = Field(
        "OF",
        max_length=16,
        description="Design type: OF, P, WT, WToptimum, PT, HP, asOF, asP, asKD, asHSD, asUser.",
    )
    gamma: float | None = Field(
        None, ge=-10, le=10, description="Parameter of asKD (rho) / asHSD (gamma) alpha spending."
    )
    delta_wt: float | None = Field(
        None, ge=-0.5, le=1, description="Delta of Wang-Tsiatis (WT) designs (0 = OF, 0.5 = Pocock)."
    )
    information_rates: list[Rate] | None = Field(
        None, max_length=20, description="Cumulative information fractions, increasing, last = 1 (or '0.3,0.7,1')."
    )
    futility: str = Field("none", max_length=16, description="Beta spending: none, bsOF, bsP, bsKD, bsHSD, bsUser.")
    gamma_b: float | None = Field(None, ge=-10, le=10, description="Parameter of bsKD / bsHSD beta spending.")
    binding: bool = Field(False, description="Binding futility bounds (they lower the critical values).")
    futility_bounds: list[Z] | None = Field(None, max_length=19, description="Fixed futility bounds (z).")
    user_alpha_spending: list[Fraction] | None = Field(None, max_length=20, description="Cumulative alpha (asUser).")
    user_beta_spending: list[Fraction] | None = Field(None, max_length=20, description="Cumulative beta (bsUser).")
    optimization_criterion: str | None = Field(None, max_length=16, description="WToptimum: ASNH1, ASNIFH1, ASNsum.")
    delta_pt1: float | None = Field(None, ge=-0.5, le=1, description="Pampallona-Tsiatis (PT) efficacy shape.")
    delta_pt0: float | None = Field(None, ge=-0.5, le=1, description="Pampallona-Tsiatis (PT) futility shape.")

    @model_validator(mode="before")
    @classmethod
    def _kmax_from_rates(cls, data: Any) -> Any:
        """Without ``kmax``, the number of information rates sets it."""
        if isinstance(data, Mapping) and data.get("kmax") is None and data.get("information_rates"):
            rates = cls._rates(data["information_rates"])
            if isinstance(rates, list):
                return {**data, "kmax": len(rates)}
        return data

    @field_validator("information_rates", "futility_bounds", "user_alpha_spending", "user_beta_spending", mode="before")
    @classmethod
    def _rates(cls, value: Any) -> Any:
        """Comma-separated text (CLI, forms) is accepted for number lists."""
        if isinstance(value, str):
            return parse_rates(value) if value.strip() else None
        return value

    @field_validator("alpha", "beta")
    @classmethod
    def _not_tiny(cls, value: float, info: Any) -> float:
        """rpact's lower limit: below 1e-6 the boundary and sample-size arithmetic leaves floating point."""
        if value < 1e-6:
            raise ValueError(f"{info.field_name} must be at least 1e-6")
        return value

    @field_validator("futility", mode="before")
    @classmethod
    def _no_futility(cls, value: Any) -> Any:
        return "none" if value in ("", False) else value

    def design_kwargs(self) -> dict[str, Any]:
        """The given values as ``design_group_sequential`` keywords."""
        return {DESIGN_KEYS[k]: v for k, v in self.model_dump(exclude_none=True).items()}


def design_from_spec(spec: DesignSpec | Mapping[str, Any], file: str | None = None) -> GroupSequentialDesign:
    """Build a design from a :class:`DesignSpec` or a mapping with its keys.

    Raises
    ------
    InputError
        Unknown key (with a suggestion), or a value outside its allowed range.
    """
    if not isinstance(spec, DesignSpec):
        spec = DesignSpec.parse(spec, file=file)
    kwargs = spec.design_kwargs()
    try:
        return _build(kwargs, file)
    except InputError as exc:
        if file is None:
            raise
        raise InputError(exc.message, file=file) from None
    except (ValueError, ArithmeticError) as exc:  # a boundary search with no root at these extremes
        raise InputError(
            f"no {spec.spending} design exists for these parameters (the boundary search failed: {exc})", file=file
        ) from exc


def _build(kwargs: dict[str, Any], file: str | None) -> GroupSequentialDesign:
    from pharmakon.trials.design.groupsequential import design_group_sequential

    if kwargs.get("type_of_design") == "WToptimum" or "optimization_criterion" in kwargs:
        from pharmakon.trials.design.optimum import design_wt_optimum

        kwargs.pop("type_of_design", None)
        if kwargs.get("type_beta_spending") == "none":
            kwargs.pop("type_beta_spending")
        if kwargs.get("binding_futility") is False:
            kwargs.pop("binding_futility")
        extra = set(kwargs) - {"kmax", "alpha", "beta", "sided", "information_rates", "optimization_criterion"}
        if extra:
            raise InputError(f"WToptimum takes no {', '.join(sorted(extra))}", file=file, field=sorted(extra)[0])
        return design_wt_optimum(**kwargs)
    if kwargs.get("type_of_design") == "PT":
        from pharmakon.trials.design.pampallona import design_pampallona_tsiatis

        kwargs.pop("type_of_design")
        if kwargs.pop("sided", 1) != 1 or kwargs.pop("type_beta_spending", "none") != "none":
            raise InputError(
                "PT designs here are one-sided, with their own futility bounds", file=file, field="spending"
            )
        return design_pampallona_tsiatis(**kwargs)
    pt_only = sorted({"delta_pt1", "delta_pt0"} & set(kwargs))
    if pt_only:
        raise InputError(f"{pt_only[0]} applies to Pampallona-Tsiatis designs only (spending: PT)", field=pt_only[0])
    positional = ("kmax", "alpha", "beta", "sided", "type_of_design", "information_rates")
    args = {k: kwargs.pop(k) for k in positional if k in kwargs}
    return design_group_sequential(**args, **kwargs)


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a YAML (or JSON) spec with top-level ``design`` and optional ``simulate`` and ``name``."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read spec: {exc}", file=str(p)) from exc
    if not isinstance(data, dict):
        raise InputError("spec must be a mapping with a 'design' section", file=str(p))
    check_keys(data, ("design", "simulate", "name"), "spec", str(p))
    if not isinstance(data.get("design"), dict):
        raise InputError("spec needs a 'design' mapping", file=str(p), field="design")
    if "simulate" in data:
        if not isinstance(data["simulate"], dict):
            raise InputError("'simulate' must be a mapping", file=str(p), field="simulate")
        check_keys(data["simulate"], SIMULATE_KEYS, "simulate spec", str(p))
    return data


#: Object names as the store accepts them.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,255}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=256)]
Reason = Annotated[str | None, Field(None, max_length=2000, description="Why (kept in the audit trail).")]
Sims = Annotated[int, Field(ge=1, le=10_000_000, description="Simulated trials.")]
Seed = Annotated[
    int, Field(ge=0, lt=2**63, description="Root seed: the same seed gives the same answer on any backend.")
]


def _numbers(value: Any) -> Any:
    return parse_rates(value) if isinstance(value, str) else value


class SaveDesignSpec(_Spec):
    """Store the design of ``design`` as a new version of ``trial_design/name``."""

    name: Name
    design: DesignSpec = Field(default_factory=DesignSpec)
    reason: Reason = None


class SampleSizeInputs(_Spec):
    """Sample-size inputs shared by the three endpoints (the REST body; the endpoint is in the URL).

    ``design`` is a fixed (single-look) design unless it gives ``kmax`` or
    ``information_rates``. Times are in the user's time unit (e.g. months).
    """

    design: DesignSpec = Field(default_factory=lambda: DesignSpec(kmax=1))
    alternative: float | None = Field(
        None, ge=-BIG, le=BIG, description="Means: mean difference (or ratio) under H1, endpoint units."
    )
    stdev: float = Field(1.0, gt=0, le=BIG, description="Means: standard deviation, endpoint units.")
    pi1: float | None = Field(None, gt=0, lt=1, description="Rates: H1 rate of the treatment / single group.")
    pi2: float | None = Field(None, gt=0, lt=1, description="Rates: control rate (two groups).")
    hazard_ratio: float | None = Field(None, ge=0.001, le=1000, description="Survival: hazard ratio under H1.")
    median2: float | None = Field(
        None, ge=0.001, le=10_000, description="Survival: control median survival (time units)."
    )
    accrual_time: float = Field(12.0, ge=0.001, le=10_000, description="Survival: accrual duration (time units).")
    follow_up_time: float = Field(12.0, ge=0, le=10_000, description="Survival: follow-up after accrual (time units).")
    dropout: float = Field(0.0, ge=0, lt=1, description="Survival: P(drop out by dropout_time), both arms.")
    dropout_time: float = Field(
        12.0, ge=0.001, le=10_000, description="Survival: time (units) at which dropout applies."
    )
    method: Literal["Schoenfeld", "Freedman", "HsiehFreedman"] = Field("Schoenfeld", description="Survival formula.")
    groups: int = Field(2, ge=1, le=2, description="1 or 2 groups.")
    allocation_ratio: float = Field(1.0, ge=0.001, le=1000, description="n1 / n2.")
    theta_h0: float | None = Field(
        None,
        ge=-BIG,
        le=BIG,
        description="H0 value: 0 for differences, 1 for ratios and hazard ratios (the default when not given).",
    )
    normal_approximation: bool = Field(True, description="Means: z-test (True) or exact t power (False).")
    risk_ratio: bool = Field(False, description="Rates: test pi1 / pi2 against theta_h0.")

    @model_validator(mode="before")
    @classmethod
    def _fixed_design(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("design"), Mapping):
            design = data["design"]
            if design.get("kmax") is None and not design.get("information_rates"):
                return {**data, "design": {**design, "kmax": 1}}
        return data

    @model_validator(mode="after")
    def _effect_in_range(self) -> SampleSizeInputs:
        """Means: a standardised effect below 1e-6 (or above 1e3) SD has no sample size that floats can hold."""
        if self.alternative is not None:
            effect = abs(self.alternative - (self.theta_h0 or 0.0)) / self.stdev
            if 0 < effect < 1e-6 or effect > 1e3:
                raise ValueError(
                    f"|alternative - theta_h0| / stdev must be in [1e-6, 1000] standard deviations, got {effect:g}"
                )
        return self

    def control_hazard(self) -> float:
        """Survival: the control hazard ``ln 2 / median2`` (per time unit, exponential)."""
        if self.median2 is None:
            raise InputError("survival needs a positive 'median2'", field="median2")
        return math.log(2.0) / self.median2


class SampleSizeSpec(SampleSizeInputs):
    """Sample size for ``endpoint`` (means, rates or survival), fixed or group-sequential."""

    endpoint: Literal["means", "rates", "survival"]


class SimulationSpec(_Spec):
    """Simulate a two-arm group-sequential trial (rpact ``getSimulationRates`` / ``getSimulationMeans``).

    ``planned`` are cumulative total sample sizes (both arms, 1:1) at each look.
    """

    design: DesignSpec = Field(default_factory=DesignSpec)
    endpoint: Literal["rates", "means"] = "rates"
    pi1: float = Field(0.5, gt=0, lt=1, description="Rates: treatment response rate.")
    pi2: float = Field(0.2, gt=0, lt=1, description="Rates: control response rate (rpact's default 0.2).")
    alternative: float = Field(0.5, ge=-BIG, le=BIG, description="Means: true mean difference, endpoint units.")
    stdev: float = Field(1.0, gt=0, le=BIG, description="Means: known standard deviation, endpoint units.")
    theta_h0: float = Field(0.0, ge=-BIG, le=BIG, description="Means: mean difference under H0.")
    planned: list[Annotated[int, Field(gt=0, le=10_000_000)]] = Field(
        default_factory=lambda: [100, 200, 300], min_length=1, max_length=20
    )
    sims: Sims = 100_000
    seed: Seed = 0
    curve: int = Field(0, ge=0, le=101, description="Also simulate a power curve at this many effects (0: none).")
    name: Name | None = Field(None, description="Store as trial_simulation NAME (default '<endpoint>-simulation').")
    reason: Reason = None

    @field_validator("planned", mode="before")
    @classmethod
    def _planned(cls, value: Any) -> Any:
        return _numbers(value)

    def scenario(self) -> dict[str, float]:
        """The endpoint's true parameters."""
        if self.endpoint == "rates":
            return {"pi1": self.pi1, "pi2": self.pi2}
        return {"alternative": self.alternative, "stdev": self.stdev, "theta_h0": self.theta_h0}


class BayesSpec(_Spec):
    """Bayesian adaptive multi-arm trial: binary (``p``) or normal (``mu``) endpoint, control first."""

    p: list[Fraction] | None = Field(None, min_length=2, max_length=20, description="Binary: true response rates.")
    mu: list[Finite] | None = Field(None, min_length=2, max_length=20, description="Normal: true means.")
    sigma: float = Field(1.0, gt=0, le=BIG, description="Normal: known SD (outcome units).")
    n_max: int = Field(200, ge=2, le=100_000, description="Maximum total patients.")
    block: int = Field(40, ge=1, le=100_000, description="Patients per interim block.")
    efficacy: float = Field(0.99, gt=0, lt=1, description="Posterior P(arm > control) to stop for efficacy.")
    futility: float = Field(0.05, ge=0, lt=1, description="Drop an arm below this posterior probability.")
    rar: bool = Field(True, description="Thompson-type response-adaptive randomisation (else equal).")
    calibrate: float | None = Field(None, gt=0, lt=0.5, description="Calibrate efficacy to this type I error first.")
    sims: Sims = 10_000
    seed: Seed = 0

    @field_validator("p", "mu", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _numbers(value)

    @model_validator(mode="after")
    def _one_endpoint(self) -> BayesSpec:
        if (self.p is None) == (self.mu is None):
            raise ValueError("give exactly one of p (binary endpoint) or mu (normal endpoint)")
        return self


class DoseFindingSpec(_Spec):
    """Dose finding by BOIN or CRM: simulated MTD selection and allocation."""

    tox: list[Fraction] = Field(min_length=2, max_length=50, description="True DLT probability per dose.")
    method: Literal["boin", "crm"] = "boin"
    skeleton: list[Rate] | None = Field(None, max_length=50, description="CRM: prior DLT guesses per dose.")
    target: float = Field(0.3, gt=0, lt=1, description="Target DLT rate.")
    cohort_size: int = Field(3, ge=1, le=100, description="Patients per cohort.")
    cohorts: int = Field(10, ge=1, le=1000, description="Number of cohorts.")
    sims: Sims = 10_000
    seed: Seed = 0

    @field_validator("tox", "skeleton", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _numbers(value)

    @model_validator(mode="after")
    def _skeleton(self) -> DoseFindingSpec:
        if self.method == "crm" and self.skeleton is None:
            raise ValueError("CRM needs a skeleton (prior DLT guesses per dose)")
        return self


class EnrichmentSpec(_Spec):
    """Two-stage adaptive enrichment (Bonferroni + inverse-normal combination), mean differences."""

    effect_s: float = Field(ge=-100, le=100, description="Mean difference in the subgroup (outcome SD units).")
    effect_c: float = Field(ge=-100, le=100, description="Mean difference in the complement (outcome SD units).")
    prevalence: float = Field(0.4, gt=0, lt=1, description="Subgroup share of the population.")
    n1: int = Field(100, ge=1, le=10_000_000, description="Stage-1 patients per arm.")
    n2: int = Field(100, ge=1, le=10_000_000, description="Stage-2 patients per arm.")
    futility_c: float = Field(
        0.0, ge=-10, le=10, description="Enrich (drop the complement) if its stage-1 z is below this."
    )
    alpha: float = Field(0.025, gt=0, lt=0.5, description="One-sided type I error.")
    sims: Sims = 100_000
    seed: Seed = 0
