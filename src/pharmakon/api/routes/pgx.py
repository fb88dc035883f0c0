"""REST endpoints for pharmacogenomics: call a VCF, store and read reports, IWPC warfarin doses.

Thin layer over :mod:`pharmakon.patients.pgx.service`: every route hands its uploads or
body to the service (which computes, stores and writes the audit event) and returns the
service's typed result. Calling and dosing change nothing (viewers); storing a report is
a scientist action.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.patients.pgx.models import SampleReport
from pharmakon.patients.pgx.service import (
    SavedReport,
    StoredReport,
    StoredReportInfo,
    Upload,
    WarfarinDose,
    WarfarinPatient,
    WarfarinPatientsSpec,
    call_vcf_uploads,
    dose_warfarin_patients,
    get_report,
    list_reports,
)
from pharmakon.specs import build_spec

router = APIRouter(prefix="/pgx", tags=["pgx"])

VcfFile = Annotated[UploadFile, File(description="VCF (.vcf or .vcf.gz), GRCh38")]
OutsideCallFile = Annotated[UploadFile | None, File(description="GENE<TAB>DIPLOTYPE TSV")]


def _upload(file: UploadFile | None) -> Upload | None:
    return Upload(file.filename or "", file.file) if file is not None else None


@router.post("/call", response_model=list[SampleReport])
def call(user: ViewerUser, store: StoreDep, vcf: VcfFile, outside_call: OutsideCallFile = None) -> list[SampleReport]:
    """Diplotypes, phenotypes, recommendations and evidence for every sample of an uploaded VCF."""
    caller = Caller(user.username, "api")
    return call_vcf_uploads(store, caller, _upload(vcf), _upload(outside_call)).reports


@router.post("/reports", status_code=201, response_model=list[SavedReport])
def save_reports(
    user: ScientistUser,
    store: StoreDep,
    vcf: VcfFile,
    outside_call: OutsideCallFile = None,
    reason: Annotated[str | None, Form()] = None,
) -> list[SavedReport]:
    """Call an uploaded VCF and store one ``pgx_report`` per sample (audited)."""
    caller = Caller(user.username, "api")
    return call_vcf_uploads(store, caller, _upload(vcf), _upload(outside_call), save=True, reason=reason).saved


@router.get("/reports", response_model=list[StoredReportInfo])
def reports(user: ViewerUser, store: StoreDep) -> list[StoredReportInfo]:
    """Newest version of every stored PGx report."""
    return list_reports(store)


@router.get("/reports/{name}", response_model=StoredReport)
def report(user: ViewerUser, store: StoreDep, name: str) -> StoredReport:
    """One stored report (content as saved)."""
    return get_report(store, name)


@router.post("/warfarin", response_model=list[WarfarinDose])
def warfarin(user: ViewerUser, store: StoreDep, patients: list[WarfarinPatient]) -> list[WarfarinDose]:
    """IWPC 2009 pharmacogenetic, clinical and fixed doses (mg/week) for each patient.

    Any of carbamazepine, phenytoin or rifampin sets IWPC's single enzyme-inducer term.
    Race, age and genotypes take IWPC's spellings (any case): a value outside them is a
    422 naming the field and listing what is accepted, never a silent "unknown" term. To
    use the algorithm's "unknown" terms, send ``"Unknown"`` (race) or ``null`` /
    ``"Unknown"`` (CYP2C9, VKORC1); CYP2C9 pairs outside IWPC's six (e.g. ``*1/*5``)
    take the "unknown" term too, as in IWPC.
    """
    caller = Caller(user.username, "api")
    return dose_warfarin_patients(store, build_spec(WarfarinPatientsSpec, patients=patients), caller).doses
