"""Pharmacogenomics as a service: call a VCF, call a cohort in batch, dose warfarin.

Each audited use case takes a typed spec (defaults defined here, once), the store and
the :class:`~pharmakon.caller.Caller`; it validates, computes (:mod:`~pharmakon.patients.pgx.report`,
:mod:`~pharmakon.patients.pgx.batch`, :mod:`~pharmakon.patients.pgx.warfarin`), stores what is
stored, writes one audit event and returns a typed :class:`~pharmakon.results.Result`.
``pharmakon pgx ...``, the ``/api/v1/pgx`` routes and the ``/pgx`` workbench pages only
build specs (or hand over uploaded files as :class:`Upload`), call these functions and
render what they return.

Audit events (the same for every channel apart from ``actor`` and ``params["channel"]``).
Files a use case writes (``CallSpec.out``, ``BatchSpec.out``, ``WarfarinCohortSpec.out``)
are staged (:func:`pharmakon.files.staged_files`) and renamed into place only after the
event is committed, so an interrupted run leaves no file without its event.

``pgx.call``
    ``object_type="pgx_report"``, ``object_id`` the VCF's name; ``inputs`` the SHA-256 of
    the VCF and of the outside-call file; ``outputs`` the SHA-256 of the reports' JSON
    (``reports``), the files written (``files``; ``files_sha256``: SHA-256 of the JSON map
    file name -> SHA-256) and the stored ``name@version``; ``params`` the
    samples (first 20), their number, ``save`` and the reference's name. Stored reports
    add the store's own ``object.save`` events, in the same transaction.
``pgx.batch``
    ``object_type="pgx_batch"``, ``object_id`` the VCF's name; ``inputs`` the VCF and
    groups files' SHA-256; ``outputs`` the SHA-256 of the calls TSV (``calls``);
    ``params`` samples, backend and chunk size.
``pgx.warfarin``
    ``object_type="warfarin_doses"``, ``object_id`` the cohort file's name (or
    ``patients`` for patients sent one by one); ``inputs`` its SHA-256; ``outputs`` the
    SHA-256 of the dose table (``doses``), of the CSV written (``csv``) and the MAE per
    algorithm where the cohort has observed doses; ``params`` patients, dosed, algorithms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.files import StagedFiles, scratch_folder, staged_files
from pharmakon.patients.pgx.fairness import MIN_GROUP
from pharmakon.patients.pgx.models import Number, SampleReport
from pharmakon.patients.pgx.warfarin import ALGORITHMS, ID, WarfarinPatient
from pharmakon.results import Result
from pharmakon.specs import Spec, build_spec

if TYPE_CHECKING:
    from pharmakon.store import Store

__all__ = [
    "MAX_UPLOAD_BYTES",
    "Upload",
    "spooled_uploads",
    "CallSpec",
    "SavedReport",
    "CallResult",
    "call_vcf_file",
    "call_vcf_uploads",
    "BatchSpec",
    "GeneCoverage",
    "SampleCoverage",
    "BatchResult",
    "batch_call_file",
    "batch_call_uploads",
    "WarfarinPatient",
    "WarfarinPatientsSpec",
    "WarfarinDose",
    "WarfarinDoses",
    "dose_warfarin_patients",
    "WarfarinCohortSpec",
    "WarfarinMae",
    "GroupMae",
    "GroupWarfarinCoverage",
    "WarfarinCohortResult",
    "dose_warfarin_cohort",
    "IwpcFairness",
    "iwpc_fairness",
    "StoredReportInfo",
    "StoredReport",
    "list_reports",
    "get_report",
]

#: Largest file one upload may carry (bytes); files of any size: ``pharmakon pgx call|batch``.
MAX_UPLOAD_BYTES = 200 * 2**20

S = TypeVar("S", bound=BaseModel)


# --------------------------------------------------------------------------- uploads


@dataclass(frozen=True)
class Upload:
    """A file sent through the REST API or a workbench form: its name and its bytes.

    ``stream`` is any binary file object (FastAPI's ``UploadFile.file``); a form's unused
    file input arrives with an empty ``filename`` and counts as not given.
    """

    filename: str
    stream: BinaryIO

    @property
    def given(self) -> bool:
        return bool(self.filename)

    @property
    def name(self) -> str:
        """The file's base name (never a client's folder)."""
        return Path(self.filename.replace("\\", "/")).name or "upload"


def _spool(upload: Upload, folder: Path, stem: str, suffix: str) -> Path:
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"upload {upload.name} is larger than {MAX_UPLOAD_BYTES // 2**20} MiB", field=stem)
    if not data:
        raise InputError(f"upload {upload.filename or stem} is empty", field=stem)
    if suffix == ".vcf" and data[:2] == b"\x1f\x8b":
        suffix = ".vcf.gz"
    path = folder / f"{stem}{suffix}"
    path.write_bytes(data)
    return path


@contextmanager
def spooled_uploads(uploads: dict[str, tuple[Upload, str]]) -> Iterator[dict[str, Path]]:
    """Write uploads to a temporary folder for the readers that need a path.

    Parameters
    ----------
    uploads : dict stem -> (upload, suffix)
        e.g. ``{"vcf": (upload, ".vcf")}``; a gzip-compressed VCF gets ``.vcf.gz``.

    Yields
    ------
    dict stem -> Path
        Removed on exit. An :class:`~pharmakon.errors.InputError` raised inside names the
        uploaded file, never the temporary one.
    """
    with scratch_folder("pgx-upload") as folder:
        tmp = str(folder)
        paths = {stem: _spool(up, folder, stem, suffix) for stem, (up, suffix) in uploads.items()}
        try:
            yield paths
        except InputError as exc:
            message = str(exc)
            for stem, path in paths.items():
                message = message.replace(str(path), uploads[stem][0].name)
            raise InputError(message.replace(tmp, "<upload>")) from exc


# --------------------------------------------------------------------------- pgx.call


class _Spec(Spec):
    """Base of the PGx specs."""


class CallSpec(_Spec):
    """Call star-allele diplotypes, phenotypes and CPIC/DPWG advice for every sample of a VCF."""

    vcf: Path = Field(description="Sample VCF (.vcf or .vcf.gz), GRCh38.")
    outside_call: Path | None = Field(
        None, description="TSV of GENE<TAB>DIPLOTYPE calls made elsewhere (e.g. CYP2D6 with copy number)."
    )
    samples: list[str] | None = Field(None, max_length=100_000, description="Only these samples (default: all).")
    reference: Path | None = Field(
        None, description="GRCh38 FASTA (with .fai): recognise indels shifted inside long repeats."
    )
    out: Path | None = Field(None, description="Folder for <sample>.json/.html and summary.tsv (default: none).")
    save: bool = Field(False, description="Store each sample's report as a versioned pgx_report (scientists).")
    name: str | None = Field(
        None, max_length=256, description="Stored report's name (single-sample VCF; default: the sample name)."
    )
    reason: str | None = Field(None, max_length=2000, description="Why the report is stored (audit trail).")
    vcf_name: str | None = Field(
        None, max_length=512, description="How the VCF is named in reports and the audit trail (default: file name)."
    )


class SavedReport(BaseModel):
    """A stored ``pgx_report`` version."""

    model_config = ConfigDict(extra="forbid")
    name: str
    version: int
    sample: str


class CallResult(Result):
    """Reports of every sample of a VCF, the files written and the reports stored."""

    vcf: str = Field(description="The VCF's name.")
    reports: list[SampleReport]
    files: list[str] = Field(default_factory=list, description="Files written (under CallSpec.out).")
    saved: list[SavedReport] = Field(default_factory=list, description="Stored reports (CallSpec.save).")

    def summary(self) -> str:
        lines = [f"PGx call of {self.vcf}: {len(self.reports)} samples"]
        lines += [rep.summary() for rep in self.reports]
        lines += [f"stored {s.name}@{s.version}" for s in self.saved]
        if self.files:
            lines.append(f"wrote {len(self.files)} files")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per sample and gene (the ``summary.tsv`` columns)."""
        return pd.concat([rep.to_frame() for rep in self.reports], ignore_index=True)


