"""Process monitoring as a service: fit a monitor, run it on a stream, feed it posted samples.

Each use case takes a typed spec, the store and the :class:`~pharmakon.caller.Caller`,
and writes its audit events (``params["channel"]`` = the caller's channel):

- ``process.fit``: a new version of ``process_monitor/<name>`` (content: method,
  settings, variables, limits, persistence rule; artifact ``monitor.joblib``), in the
  same transaction as the store write;
- ``process.alarm``: one event per alarm onset (index, T², SPE, limits, top contributions);
- ``process.monitor`` (a file/stdin run) and ``process.samples`` (a posted batch): counts.

The soft sensor and the digital twin are in :mod:`pharmakon.process.service_models`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, field_validator

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.results import Result
from pharmakon.specs import Spec

if TYPE_CHECKING:
    from pharmakon.store import Store

__all__ = [
    "NAME_PATTERN",
    "MAX_BATCH",
    "RECOMMENDED",
    "FitOptions",
    "FitSpec",
    "FitRowsSpec",
    "FitResult",
    "fit_monitor",
    "MonitorSpec",
    "MonitorRunResult",
    "run_monitor",
    "SamplesBody",
    "SamplesSpec",
    "SamplesResult",
    "AlarmInfo",
    "feed_samples",
    "MonitorInfo",
    "list_monitors",
    "show_monitor",
    "list_alarms",
    "load_monitor",
    "MonitorView",
    "monitor_view",
    "save_snapshot",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,255}$"
#: Samples per posted batch.
MAX_BATCH = 100_000
#: The method recommended for fault detection (the benchmark's best on Tennessee Eastman,
#: bench/process.py): dynamic PCA, 2 lags, 21 components, 99.5 % limits, alarm on 4 of 6.
RECOMMENDED: dict[str, Any] = {"method": "dpca", "components": 21, "lags": 2, "alpha": 0.995, "k": 4, "n": 6}
Method = Literal["pca", "dpca", "pls", "kpca"]
KIND = "process_monitor"


class _Spec(Spec):
    model_config = ConfigDict(allow_inf_nan=False)


# -- fit ------------------------------------------------------------------------------------------


class FitOptions(_Spec):
    """The settings of a monitor fit (shared by a file and posted rows)."""

    name: str = Field(pattern=NAME_PATTERN, description="Name of the monitor model in the store.")
    method: Method | None = Field(
        None, description="pca | dpca | pls | kpca; default: the recommended one (dpca, 2 lags, 21 components)."
    )
    components: int | None = Field(
        None, ge=1, le=500, description="Retained components; default: eigenvalue > 1 (pca/dpca), 4 (pls), 20 (kpca)."
    )
    lags: int | None = Field(None, ge=1, le=20, description="Lags of dynamic PCA (default 2).")
    alpha: float | None = Field(None, gt=0.5, lt=1, description="Confidence of the control limits (default 0.99).")
    columns: list[str] | None = Field(
        None, max_length=2000, description="Process variables (default: every numeric column but identifiers/quality)."
    )
    quality: list[str] | None = Field(
        None, max_length=50, description="Quality variables for pls (default: the last numeric column)."
    )
    persistence_k: int | None = Field(None, ge=1, le=100, description="Alarm when k of the last n samples exceed.")
    persistence_n: int | None = Field(None, ge=1, le=100, description="Window n of the persistence rule.")
    width: float | None = Field(None, gt=0, le=1000, description="kpca kernel width factor c (gamma = 1/(c m)).")
    reason: str | None = Field(None, max_length=2000, description="Why (kept in the audit trail).")

    @field_validator("columns", "quality")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("column names must be unique")
        return value


class FitSpec(FitOptions):
    """``process fit``: a monitor of normal operation from a table (rows = samples in time order)."""

    data: Path = Field(description="Normal-operation table (CSV/TSV/Parquet); one row per sample, in time order.")


class FitRowsSpec(FitOptions):
    """``POST /process/monitors``: a monitor of normal operation from posted rows (in time order)."""

    rows: list[dict[str, float | None]] = Field(
        min_length=3, max_length=MAX_BATCH, description="Normal-operation samples: variable -> value."
    )


class FitResult(Result):
    """A fitted and stored monitor."""

    name: str
    version: int
    method: str
    settings: dict[str, Any] = Field(description="components, lags, alpha, width as fitted.")
    variables: list[str]
    quality: list[str]
    n_samples: int
    t2_limit: float
    spe_limit: float
    persistence: dict[str, int] = Field(description="k and n of the alarm rule.")
    recommended: bool = Field(description="Fitted with the recommended method (no --method given).")
    train_alarm_rate: float = Field(description="Share of training samples whose T² or SPE exceeds its limit.")
    notes: list[str]

    def summary(self) -> str:
        s = self.settings
        lines = [
            f"monitor {self.name} v{self.version}: {self.method} on {len(self.variables)} variables, "
            f"{self.n_samples} samples; {s.get('components')} components"
            + (f", {s['lags']} lags" if s.get("lags") else "")
            + f", alpha {s.get('alpha')}",
            f"  T² limit {self.t2_limit:.4g} (F), SPE limit {self.spe_limit:.4g}; "
            f"alarm on {self.persistence['k']} of {self.persistence['n']} samples above a limit",
            f"  training samples above a limit: {100 * self.train_alarm_rate:.2f}%",
        ]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])


def _numeric_columns(frame: Any, file: str) -> list[str]:
    import pandas as pd

    from pharmakon.process.stream import ID_KEYS

    cols = [c for c in frame.columns if c not in ID_KEYS and pd.api.types.is_numeric_dtype(frame[c])]
    if not cols:
        raise InputError("no numeric process variables in the table", file=file)
    return cols


def _pick_columns(frame: Any, spec: FitOptions, file: str) -> tuple[list[str], list[str], list[str]]:
    """(variables, quality, notes) for the spec's method; error rows count a file's header line."""
    first = 2 if file != "request body" else 1  # row number of the frame's first row
    notes: list[str] = []
    for col in [*(spec.columns or []), *(spec.quality or [])]:
        if col not in frame.columns:
            raise InputError(f"column not found; columns: {list(frame.columns)[:20]}", file=file, field=col)
    numeric = _numeric_columns(frame, file)
    quality: list[str] = []
    if (spec.method or RECOMMENDED["method"]) == "pls":
        quality = list(spec.quality or numeric[-1:])
        if not spec.quality:
            notes.append(f"no quality variable given: using the last numeric column {quality[0]!r}")
    variables = list(spec.columns) if spec.columns else [c for c in numeric if c not in quality]
    for col in variables + quality:
        values = frame[col]
        if not np.issubdtype(values.dtype, np.number):
            bad = values[~values.astype(str).str.match(r"^\s*-?[\d.eE+-]+\s*$")]
            row = int(bad.index[0]) + first if len(bad) else None
            raise InputError("not a number", file=file, row=row, field=col)
        if values.isna().any():
            raise InputError(
                "missing value in the training data (fit on complete normal-operation samples)",
                file=file,
                row=int(np.flatnonzero(values.isna().to_numpy())[0]) + first,
                field=col,
            )
    return variables, quality, notes


def _kaiser(X: np.ndarray) -> int:
    """Components whose correlation-matrix eigenvalue exceeds 1 (at least 1)."""
    sd = X.std(axis=0, ddof=1)
    Z = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    eig = np.linalg.svd(Z, compute_uv=False) ** 2 / (len(Z) - 1)
    return max(1, int(np.sum(eig > 1.0)))


def _build(spec: FitOptions, X: np.ndarray) -> tuple[Any, dict[str, Any], tuple[int, int]]:
    """The unfitted estimator, its settings and the persistence rule."""
    from pharmakon.process.mspc import DPCAMonitor, KPCAMonitor, PCAMonitor, PLSMonitor
    from pharmakon.process.stream import DEFAULT_PERSISTENCE

    rec = spec.method is None
    method = RECOMMENDED["method"] if rec else spec.method
    alpha = spec.alpha or (RECOMMENDED["alpha"] if rec else 0.99)
    lags = spec.lags or RECOMMENDED["lags"] if method == "dpca" else 0
    k = spec.persistence_k or DEFAULT_PERSISTENCE[0]
    n = spec.persistence_n or DEFAULT_PERSISTENCE[1]
    if k > n:
        raise InputError(f"persistence k ({k}) cannot exceed n ({n})", field="persistence_k")
    width = None
    if method == "pca":
        a = spec.components or _kaiser(X)
        est = PCAMonitor(n_components=a, alpha=alpha)
    elif method == "dpca":
        from pharmakon.process.mspc import lagged

        if len(X) <= lags + 2:
            raise InputError(f"dynamic PCA with {lags} lags needs more than {lags + 2} samples", field="lags")
        a = spec.components or (RECOMMENDED["components"] if rec else _kaiser(lagged(X, lags)))
        est = DPCAMonitor(n_components=a, lags=lags, alpha=alpha)
    elif method == "pls":
        a = spec.components or min(4, X.shape[1])
        est = PLSMonitor(n_components=a, alpha=alpha)
    else:
        a, width = spec.components or 20, spec.width or 10.0
        est = KPCAMonitor(n_components=a, width=width, alpha=alpha)
    settings = {"components": a, "lags": lags or None, "alpha": alpha, "width": width}
    return est, settings, (k, n)


def fit_monitor(store: Store, spec: FitSpec | FitRowsSpec, caller: Caller) -> FitResult:
    """Fit a monitor on normal-operation data and store it as a new version (``process.fit``).

    Raises
    ------
    InputError
        Unreadable table, unknown or non-numeric column, missing values, bad settings
        (too many components for the data); nothing is stored.
    """
    import joblib
    import pandas as pd

    from pharmakon.hashing import sha256_bytes, sha256_frame
    from pharmakon.store import record_event, save_object
    from pharmakon.tables import read_table

    if isinstance(spec, FitSpec):
        file, frame = str(spec.data), read_table(spec.data)
    else:
        file, frame = "request body", pd.DataFrame(spec.rows)
    variables, quality, notes = _pick_columns(frame, spec, file)
    X = frame[variables].to_numpy(float)
    est, settings, (k, n) = _build(spec, X)
    try:
        est.fit(X, frame[quality].to_numpy(float)) if quality else est.fit(X)
    except ValueError as exc:
        raise InputError(str(exc), file=file, field="components") from None
    t2, spe = est.statistics_series(X) if settings["lags"] else est.statistics(X)
    ok = np.isfinite(t2)
    rate = float(np.mean((t2[ok] > est.t2_limit_) | (spe[ok] > est.spe_limit_)))
    method = spec.method or RECOMMENDED["method"]
    buffer = io.BytesIO()
    joblib.dump(est, buffer, compress=3)
    blob = buffer.getvalue()
    content = {
        "method": method,
        "settings": settings,
        "variables": variables,
        "quality": quality,
        "n_samples": int(len(X)),
        "t2_limit": float(est.t2_limit_),
        "spe_limit": float(est.spe_limit_),
        "persistence": {"k": k, "n": n},
        "recommended": spec.method is None,
        "train_alarm_rate": rate,
        "source": spec.data.name if isinstance(spec, FitSpec) else "request body",
        # the values fitted on (as floats, named columns): the same table from a file or a body hashes alike
        "data_sha256": sha256_frame(frame[variables + quality].astype(float)),
        "notes": notes,
    }
    with store.session() as session:
        obj = save_object(
            session,
            kind=KIND,
            name=spec.name,
            content=content,
            actor=caller.actor,
            artifacts={"monitor.joblib": blob},
            reason=spec.reason,
        )
        record_event(
            session,
            actor=caller.actor,
            action="process.fit",
            object_type=KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"data": content["data_sha256"]},
            outputs={"monitor.joblib": sha256_bytes(blob)},
            params={"method": method, **settings, "k": k, "n": n, "channel": caller.channel},
            reason=spec.reason,
        )
    return _fit_result(obj)


def _fit_result(obj: Any) -> FitResult:
    c = obj.content
    keep = ("method", "settings", "variables", "quality", "n_samples", "t2_limit", "spe_limit", "persistence")
    return FitResult(
        name=obj.name,
        version=obj.version,
        recommended=c["recommended"],
        train_alarm_rate=c["train_alarm_rate"],
        notes=c["notes"],
        **{k: c[k] for k in keep},
    )


_CACHE: dict[str, Any] = {}


def load_monitor(store: Store, name: str, version: int | None = None) -> tuple[Any, Any]:
    """(stored object, fitted estimator) of ``process_monitor/name`` (newest version by default)."""
    import joblib

    from pharmakon.store import get_object, read_artifact

    with store.read_session() as session:
        obj = get_object(session, KIND, name, version)
    digest = obj.artifacts["monitor.joblib"]
    if digest not in _CACHE:
        _CACHE[digest] = joblib.load(io.BytesIO(read_artifact(digest)))
    return obj, _CACHE[digest]


def _stream_monitor(obj: Any, est: Any) -> Any:
    from pharmakon.process.stream import StreamMonitor

    c = obj.content
    return StreamMonitor(
        est,
        list(c["variables"]),
        lags=int(c["settings"].get("lags") or 0),
        k=c["persistence"]["k"],
        n=c["persistence"]["n"],
    )


# -- alarms ---------------------------------------------------------------------------------------


class AlarmInfo(Result):
    """An alarm onset."""

    model: str
    version: int
    index: int
    seq: int
    t2: float
    spe: float
    top: dict[str, float] = Field(description="The five largest contributions (variable -> share).")
    at: str | None = None
    actor: str | None = None


def _audit_onsets(session: Any, obj: Any, onsets: list[Any], caller: Caller) -> list[AlarmInfo]:
    from pharmakon.store import record_event

    out = []
    for o in onsets:
        top = {k: round(v, 4) for k, v in o.top}
        rec = record_event(
            session,
            actor=caller.actor,
            action="process.alarm",
            object_type=KIND,
            object_id=f"{obj.name}@{obj.version}",
            params={
                "index": o.index,
                "seq": o.seq,
                "t2": round(o.t2, 6),
                "spe": round(o.spe, 6),
                "t2_limit": obj.content["t2_limit"],
                "spe_limit": obj.content["spe_limit"],
                "top": top,
                "channel": caller.channel,
            },
        )
        out.append(
            AlarmInfo(
                model=obj.name, version=obj.version, index=o.index, seq=o.seq, t2=o.t2, spe=o.spe, top=top, at=rec.ts
            )
        )
    return out


# -- a file or stdin stream -----------------------------------------------------------------------


class MonitorSpec(_Spec):
    """``process monitor``: score a stream sample by sample into a JSON-lines file."""

    model: str = Field(pattern=NAME_PATTERN, description="Stored monitor name.")
    version: int | None = Field(None, ge=1, description="Monitor version (default: newest).")
    stream: str = Field(min_length=1, max_length=4096, description="Samples file (CSV or JSON lines) or '-' for stdin.")
    follow: bool = Field(False, description="Keep reading as the file grows (until interrupted or idle).")
    idle_timeout: float | None = Field(
        None, gt=0, le=86400, description="With follow: stop after this many seconds without a new line."
    )
    jsonl: Path = Field(description="Output: one JSON line per input sample, in input order.")


class MonitorRunResult(Result):
    """What a stream run did."""

    model: str
    version: int
    samples: int
    scored: int
    flagged: int
    alarm_samples: int
    alarms: list[AlarmInfo]
    output: str

    def summary(self) -> str:
        return (
            f"monitor {self.model} v{self.version}: {self.samples} samples -> {self.output} "
            f"({self.scored} scored, {self.flagged} flagged, {self.alarm_samples} in alarm, "
            f"{len(self.alarms)} alarm onset(s))"
        )


def _line(rec: dict[str, Any]) -> str:
    return json.dumps(rec, separators=(",", ":"), allow_nan=False) + "\n"


def run_monitor(
    store: Store,
    spec: MonitorSpec,
    caller: Caller,
    *,
    stop: Callable[[], bool] = lambda: False,
    stdin: Any = None,
) -> MonitorRunResult:
    """Feed the stream to the monitor one sample at a time; alarms are audited as they happen.

    Without ``follow`` on a file the output appears whole at the end (atomic); with
    ``follow`` or standard input each record is written and flushed as its sample
    is scored, so a reader sees the live stream. ``stop()`` ends a followed stream.
    """
    from pharmakon.files import staged_files
    from pharmakon.hashing import sha256_file
    from pharmakon.process.sources import read_samples
    from pharmakon.store import record_event

    obj, est = load_monitor(store, spec.model, spec.version)
    mon = _stream_monitor(obj, est)
    if spec.stream != "-" and not Path(spec.stream).is_file():
        raise InputError("no such file", file=spec.stream)
    live = spec.follow or spec.stream == "-"
    alarms: list[AlarmInfo] = []
    samples = read_samples(spec.stream, follow=spec.follow, idle_timeout=spec.idle_timeout, stop=stop, stdin=stdin)

    def pump(handle: Any) -> None:
        batch: list[Any] = []
        for sample in samples:
            batch.append(sample)
            if live or len(batch) >= 1000:  # live: each sample scored as it arrives
                _score_into(batch, handle)
                batch = []
        if batch:
            _score_into(batch, handle)

    def _score_into(batch: list[Any], handle: Any) -> None:
        out, onsets = mon.score(batch)
        handle.write("".join(_line(r) for r in out))
        if live:
            handle.flush()
        if onsets:
            with store.session() as session:
                alarms.extend(_audit_onsets(session, obj, onsets, caller))

    def record(output_sha256: str) -> None:
        with store.session() as session:
            record_event(
                session,
                actor=caller.actor,
                action="process.monitor",
                object_type=KIND,
                object_id=f"{obj.name}@{obj.version}",
                outputs={str(spec.jsonl): output_sha256},
                params={
                    **mon.counts,
                    "source": "stdin" if spec.stream == "-" else Path(spec.stream).name,
                    "channel": caller.channel,
                },
            )

    if live:
        spec.jsonl.parent.mkdir(parents=True, exist_ok=True)
        with spec.jsonl.open("w", encoding="utf-8") as handle:
            try:
                pump(handle)
            except KeyboardInterrupt:
                pass  # an interrupted live stream still records what it scored
        record(sha256_file(spec.jsonl))
    else:
        with staged_files() as staged:  # the output appears whole, after its event is committed
            with staged.path(spec.jsonl).open("w", encoding="utf-8") as handle:
                pump(handle)
            record(staged.sha256(spec.jsonl))
    counts = mon.counts
    return MonitorRunResult(
        model=obj.name,
        version=obj.version,
        samples=counts["samples"],
        scored=counts["scored"],
        flagged=counts["flagged"],
        alarm_samples=counts["alarms"],
        alarms=alarms,
        output=str(spec.jsonl),
    )


# -- posted batches -------------------------------------------------------------------------------


class SamplesBody(_Spec):
    """A batch of samples posted to a running monitor (``POST /process/monitors/{name}/samples``)."""

    model_config = ConfigDict(allow_inf_nan=True)  # a NaN sample is flagged, not refused
    # Any, not JsonValue: a sample that is not an object is flagged by the monitor, never refused,
    # and the per-value validation JsonValue does would cost as much as scoring the batch.
    samples: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"Samples in time order (1 to {MAX_BATCH:,}): variable -> value.",
    )
    restart: bool = Field(False, description="Start the monitor afresh (new window) with the newest model version.")


class SamplesSpec(SamplesBody):
    """:class:`SamplesBody` for the monitor ``name``."""

    name: str = Field(pattern=NAME_PATTERN, description="Stored monitor name.")


class SamplesResult(Result):
    """One record per posted sample, in order, plus the alarm onsets the batch raised."""

    model: str
    version: int
    accepted: int
    scored: int
    flagged: int
    alarms: list[AlarmInfo]
    records: list[dict[str, Any]] = Field(
        description="index, seq, t2, spe, t2_limit, spe_limit, alarm, flag, contributions per sample."
    )

    def summary(self) -> str:
        return (
            f"{self.accepted} samples to monitor {self.model} v{self.version}: {self.scored} scored, "
            f"{self.flagged} flagged, {len(self.alarms)} alarm onset(s)"
        )


def _live(store: Store, name: str, restart: bool) -> Any:
    from pharmakon.process.live import LiveMonitor, get_live, put_live

    live = get_live(name)
    if live is None or restart:
        obj, est = load_monitor(store, name)
        live = put_live(LiveMonitor(name=obj.name, version=obj.version, monitor=_stream_monitor(obj, est)))
    return live


def feed_samples(store: Store, spec: SamplesSpec, caller: Caller) -> SamplesResult:
    """Score a posted batch on the live monitor of ``spec.name`` (started on first use); audited.

    One ``process.samples`` event per batch (counts) and one ``process.alarm`` per
    onset, in one transaction.
    """
    from pharmakon.store import get_object, record_event

    live = _live(store, spec.name, spec.restart)
    out, onsets = live.feed(list(spec.samples))
    scored = sum(1 for r in out if r["flag"] is None)  # a record is scored exactly when it has no flag
    counts = {"accepted": len(out), "scored": scored, "flagged": len(out) - scored}
    with store.session() as session:
        obj = get_object(session, KIND, live.name, live.version)
        alarms = _audit_onsets(session, obj, onsets, caller)
        record_event(
            session,
            actor=caller.actor,
            action="process.samples",
            object_type=KIND,
            object_id=f"{obj.name}@{obj.version}",
            params={**counts, "onsets": len(onsets), "first_seq": out[0]["seq"], "channel": caller.channel},
        )
    return SamplesResult(model=live.name, version=live.version, alarms=alarms, records=out, **counts)


# -- listings -------------------------------------------------------------------------------------


class MonitorInfo(Result):
    """A stored monitor model."""

    name: str
    version: int
    method: str
    variables: int
    t2_limit: float
    spe_limit: float
    created_at: str
    live: bool = Field(description="Running in this server (posted samples).")


def list_monitors(store: Store) -> list[MonitorInfo]:
    """Newest version of every stored monitor."""
    from pharmakon.process.live import live_names
    from pharmakon.store import list_objects

    running = set(live_names())
    with store.read_session() as session:
        objs = list_objects(session, kind=KIND)
    return [
        MonitorInfo(
            name=o.name,
            version=o.version,
            method=o.content["method"],
            variables=len(o.content["variables"]),
            t2_limit=o.content["t2_limit"],
            spe_limit=o.content["spe_limit"],
            created_at=o.created_at,
            live=o.name in running,
        )
        for o in objs
    ]


def show_monitor(store: Store, name: str, version: int | None = None) -> FitResult:
    """The stored monitor's settings and limits."""
    from pharmakon.store import get_object

    with store.read_session() as session:
        return _fit_result(get_object(session, KIND, name, version))


