"""Workbench pages of process monitoring: live dashboard (server-sent events), alarms, soft sensor, twin.

Each page reads or writes through :mod:`pharmakon.process.service` /
:mod:`pharmakon.process.service_models` and renders; the dashboard's charts are drawn
by ``/static/process.js`` from the records the events stream sends.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from pharmakon.auth import get_store
from pharmakon.caller import Caller
from pharmakon.errors import InputError, PharmakonError
from pharmakon.files import scratch_folder
from pharmakon.process import service, service_charts, service_models
from pharmakon.specs import build_spec
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

#: Seconds one event stream stays open before the browser reconnects (EventSource does so itself).
STREAM_SECONDS = 300
#: Largest upload (normal-operation table or spectra), bytes.
MAX_UPLOAD = 50 * 1024 * 1024


def _home(request: Request, user: object, error: str = "", fitted: object = None, status_code: int = 200) -> Response:
    store = get_store()
    return render(
        request,
        "process_home.html",
        user,
        status_code=status_code,
        monitors=service.list_monitors(store),
        alarms=service.list_alarms(store, None, 20),
        softsensors=service_models.list_softsensors(store),
        twins=service_models.list_twins(store),
        error=error,
        fitted=fitted,
    )


@router.get("/process", response_class=HTMLResponse)
def process_home(request: Request) -> Response:
    """Monitors, recent alarms, soft sensors and twins; a form to fit a monitor."""
    return _home(request, page_user(request, "viewer"))


async def _upload_to(upload: UploadFile, folder: Path) -> Path:
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputError(f"the file is larger than {MAX_UPLOAD // 2**20} MB", file=upload.filename, field="file")
    path = folder / Path(upload.filename or "upload.csv").name
    path.write_bytes(data)
    return path


@router.post("/process/fit", response_class=HTMLResponse)
async def process_fit(
    request: Request,
    name: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    method: Annotated[str, Form()] = "",
    components: Annotated[str, Form()] = "",
    lags: Annotated[str, Form()] = "",
    alpha: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Fit a monitor on an uploaded normal-operation table (scientists; audited as ``process.fit``)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    try:
        with scratch_folder("process-upload") as tmp:
            path = await _upload_to(file, tmp)
            spec = build_spec(
                service.FitSpec,
                data=path,
                name=name,
                method=method or None,
                components=components or None,
                lags=lags or None,
                alpha=alpha or None,
            )
            result = await asyncio.to_thread(service.fit_monitor, get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, error=exc.message, status_code=422)
    return _home(request, user, fitted=result)


@router.get("/process/monitors/{name}", response_class=HTMLResponse)
def monitor_dashboard(request: Request, name: str) -> Response:
    """Live dashboard: T² and SPE charts, the alarm list, contributions of a clicked alarm."""
    user = page_user(request, "viewer")
    view = service.monitor_view(get_store(), name)
    return render(
        request, "process_monitor.html", user, v=view, initial=json.dumps(view.to_dict()).replace("</", "<\\/")
    )


@router.get("/process/monitors/{name}/events")
async def monitor_events(request: Request, name: str, after: int = 0) -> Response:
    """Server-sent events: new output records of the live monitor (``data`` = a JSON list), polled every 0.5 s."""
    from pharmakon.process.live import get_live

    page_user(request, "viewer")
    last = request.headers.get("last-event-id")
    cursor = int(last) if last and last.isdigit() else max(after, 0)

    async def events():
        nonlocal cursor
        loop = asyncio.get_running_loop()
        end = loop.time() + STREAM_SECONDS
        yield "retry: 2000\n\n"
        while loop.time() < end and not await request.is_disconnected():
            live = get_live(name)
            batch = live.since(cursor) if live is not None else []
            if batch:
                cursor = batch[-1]["seq"]
                yield f"id: {cursor}\nevent: records\ndata: {json.dumps(batch, separators=(',', ':'))}\n\n"
            else:
                yield ": idle\n\n"
            await asyncio.sleep(0.5)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/process/softsensors", response_class=HTMLResponse)
def softsensor_page(request: Request) -> Response:
    """Soft sensors and a form to predict uploaded spectra."""
    user = page_user(request, "viewer")
    return render(request, "process_softsensor.html", user, sensors=service_models.list_softsensors(get_store()))


@router.post("/process/softsensors/predict", response_class=HTMLResponse)
async def softsensor_predict(
    request: Request,
    name: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Predict uploaded spectra (CSV, one column per wavelength) with intervals (audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    store = get_store()
    try:
        with scratch_folder("process-upload") as tmp:
            path = await _upload_to(file, tmp)
            frame = pd.read_csv(path)
        body = build_spec(service_models.SoftSensorPredictBody, rows=frame.to_dict("records"))
        result = await asyncio.to_thread(
            service_models.softsensor_predict_rows, store, name, body, Caller(user.username, "web")
        )
    except (PharmakonError, ValueError) as exc:
        message = exc.message if isinstance(exc, PharmakonError) else f"not a readable CSV: {exc}"
        sensors = service_models.list_softsensors(store)
        return render(request, "process_softsensor.html", user, sensors=sensors, error=message, status_code=422)
    return render(
        request,
        "process_softsensor.html",
        user,
        sensors=service_models.list_softsensors(store),
        result=result,
        chart=json.dumps(result.preview).replace("</", "<\\/"),
    )


def _number(text: str, field: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{field} must be a number (got {text[:40]!r})", field=field) from None


def _chart_svg(result: service_charts.ChartResult) -> str:
    """The chart as inline SVG: statistic, control limits and the samples beyond them (red)."""
    from pharmakon.plots import figure_svg, new_figure

    t = pd.DataFrame(result.points)
    fig, ax = new_figure(9.0, 3.2)
    if result.kind == "ewma":
        ax.plot(t["index"], t["value"], ".", color="0.7", ms=3, label="value")
        ax.plot(t["index"], t["ewma"], "-", lw=1, label="EWMA")
        ax.plot(t["index"], t["ucl"], "k--", lw=0.8, label="limits")
        ax.plot(t["index"], t["lcl"], "k--", lw=0.8)
        ax.axhline(result.target, color="0.5", lw=0.6)
        hits = t[t["alarm"]]
        ax.plot(hits["index"], hits["ewma"], "o", color="red", ms=4, label="alarm")
    else:
        ax.plot(t["index"], t["cusum_upper"], "-", lw=1, label="C+")
        ax.plot(t["index"], -t["cusum_lower"], "-", lw=1, label="−C−")
        ax.plot(t["index"], t["limit"], "k--", lw=0.8, label="±h·σ")
        ax.plot(t["index"], -t["limit"], "k--", lw=0.8)
        up, down = t[t["cusum_upper"] > t["limit"]], t[t["cusum_lower"] > t["limit"]]
        ax.plot(up["index"], up["cusum_upper"], "o", color="red", ms=4, label="alarm")
        ax.plot(down["index"], -down["cusum_lower"], "o", color="red", ms=4)
    ax.set_xlabel("sample")
    ax.set_ylabel(result.column)
    ax.legend(fontsize=7, loc="upper left")
    return figure_svg(fig)


CHART_FIELDS = ("lam", "L", "k", "h", "target", "sigma", "phase1")


@router.get("/process/charts", response_class=HTMLResponse)
def chart_page(request: Request) -> Response:
    """Form for an EWMA or CUSUM chart of one column of an uploaded table."""
    user = page_user(request, "viewer")
    return render(request, "process_chart.html", user, form={})


@router.post("/process/charts", response_class=HTMLResponse)
async def chart_action(
    request: Request,
    file: Annotated[UploadFile, File()],
    column: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "ewma",
    lam: Annotated[str, Form()] = "",
    L: Annotated[str, Form()] = "",  # noqa: N803 - the chart's conventional symbol, as in the spec
    k: Annotated[str, Form()] = "",
    h: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
    sigma: Annotated[str, Form()] = "",
    phase1: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Chart one column of an uploaded table (scientists; audited as ``process.chart``)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    form = {"column": column, "kind": kind, "lam": lam, "L": L, "k": k, "h": h}
    form |= {"target": target, "sigma": sigma, "phase1": phase1}
    try:
        numbers = {f: _number(form[f], f) for f in CHART_FIELDS}
        if numbers["phase1"] is not None:
            numbers["phase1"] = int(numbers["phase1"]) if numbers["phase1"].is_integer() else numbers["phase1"]
        with scratch_folder("process-upload") as tmp:
            path = await _upload_to(file, tmp)
            spec = build_spec(service_charts.ChartSpec, data=path, column=column, kind=kind, **numbers)
            result = await asyncio.to_thread(
                service_charts.control_chart, get_store(), spec, Caller(user.username, "web")
            )
    except PharmakonError as exc:
        return render(request, "process_chart.html", user, form=form, error=exc.message, status_code=422)
    svg = await asyncio.to_thread(_chart_svg, result)
    return render(request, "process_chart.html", user, form=form, result=result, svg=svg)


@router.get("/process/twin", response_class=HTMLResponse)
def twin_page(request: Request) -> Response:
    """Twin what-if and set-point correction forms."""
    user = page_user(request, "viewer")
    return render(request, "process_twin.html", user, twins=service_models.list_twins(get_store()), form={})


@router.post("/process/twin", response_class=HTMLResponse)
def twin_action(
    request: Request,
    name: Annotated[str, Form()] = "plga-peg-twin",
    plga: Annotated[str, Form()] = "",
    pp_l: Annotated[str, Form()] = "",
    pp_cooh: Annotated[str, Form()] = "",
    pp_nh2: Annotated[str, Form()] = "",
    ratio: Annotated[str, Form()] = "",
    target_nm: Annotated[str, Form()] = "",
    observed_nm: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """What-if (no target) or closed-loop correction (target and observed sizes given)."""
    user = page_user(request, "viewer")
    check_csrf(request, csrf)
    store = get_store()
    form = {"name": name, "plga": plga, "pp_l": pp_l, "pp_cooh": pp_cooh, "pp_nh2": pp_nh2, "ratio": ratio}
    form |= {"target_nm": target_nm, "observed_nm": observed_nm}
    ctx: dict[str, object] = {"form": form, "twins": service_models.list_twins(store)}
    try:
        values = {k: _number(form[k], k) for k in ("plga", "pp_l", "pp_cooh", "pp_nh2", "ratio")}
        ctx["whatif"] = service_models.twin_whatif(store, build_spec(service_models.WhatIfSpec, name=name, **values))
        if target_nm.strip():
            observed = [_number(v, "observed_nm") for v in observed_nm.split(",") if v.strip()]
            spec = build_spec(
                service_models.CorrectSpec,
                name=name,
                target_nm=_number(target_nm, "target_nm"),
                observed_nm=observed,
                **values,
            )
            ctx["correct"] = service_models.twin_correct(store, spec)
    except PharmakonError as exc:
        return render(request, "process_twin.html", user, error=exc.message, status_code=422, **ctx)
    return render(request, "process_twin.html", user, **ctx)


@router.post("/process/monitors/{name}/snapshot")
def monitor_snapshot(request: Request, name: str, csrf: Annotated[str, Form()] = "") -> Response:
    """Store the live monitor's recent records (so the dashboard survives a restart)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    try:
        service.save_snapshot(get_store(), name, Caller(user.username, "web"))
    except PharmakonError:
        pass
    return RedirectResponse(f"/process/monitors/{name}", status_code=303)
