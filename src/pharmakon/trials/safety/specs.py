"""Request specs of the drug-safety use cases (:mod:`pharmakon.trials.safety.service`): defaults live here, once.

The CLI reads its options' defaults from these classes; the REST API takes them as
request bodies; the workbench builds them from its forms. :func:`pharmakon.specs.build_spec`
turns a bad value into an :class:`~pharmakon.errors.InputError` naming the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PlainSerializer, WrapValidator, field_validator

from pharmakon.specs import Spec

__all__ = [
    "Method",
    "Format",
    "Role",
    "ReviewStatus",
    "NAME_PATTERN",
    "MAX_ROWS",
    "MAX_RECORDS",
    "MAX_COUNT",
    "SafetySpec",
    "ReportsPolicy",
    "ReportFileSpec",
    "IngestSpec",
    "SignalOptions",
    "SignalsFileSpec",
    "ReportRow",
    "SignalsRowsSpec",
    "ReviewBody",
    "ReviewSpec",
    "TableQuery",
    "MonitorRuleSpec",
    "RuleSet",
    "StartMonitorSpec",
    "StreamBatch",
    "AppendEventsSpec",
    "MonitorRunSpec",
    "SimulateSpec",
]

Method = Literal["ebgm", "prr", "ror", "ic"]
Format = Literal["caers", "faers", "long", "counts"]
Role = Literal["PS", "SS", "C", "I"]
ReviewStatus = Literal["open", "reviewed", "dismissed"]
#: Names of stored signal tables and monitored trials (the store's object names).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,255}$"
#: Report rows per request body (files of any size: ``pharmakon safety signals``).
MAX_ROWS = 200_000
#: Stream records per request body.
MAX_RECORDS = 100_000
#: Largest count or offset a query takes.
MAX_COUNT = 10**12


class SafetySpec(Spec):
    """Base of the safety request specs: unknown fields are refused, numbers must be finite."""

    model_config = ConfigDict(allow_inf_nan=False)


class ReportsPolicy(SafetySpec):
    """How report rows are cleaned and what a bad row does."""

    normalise: bool | None = Field(
        None,
        description="Normalise drug names (upper case, salt/ester suffixes, synonyms); "
        "None: the format's default (on for faers/long, off for caers brand names).",
    )
    strict: bool = Field(False, description="Fail on any bad row (else bad rows are listed and skipped).")


class ReportFileSpec(ReportsPolicy):
    """Adverse-event reports in a file (or a FAERS folder)."""

    input: Path = Field(description="Input file, or the folder of a FAERS quarterly extract.")
    format: Format = Field(
        "long",
        description="caers (openEBGM id,var1,var2,strat*), faers (quarterly $-delimited DEMO/DRUG/REAC "
        "folder), long (report,drug,event CSV/Parquet), counts (drug,event,n,n_drug,n_event,n_total).",
    )
    synonyms: Path | None = Field(None, description="CSV with columns name,canonical for drug names.")
    roles: list[Role] = Field(["PS", "SS"], min_length=1, description="FAERS drug role codes kept.")


class IngestSpec(ReportFileSpec):
    """``safety ingest``: reports -> the long table ``report, drug, event (+ strata)`` as Parquet."""

    output: Path = Field(description="Long table to write (Parquet).")


class SignalOptions(SafetySpec):
    """What the signal table scores."""

    methods: list[Method] = Field(["ebgm", "prr", "ror", "ic"], min_length=1, description="Methods to score.")
    strata: list[str] = Field([], max_length=16, description="Stratify expected counts (MGPS, IC) by these columns.")
    squash: bool | None = Field(
        None, description="Fit MGPS on squashed data (openEBGM autoSquash); None: when there are > 20,000 pairs."
    )

    @field_validator("methods")
    @classmethod
    def _unique_methods(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class SignalsFileSpec(ReportFileSpec, SignalOptions):
    """``safety signals``: score the reports of a file; optionally write the CSV and store the table."""

    output: Path | None = Field(None, description="Signal table CSV to write.")
    name: str | None = Field(None, pattern=NAME_PATTERN, description="Also store the table under this name.")


class ReportRow(BaseModel):
    """One report row of the long layout; any further fields are strata (kept as text)."""

    model_config = ConfigDict(extra="allow")

    report: str
    drug: str
    event: str


class SignalsRowsSpec(ReportsPolicy, SignalOptions):
    """``POST /safety/tables``: score posted report rows (long layout) and store the table as ``name``."""

    name: str = Field(pattern=NAME_PATTERN, description="Store the table under this name.")
    rows: list[ReportRow] = Field(min_length=1, max_length=MAX_ROWS)


class ReviewBody(SafetySpec):
    """A review decision on one pair (the REST body; the table is in the URL)."""

    drug: str = Field(min_length=1, description="Drug as in the table.")
    event: str = Field(min_length=1, description="Event (MedDRA PT) as in the table.")
    status: ReviewStatus
    reason: str = Field(max_length=2000, description="Why (required, audited).")

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a reason is required for every review decision")
        return value.strip()


class ReviewSpec(ReviewBody):
    """``safety review``: mark a pair of a stored table reviewed, dismissed or open."""

    table: str = Field(description="Stored signal table name.")


class TableQuery(SafetySpec):
    """Filter and page of a stored signal table (vectorised over the whole table)."""

    name: str
    method: Method | None = Field(None, description="Only pairs flagged by this method.")
    flagged: bool = Field(True, description="Only pairs flagged by any method.")
    drug: str | None = Field(None, description="Substring of the drug, case-insensitive.")
    event: str | None = Field(None, description="Substring of the event, case-insensitive.")
    min_n: int = Field(0, ge=0, le=MAX_COUNT, description="Pairs with at least this many reports.")
    status: ReviewStatus | None = Field(None, description="Only pairs with this review status.")
    limit: int = Field(100, ge=1, le=5000)
    offset: int = Field(0, ge=0, le=MAX_COUNT)


class MonitorRuleSpec(BaseModel):
    """One monitoring rule, typed (:class:`~pharmakon.trials.safety.monitoring.MonitorRule` checks the rest).

    ``null`` is kept (``control: null`` with a ``historical_rate`` compares with history).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=128, description="Unique rule name (alerts, audit trail).")
    event: str = Field("any", min_length=1, max_length=256, description="Event term (case-insensitive) or 'any'.")
    model: Literal["beta_binomial", "gamma_poisson", "maxsprt"] = "beta_binomial"
    arm: str = Field("treatment", min_length=1, max_length=128, description="Arm monitored.")
    control: str | None = Field("control", max_length=128, description="Comparator arm (null: historical_rate).")
    historical_rate: float | None = Field(
        None, gt=0, le=1e6, description="Historical proportion (beta-binomial) or events per subject-day."
    )
    threshold: float = Field(1.0, gt=0, le=1e6, description="Risk-ratio threshold of P(RR > threshold).")
    cutoff: float = Field(0.95, gt=0, lt=1, description="Posterior probability that raises an alert.")
    a0: float = Field(0.5, gt=0, le=1e6, description="Prior a0 (beta) or shape (gamma).")
    b0: float = Field(0.5, gt=0, le=1e6, description="Prior b0 (beta) or rate per subject-day (gamma).")
    min_events: int = Field(3, ge=0, le=10_000, description="No alert before the arm has this many events.")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="MaxSPRT one-sided level.")
    max_expected: float = Field(
        20.0,
        gt=0,
        le=200,
        description="MaxSPRT upper limit of the expected count under H0 (its Monte Carlo grows with it).",
    )