def list_alarms(store: Store, name: str | None = None, limit: int = 100) -> list[AlarmInfo]:
    """Alarm onsets from the audit trail, newest first (of one monitor when ``name`` is given)."""
    from pharmakon.store import list_events

    with store.read_session() as session:
        events, _ = list_events(session, action="process.alarm", limit=max(limit * 5, 100) if name else limit)
    out = []
    for e in events:
        model, _, version = (e.object_id or "@0").partition("@")
        if name and model != name:
            continue
        p = e.params
        out.append(
            AlarmInfo(
                model=model,
                version=int(version or 0),
                index=p["index"],
                seq=p["seq"],
                t2=p["t2"],
                spe=p["spe"],
                top=p.get("top", {}),
                at=e.ts,
                actor=e.actor,
            )
        )
    return out[:limit]


# -- dashboard ------------------------------------------------------------------------------------

STREAM_KIND = "process_stream"


class MonitorView(Result):
    """What the live dashboard starts from: the recent records and the alarm onsets of one monitor."""

    name: str
    version: int
    source: Literal["live", "snapshot", "none"] = Field(
        description="live: running in this server; snapshot: the last stored run; none: nothing fed yet."
    )
    variables: list[str]
    t2_limit: float
    spe_limit: float
    persistence: dict[str, int]
    records: list[dict[str, Any]]
    alarms: list[AlarmInfo]


