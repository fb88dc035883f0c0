"""Workbench pages of nano formulation: model sets, the formulation editor, designs, proposals.

Each page builds a spec from its form, calls :mod:`pharmakon.nano.formulation.service`
and renders; a bad value is shown on the page with the field named.
"""

from __future__ import annotations

import io
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from pharmakon.auth import get_store
from pharmakon.caller import Caller
from pharmakon.errors import InputError, PharmakonError
from pharmakon.nano.formulation import service
from pharmakon.nano.formulation.specs import DesignSpec, PredictRowsSpec, ProposeSpec
from pharmakon.specs import build_spec
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

#: Text a form may paste (space YAML, observation CSV).
MAX_TEXT = 2_000_000

_EXAMPLE_SPACE = """factors:
  - {name: PLGA, type: continuous, low: 0, high: 1}
  - {name: PP-L, type: continuous, low: 0, high: 1}
  - {name: PP-COOH, type: continuous, low: 0, high: 1}
  - {name: PP-NH2, type: continuous, low: 0, high: 1}
  - {name: S/AS, type: continuous, low: 0.1, high: 0.25}
mixture: {components: [PLGA, PP-L, PP-COOH, PP-NH2], total: 1.0}
constraints: ["PLGA + PP-L <= 0.8"]
"""


def _space(text: str):
    import yaml

    from pharmakon.nano.formulation.space import Space

    if len(text) > MAX_TEXT:
        raise InputError(f"the space text is longer than {MAX_TEXT:,} characters", field="space")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", field="space") from None
    return Space.parse(data if isinstance(data, dict) else None)


def _csv_rows(text: str, field: str) -> list[dict]:
    if len(text) > MAX_TEXT:
        raise InputError(f"the pasted table is longer than {MAX_TEXT:,} characters", field=field)
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"not a CSV table: {exc}", field=field) from None
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


@router.get("/nano/formulation", response_class=HTMLResponse)
def formulation_home(request: Request) -> Response:
    """Model sets, and the design and proposal forms."""
    user = page_user(request, "viewer")
    return render(
        request,
        "nano_formulation_home.html",
        user,
        sets=service.list_model_sets(get_store()),
        space=_EXAMPLE_SPACE,
        form={},
        error="",
    )


def _editor(request: Request, user, name: str, values: dict[str, str], error: str = "", result=None) -> Response:
    info = service.model_set(get_store(), name)
    return render(
        request,
        "nano_formulation_editor.html",
        user,
        info=info,
        values=values,
        result=result,
        error=error,
    )


@router.get("/nano/formulation/editor/{name}", response_class=HTMLResponse)
def editor(request: Request, name: str) -> Response:
    """The formulation editor: one numeric input per recipe column of the model set."""
    user = page_user(request, "viewer")
    return _editor(request, user, name, dict(request.query_params))


@router.post("/nano/formulation/editor/{name}", response_class=HTMLResponse)
async def editor_predict(request: Request, name: str) -> Response:
    """Predicted CQAs with conformal intervals for the recipe in the form (scientists; audited)."""
    user = page_user(request, "scientist")
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.pop("csrf", ""))
    return await _run_predict(request, user, name, form)


async def _run_predict(request: Request, user, name: str, form: dict[str, str]) -> Response:
    from starlette.concurrency import run_in_threadpool

    info = service.model_set(get_store(), name)
    row: dict[str, float | str | None] = {}
    try:
        for col in info.features + ([info.smiles_col] if info.smiles_col else []):
            text = form.get(col, "").strip()
            if col == info.smiles_col:
                row[col] = text or None
                continue
            try:
                row[col] = float(text) if text else None
            except ValueError:
                raise InputError(f"{text[:40]!r} is not a number", field=col) from None
        spec = build_spec(PredictRowsSpec, name=name, rows=[row])
        result = await run_in_threadpool(
            service.predict_formulation_rows, get_store(), spec, Caller(user.username, "web")
        )
    except PharmakonError as exc:
        return _editor(request, user, name, form, error=exc.message)
    return _editor(request, user, name, form, result=result)


@router.post("/nano/formulation/design", response_class=HTMLResponse)
def design(
    request: Request,
    space: Annotated[str, Form(max_length=MAX_TEXT)],
    kind: Annotated[str, Form()],
    runs: Annotated[str, Form()] = "",
    levels: Annotated[str, Form()] = "",
    seed: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """A design of experiments over the pasted space (scientists; stored and audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    form = {"space": space, "kind": kind, "runs": runs, "levels": levels, "seed": seed}
    try:
        spec = build_spec(
            DesignSpec,
            space=_space(space),
            kind=kind,
            runs=_int(runs, "runs"),
            levels=_int(levels, "levels"),
            seed=_int(seed, "seed"),
        )
        result = service.design_experiments(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home_error(request, user, form, exc)
    return render(request, "nano_formulation_table.html", user, title="Design", result=result, frame=result.to_frame())


@router.post("/nano/formulation/propose", response_class=HTMLResponse)
def propose(
    request: Request,
    space: Annotated[str, Form(max_length=MAX_TEXT)],
    observed: Annotated[str, Form(max_length=MAX_TEXT)],
    objectives: Annotated[str, Form(max_length=2000)],
    constraints: Annotated[str, Form(max_length=2000)] = "",
    batch: Annotated[str, Form()] = "",
    seed: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The next batch from pasted observations (scientists; stored with them and audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    form = {"space": space, "observed": observed, "objectives": objectives, "constraints": constraints}
    form |= {"batch": batch, "seed": seed}
    try:
        spec = build_spec(
            ProposeSpec,
            space=_space(space),
            observed_rows=_csv_rows(observed, "observed"),
            objectives=[o.strip() for o in objectives.splitlines() if o.strip()],
            constraints=[c.strip() for c in constraints.splitlines() if c.strip()] or None,
            batch=_int(batch, "batch"),
            seed=_int(seed, "seed"),
        )
        result = service.propose_experiments(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home_error(request, user, form, exc)
    return render(
        request, "nano_formulation_table.html", user, title="Proposed batch", result=result, frame=result.to_frame()
    )


def _int(text: str, field: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{text[:40]!r} is not a whole number", field=field) from None


def _home_error(request: Request, user, form: dict[str, str], exc: PharmakonError) -> Response:
    return render(
        request,
        "nano_formulation_home.html",
        user,
        sets=service.list_model_sets(get_store()),
        space=form.get("space") or _EXAMPLE_SPACE,
        form=form,
        error=exc.message,
        status_code=422,
    )