def _rule_mapping(value: Any, handler: Any) -> dict[str, Any]:
    """Type-check a rule as :class:`MonitorRuleSpec`; keep it a mapping of the keys given (the service's input)."""
    if isinstance(value, MonitorRuleSpec):
        return value.model_dump(exclude_unset=True)
    return handler(value).model_dump(exclude_unset=True)


#: A rule as the request gives it, checked against :class:`MonitorRuleSpec`.
Rule = Annotated[MonitorRuleSpec, WrapValidator(_rule_mapping), PlainSerializer(lambda rule: rule)]


class RuleSet(SafetySpec):
    """Monitoring rules (see :class:`MonitorRuleSpec` for keys, bounds and defaults)."""

    rules: list[Rule] = Field(min_length=1, max_length=1000)


class StartMonitorSpec(RuleSet):
    """Start (or restart, as a new version) monitoring a trial."""

    trial: str = Field(pattern=NAME_PATTERN)


class StreamBatch(SafetySpec):
    """Stream records ``enroll`` / ``ae`` / ``exit`` (time in days from study start, not decreasing)."""

    records: list[dict[str, JsonValue]] = Field(min_length=1, max_length=MAX_RECORDS)


class AppendEventsSpec(StreamBatch):
    """Append records to a monitored trial."""

    trial: str = Field(pattern=NAME_PATTERN)


class MonitorRunSpec(RuleSet):
    """``safety monitor``: replay a whole stream through fresh rules."""

    trial: str = Field("trial", pattern=NAME_PATTERN, description="Trial name for the audit trail and store.")
    save: bool = Field(True, description="Store the monitor state, its records and the DSMB report.")
    report: bool = Field(False, description="Build the DSMB-style HTML report (kept in the result).")
    source: str | None = Field(None, description="Name of the stream, for error messages.")


class SimulateSpec(RuleSet):
    """``safety simulate``: operating characteristics of the rules by simulated two-arm trials."""

    rr: list[Annotated[float, Field(le=1e6)]] = Field(
        [1.0, 2.0, 3.0], min_length=1, max_length=1000, description="True risk ratios (1 = no excess)."
    )
    n_sims: int = Field(200, ge=1, le=100_000, description="Simulated trials per risk ratio.")
    n_per_arm: int = Field(100, ge=1, le=100_000, description="Subjects per arm.")
    base_rate: float = Field(0.002, gt=0.0, le=1.0, description="Control-arm events per subject-day.")
    seed: int = Field(0, ge=0, lt=2**63)

    @field_validator("rr")
    @classmethod
    def _positive(cls, value: list[float]) -> list[float]:
        if any(not v > 0 for v in value):
            raise ValueError("risk ratios must be > 0")
        return value