def call_vcf_file(store: Store, spec: CallSpec, caller: Caller) -> CallResult:
    """Call every sample of ``spec.vcf``; write files, store reports; audit ``pgx.call``.

    Raises
    ------
    InputError
        Unreadable VCF, outside-call file or reference; ``name`` for a multi-sample VCF.
    """
    from pharmakon.hashing import sha256_file, sha256_json
    from pharmakon.patients.pgx.persist import save_report
    from pharmakon.patients.pgx.report import call_vcf, write_reports
    from pharmakon.store import record_event

    vcf_name = spec.vcf_name or spec.vcf.name
    reports = list(call_vcf(spec.vcf, spec.outside_call, samples=spec.samples, reference=spec.reference))
    if spec.save and spec.name and len(reports) > 1:
        raise InputError(f"a report name applies to one sample; the VCF has {len(reports)}", field="name")
    inputs = {"vcf": sha256_file(spec.vcf)}
    if spec.outside_call:
        inputs["outside_call"] = sha256_file(spec.outside_call)
    outputs = {"reports": sha256_json([r.to_dict() for r in reports])}
    params: dict[str, Any] = {
        "samples": [r.sample for r in reports][:20],
        "n_samples": len(reports),
        "save": spec.save,
        "channel": caller.channel,
    }
    if spec.reference:
        params["reference"] = spec.reference.name
    saved = []
    # Files are staged, the event committed (with the store writes), then the files renamed
    # into place: a kill leaves no report file without its event.
    with staged_files() as staged:
        written = write_reports(reports, spec.out, staged=staged) if spec.out else []
        if written:
            outputs["files"] = ",".join(p.name for p in written)
            outputs["files_sha256"] = sha256_json({p.name: staged.sha256(p) for p in written})
        with store.session() as session:
            if spec.save:
                source = f"{vcf_name} sha256:{inputs['vcf']}"
                for rep in reports:
                    obj = save_report(
                        session, rep, name=spec.name, actor=caller.actor, source=source, reason=spec.reason
                    )
                    saved.append(SavedReport(name=obj.name, version=obj.version, sample=rep.sample))
                outputs["saved"] = ",".join(f"{s.name}@{s.version}" for s in saved)
            record_event(
                session,
                actor=caller.actor,
                action="pgx.call",
                object_type="pgx_report",
                object_id=vcf_name,
                inputs=inputs,
                outputs=outputs,
                params=params,
                reason=spec.reason,
            )
    return CallResult(vcf=vcf_name, reports=reports, files=[str(p) for p in written], saved=saved)


