"""Workbench pages for pharmacogenomics: upload a VCF, read the report, open stored reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from pharmakon.errors import PharmakonError
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)


def _stored() -> list:
    from pharmakon.patients.pgx.persist import KIND
    from pharmakon.store import list_objects
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        return list_objects(session, KIND)


@router.get("/pgx", response_class=HTMLResponse)
def pgx_page(request: Request) -> Response:
    """Upload form and the list of stored reports."""
    user = page_user(request, "viewer")
    return render(request, "pgx_upload.html", user, error="", stored=_stored())


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
    from pharmakon.api.routes.pgx import run_call

    try:
        reports = run_call(vcf, outside_call)
        if save:
            from pharmakon.patients.pgx.persist import save_report
            from pharmakon.web.routes import get_store

            with get_store().session() as session:
                for rep in reports:
                    save_report(session, rep, actor=user.username, source=vcf.filename or "upload")
    except PharmakonError as exc:
        return render(request, "pgx_upload.html", user, status_code=422, error=str(exc), stored=_stored())
    return render(request, "pgx_report.html", user, reports=reports, saved=bool(save))


@router.get("/pgx/reports/{name}", response_class=HTMLResponse)
def pgx_stored(request: Request, name: str) -> Response:
    """A stored report."""
    user = page_user(request, "viewer")
    from pharmakon.patients.pgx.persist import KIND
    from pharmakon.store import get_object
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        obj = get_object(session, KIND, name)
    return render(
        request,
        "pgx_report.html",
        user,
        reports=[obj.content["report"]],
        saved=True,
        stored_name=f"{obj.name}@{obj.version}",
    )


def _iwpc_tables() -> dict:
    """IWPC cohort tables per race (coverage and MAE), or an error message."""
    from pharmakon.patients.pgx import read_cohort, warfarin_coverage, warfarin_mae_by_group
    from pharmakon.patients.pgx.definitions import data_folder

    try:
        frame = read_cohort(data_folder("iwpc_warfarin") / "warfarin.csv")
    except PharmakonError as exc:
        return {"iwpc_error": f"IWPC cohort not available: {exc}"}
    return {
        "iwpc_coverage": warfarin_coverage(frame).to_dict(orient="records"),
        "iwpc_mae": warfarin_mae_by_group(frame).to_dict(orient="records"),
    }


@router.get("/pgx/fairness", response_class=HTMLResponse)
def pgx_fairness(request: Request) -> Response:
    """Coverage and warfarin accuracy per biogeographic group (IWPC), and a form for VCF batches."""
    from pharmakon.patients.pgx.fairness import MIN_GROUP

    user = page_user(request, "viewer")
    return render(request, "pgx_fairness.html", user, min_group=MIN_GROUP, error="", **_iwpc_tables())


@router.post("/pgx/fairness", response_class=HTMLResponse)
def pgx_fairness_vcf(
    request: Request,
    vcf: Annotated[UploadFile, File()],
    groups: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Call an uploaded multi-sample VCF and show uncertain/incomplete shares per group."""
    import tempfile
    from pathlib import Path

    from pharmakon.api.routes.pgx import _spool
    from pharmakon.patients.pgx.fairness import MIN_GROUP, batch_coverage, read_groups

    user = page_user(request, "viewer")
    check_csrf(request, csrf)
    ctx: dict = {"min_group": MIN_GROUP, "error": "", **_iwpc_tables()}
    try:
        with tempfile.TemporaryDirectory(prefix="pgx-fair-") as tmp:
            path = _spool(vcf, Path(tmp), "vcf")
            group_file = _spool(groups, Path(tmp), "groups")
            by_sample, by_gene = batch_coverage(path, read_groups(group_file))
    except PharmakonError as exc:
        message = str(exc).replace(tmp, "<upload>")
        return render(request, "pgx_fairness.html", user, status_code=422, **{**ctx, "error": message})
    ctx |= {
        "vcf_name": vcf.filename,
        "by_sample": by_sample.to_dict(orient="records"),
        "by_gene": by_gene.to_dict(orient="records"),
    }
    return render(request, "pgx_fairness.html", user, **ctx)