def monitor_view(store: Store, name: str, limit: int = 2_000) -> MonitorView:
    """Recent records (live, else the last stored snapshot) and alarm onsets of monitor ``name``."""
    from pharmakon.errors import NotFoundError
    from pharmakon.process.live import get_live
    from pharmakon.store import get_object, read_artifact

    fit = show_monitor(store, name)
    live = get_live(name)
    records: list[dict[str, Any]] = []
    source = "none"
    if live is not None:
        records, source = live.since(0, limit), "live"
    else:
        try:
            with store.read_session() as session:
                snap = get_object(session, STREAM_KIND, name)
            records, source = json.loads(read_artifact(snap.artifacts["records.json"]))[-limit:], "snapshot"
        except NotFoundError:
            pass
    return MonitorView(
        name=fit.name,
        version=fit.version,
        source=source,
        variables=fit.variables,
        t2_limit=fit.t2_limit,
        spe_limit=fit.spe_limit,
        persistence=fit.persistence,
        records=records,
        alarms=list_alarms(store, name, 100),
    )


def save_snapshot(store: Store, name: str, caller: Caller) -> int:
    """Store the live monitor's recent records as a new version of ``process_stream/<name>``; its version."""
    from pharmakon.process.live import get_live
    from pharmakon.store import save_object

    live = get_live(name)
    if live is None:
        raise InputError(f"monitor {name!r} is not running in this process", field="name")
    records = live.since(0, 5_000)
    blob = json.dumps(records, separators=(",", ":")).encode()
    with store.session() as session:
        obj = save_object(
            session,
            kind=STREAM_KIND,
            name=name,
            content={"model_version": live.version, "records": len(records), **live.monitor.counts},
            actor=caller.actor,
            artifacts={"records.json": blob},
            reason=f"snapshot of the live monitor (channel {caller.channel})",
        )
    return obj.version
