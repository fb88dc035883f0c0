"""REST endpoints of process monitoring, soft sensors and the digital twin (under /api/v1).

Reading needs the viewer role; fitting and feeding samples need scientist. Each route
builds the spec of :mod:`pharmakon.process.service` (or ``service_models``), calls the
service (which stores and audits: ``process.fit``, ``process.samples``,
``process.alarm``, ...) and returns its typed result.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic_core import from_json
from starlette.concurrency import run_in_threadpool

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.process import service, service_charts, service_models
from pharmakon.specs import build_spec

router = APIRouter(prefix="/process", tags=["process"])

NameParam = Annotated[str, Path(pattern=service.NAME_PATTERN, description="Stored monitor name.")]


@router.get("/monitors", response_model=list[service.MonitorInfo])
def list_monitors(store: StoreDep, _user: ViewerUser) -> list[service.MonitorInfo]:
    """Stored monitors (newest version of each) and whether each is running here."""
    return service.list_monitors(store)


@router.post("/monitors", status_code=201, response_model=service.FitResult)
def fit_monitor(body: service.FitRowsSpec, store: StoreDep, user: ScientistUser) -> service.FitResult:
    """Fit a monitor on posted normal-operation rows (in time order) and store it (``process.fit``)."""
    return service.fit_monitor(store, body, Caller(user.username, "api"))


@router.get("/monitors/{name}", response_model=service.FitResult)
def show_monitor(
    name: NameParam,
    store: StoreDep,
    _user: ViewerUser,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> service.FitResult:
    """Settings, variables and control limits of a stored monitor."""
    return service.show_monitor(store, name, version)


class _BatchRequest(Request):
    """A request whose JSON body is parsed by pydantic-core in a worker thread.

    A batch of samples is megabytes of JSON: the standard library's parser on the event
    loop took about a fifth of the server's time per sample (bench/process.py); pydantic-core
    parses it about three times faster, off the loop. ``NaN``/``Infinity`` are refused as
    everywhere in the API; a body that is not JSON is the usual 422 ``JSON decode error``.
    """

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = await run_in_threadpool(from_json, body, allow_inf_nan=False)
            except ValueError as exc:
                raise json.JSONDecodeError(str(exc), body.decode("utf-8", "replace"), 0) from None
        return self._json


class _BatchRoute(APIRoute):
    """The route class of the samples endpoint: its handler gets a :class:`_BatchRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_BatchRequest(request.scope, request.receive))

        return route


def post_samples(name: NameParam, body: service.SamplesBody, store: StoreDep, user: ScientistUser) -> Response:
    """Feed a batch of samples (in time order) to the running monitor; one record per sample, in order.

    The monitor starts on the first batch with the newest model version and keeps its
    window between batches (``restart`` starts it afresh). Bad samples are flagged,
    never refused: the response always has one record per posted sample.
    """
    spec = build_spec(service.SamplesSpec, name=name, samples=body.samples, restart=body.restart)
    result = service.feed_samples(store, spec, Caller(user.username, "api"))
    # Serialised once by pydantic-core: re-validating thousands of records against the response
    # model would cost as much as scoring them (the documented schema is the response_model).
    return Response(content=result.model_dump_json(), media_type="application/json")


router.add_api_route(
    "/monitors/{name}/samples",
    post_samples,
    methods=["POST"],
    response_model=service.SamplesResult,
    route_class_override=_BatchRoute,
)


@router.post("/charts", response_model=service_charts.ChartResult)
def control_chart(
    body: service_charts.ChartValuesSpec, store: StoreDep, user: ScientistUser
) -> service_charts.ChartResult:
    """EWMA or CUSUM chart of one attribute's posted values: limits, alarms, ARLs (``process.chart``)."""
    return service_charts.control_chart(store, body, Caller(user.username, "api"))


@router.get("/alarms", response_model=list[service.AlarmInfo])
def list_alarms(
    store: StoreDep,
    _user: ViewerUser,
    model: Annotated[str | None, Query(pattern=service.NAME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[service.AlarmInfo]:
    """Alarm onsets from the audit trail, newest first, with their top contributions."""
    return service.list_alarms(store, model, limit)


@router.post("/softsensors/{name}/predict", response_model=service_models.SoftSensorPredictResult)
def softsensor_predict(
    name: NameParam, body: service_models.SoftSensorPredictBody, store: StoreDep, user: ScientistUser
) -> service_models.SoftSensorPredictResult:
    """Predict spectra posted as rows (wavelength -> value) with intervals (``process.softsensor.predict``)."""
    return service_models.softsensor_predict_rows(store, name, body, Caller(user.username, "api"))


@router.post("/twins/{name}/whatif", response_model=service_models.WhatIfResult)
def twin_whatif(
    name: NameParam, body: service_models.Formulation, store: StoreDep, _user: ViewerUser
) -> service_models.WhatIfResult:
    """Size predicted by the twin for a formulation and S/AS."""
    spec = build_spec(service_models.WhatIfSpec, name=name, **body.model_dump())
    return service_models.twin_whatif(store, spec)


@router.post("/twins/{name}/correct", response_model=service_models.CorrectResult)
def twin_correct(
    name: NameParam, body: service_models.CorrectBody, store: StoreDep, _user: ViewerUser
) -> service_models.CorrectResult:
    """After a drift: the S/AS set-point that brings the predicted size back into specification."""
    spec = build_spec(service_models.CorrectSpec, name=name, **body.model_dump())
    return service_models.twin_correct(store, spec)
