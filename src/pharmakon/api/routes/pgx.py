"""REST endpoints for pharmacogenomics: call a VCF, store and read reports, IWPC warfarin doses.

Calling and dosing change nothing (viewers); storing a report is a scientist action and
is audited by the object store (``object.save``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from pharmakon.api.deps import ScientistUser, SessionDep, ViewerUser
from pharmakon.errors import InputError

router = APIRouter(prefix="/pgx", tags=["pgx"])

MAX_UPLOAD_BYTES = 200 * 2**20


def _spool(upload: UploadFile, folder: Path, stem: str) -> Path:
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"upload {upload.filename} is larger than {MAX_UPLOAD_BYTES // 2**20} MiB", field=stem)
    if not data:
        raise InputError(f"upload {upload.filename or stem} is empty", field=stem)
    suffix = ".vcf.gz" if data[:2] == b"\x1f\x8b" else ".vcf" if stem == "vcf" else ".tsv"
    path = folder / f"{stem}{suffix}"
    path.write_bytes(data)
    return path


def run_call(vcf: UploadFile, outside_call: UploadFile | None) -> list[dict]:
    """Spool the uploads to a temporary folder and call every sample (shared with the workbench)."""
    from pharmakon.patients.pgx import call_vcf

    with tempfile.TemporaryDirectory(prefix="pgx-") as tmp:
        path = _spool(vcf, Path(tmp), "vcf")
        oc = _spool(outside_call, Path(tmp), "outside_call") if outside_call and outside_call.filename else None
        try:
            reports = list(call_vcf(path, oc))
        except InputError as exc:  # name the upload, not the temporary file
            names = {str(path): vcf.filename or "upload", str(oc): getattr(outside_call, "filename", "") or "upload"}
            message = exc.message
            for tmp_name, shown in names.items():
                message = message.replace(tmp_name, shown)
            raise InputError(message) from exc
    for rep in reports:
        rep["notes"] = [n.replace(tmp, "<upload>") for n in rep["notes"]]
    return reports


@router.post("/call")
def call(
    user: ViewerUser,
    vcf: Annotated[UploadFile, File(description="VCF (.vcf or .vcf.gz), GRCh38")],
    outside_call: Annotated[UploadFile | None, File(description="GENE<TAB>DIPLOTYPE TSV")] = None,
) -> list[dict[str, Any]]:
    """Diplotypes, phenotypes, recommendations and evidence for every sample of an uploaded VCF."""
    return run_call(vcf, outside_call)


@router.post("/reports", status_code=201)
def save_reports(
    user: ScientistUser,
    session: SessionDep,
    vcf: Annotated[UploadFile, File(description="VCF (.vcf or .vcf.gz), GRCh38")],
    outside_call: Annotated[UploadFile | None, File()] = None,
    reason: Annotated[str | None, Form()] = None,
) -> list[dict[str, Any]]:
    """Call an uploaded VCF and store one ``pgx_report`` per sample (audited)."""
    from pharmakon.patients.pgx.persist import save_report

    reports = run_call(vcf, outside_call)
    out = []
    for rep in reports:
        obj = save_report(session, rep, actor=user.username, source=vcf.filename or "upload", reason=reason)
        out.append({"name": obj.name, "version": obj.version, "sample": rep["sample"]})
    return out


@router.get("/reports")
def list_reports(user: ViewerUser, session: SessionDep) -> list[dict[str, Any]]:
    """Newest version of every stored PGx report."""
    from pharmakon.patients.pgx.persist import KIND
    from pharmakon.store import list_objects

    return [
        {"name": o.name, "version": o.version, "created_by": o.created_by, "created_at": o.created_at}
        for o in list_objects(session, KIND)
    ]


@router.get("/reports/{name}")
def get_report(user: ViewerUser, session: SessionDep, name: str) -> dict[str, Any]:
    """One stored report (content as saved)."""
    from pharmakon.patients.pgx.persist import KIND
    from pharmakon.store import get_object

    obj = get_object(session, KIND, name)
    return {"name": obj.name, "version": obj.version, **obj.content}


class WarfarinPatient(BaseModel):
    """One patient in IWPC terms (column names of ``warfarin.csv`` without units)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    race: str = Field("Unknown", description="White, Asian, Black or African American, or Unknown")
    age: str = Field(..., description="IWPC age bin, e.g. '60 - 69' or '90+'")
    height_cm: float = Field(..., gt=50, lt=250)
    weight_kg: float = Field(..., gt=10, lt=400)
    cyp2c9: str | None = Field(None, description="e.g. '*1/*3'; None = unknown")
    vkorc1_1639: str | None = Field(None, description="'G/G', 'A/G' or 'A/A'; None = unknown")
    amiodarone: bool = Field(False, description="taking amiodarone (Cordarone)")
    carbamazepine: bool = Field(False, description="taking carbamazepine (Tegretol): enzyme inducer")
    phenytoin: bool = Field(False, description="taking phenytoin (Dilantin): enzyme inducer")
    rifampin: bool = Field(False, description="taking rifampin / rifampicin: enzyme inducer")


@router.post("/warfarin")
def warfarin(user: ViewerUser, patients: list[WarfarinPatient]) -> list[dict[str, Any]]:
    """IWPC 2009 pharmacogenetic, clinical and fixed doses (mg/week) for each patient.

    Any of carbamazepine, phenytoin or rifampin sets IWPC's single enzyme-inducer term;
    an unknown CYP2C9 or VKORC1 genotype takes the algorithm's "unknown" term.
    """
    import pandas as pd

    from pharmakon.patients.pgx import dose_cohort

    rows = [
        {
            "PharmGKB Subject ID": p.id,
            "Race": p.race,
            "Age": p.age,
            "Height (cm)": p.height_cm,
            "Weight (kg)": p.weight_kg,
            "Amiodarone (Cordarone)": int(p.amiodarone),
            "Carbamazepine (Tegretol)": int(p.carbamazepine),
            "Phenytoin (Dilantin)": int(p.phenytoin),
            "Rifampin or Rifampicin": int(p.rifampin),
            "CYP2C9 consensus": p.cyp2c9,
            "VKORC1 -1639 consensus": p.vkorc1_1639,
        }
        for p in patients
    ]
    if not rows:
        raise InputError("no patients given", field="patients")
    doses = dose_cohort(pd.DataFrame(rows)).astype(object)
    return doses.where(doses.notna(), None).to_dict(orient="records")