def call_vcf_uploads(
    store: Store,
    caller: Caller,
    vcf: Upload,
    outside_call: Upload | None = None,
    *,
    save: bool | None = None,
    reason: str | None = None,
) -> CallResult:
    """:func:`call_vcf_file` for uploaded files (REST API, workbench); errors name the uploads."""
    uploads = {"vcf": (vcf, ".vcf")}
    if outside_call is not None and outside_call.given:
        uploads["outside_call"] = (outside_call, ".tsv")
    with spooled_uploads(uploads) as paths:
        spec = build_spec(
            CallSpec,
            vcf=paths["vcf"],
            outside_call=paths.get("outside_call"),
            save=save,
            reason=reason or None,
            vcf_name=vcf.name,
        )
        return call_vcf_file(store, spec, caller)


# --------------------------------------------------------------------------- pgx.batch


class BatchSpec(_Spec):
    """Call every sample of a multi-sample VCF through the executor, with coverage per group."""

    vcf: Path = Field(description="Multi-sample VCF (.vcf or .vcf.gz), GRCh38.")
    out: Path | None = Field(None, description="Output TSV, one row per sample and gene (default: not kept).")
    groups: Path | None = Field(None, description="CSV with columns sample,group: coverage per biogeographic group.")
    backend: str | None = Field(None, max_length=16, description="Executor backend: serial, local or ray.")
    n_jobs: int | None = Field(None, ge=1, le=4096, description="Workers (default: the executor's).")
    chunk_size: int = Field(1000, ge=1, le=10_000_000, description="Samples per executor task.")
    reference: Path | None = Field(None, description="GRCh38 FASTA (indels shifted inside long repeats).")
    min_group: int = Field(
        MIN_GROUP, ge=1, le=1_000_000, description="Groups with fewer samples are flagged small_group."
    )
    vcf_name: str | None = Field(None, max_length=512, description="How the VCF is named (default: file name).")


