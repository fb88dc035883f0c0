"""Workbench pages of patient-trial matching.

``/matching``: the two forms (a patient note against trials; FHIR patients against a
trial) and the stored results. ``/matching/results/trial_match/NAME``: a patient's ranked
trials with the criterion table and the evidence highlighted in the note.
``/matching/results/patient_match/NAME``: a trial's funnel, cohort and equity view.
Each page hands its input to :mod:`pharmakon.trials.matching.service` and renders.
"""

from __future__ import annotations

import html
import json
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pharmakon.auth import get_store
from pharmakon.caller import Caller
from pharmakon.errors import InputError, PharmakonError
from pharmakon.specs import build_spec
from pharmakon.trials.matching import service
from pharmakon.trials.matching.specs import MatchPatientsSpec, MatchTrialsSpec, PatientNote
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

#: Largest upload read by a form (bytes).
MAX_FORM_BYTES = 64 * 1024 * 1024
#: Criterion rows shown per trial and patient rows shown per result.
MAX_ROWS = 400


def _home(request: Request, user: Any, error: str = "", status_code: int = 200) -> Response:
    return render(
        request,
        "matching_home.html",
        user,
        error=error,
        stored=service.list_results(get_store()),
        status_code=status_code,
    )


@router.get("/matching", response_class=HTMLResponse)
def matching_home(request: Request) -> Response:
    """The forms and the stored results."""
    return _home(request, page_user(request, "viewer"))


def _read(upload: UploadFile | None, field: str) -> str | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_FORM_BYTES + 1)
    if len(data) > MAX_FORM_BYTES:
        raise InputError(f"larger than {MAX_FORM_BYTES // 2**20} MiB", file=upload.filename, field=field)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=upload.filename, field=field) from None


def _json_lines(text: str, name: str, field: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if stripped.startswith("{") and "\n{" not in stripped:
        lines = [stripped]  # one JSON document (a Bundle, a study)
    else:
        lines = [ln for ln in text.splitlines() if ln.strip()]
    out = []
    for i, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg}", file=name, row=i, field=field) from None
        if not isinstance(obj, dict):
            raise InputError("each line must be a JSON object", file=name, row=i, field=field)
        out.append(obj)
    return out


@router.post("/matching/trials", response_class=HTMLResponse)
def match_trials_page(
    request: Request,
    patient_id: Annotated[str, Form()] = "patient",
    note: Annotated[str, Form()] = "",
    collection: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "rerank",
    retriever: Annotated[str, Form()] = "bm25",
    top: Annotated[str, Form()] = "",
    trials: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Rank trials for one note (scientists; audited), then show the result."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    try:
        if not note.strip():
            raise InputError("a patient note is required", field="note")
        text = _read(trials, "trials")
        rows = _json_lines(text, trials.filename or "trials", "trials") if text is not None and trials else None
        try:
            top_n = int(top) if top.strip() else None
        except ValueError:
            raise InputError(f"top must be a whole number, got {top!r}", field="top") from None
        spec = build_spec(
            MatchTrialsSpec,
            patients=[PatientNote(_id=patient_id.strip() or "patient", text=note)],
            trials=rows,
            collection=None if rows is not None else (collection.strip() or None),
            mode=mode,
            retriever=retriever,
            top=top_n,
        )
        result = service.match_trials(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, exc.message, 422)
    name, version = result.stored.rsplit("@", 1)
    return RedirectResponse(f"/matching/results/trial_match/{quote(name)}?version={version}", status_code=303)


@router.post("/matching/patients", response_class=HTMLResponse)
def match_patients_page(
    request: Request,
    trial: Annotated[UploadFile, File()],
    patients: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Screen FHIR patients (NDJSON or a Bundle) against one trial (scientists; audited), then show the funnel."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    try:
        trial_text = _read(trial, "trial")
        fhir_text = _read(patients, "patients")
        if trial_text is None:
            raise InputError("a trial JSON file is required", field="trial")
        if fhir_text is None:
            raise InputError("a FHIR NDJSON or Bundle file is required", field="patients")
        trial_doc = _json_lines(trial_text, trial.filename or "trial", "trial")
        if len(trial_doc) != 1:
            raise InputError("expected one trial", file=trial.filename, field="trial")
        resources = _json_lines(fhir_text, patients.filename or "patients", "patients")
        spec = build_spec(MatchPatientsSpec, trial=trial_doc[0], resources=resources)
        result = service.match_patients(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, exc.message, 422)
    name, version = result.stored.rsplit("@", 1)
    return RedirectResponse(f"/matching/results/patient_match/{quote(name)}?version={version}", status_code=303)


def highlight(note: str, evidence: list[str]) -> str:
    """The note as HTML with every quoted evidence sentence wrapped in ``<mark>``."""
    quoted = {q for e in evidence for q in re.findall(r'"([^"]{8,})"', e)}
    spans = sorted({(m.start(), m.end()) for q in quoted for m in re.finditer(re.escape(q), note)})
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out += [html.escape(note[pos:start]), "<mark>", html.escape(note[start:end]), "</mark>"]
        pos = end
    out.append(html.escape(note[pos:]))
    return "".join(out)


@router.get("/matching/results/trial_match/{name}", response_class=HTMLResponse)
def trial_match_page(request: Request, name: str, version: int | None = None) -> Response:
    """A patient's ranked trials: criterion table, evidence highlighted in the note."""
    user = page_user(request, "viewer")
    store = get_store()
    result = service.get_result(store, "trial_match", name, version)
    notes = service.result_notes(store, name, version)
    patients = []
    for r in result.results:
        evidence = [c.evidence for t in r.ranking for c in t.criteria]
        patients.append(
            {"id": r.patient_id, "ranking": r.ranking, "note": highlight(notes.get(r.patient_id, ""), evidence)}
        )
    return render(request, "matching_trials.html", user, result=result, patients=patients, max_rows=MAX_ROWS)


@router.get("/matching/results/patient_match/{name}", response_class=HTMLResponse)
def patient_match_page(request: Request, name: str, version: int | None = None) -> Response:
    """A trial's cohort: funnel, eligible and undetermined patients, equity view, verdicts."""
    user = page_user(request, "viewer")
    result = service.get_result(get_store(), "patient_match", name, version)
    return render(request, "matching_patients.html", user, result=result, max_rows=MAX_ROWS)
