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


@app.command("chart")
def chart_command(
    data: Annotated[Path, typer.Option("--data", help="Table (CSV/TSV/Parquet), one row per sample in time order.")],
    column: Annotated[str, typer.Option("--column", help="The quality attribute to chart.")],
    kind: Annotated[str, typer.Option("--kind", help="ewma | cusum.")] = "ewma",
    lam: Annotated[float | None, typer.Option("--lambda", help="EWMA weight λ (0.2).")] = None,
    width: Annotated[float | None, typer.Option("--L", help="EWMA limit width in sigmas (3).")] = None,
    k: Annotated[float | None, typer.Option("--k", help="CUSUM allowance in sigmas (0.5).")] = None,
    h: Annotated[float | None, typer.Option("--h", help="CUSUM decision interval in sigmas (5).")] = None,
    target: Annotated[float | None, typer.Option("--target", help="In-control mean.")] = None,
    sigma: Annotated[float | None, typer.Option("--sigma", help="In-control standard deviation.")] = None,
    phase1: Annotated[
        int | None, typer.Option("--phase1", help="Estimate target/sigma from the first N samples.")
    ] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the chart table (CSV).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit trail).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """EWMA or CUSUM chart of one quality attribute: statistic, limits, alarms, run lengths."""
    from pharmakon.process.service_charts import ChartSpec, control_chart

    spec = build_spec(
        ChartSpec,
        data=data,
        column=column,
        kind=kind,
        target=target,
        sigma=sigma,
        phase1=phase1,
        out=out,
        reason=reason,
        lam=lam,
        L=width,
        k=k,
        h=h,
    )
    _out(control_chart(_store(), spec, cli_caller()), as_json)


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