class GeneCoverage(BaseModel):
    """Shares of one group's samples per call status, for one gene."""

    model_config = ConfigDict(extra="forbid")
    group: str
    gene: str
    share_called: float
    share_uncertain: float
    share_incomplete: float
    share_not_called: float
    n: int
    share_uncertain_or_incomplete: float
    small_group: bool


class SampleCoverage(BaseModel):
    """One group: samples, and the share with at least one gene not fully called."""

    model_config = ConfigDict(extra="forbid")
    group: str
    n_samples: int
    share_any_uncertain: float
    share_any_incomplete: float
    share_any_not_called: float
    share_any_not_fully_called: float
    small_group: bool


class BatchResult(Result):
    """Counts of a batch call, and coverage per group when groups were given."""

    vcf: str
    n_samples: int
    n_genes: int
    n_rows: int
    status_counts: dict[str, int] = Field(description="Status -> (sample, gene) rows.")
    out: str | None = Field(None, description="The calls TSV (BatchSpec.out).")
    coverage: list[GeneCoverage] | None = Field(None, description="Per group and gene.")
    coverage_by_sample: list[SampleCoverage] | None = Field(None, description="Per group.")

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.status_counts.items()))
        lines = [
            f"PGx batch of {self.vcf}: {self.n_samples} samples x {self.n_genes} genes = {self.n_rows} calls",
            f"  status: {counts}",
        ]
        if self.out:
            lines.append(f"  calls written to {self.out}")
        for row in self.coverage_by_sample or []:
            flag = "  (small group: shares unstable)" if row.small_group else ""
            lines.append(
                f"  group {row.group}: {row.n_samples} samples, "
                f"{row.share_any_not_fully_called:.1%} with a gene not fully called{flag}"
            )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Coverage per group and gene (status counts where no groups were given)."""
        if self.coverage is not None:
            return pd.DataFrame([c.model_dump() for c in self.coverage], columns=list(GeneCoverage.model_fields))
        return pd.DataFrame({"status": list(self.status_counts), "n": list(self.status_counts.values())})


def batch_call_file(
    store: Store, spec: BatchSpec, caller: Caller, progress: Callable[[int, int], None] | None = None
) -> BatchResult:
    """Call every sample of ``spec.vcf`` (executor), coverage per group; audit ``pgx.batch``.

    ``progress`` is called with (samples done, samples total) as chunks finish.
    """
    from pharmakon.hashing import sha256_file
    from pharmakon.patients.pgx.batch import call_batch
    from pharmakon.patients.pgx.fairness import (
        coverage_by_group,
        read_batch_calls,
        read_groups,
        sample_coverage_by_group,
    )
    from pharmakon.store import record_event

    vcf_name = spec.vcf_name or spec.vcf.name
    group_of = read_groups(spec.groups) if spec.groups else None
    with scratch_folder("pgx-batch") as tmp, staged_files() as staged:
        # spec.out is staged: it appears after the pgx.batch event is committed (below)
        out = staged.path(spec.out) if spec.out else Path(tmp) / "calls.tsv"
        counts = call_batch(
            spec.vcf,
            out,
            backend=spec.backend,
            n_jobs=spec.n_jobs,
            chunk_size=spec.chunk_size,
            reference=spec.reference,
            progress=progress,
        )
        coverage = by_sample = None
        if group_of is not None:
            calls = read_batch_calls(out)
            coverage = [GeneCoverage(**r) for r in _records(coverage_by_group(calls, group_of, spec.min_group))]
            by_sample = [
                SampleCoverage(**r) for r in _records(sample_coverage_by_group(calls, group_of, spec.min_group))
            ]
        calls_hash = sha256_file(out)
        result = BatchResult(
            vcf=vcf_name,
            **counts,
            out=str(spec.out) if spec.out else None,
            coverage=coverage,
            coverage_by_sample=by_sample,
        )
        inputs = {"vcf": sha256_file(spec.vcf)}
        if spec.groups:
            inputs["groups"] = sha256_file(spec.groups)
        params = {
            "n_samples": result.n_samples,
            "backend": spec.backend,
            "chunk_size": spec.chunk_size,
            "channel": caller.channel,
        }
        with store.session() as session:
            record_event(
                session,
                actor=caller.actor,
                action="pgx.batch",
                object_type="pgx_batch",
                object_id=vcf_name,
                inputs=inputs,
                outputs={"calls": calls_hash},
                params=params,
            )
    return result


def batch_call_uploads(
    store: Store, caller: Caller, vcf: Upload, groups: Upload | None = None, *, backend: str | None = None
) -> BatchResult:
    """:func:`batch_call_file` for uploaded files (workbench); errors name the uploads."""
    uploads = {"vcf": (vcf, ".vcf")}
    if groups is not None and groups.given:
        uploads["groups"] = (groups, ".csv")
    with spooled_uploads(uploads) as paths:
        spec = build_spec(BatchSpec, vcf=paths["vcf"], groups=paths.get("groups"), backend=backend, vcf_name=vcf.name)
        return batch_call_file(store, spec, caller)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as dicts of Python scalars."""
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in frame.to_dict("records")]


