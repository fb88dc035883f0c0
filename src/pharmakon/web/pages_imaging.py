"""Workbench pages of imaging: upload and measure (viewer with mask overlay, caliper, slice
slider), RECIST timeline per subject, radiomics table.

Each page hands uploads to :func:`pharmakon.imaging.service.uploaded_files`, calls the
service and renders; errors are shown on the page with the field named.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pharmakon.auth import get_store
from pharmakon.caller import Caller
from pharmakon.errors import InputError, PharmakonError
from pharmakon.imaging import service
from pharmakon.imaging.service import FeaturesSpec, MeasureSpec, RecistSpec
from pharmakon.specs import build_spec
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)


def _up(file: UploadFile | None) -> tuple[str, object] | None:
    return (file.filename or "", file.file) if file is not None and file.filename else None


def _num(text: str, cast: type = int) -> int | float | None:
    """A form number, or None when blank (the spec's default applies); bad text reaches the spec's check."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return cast(text)
    except ValueError:
        return text  # the spec names the field and the expected type


def _home(request: Request, user, *, error: str = "", status_code: int = 200) -> Response:
    return render(
        request,
        "imaging_home.html",
        user,
        status_code=status_code,
        error=error,
        stored=service.list_results(get_store()),
    )


@router.get("/imaging", response_class=HTMLResponse)
def imaging_home(request: Request) -> Response:
    """Stored results and the upload forms."""
    return _home(request, page_user(request, "viewer"))


@router.post("/imaging/measure", response_class=HTMLResponse)
def imaging_measure(
    request: Request,
    image: Annotated[UploadFile, File()],
    mask: Annotated[UploadFile, File()],
    label: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Measure the uploaded mask and show the viewer (overlay, caliper, slice slider)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    try:
        with service.uploaded_files({"image": _up(image), "mask": _up(mask)}) as paths:
            if "image" not in paths or "mask" not in paths:
                raise InputError("choose an image and a mask file (field 'image', 'mask')")
            spec = build_spec(MeasureSpec, image=paths["image"], mask=paths["mask"], label=_num(label))
            result = service.measure(get_store(), spec, Caller(user.username, "web"))
            slices = service.viewer_slices(paths["image"], paths["mask"], result.label)
    except PharmakonError as exc:
        return _home(request, user, error=str(exc), status_code=422)
    start = result.lesions[0].slice if result.lesions else 0
    index = next((i for i, s in enumerate(slices) if s["k"] >= start), 0)
    return render(request, "imaging_viewer.html", user, r=result.to_dict(), slices=slices, start=index)


@router.post("/imaging/recist", response_class=HTMLResponse)
def imaging_recist(
    request: Request,
    tu: Annotated[UploadFile, File()],
    tr: Annotated[UploadFile, File()],
    rs: Annotated[UploadFile | None, File()] = None,
    evaluator: Annotated[str, Form()] = "",
    confirm_weeks: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Assess RECIST 1.1 from uploaded TU/TR (RS) and open the stored result."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    try:
        with service.uploaded_files({"tu": _up(tu), "tr": _up(tr), "rs": _up(rs)}) as paths:
            if "tu" not in paths or "tr" not in paths:
                raise InputError("choose the TU and TR files (field 'tu', 'tr')")
            spec = build_spec(
                RecistSpec,
                tu=paths["tu"],
                tr=paths["tr"],
                rs=paths.get("rs"),
                evaluator=evaluator.strip() or None,
                confirm_weeks=_num(confirm_weeks, float),
            )
            result = service.recist(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, error=str(exc), status_code=422)
    return RedirectResponse(f"/imaging/recist/{result.name}", status_code=303)


@router.post("/imaging/features", response_class=HTMLResponse)
def imaging_features(
    request: Request,
    image: Annotated[UploadFile, File()],
    mask: Annotated[UploadFile, File()],
    label: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Compute pyradiomics features of the uploaded lesion and open the table."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    try:
        with service.uploaded_files({"image": _up(image), "mask": _up(mask)}) as paths:
            if "image" not in paths or "mask" not in paths:
                raise InputError("choose an image and a mask file (field 'image', 'mask')")
            spec = build_spec(FeaturesSpec, image=paths["image"], mask=paths["mask"], label=_num(label))
            result = service.features(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, error=str(exc), status_code=422)
    return RedirectResponse(f"/imaging/features/{result.name}", status_code=303)


@router.get("/imaging/recist/{name}", response_class=HTMLResponse)
def recist_page(request: Request, name: str) -> Response:
    """Per-subject RECIST timeline (sum of diameters, per-visit response), BOR and confirmed BOR."""
    user = page_user(request, "viewer")
    result = service.get_result(get_store(), "imaging_recist", name)
    plots = {s.usubjid: service.recist_timeline(s) for s in result.subjects}
    return render(request, "imaging_recist.html", user, r=result.to_dict(), plots=plots)


@router.get("/imaging/features/{name}", response_class=HTMLResponse)
def features_page(request: Request, name: str) -> Response:
    """The radiomics table of a stored feature set."""
    user = page_user(request, "viewer")
    result = service.get_result(get_store(), "imaging_features", name)
    return render(request, "imaging_features.html", user, r=result.to_dict())


@router.get("/imaging/measure/{name}", response_class=HTMLResponse)
def measure_page(request: Request, name: str) -> Response:
    """A stored measurement (lesion table)."""
    user = page_user(request, "viewer")
    result = service.get_result(get_store(), "imaging_measure", name)
    return render(request, "imaging_viewer.html", user, r=result.to_dict(), slices=[], start=0)