@softsensor_app.command("fit")
def softsensor_fit_command(
    spectra: Annotated[Path, typer.Option("--spectra", help="Spectra table (one column per wavelength).")],
    reference: Annotated[Path, typer.Option("--reference", help="Reference values table.")],
    name: Annotated[str, typer.Option("--name", help="Soft-sensor name.")],
    target: Annotated[str | None, typer.Option("--target", help="Reference column to predict.")] = None,
    time_col: Annotated[
        str | None, typer.Option("--time-col", help="Reference time column (h) to align with the spectra.")
    ] = None,
    interval_min: Annotated[float | None, typer.Option("--interval-min", help="Minutes between spectra.")] = None,
    preprocess: Annotated[
        str | None, typer.Option("--preprocess", help="chemotools steps: snv, msc, sg1, sg2, baseline joined by +.")
    ] = None,
    wl_range: Annotated[
        str | None, typer.Option("--range", help="Wavelength range LOW,HIGH kept (default 950,1550; 'all').")
    ] = None,
    scores: Annotated[int | None, typer.Option("--scores", help="PCA scores passed to the model (default 10).")] = None,
    models: Annotated[str | None, typer.Option("--models", help="Families: pls,lightgbm,ridge,rf.")] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train a soft sensor (chemotools preprocessing, PLS/GBM through core, conformal intervals)."""
    from pharmakon.errors import InputError
    from pharmakon.process.service_models import SoftSensorFitSpec, softsensor_fit

    lo = hi = None
    if wl_range and wl_range != "all":
        try:
            lo, hi = (float(v) for v in wl_range.split(","))
        except ValueError:
            raise InputError(f"range is LOW,HIGH such as 950,1550, got {wl_range!r}", field="range") from None
    extra = {"wavelength_min": None, "wavelength_max": None} if wl_range == "all" else {}
    spec = SoftSensorFitSpec.parse(
        {
            k: v
            for k, v in dict(
                spectra=spectra,
                reference=reference,
                name=name,
                target=target,
                time_col=time_col,
                interval_min=interval_min,
                preprocess=preprocess,
                wavelength_min=lo,
                wavelength_max=hi,
                scores=scores,
                models=_split(models),
                seed=seed,
            ).items()
            if v is not None
        }
    )
    if extra:
        spec = spec.model_copy(update=extra)
    _out(softsensor_fit(_store(), spec, cli_caller()), as_json)


@softsensor_app.command("predict")
def softsensor_predict_command(
    name: Annotated[str, typer.Argument(help="Soft-sensor name.")],
    spectra: Annotated[Path, typer.Option("--spectra", help="Spectra on the soft sensor's wavelength grid.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV with prediction, pred_lower, pred_upper.")],
    as_json: JsonOpt = False,
) -> None:
    """Predict the quality attribute of each spectrum, with its interval."""
    from pharmakon.process.service_models import SoftSensorPredictSpec, softsensor_predict

    spec = build_spec(SoftSensorPredictSpec, name=name, spectra=spectra, out=out)
    result = softsensor_predict(_store(), spec, cli_caller())
    if as_json:
        print_json(result.model_dump(mode="json", exclude={"preview"}))
    else:
        console.print(result.summary(), markup=False)


@twin_app.command("fit")
def twin_fit_command(
    data: Annotated[Path | None, typer.Option("--data", help="PLGA-PEG table (default: the mirror's).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Twin name.")] = None,
    holdout: Annotated[float | None, typer.Option("--holdout", help="Share of formulations held out.")] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the nanoprecipitation twin (lmfit, standard errors) and its ML residual correction."""
    from pharmakon.process.service_models import TwinFitSpec, twin_fit

    spec = build_spec(TwinFitSpec, data=data, name=name, holdout=holdout, seed=seed)
    _out(twin_fit(_store(), spec, cli_caller()), as_json)


FracOpts = {
    "plga": typer.Option("--plga", help="PLGA fraction."),
    "pp_l": typer.Option("--pp-l", help="PLGA-PEG (-L) fraction."),
    "pp_cooh": typer.Option("--pp-cooh", help="PLGA-PEG-COOH fraction."),
    "pp_nh2": typer.Option("--pp-nh2", help="PLGA-PEG-NH2 fraction."),
    "ratio": typer.Option("--ratio", help="S/AS flow-rate ratio."),
}


@twin_app.command("whatif")
def twin_whatif_command(
    plga: Annotated[float | None, FracOpts["plga"]] = None,
    pp_l: Annotated[float | None, FracOpts["pp_l"]] = None,
    pp_cooh: Annotated[float | None, FracOpts["pp_cooh"]] = None,
    pp_nh2: Annotated[float | None, FracOpts["pp_nh2"]] = None,
    ratio: Annotated[float | None, FracOpts["ratio"]] = None,
    name: Annotated[str | None, typer.Option("--name", help="Twin name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predicted size of a formulation at a flow ratio."""
    from pharmakon.process.service_models import WhatIfSpec, twin_whatif

    spec = build_spec(WhatIfSpec, plga=plga, pp_l=pp_l, pp_cooh=pp_cooh, pp_nh2=pp_nh2, ratio=ratio, name=name)
    _out(twin_whatif(_store(), spec), as_json)


@twin_app.command("correct")
def twin_correct_command(
    target_nm: Annotated[float, typer.Option("--target", help="Target size, nm.")],
    observed: Annotated[str, typer.Option("--observed", help="Sizes measured since the drift, comma-separated (nm).")],
    plga: Annotated[float | None, FracOpts["plga"]] = None,
    pp_l: Annotated[float | None, FracOpts["pp_l"]] = None,
    pp_cooh: Annotated[float | None, FracOpts["pp_cooh"]] = None,
    pp_nh2: Annotated[float | None, FracOpts["pp_nh2"]] = None,
    ratio: Annotated[float | None, FracOpts["ratio"]] = None,
    name: Annotated[str | None, typer.Option("--name", help="Twin name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """After a drift: the S/AS set-point that brings the predicted size back into specification."""
    from pharmakon.errors import InputError
    from pharmakon.process.service_models import CorrectSpec, twin_correct

    try:
        sizes = [float(v) for v in observed.split(",") if v.strip()]
    except ValueError:
        raise InputError(
            f"observed sizes are numbers separated by commas, got {observed!r}", field="observed"
        ) from None
    spec = build_spec(
        CorrectSpec,
        plga=plga,
        pp_l=pp_l,
        pp_cooh=pp_cooh,
        pp_nh2=pp_nh2,
        ratio=ratio,
        name=name,
        target_nm=target_nm,
        observed_nm=sizes,
    )
    _out(twin_correct(_store(), spec), as_json)