# --------------------------------------------------------------------------- pgx.warfarin


class WarfarinPatientsSpec(_Spec):
    """IWPC 2009 doses for patients given one by one (the REST body is the list itself)."""

    patients: list[WarfarinPatient] = Field(max_length=100_000, description="At least one patient.")


class WarfarinDose(BaseModel):
    """IWPC doses of one patient (mg/week); None where the patient cannot be dosed."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)
    subject_id: str = Field(alias=ID)
    pgx_dose_mg_week: Number = Field(description="IWPC pharmacogenetic algorithm (mg/week).")
    clinical_dose_mg_week: Number = Field(description="IWPC clinical algorithm (mg/week).")
    fixed_dose_mg_week: Number = Field(description="Fixed comparator, 35 mg/week.")
    not_dosed_reason: str = Field(description="Empty when dosed; else e.g. 'missing height'.")


def _doses(frame: pd.DataFrame) -> list[WarfarinDose]:
    return [WarfarinDose.model_validate(r) for r in frame.astype(object).to_dict("records")]


def _doses_hash(doses: list[WarfarinDose]) -> str:
    from pharmakon.hashing import sha256_json

    return sha256_json([d.model_dump(mode="json") for d in doses])


class WarfarinDoses(Result):
    """IWPC pharmacogenetic, clinical and fixed doses (mg/week) per patient."""

    n_patients: int
    n_dosed: int
    doses: list[WarfarinDose]

    def summary(self) -> str:
        return f"IWPC warfarin doses: {self.n_dosed} of {self.n_patients} patients dosed ({ALGORITHMS})"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([d.model_dump() for d in self.doses])


def dose_warfarin_patients(store: Store, spec: WarfarinPatientsSpec, caller: Caller) -> WarfarinDoses:
    """IWPC doses for each patient of ``spec``; audit ``pgx.warfarin``.

    Any of carbamazepine, phenytoin or rifampin sets IWPC's single enzyme-inducer term;
    an unknown CYP2C9 or VKORC1 genotype takes the algorithm's "unknown" term.
    """
    from pharmakon.hashing import sha256_json
    from pharmakon.patients.pgx.warfarin import dose_cohort, patients_frame
    from pharmakon.store import record_event

    if not spec.patients:
        raise InputError("no patients given", field="patients")
    doses = _doses(dose_cohort(patients_frame(spec.patients)))
    result = WarfarinDoses(n_patients=len(doses), n_dosed=sum(d.not_dosed_reason == "" for d in doses), doses=doses)
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="pgx.warfarin",
            object_type="warfarin_doses",
            object_id="patients",
            inputs={"patients": sha256_json([p.model_dump(mode="json") for p in spec.patients])},
            outputs={"doses": _doses_hash(doses)},
            params={
                "n_patients": result.n_patients,
                "n_dosed": result.n_dosed,
                "algorithms": ALGORITHMS,
                "channel": caller.channel,
            },
        )
    return result


class WarfarinCohortSpec(_Spec):
    """IWPC doses for every patient of a cohort file, with accuracy and coverage per race."""

    cohort: Path = Field(description="Cohort CSV in the IWPC warfarin.csv layout.")
    out: Path | None = Field(None, description="Output CSV of doses (mg/week) and reasons (default: none).")
    min_group: int = Field(MIN_GROUP, ge=1, le=1_000_000, description="Groups with fewer patients are flagged.")


class WarfarinMae(BaseModel):
    """Mean absolute error (mg/week) of each algorithm against the observed stable dose."""

    model_config = ConfigDict(extra="forbid")
    n: int = Field(description="Patients with an observed dose and complete age, height and weight.")
    pharmacogenetic: float
    clinical: float
    fixed: float


class GroupMae(BaseModel):
    """IWPC dose MAE (mg/week) in one race group, with 95% intervals (normal approximation)."""

    model_config = ConfigDict(extra="forbid")
    group: str
    n: int
    mae_pharmacogenetic: Number
    ci_low_pharmacogenetic: Number
    ci_high_pharmacogenetic: Number
    mae_clinical: Number
    ci_low_clinical: Number
    ci_high_clinical: Number
    mae_fixed: Number
    ci_low_fixed: Number
    ci_high_fixed: Number
    small_group: bool


class GroupWarfarinCoverage(BaseModel):
    """One race group: patients, shares with an unknown genotype and not dosable."""

    model_config = ConfigDict(extra="forbid")
    group: str
    n: int
    share_cyp2c9_unknown: float
    share_vkorc1_unknown: float
    share_any_genotype_unknown: float
    share_not_dosable: float
    small_group: bool


class IwpcFairness(Result):
    """IWPC dosing accuracy and genotype coverage per race group."""

    mae_mg_week: WarfarinMae | None = Field(None, description="Overall MAE (cohorts with observed doses).")
    mae_by_race: list[GroupMae] | None = Field(None, description="MAE per race group (cohorts with observed doses).")
    coverage_by_race: list[GroupWarfarinCoverage]

    def summary(self) -> str:
        lines = []
        if self.mae_mg_week:
            m = self.mae_mg_week
            lines.append(
                f"MAE (n={m.n}): pharmacogenetic {m.pharmacogenetic:.2f}, clinical {m.clinical:.2f},"
                f" fixed {m.fixed:.2f} mg/week"
            )
        for r in self.mae_by_race or []:
            flag = " (small group)" if r.small_group else ""
            lines.append(f"  {r.group}: n={r.n}, pharmacogenetic MAE {r.mae_pharmacogenetic:.2f}{flag}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Coverage per race group."""
        return pd.DataFrame([c.model_dump() for c in self.coverage_by_race])


