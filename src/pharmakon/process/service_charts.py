"""Univariate EWMA / CUSUM charts of one quality attribute as a service (``process.chart``).

One use case, :func:`control_chart`: a series (a column of a table, or posted values) in,
the chart statistic, its control limits, the alarms and the average run lengths of
the settings out. The in-control mean and sigma are given (``target``, ``sigma``) or
estimated from the first ``phase1`` samples (mean; mean moving range / 1.128), the
estimate then applied to the whole series. Audited as ``process.chart`` (inputs: the
series' hash; outputs: the chart table's hash; params: settings, counts, channel); with
``out`` the table is written as CSV, atomically, after its event is committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import ConfigDict, Field

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.results import Result
from pharmakon.specs import Spec

if TYPE_CHECKING:
    import pandas as pd

    from pharmakon.store import Store

__all__ = ["MAX_POINTS", "ChartOptions", "ChartSpec", "ChartValuesSpec", "ChartResult", "control_chart"]

#: Longest series one chart takes.
MAX_POINTS = 100_000
#: Alarm positions listed in a result (all alarms are in the table).
MAX_LISTED = 1_000
KIND = "process_chart"


class ChartOptions(Spec):
    """Settings of an EWMA or CUSUM chart (shared by a file and posted values)."""

    model_config = ConfigDict(allow_inf_nan=False)

    column: str = Field(min_length=1, max_length=200, description="The quality attribute (column name).")
    kind: Literal["ewma", "cusum"] = Field("ewma", description="ewma | cusum.")
    lam: float = Field(0.2, ge=0.01, le=1, description="EWMA weight λ of the newest sample (0.01 to 1).")
    L: float = Field(3.0, gt=0, le=6, description="EWMA limit width in sigmas of the statistic (up to 6).")
    k: float = Field(0.5, ge=0, le=5, description="CUSUM reference value (allowance), in sigmas.")
    h: float = Field(5.0, gt=0, le=50, description="CUSUM decision interval, in sigmas.")
    target: float | None = Field(None, ge=-1e12, le=1e12, description="In-control mean (default: phase I mean).")
    sigma: float | None = Field(
        None, gt=0, le=1e12, description="In-control SD (default: phase I mean moving range / 1.128)."
    )
    phase1: int | None = Field(
        None, ge=2, le=MAX_POINTS, description="Estimate what target/sigma leave open from the first N samples."
    )
    reason: str | None = Field(None, max_length=2000, description="Why (kept in the audit trail).")


class ChartSpec(ChartOptions):
    """``process chart``: a chart of one column of a table (rows in time order)."""

    data: Path = Field(description="Table (CSV/TSV/Parquet), one row per sample in time order.")
    out: Path | None = Field(None, description="Write the chart table here (CSV).")


class ChartValuesSpec(ChartOptions):
    """``POST /process/charts``: a chart of posted values (in time order)."""

    values: list[float] = Field(
        min_length=1, max_length=MAX_POINTS, description=f"The attribute's values in time order (1 to {MAX_POINTS:,})."
    )


class ChartResult(Result):
    """A control chart: settings, in-control parameters, ARLs, alarms and every point."""

    column: str
    kind: str
    n: int
    target: float
    sigma: float
    estimated: list[str] = Field(description="Which of target/sigma came from the phase I samples.")
    phase1: int | None
    settings: dict[str, float] = Field(description="lam and L (ewma) or k and h (cusum).")
    arl: dict[str, float] = Field(
        description="Average run length in samples for a mean shift of 0, 1 and 2 sigma (normal, independent data)."
    )
    alarms: int
    first_alarm: int | None = Field(description="1-based position of the first sample beyond a limit.")
    alarm_indices: list[int] = Field(description=f"1-based positions beyond a limit (the first {MAX_LISTED}).")
    points: list[dict[str, Any]] = Field(
        description="Per sample: index, value, the statistic(s), the limit(s), alarm (as in the CSV output)."
    )
    output: str | None = None

    def summary(self) -> str:
        s = ", ".join(f"{k}={v:g}" for k, v in self.settings.items())
        est = f" (estimated from the first {self.phase1}: {', '.join(self.estimated)})" if self.estimated else ""
        first = f"first at sample {self.first_alarm}" if self.first_alarm else "none"
        lines = [
            f"{self.kind.upper()} chart of {self.column}: {self.n} samples, {s}; target {self.target:.6g}, "
            f"sigma {self.sigma:.6g}{est}",
            f"  alarms: {self.alarms} ({first})",
            f"  ARL (normal, independent samples): in control {self.arl['in_control']:.0f}, "
            f"1-sigma shift {self.arl['shift_1sigma']:.1f}, 2-sigma shift {self.arl['shift_2sigma']:.1f}",
        ]
        if self.output:
            lines.append(f"  chart table -> {self.output}")
        return "\n".join(lines)


def _series(spec: ChartSpec | ChartValuesSpec) -> tuple[np.ndarray, str]:
    """The series, shape (n,), and the name of its source for error messages."""
    import pandas as pd

    from pharmakon.tables import read_table

    if isinstance(spec, ChartValuesSpec):
        return np.asarray(spec.values, float), "request body"
    file = str(spec.data)
    frame = read_table(spec.data)
    if spec.column not in frame.columns:
        raise InputError(f"column not found; columns: {list(frame.columns)[:20]}", file=file, field=spec.column)
    if len(frame) > MAX_POINTS:
        raise InputError(f"{len(frame):,} rows: a chart takes at most {MAX_POINTS:,}", file=file)
    raw = frame[spec.column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        what = "missing value" if pd.isna(raw.iloc[bad[0]]) else f"not a number: {str(raw.iloc[bad[0]])[:40]!r}"
        raise InputError(what, file=file, row=int(bad[0]) + 2, field=spec.column)
    return values, file


def _in_control(spec: ChartOptions, x: np.ndarray) -> tuple[float, float, list[str]]:
    """(target, sigma, which were estimated) from the spec and the phase I samples."""
    from pharmakon.process.charts import phase1_estimate

    missing = [name for name in ("target", "sigma") if getattr(spec, name) is None]
    if not missing:
        return float(spec.target), float(spec.sigma), []  # type: ignore[arg-type]
    if spec.phase1 is None:
        raise InputError(
            f"give --target and --sigma, or --phase1 N to estimate {' and '.join(missing)}", field="phase1"
        )
    if spec.phase1 > len(x):
        raise InputError(f"phase I of {spec.phase1} samples but the series has {len(x)}", field="phase1")
    mean, sd = phase1_estimate(x[: spec.phase1])
    if "sigma" in missing and not sd > 0:
        raise InputError("the phase I samples do not vary (moving range 0): give --sigma", field="phase1")
    target = mean if spec.target is None else float(spec.target)
    sigma = sd if spec.sigma is None else float(spec.sigma)
    if not (np.isfinite(target) and np.isfinite(sigma)):
        raise InputError("the phase I samples overflow (values too large)", field="phase1")
    return target, sigma, missing


def _table(spec: ChartOptions, x: np.ndarray, target: float, sigma: float) -> pd.DataFrame:
    """The chart table (one row per sample; columns by kind)."""
    import pandas as pd

    from pharmakon.process.charts import cusum_chart, ewma_chart

    index = np.arange(1, len(x) + 1)
    if spec.kind == "ewma":
        z, half, signal = ewma_chart(x, target, sigma, spec.lam, spec.L)
        cols = {"ewma": z, "lcl": target - half, "ucl": target + half}
    else:
        up, down, signal = cusum_chart(x, target, sigma, spec.k, spec.h)
        cols = {"cusum_upper": up, "cusum_lower": down, "limit": np.full(len(x), spec.h * sigma)}
    return pd.DataFrame({"index": index, "value": x, **cols, "alarm": signal})


def _arl(spec: ChartOptions) -> dict[str, float]:
    from pharmakon.process.charts import cusum_arl, ewma_arl

    def one(shift: float) -> float:
        return ewma_arl(spec.lam, spec.L, shift) if spec.kind == "ewma" else cusum_arl(spec.k, spec.h, shift)

    return {"in_control": one(0.0), "shift_1sigma": one(1.0), "shift_2sigma": one(2.0)}


def control_chart(store: Store, spec: ChartSpec | ChartValuesSpec, caller: Caller) -> ChartResult:
    """Compute an EWMA or CUSUM chart of one attribute; audited as ``process.chart``.

    Raises
    ------
    InputError
        Missing file or column, a non-numeric or empty value (file, row and field
        named), too long a series, no in-control parameters; nothing is written.
    """
    from pharmakon.files import atomic_path
    from pharmakon.hashing import sha256_bytes, sha256_frame
    from pharmakon.store import record_event

    x, _ = _series(spec)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is checked and reported below
        target, sigma, estimated = _in_control(spec, x)
        table = _table(spec, x, target, sigma)
    if not np.isfinite(table.drop(columns="alarm").to_numpy(float)).all():
        raise InputError("the chart overflows: values too large for their target and sigma", field=spec.column)
    settings = {"lam": spec.lam, "L": spec.L} if spec.kind == "ewma" else {"k": spec.k, "h": spec.h}
    alarm_at = (np.flatnonzero(table["alarm"].to_numpy()) + 1).tolist()
    out = spec.out if isinstance(spec, ChartSpec) else None
    params = {
        "column": spec.column,
        "kind": spec.kind,
        **settings,
        "target": target,
        "sigma": sigma,
        "estimated": estimated,
        "phase1": spec.phase1,
        "n": len(x),
        "alarms": len(alarm_at),
        "first_alarm": alarm_at[0] if alarm_at else None,
        "channel": caller.channel,
    }
    event = {
        "actor": caller.actor,
        "action": "process.chart",
        "object_type": KIND,
        "object_id": spec.column,
        # the values as float64 bytes: the same series from a file or a body hashes alike
        "inputs": {"values": sha256_bytes(np.ascontiguousarray(x).tobytes())},
        "outputs": {"chart": sha256_frame(table)},
        "params": params,
        "reason": spec.reason,
    }
    if out is None:
        with store.session() as session:
            record_event(session, **event)
    else:
        with atomic_path(out) as tmp, store.session() as session:  # the CSV appears after its event commits
            table.to_csv(tmp, index=False)
            record_event(session, **event)
    return ChartResult(
        column=spec.column,
        kind=spec.kind,
        n=len(x),
        target=target,
        sigma=sigma,
        estimated=estimated,
        phase1=spec.phase1,
        settings=settings,
        arl=_arl(spec),
        alarms=len(alarm_at),
        first_alarm=alarm_at[0] if alarm_at else None,
        alarm_indices=alarm_at[:MAX_LISTED],
        points=table.to_dict("records"),
        output=str(out) if out else None,
    )
