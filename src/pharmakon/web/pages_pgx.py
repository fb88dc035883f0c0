"""Workbench pages for pharmacogenomics: upload a VCF, read the report, open stored reports.

Thin layer over :mod:`pharmakon.patients.pgx.service`: the pages hand uploads to the
service (which calls, stores and audits) and render what it returns.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from pharmakon.auth import get_store
from pharmakon.caller import Caller
from pharmakon.errors import PharmakonError
from pharmakon.patients.pgx.fairness import MIN_GROUP
from pharmakon.patients.pgx.models import SampleReport
from pharmakon.patients.pgx.report import report_html
from pharmakon.patients.pgx.service import (
    Upload,
    batch_call_uploads,
    call_vcf_uploads,
    get_report,
    iwpc_fairness,
    list_reports,
)
from pharmakon.store import UserInfo
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

#: Executor backend for VCF batches sent through the page (small uploads: no worker pool).
PAGE_BACKEND = "serial"


def _upload(file: UploadFile | None) -> Upload | None:
    return Upload(file.filename or "", file.file) if file is not None else None


def _data_uri(text: str, mime: str) -> str:
    return f"data:{mime};charset=utf-8;base64,{base64.b64encode(text.encode()).decode('ascii')}"


def _downloads(reports: list[SampleReport]) -> list[dict[str, str]]:
    """Per report: the JSON (as ``pharmakon pgx call --json``) and the stand-alone HTML, as links."""
    out = []
    for rep in reports:
        stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in rep.sample) or "sample"
        out.append(
            {
                "stem": f"pgx_{stem}",
                "json_href": _data_uri(json.dumps(rep.to_dict(), indent=2), "application/json"),
                "html_href": _data_uri(report_html(rep), "text/html"),
            }
        )
    return out


def _report_page(request: Request, user: UserInfo, reports: list[SampleReport], **context) -> Response:
    return render(request, "pgx_report.html", user, reports=reports, downloads=_downloads(reports), **context)


@router.get("/pgx", response_class=HTMLResponse)
def pgx_page(request: Request) -> Response:
    """Upload form and the list of stored reports."""
    user = page_user(request, "viewer")
    return render(request, "pgx_upload.html", user, error="", stored=list_reports(get_store()))


@router.post("/pgx/call", response_class=HTMLResponse)
def pgx_call(
    request: Request,
    vcf: Annotated[UploadFile, File()],
    outside_call: Annotated[UploadFile | None, File()] = None,
    save: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Call the uploaded VCF and show the report; scientists may store it (audited)."""
    user = page_user(request, "scientist" if save else "viewer")
    check_csrf(request, csrf)
    store = get_store()
    try:
        result = call_vcf_uploads(
            store, Caller(user.username, "web"), _upload(vcf), _upload(outside_call), save=bool(save)
        )
    except PharmakonError as exc:
        return render(request, "pgx_upload.html", user, status_code=422, error=str(exc), stored=list_reports(store))
    return _report_page(request, user, result.reports, saved=bool(result.saved))


@router.get("/pgx/reports/{name}", response_class=HTMLResponse)
def pgx_stored(request: Request, name: str) -> Response:
    """A stored report."""
    user = page_user(request, "viewer")
    stored = get_report(get_store(), name)
    return _report_page(request, user, [stored.report], saved=True, stored_name=f"{stored.name}@{stored.version}")


def _iwpc() -> dict:
    """The IWPC fairness tables, or why they are not available."""
    try:
        return {"iwpc": iwpc_fairness(), "iwpc_error": ""}
    except PharmakonError as exc:
        return {"iwpc": None, "iwpc_error": f"IWPC cohort not available: {exc}"}


@router.get("/pgx/fairness", response_class=HTMLResponse)
def pgx_fairness(request: Request) -> Response:
    """Coverage and warfarin accuracy per biogeographic group (IWPC), and a form for VCF batches."""
    user = page_user(request, "viewer")
    return render(request, "pgx_fairness.html", user, min_group=MIN_GROUP, error="", batch=None, **_iwpc())


@router.post("/pgx/fairness", response_class=HTMLResponse)
def pgx_fairness_vcf(
    request: Request,
    vcf: Annotated[UploadFile, File()],
    groups: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Call an uploaded multi-sample VCF and show uncertain/incomplete shares per group."""
    user = page_user(request, "viewer")
    check_csrf(request, csrf)
    ctx: dict = {"min_group": MIN_GROUP, "error": "", "batch": None, **_iwpc()}
    try:
        ctx["batch"] = batch_call_uploads(
            get_store(), Caller(user.username, "web"), _upload(vcf), _upload(groups), backend=PAGE_BACKEND
        )
    except PharmakonError as exc:
        return render(request, "pgx_fairness.html", user, status_code=422, **{**ctx, "error": str(exc)})
    return render(request, "pgx_fairness.html", user, **ctx)