class WarfarinCohortResult(IwpcFairness):
    """Doses of a cohort (written to ``out``), accuracy and coverage per race group."""

    cohort: str = Field(description="The cohort file's name.")
    n_patients: int
    n_dosed: int
    out: str | None = Field(None, description="The dose CSV written.")
    doses: list[WarfarinDose] = Field(default_factory=list, exclude=True)

    def summary(self) -> str:
        head = f"dosed {self.n_dosed} of {self.n_patients} patients of {self.cohort}"
        head += f" -> {self.out}" if self.out else ""
        return "\n".join([head, super().summary()]).rstrip()

    def to_frame(self) -> pd.DataFrame:
        """The doses, one row per patient."""
        return pd.DataFrame([d.model_dump() for d in self.doses])


def _cohort_tables(frame: pd.DataFrame, min_group: int) -> dict[str, Any]:
    from pharmakon.patients.pgx.fairness import warfarin_coverage, warfarin_mae_by_group
    from pharmakon.patients.pgx.warfarin import THERAPEUTIC_DOSE, iwpc_mae

    tables: dict[str, Any] = {
        "coverage_by_race": [
            GroupWarfarinCoverage(**r) for r in _records(warfarin_coverage(frame, min_group=min_group))
        ]
    }
    if THERAPEUTIC_DOSE in frame.columns:
        tables["mae_mg_week"] = WarfarinMae(**iwpc_mae(frame))
        tables["mae_by_race"] = [GroupMae(**r) for r in _records(warfarin_mae_by_group(frame, min_group=min_group))]
    return tables


