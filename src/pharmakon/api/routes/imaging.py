"""REST endpoints of imaging (under /api/v1): measure, RECIST, radiomics features, stored results.

Computing stores a result and writes its audit event, so it needs the scientist role;
reading stored results needs viewer. Files are uploaded (multipart); each route hands
them to :func:`pharmakon.imaging.service.uploaded_files`, builds the spec and calls the
service. Plain ``def`` routes: the work runs in the threadpool, off the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.imaging import service
from pharmakon.imaging.service import FeaturesSpec, MeasureSpec, RecistSpec
from pharmakon.specs import build_spec

router = APIRouter(prefix="/imaging", tags=["imaging"])

ImageFile = Annotated[UploadFile, File(description="Image: NRRD, NIfTI (.nii/.nii.gz) or DICOM file")]
MaskFile = Annotated[UploadFile, File(description="Label mask on the image grid (or DICOM SEG)")]
CsvFile = Annotated[UploadFile, File(description="SDTM domain as CSV")]


def _up(file: UploadFile | None) -> tuple[str, object] | None:
    return (file.filename or "", file.file) if file is not None else None


@router.post("/measure", response_model=service.MeasureResult)
def measure(
    user: ScientistUser,
    store: StoreDep,
    image: ImageFile,
    mask: MaskFile,
    label: Annotated[int | None, Form(ge=1, le=65535)] = None,
    name: Annotated[str | None, Form(max_length=128)] = None,
) -> service.MeasureResult:
    """Lesions of the mask (26-connected, largest first) with calipers in mm; stored and audited."""
    with service.uploaded_files({"image": _up(image), "mask": _up(mask)}) as paths:
        spec = build_spec(MeasureSpec, image=paths["image"], mask=paths["mask"], label=label, name=name)
        return service.measure(store, spec, Caller(user.username, "api"))


@router.post("/recist", response_model=service.RecistResult)
def recist(
    user: ScientistUser,
    store: StoreDep,
    tu: CsvFile,
    tr: CsvFile,
    rs: Annotated[UploadFile | None, File(description="SDTM RS as CSV")] = None,
    evaluator: Annotated[str | None, Form(max_length=64)] = None,
    confirm_weeks: Annotated[float | None, Form(ge=0, le=52)] = None,
    sd_min_weeks: Annotated[float | None, Form(ge=0, le=52)] = None,
    name: Annotated[str | None, Form(max_length=128)] = None,
) -> service.RecistResult:
    """RECIST 1.1 per subject from SDTM TU/TR (RS: its responses and two-reader kappa); stored and audited."""
    with service.uploaded_files({"tu": _up(tu), "tr": _up(tr), "rs": _up(rs)}) as paths:
        spec = build_spec(
            RecistSpec,
            tu=paths["tu"],
            tr=paths["tr"],
            rs=paths.get("rs"),
            evaluator=evaluator,
            confirm_weeks=confirm_weeks,
            sd_min_weeks=sd_min_weeks,
            name=name,
        )
        return service.recist(store, spec, Caller(user.username, "api"))


@router.post("/features", response_model=service.FeaturesResult)
def features(
    user: ScientistUser,
    store: StoreDep,
    image: ImageFile,
    mask: MaskFile,
    label: Annotated[int | None, Form(ge=1, le=65535)] = None,
    name: Annotated[str | None, Form(max_length=128)] = None,
) -> service.FeaturesResult:
    """pyradiomics features (pyradiomics' names) of the masked lesion; stored and audited."""
    with service.uploaded_files({"image": _up(image), "mask": _up(mask)}) as paths:
        spec = build_spec(FeaturesSpec, image=paths["image"], mask=paths["mask"], label=label, name=name)
        return service.features(store, spec, Caller(user.username, "api"))


@router.get("/results", response_model=list[service.StoredInfo])
def results(_user: ViewerUser, store: StoreDep) -> list[service.StoredInfo]:
    """Stored measurements, RECIST assessments and feature sets (latest version of each)."""
    return service.list_results(store)


@router.get("/measure/{name}", response_model=service.MeasureResult)
def stored_measure(name: str, _user: ViewerUser, store: StoreDep) -> service.MeasureResult:
    """A stored measurement."""
    return service.get_result(store, "imaging_measure", name)


@router.get("/recist/{name}", response_model=service.RecistResult)
def stored_recist(name: str, _user: ViewerUser, store: StoreDep) -> service.RecistResult:
    """A stored RECIST assessment."""
    return service.get_result(store, "imaging_recist", name)


@router.get("/features/{name}", response_model=service.FeaturesResult)
def stored_features(name: str, _user: ViewerUser, store: StoreDep) -> service.FeaturesResult:
    """A stored radiomics feature set."""
    return service.get_result(store, "imaging_features", name)
