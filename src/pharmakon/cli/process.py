"""``pharmakon process``: process monitoring, soft sensors and the process digital twin.

Thin layer over :mod:`pharmakon.process.service` and
:mod:`pharmakon.process.service_models`: options become a spec (the defaults are the
spec's), the service computes, stores and audits; this module prints.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from pharmakon.cli._common import cli_caller, console, print_json
from pharmakon.specs import build_spec

__all__ = ["app"]

app = typer.Typer(help="Manufacturing quality: process monitoring, soft sensors, digital twin.", no_args_is_help=True)
softsensor_app = typer.Typer(help="Soft sensors: a quality attribute predicted from spectra.", no_args_is_help=True)
twin_app = typer.Typer(help="Digital twin of microfluidic nanoprecipitation.", no_args_is_help=True)
app.add_typer(softsensor_app, name="softsensor")
app.add_typer(twin_app, name="twin")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _store() -> Any:
    from pharmakon.store import open_store

    return open_store()


def _out(result: Any, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


def _split(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


@app.command("fit")
def fit_command(
    data: Annotated[Path, typer.Argument(help="Normal-operation table (CSV/TSV/Parquet), rows in time order.")],
    name: Annotated[str, typer.Option("--name", help="Name of the monitor in the store.")],
    method: Annotated[
        str | None, typer.Option("--method", help="pca | dpca | pls | kpca (default: the recommended dpca).")
    ] = None,
    components: Annotated[int | None, typer.Option("--components", help="Retained components A.")] = None,
    lags: Annotated[int | None, typer.Option("--lags", help="Lags L of dynamic PCA.")] = None,
    alpha: Annotated[float | None, typer.Option("--alpha", help="Confidence of the limits (default 0.99).")] = None,
    columns: Annotated[str | None, typer.Option("--columns", help="Comma-separated process variables.")] = None,
    quality: Annotated[str | None, typer.Option("--quality", help="Comma-separated quality variables (pls).")] = None,
    persistence: Annotated[
        str | None, typer.Option("--persistence", help="Alarm rule k/n: k of the last n samples above a limit (4/6).")
    ] = None,
    width: Annotated[float | None, typer.Option("--width", help="kpca kernel width factor.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit trail).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit a monitor (T², SPE, control limits) on normal operation and store it."""
    from pharmakon.errors import InputError
    from pharmakon.process.service import FitSpec, fit_monitor

    k = n = None
    if persistence:
        try:
            k, n = (int(p) for p in persistence.split("/"))
        except ValueError:
            raise InputError(f"persistence is k/n such as 4/6, got {persistence!r}", field="persistence") from None
    spec = build_spec(
        FitSpec,
        data=data,
        name=name,
        method=method,
        components=components,
        lags=lags,
        alpha=alpha,
        columns=_split(columns),
        quality=_split(quality),
        persistence_k=k,
        persistence_n=n,
        width=width,
        reason=reason,
    )
    _out(fit_monitor(_store(), spec, cli_caller()), as_json)


@app.command("monitor")
def monitor_command(
    model: Annotated[str, typer.Option("--model", help="Stored monitor name.")],
    stream: Annotated[str, typer.Option("--stream", help="Samples file (CSV / JSON lines) or - for stdin.")],
    jsonl: Annotated[Path, typer.Option("--jsonl", help="Output: one JSON line per input sample, in order.")],
    follow: Annotated[bool, typer.Option("--follow", help="Keep reading as the file grows (tail -f).")] = False,
    idle_timeout: Annotated[
        float | None, typer.Option("--idle-timeout", help="With --follow: stop after S seconds without a new line.")
    ] = None,
    version: Annotated[int | None, typer.Option("--version", help="Monitor version (default newest).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score a stream sample by sample; alarms are written to the audit trail as they happen."""
    from pharmakon.process.service import MonitorSpec, run_monitor

    spec = build_spec(
        MonitorSpec, model=model, version=version, stream=stream, follow=follow, idle_timeout=idle_timeout, jsonl=jsonl
    )
    stopping = {"now": False}

    def _stop(*_: Any) -> None:
        stopping["now"] = True

    previous = signal.signal(signal.SIGTERM, _stop)  # a followed stream ends cleanly on SIGTERM
    try:
        result = run_monitor(_store(), spec, cli_caller(), stop=lambda: stopping["now"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    _out(result, as_json)


@app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """Stored monitors."""
    from pharmakon.process.service import list_monitors

    rows = list_monitors(_store())
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    for r in rows:
        console.print(
            f"{r.name} v{r.version}  {r.method}  {r.variables} variables  T² limit {r.t2_limit:.4g}  "
            f"SPE limit {r.spe_limit:.4g}",
            markup=False,
        )


@app.command("alarms")
def alarms_command(
    model: Annotated[str | None, typer.Option("--model", help="Only this monitor.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="Most recent N.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Alarm onsets from the audit trail, newest first, with their top contributions."""
    from pharmakon.process.service import list_alarms

    rows = list_alarms(_store(), model, limit)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    for a in rows:
        top = ", ".join(f"{k} {v:.2f}" for k, v in a.top.items())
        console.print(f"{a.at}  {a.model} v{a.version}  index {a.index}  T² {a.t2:.3g}  SPE {a.spe:.3g}  {top}")