def dose_warfarin_cohort(store: Store, spec: WarfarinCohortSpec, caller: Caller) -> WarfarinCohortResult:
    """IWPC doses for every patient of ``spec.cohort`` (CSV to ``spec.out``); audit ``pgx.warfarin``."""
    from pharmakon.patients.pgx.warfarin import dose_cohort, read_cohort, write_doses

    frame = read_cohort(spec.cohort)
    table = dose_cohort(frame)
    with staged_files() as staged:  # the CSV appears after the pgx.warfarin event is committed
        if spec.out:
            write_doses(table, staged.path(spec.out))
        return _record_cohort_doses(store, spec, caller, frame, table, staged)


def _record_cohort_doses(
    store: Store,
    spec: WarfarinCohortSpec,
    caller: Caller,
    frame: pd.DataFrame,
    table: pd.DataFrame,
    staged: StagedFiles,
) -> WarfarinCohortResult:
    """The result and the ``pgx.warfarin`` event of :func:`dose_warfarin_cohort` (its CSV still staged)."""
    from pharmakon.hashing import sha256_file
    from pharmakon.store import record_event

    doses = _doses(table)
    result = WarfarinCohortResult(
        cohort=spec.cohort.name,
        n_patients=len(doses),
        n_dosed=sum(d.not_dosed_reason == "" for d in doses),
        out=str(spec.out) if spec.out else None,
        doses=doses,
        **_cohort_tables(frame, spec.min_group),
    )
    outputs = {"doses": _doses_hash(doses)}
    if spec.out:
        outputs["csv"] = staged.sha256(spec.out)
    if result.mae_mg_week:
        outputs |= {f"mae_{k}": f"{v:.4f}" for k, v in result.mae_mg_week.model_dump().items() if k != "n"}
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="pgx.warfarin",
            object_type="warfarin_doses",
            object_id=spec.cohort.name,
            inputs={"cohort": sha256_file(spec.cohort)},
            outputs=outputs,
            params={
                "n_patients": result.n_patients,
                "n_dosed": result.n_dosed,
                "algorithms": ALGORITHMS,
                "channel": caller.channel,
            },
        )
    return result


def iwpc_fairness(min_group: int = MIN_GROUP) -> IwpcFairness:
    """Accuracy and coverage per race on the catalogued IWPC cohort (read-only, not audited).

    Raises
    ------
    PharmakonError
        The ``iwpc_warfarin`` data set cannot be fetched or read.
    """
    from pharmakon.patients.pgx.definitions import data_folder
    from pharmakon.patients.pgx.warfarin import read_cohort

    frame = read_cohort(data_folder("iwpc_warfarin") / "warfarin.csv")
    return IwpcFairness(**_cohort_tables(frame, min_group))


# --------------------------------------------------------------------------- stored reports


class StoredReportInfo(BaseModel):
    """The newest version of a stored report."""

    model_config = ConfigDict(extra="forbid")
    name: str
    version: int
    created_by: str
    created_at: str


class StoredReport(Result):
    """One stored report version, as saved."""

    name: str
    version: int
    report: SampleReport
    source: str = Field(description="Where the genotypes came from: file name and SHA-256.")

    def summary(self) -> str:
        return f"{self.name}@{self.version} (from {self.source})\n{self.report.summary()}"

    def to_frame(self) -> pd.DataFrame:
        return self.report.to_frame()


def list_reports(store: Store) -> list[StoredReportInfo]:
    """Newest version of every stored PGx report."""
    from pharmakon.patients.pgx.persist import KIND
    from pharmakon.store import list_objects

    with store.read_session() as session:
        objects = list_objects(session, KIND)
    return [
        StoredReportInfo(name=o.name, version=o.version, created_by=o.created_by, created_at=str(o.created_at))
        for o in objects
    ]


def get_report(store: Store, name: str, version: int | None = None) -> StoredReport:
    """A stored report (newest version unless ``version``).

    Raises
    ------
    NotFoundError
        No report of that name (or version).
    """
    from pharmakon.patients.pgx.persist import KIND
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, KIND, name, version)
    return StoredReport(name=obj.name, version=obj.version, **obj.content)
