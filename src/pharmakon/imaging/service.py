"""Imaging biomarkers as a service: every use case the CLI, the REST API and the workbench offer.

Each audited use case takes a typed spec (defaults defined here, once), a
:class:`~pharmakon.store.Store` and a :class:`~pharmakon.caller.Caller`, stores its
result as a new version of an object and records its event in the same transaction
(``params["channel"]`` = the caller's channel):

* :func:`measure` (:class:`MeasureSpec`): ``imaging.measure``, object ``imaging_measure``;
* :func:`recist` (:class:`RecistSpec`): ``imaging.recist``, object ``imaging_recist``;
* :func:`features` (:class:`FeaturesSpec`): ``imaging.features``, object ``imaging_features``;
* :func:`convert` (:class:`ConvertSpec`): ``imaging.convert`` (files written only after
  the event is committed; DICOM headers de-identified first, the touched keywords audited).

Read-only: :func:`list_results`, :func:`get_result`, :func:`eligibility`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.files import scratch_folder
from pharmakon.hashing import sha256_file
from pharmakon.imaging import io as imio
from pharmakon.imaging import radiomics as rad
from pharmakon.imaging.measure import MIN_MEASURABLE_MM, measure_lesions
from pharmakon.imaging.recist import (
    RecistRules,
    assess,
    default_evaluator,
    read_sdtm,
    reader_agreement,
    rs_responses,
)
from pharmakon.results import Result
from pharmakon.specs import Spec
from pharmakon.store import Store, get_object, list_objects, record_event, save_object

__all__ = [
    "MeasureSpec",
    "RecistSpec",
    "FeaturesSpec",
    "ConvertSpec",
    "SegmentSpec",
    "VariabilitySpec",
    "SegmentResult",
    "VariabilityResult",
    "segment",
    "variability",
    "LesionOut",
    "MeasureResult",
    "VisitOut",
    "SubjectOut",
    "AgreementOut",
    "RecistResult",
    "FeaturesResult",
    "ConvertResult",
    "StoredInfo",
    "EligibilityResult",
    "measure",
    "recist",
    "features",
    "convert",
    "list_results",
    "get_result",
    "eligibility",
    "stored_eligibility",
    "uploaded_files",
    "viewer_slices",
    "recist_timeline",
    "MAX_UPLOAD_BYTES",
]

#: Largest uploaded file (bytes) the REST API and the workbench accept.
MAX_UPLOAD_BYTES = 200_000_000

#: Largest SDTM file read (bytes).
MAX_SDTM_BYTES = 50_000_000
LABEL_FIELD = Field(None, ge=1, le=65535, description="Mask label (default: 1, or the mask's only label).")
NAME_FIELD = Field(
    None, pattern=r"^[A-Za-z0-9_.:@+-]{1,128}$", description="Stored object name (default: from the file)."
)


# --------------------------------------------------------------------------- specs


#: Longest file path accepted in a spec (characters).
MAX_PATH_CHARS = 4096


class ImagingSpec(Spec):
    """Base of the imaging specs: file paths bounded in length."""

    what: ClassVar[str] = "imaging spec"

    @field_validator("*", mode="after")
    @classmethod
    def _short_path(cls, value: Any) -> Any:
        if isinstance(value, Path) and len(str(value)) > MAX_PATH_CHARS:
            raise ValueError(f"path longer than {MAX_PATH_CHARS} characters")
        return value


class MeasureSpec(ImagingSpec):
    """Measure every lesion of ``label`` in ``mask`` (on ``image``'s grid); mm and mm3."""

    image: Path
    mask: Path
    label: int | None = LABEL_FIELD
    name: str | None = NAME_FIELD


class RecistSpec(ImagingSpec):
    """RECIST 1.1 from SDTM TU/TR (and RS for reader agreement); windows in weeks."""

    tu: Path
    tr: Path
    rs: Path | None = None
    evaluator: str | None = Field(
        None, min_length=1, max_length=64, description="TREVAL/TREVALID read (default: INVESTIGATOR if present)."
    )
    confirm_weeks: float = Field(
        3.0,
        ge=0,
        le=52,
        description="Minimum interval confirming CR/PR (weeks). Default 3 (21 days), what the CDISC onco_recist "
        "set was built with; RECIST 1.1 asks for at least 4 weeks (give 4 for a protocol's 28 days).",
    )
    sd_min_weeks: float = Field(4.0, ge=0, le=52, description="Minimum time from baseline for SD to count (weeks).")
    name: str | None = NAME_FIELD


class FeaturesSpec(ImagingSpec):
    """pyradiomics features of ``image`` inside ``mask``; ``settings`` a YAML/JSON map of pyradiomics settings."""

    image: Path
    mask: Path
    settings: Path | None = None
    label: int | None = LABEL_FIELD
    name: str | None = NAME_FIELD


class SegmentSpec(ImagingSpec):
    """Box-prompted Otsu baseline for the largest lesion of ``mask``, scored against it (Dice, Hausdorff)."""

    image: Path
    mask: Path
    label: int | None = LABEL_FIELD
    margin: int = Field(2, ge=0, le=50, description="In-plane margin of the reader's box around the lesion (voxels).")
    output: Path | None = Field(None, description="Write the baseline's mask here (.nrrd/.nii.gz).")


class VariabilitySpec(ImagingSpec):
    """Reader boundary error (+-max_voxels in-plane) -> rate of RECIST category changes per true ratio."""

    image: Path
    mask: Path
    label: int | None = LABEL_FIELD
    n: int = Field(50, ge=1, le=2000, description="Simulated reader pairs per ratio.")
    max_voxels: int = Field(1, ge=1, le=5)
    ratios: list[float] = Field(
        [0.6, 0.7, 0.8, 1.0, 1.2, 1.3, 1.5], min_length=1, max_length=20, description="True diameter ratios."
    )
    seed: int = Field(0, ge=0, le=2**31 - 1)


class ConvertSpec(ImagingSpec):
    """DICOM file/series (+ SEG or RTSTRUCT) to ``output`` (.nrrd, .nii, .nii.gz)."""

    dicom: Path
    output: Path
    seg: Path | None = None
    rtstruct: Path | None = None


# --------------------------------------------------------------------------- results


class LesionOut(BaseModel):
    """One lesion (mm, mm3); ``slice`` indexes the third image axis."""

    voxels: int
    volume_mm3: float
    longest_diameter_mm: float
    short_axis_mm: float
    max_3d_diameter_mm: float
    slice: int


class MeasureResult(Result):
    """Lesions of a mask, largest first."""

    name: str
    version: int
    label: int
    spacing_mm: list[float]
    lesions: list[LesionOut]

    def summary(self) -> str:
        lines = [f"{len(self.lesions)} lesion(s) of label {self.label} (stored as {self.name} v{self.version})"]
        lines += [
            f"  #{i}: {les.voxels} voxels, {les.volume_mm3:.1f} mm3, longest {les.longest_diameter_mm:.2f} mm "
            f"(slice {les.slice}), short axis {les.short_axis_mm:.2f} mm, 3-D {les.max_3d_diameter_mm:.2f} mm"
            for i, les in enumerate(self.lesions, start=1)
        ]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([les.model_dump() for les in self.lesions])


class VisitOut(BaseModel):
    """One follow-up assessment; ``rs_response`` is the RS file's response of the same reader."""

    visit: str
    visitnum: float
    date: str
    day: int
    sod: float | None
    nadir: float | None
    target: str | None
    non_target: str | None
    new_lesion: bool
    response: str
    rs_response: str | None = None


class SubjectOut(BaseModel):
    usubjid: str
    baseline_sod: float | None
    baseline_date: str
    visits: list[VisitOut]
    bor: str
    cbor: str
    ttp_days: int | None


class AgreementOut(BaseModel):
    """Two readers of the RS file: kappa on paired visits, discordant best responses."""

    readers: list[str]
    pairs: int
    kappa: float | None
    subjects: int
    discordant_bor: int
    discordant_bor_rate: float


class RecistResult(Result):
    """Per-subject RECIST 1.1 assessment of one reader."""

    name: str
    version: int
    evaluator: str | None
    confirm_days: int
    sd_min_days: int
    subjects: list[SubjectOut]
    kappa: float | None = None
    agreement: AgreementOut | None = None

    def summary(self) -> str:
        who = self.evaluator or "single reader"
        lines = [f"RECIST 1.1, {who}: {len(self.subjects)} subject(s) (stored as {self.name} v{self.version})"]
        for s in self.subjects:
            path = " ".join(v.response for v in s.visits)
            lines.append(f"  {s.usubjid}: BOR {s.bor}, confirmed {s.cbor}  [{path}]")
        if self.agreement is not None:
            a = self.agreement
            lines.append(
                f"  readers {a.readers[0]} vs {a.readers[1]}: kappa {a.kappa:.3f} on {a.pairs} visits; "
                f"discordant BOR {a.discordant_bor}/{a.subjects}"
            )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"usubjid": s.usubjid, "bor": s.bor, "cbor": s.cbor, "ttp_days": s.ttp_days} for s in self.subjects]
        )


class FeaturesResult(Result):
    """pyradiomics features, by pyradiomics' names."""

    name: str
    version: int
    settings: dict[str, Any]
    features: dict[str, float]

    def summary(self) -> str:
        return f"{len(self.features)} features (stored as {self.name} v{self.version})"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"feature": list(self.features), "value": list(self.features.values())})


class ConvertResult(Result):
    """Files written (image or label map, mask) and the de-identified header summary."""

    output: str
    mask_output: str | None
    kind: str
    size: list[int]
    spacing_mm: list[float]
    foreground_voxels: int | None
    labels: list[int]
    deidentified: list[str] = Field(description="DICOM keywords the Basic Profile removed, emptied or replaced.")
    header: dict[str, str]

    def summary(self) -> str:
        mask = f"; mask -> {self.mask_output} ({self.foreground_voxels} voxels)" if self.mask_output else ""
        fg = f", {self.foreground_voxels} foreground voxels" if self.kind == "segmentation" else ""
        size = "x".join(map(str, self.size))
        return f"{self.kind} {size} -> {self.output}{fg}{mask}; {len(self.deidentified)} attribute(s) de-identified"


class SegmentResult(Result):
    """The baseline's overlap with the reference lesion."""

    voxels_reference: int
    voxels_baseline: int
    dice: float
    hausdorff_mm: float
    margin: int
    output: str | None

    def summary(self) -> str:
        return (
            f"box-prompted Otsu baseline: Dice {self.dice:.3f}, Hausdorff {self.hausdorff_mm:.2f} mm "
            f"({self.voxels_baseline} voxels vs {self.voxels_reference} in the reference)"
        )


class VariabilityRowOut(BaseModel):
    ratio: float
    true_category: str
    n: int
    changed: int
    rate: float


class VariabilityResult(Result):
    """Rate of changed RECIST categories under simulated reader boundary error."""

    max_voxels: int
    seed: int
    rows: list[VariabilityRowOut]

    def summary(self) -> str:
        lines = [f"reader boundary error up to {self.max_voxels} voxel(s); seed {self.seed}"]
        lines += [
            f"  ratio {r.ratio:.2f} ({r.true_category}): {r.changed}/{r.n} changed ({r.rate:.1%})" for r in self.rows
        ]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.rows])


class StoredInfo(Result):
    """A stored imaging result (latest version)."""

    kind: str
    name: str
    version: int
    created_by: str
    created_at: str


class EligibilityResult(Result):
    """Image-based eligibility: at least ``min_lesions`` measurable lesion(s) >= ``min_diameter_mm``."""

    eligible: bool
    measurable: int
    min_diameter_mm: float
    reason: str

    def summary(self) -> str:
        return f"{'eligible' if self.eligible else 'not eligible'}: {self.reason}"


# --------------------------------------------------------------------------- helpers


def _file(path: Path, what: str) -> Path:
    if not path.is_file() and not (what == "dicom" and path.is_dir()):
        raise InputError("no such file", file=str(path), field=what)
    return path


def _hash(path: Path) -> str:
    if path.is_dir():
        from pharmakon.hashing import sha256_json

        return sha256_json({p.name: sha256_file(p) for p in sorted(path.iterdir()) if p.is_file()})
    return sha256_file(path)


def _stem(path: Path) -> str:
    stem = path.name.split(".")[0]
    clean = "".join(c if c.isalnum() or c in "_.-" else "_" for c in stem)[:100]
    return clean or "image"


def _label(mask: np.ndarray, label: int | None, file: Path) -> int:
    """The label to use: the one asked for, else 1, else the mask's only non-zero label.

    Raises
    ------
    InputError
        The mask has no voxel of that label (an empty mask), or several labels and none given.
    """
    present = [int(v) for v in np.unique(mask) if v != 0]
    if label is None:
        if 1 in present or not present:
            label = 1
        elif len(present) == 1:
            label = present[0]
        else:
            raise InputError(f"mask has labels {present[:20]} and no 1; give --label", file=str(file), field="label")
    if label not in present:
        raise InputError(f"mask has no voxel of label {label} (empty mask)", file=str(file), field="label")
    return label


def _save(
    store: Store, caller: Caller, *, kind: str, name: str, content: dict, action: str, inputs: dict, params: dict
) -> int:
    with store.session() as session:
        stored = save_object(session, kind=kind, name=name, content=content, actor=caller.actor)
        record_event(
            session,
            actor=caller.actor,
            action=action,
            object_type=kind,
            object_id=f"{name}@{stored.version}",
            inputs=inputs,
            outputs={"content": stored.content_hash},
            params={**params, "channel": caller.channel},
        )
    return stored.version


# --------------------------------------------------------------------------- use cases


def measure(store: Store, spec: MeasureSpec, caller: Caller) -> MeasureResult:
    """Measure the lesions of ``spec.mask``; stored as ``imaging_measure/<name>``, audited ``imaging.measure``.

    Raises
    ------
    InputError
        Unreadable files, a mask on another grid (shapes and spacings named), no voxel of the label.
    """
    image = imio.read_image(_file(spec.image, "image"))
    mask = imio.read_mask(_file(spec.mask, "mask"), image)
    vol = imio.Volume.of(mask)
    label = _label(vol.array, spec.label, spec.mask)
    out = [LesionOut(**les.to_dict()) for les in measure_lesions(vol.array, vol.spacing, label)]
    name = spec.name or f"measure:{_stem(spec.mask)}"
    content = {"label": label, "spacing_mm": list(vol.spacing), "lesions": [o.model_dump() for o in out]}
    version = _save(
        store,
        caller,
        kind="imaging_measure",
        name=name,
        content=content,
        action="imaging.measure",
        inputs={"image": _hash(spec.image), "mask": _hash(spec.mask)},
        params={"label": label, "lesions": len(out)},
    )
    return MeasureResult(name=name, version=version, **content)


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    _file(path, what)
    if path.stat().st_size > MAX_SDTM_BYTES:
        raise InputError(f"file is larger than {MAX_SDTM_BYTES} bytes", file=str(path))
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"not a readable CSV: {exc}", file=str(path)) from None


def _readers(rs: pd.DataFrame) -> list[str]:
    ids = [r for r in rs["READER"].unique() if r and r != "INVESTIGATOR"]
    return sorted(ids)


def recist(store: Store, spec: RecistSpec, caller: Caller) -> RecistResult:
    """RECIST 1.1 per subject; with an RS file holding two readers, kappa and BOR discordance.

    Stored as ``imaging_recist/<name>``; audited ``imaging.recist`` (inputs: the files' hashes).
    """
    tu, tr = _read_csv(spec.tu, "tu"), _read_csv(spec.tr, "tr")
    rules = RecistRules(confirm_days=round(spec.confirm_weeks * 7), sd_min_days=round(spec.sd_min_weeks * 7))
    evaluator = spec.evaluator or default_evaluator(tr)
    reads = read_sdtm(tu, tr, evaluator, tu_file=str(spec.tu), tr_file=str(spec.tr))
    subjects = assess(reads, rules)
    rs = rs_responses(_read_csv(spec.rs, "rs"), str(spec.rs)) if spec.rs else None
    out = [_subject_out(s, rs, evaluator) for s in subjects]
    agreement = None
    if rs is not None and len(readers := _readers(rs)) == 2:
        base = {s.usubjid: pd.Timestamp(s.baseline_date).date() for s in subjects}
        agr = reader_agreement(rs, (readers[0], readers[1]), base, rules)
        agreement = AgreementOut(
            readers=list(agr.readers),
            pairs=agr.pairs,
            kappa=agr.kappa if math.isfinite(agr.kappa) else None,  # no pairs, or one category only
            subjects=agr.subjects,
            discordant_bor=agr.discordant_bor,
            discordant_bor_rate=agr.discordant_bor_rate,
        )
    name = spec.name or f"recist:{_stem(spec.tr)}"
    content = {
        "evaluator": evaluator,
        "confirm_days": rules.confirm_days,
        "sd_min_days": rules.sd_min_days,
        "subjects": [s.model_dump() for s in out],
        "kappa": agreement.kappa if agreement else None,
        "agreement": agreement.model_dump() if agreement else None,
    }
    inputs = {"tu": _hash(spec.tu), "tr": _hash(spec.tr)} | ({"rs": _hash(spec.rs)} if spec.rs else {})
    params = {
        "evaluator": evaluator,
        "confirm_days": rules.confirm_days,
        "sd_min_days": rules.sd_min_days,
        "subjects": len(out),
    }
    version = _save(
        store,
        caller,
        kind="imaging_recist",
        name=name,
        content=content,
        action="imaging.recist",
        inputs=inputs,
        params=params,
    )
    return RecistResult(name=name, version=version, **content)


def _subject_out(s: Any, rs: pd.DataFrame | None, evaluator: str | None) -> SubjectOut:
    data = s.to_dict()
    if rs is not None:
        mine = rs[(rs["USUBJID"] == s.usubjid) & (rs["READER"] == (evaluator or "").upper())]
        by_visit = dict(zip(mine["VISITNUM"], mine["RESPONSE"], strict=True))
        for v in data["visits"]:
            v["rs_response"] = by_visit.get(v["visitnum"])
    return SubjectOut(**data)


def _settings(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    _file(path, "settings")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        import yaml

        data = yaml.safe_load(text)
    except Exception as exc:  # yaml.YAMLError and friends
        raise InputError(f"not YAML/JSON: {exc}", file=str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("settings must be a mapping", file=str(path))
    data = data.get("setting", data)  # pyradiomics parameter files nest settings under "setting"
    return rad.check_settings(data, file=str(path))


def features(store: Store, spec: FeaturesSpec, caller: Caller) -> FeaturesResult:
    """pyradiomics features of the lesion; stored as ``imaging_features/<name>``, audited ``imaging.features``."""
    image = imio.read_image(_file(spec.image, "image"))
    mask = imio.read_mask(_file(spec.mask, "mask"), image)
    label = _label(imio.Volume.of(mask).array, spec.label, spec.mask)
    settings = {**rad.DEFAULT_SETTINGS, **_settings(spec.settings), "label": label}
    values = rad.extract(image, mask, settings)
    name = spec.name or f"features:{_stem(spec.mask)}"
    content = {"settings": settings, "features": values}
    inputs = {"image": _hash(spec.image), "mask": _hash(spec.mask)}
    if spec.settings:
        inputs["settings"] = _hash(spec.settings)
    version = _save(
        store,
        caller,
        kind="imaging_features",
        name=name,
        content=content,
        action="imaging.features",
        inputs=inputs,
        params={"label": label, "features": len(values)},
    )
    return FeaturesResult(name=name, version=version, **content)


def convert(store: Store, spec: ConvertSpec, caller: Caller) -> ConvertResult:
    """Convert DICOM to NRRD/NIfTI (+ mask on the image grid); audited ``imaging.convert``.

    Headers are de-identified as they are read; the event lists the touched keywords
    (never values) and the written files' hashes. The files are staged and appear only
    after the event is committed.
    """
    from pharmakon.files import staged_files
    from pharmakon.imaging.convert import convert_dicom, mask_path_for

    _file(spec.dicom, "dicom")
    for extra, what in ((spec.seg, "seg"), (spec.rtstruct, "rtstruct")):
        if extra is not None:
            _file(extra, what)
    ext = imio.image_ext(spec.output)
    with staged_files() as staged:
        mask_target = mask_path_for(spec.output) if (spec.seg or spec.rtstruct) else None
        done = convert_dicom(
            spec.dicom,
            staged.path(spec.output),
            seg=spec.seg,
            rtstruct=spec.rtstruct,
            mask_output=staged.path(mask_target) if mask_target else None,
            ext=ext,
        )
        outputs = {str(spec.output): staged.sha256(spec.output)}
        mask_out = mask_target if done.mask_output else None
        if mask_out is not None:
            outputs[str(mask_out)] = staged.sha256(mask_out)
        inputs = {"dicom": _hash(spec.dicom)}
        inputs |= {k: _hash(p) for k, p in (("seg", spec.seg), ("rtstruct", spec.rtstruct)) if p is not None}
        with store.session() as session:
            record_event(
                session,
                actor=caller.actor,
                action="imaging.convert",
                object_type="file",
                object_id=str(spec.output),
                inputs=inputs,
                outputs=outputs,
                params={
                    "kind": done.kind,
                    "deidentified": ",".join(done.deidentified),
                    "profile": "DICOM PS3.15 E.1 basic",
                    "foreground_voxels": done.foreground_voxels,
                    "channel": caller.channel,
                },
            )
    return ConvertResult(
        output=str(spec.output),
        mask_output=str(mask_out) if mask_out else None,
        kind=done.kind,
        size=list(done.size),
        spacing_mm=[float(s) for s in done.spacing],
        foreground_voxels=done.foreground_voxels,
        labels=done.labels,
        deidentified=done.deidentified,
        header=done.header,
    )


def _largest(mask_path: Path, image: Any, label: int | None) -> tuple[imio.Volume, np.ndarray]:
    from skimage.measure import label as cc_label

    vol = imio.Volume.of(imio.read_mask(mask_path, image))
    parts = cc_label(vol.array == _label(vol.array, label, mask_path), connectivity=3)
    return vol, parts == np.argmax(np.bincount(parts.ravel())[1:]) + 1


def segment(store: Store, spec: SegmentSpec, caller: Caller) -> SegmentResult:
    """Box-prompted Otsu baseline against the reference's largest lesion; audited ``imaging.segment``."""
    from pharmakon.files import staged_files
    from pharmakon.imaging.segment import box_segmentation, dice, hausdorff_mm

    image = imio.read_image(_file(spec.image, "image"))
    ref_vol, ref = _largest(_file(spec.mask, "mask"), image, spec.label)
    img = imio.Volume.of(image)
    seg = box_segmentation(img.array, ref, (0, spec.margin, spec.margin))
    result = SegmentResult(
        voxels_reference=int(ref.sum()),
        voxels_baseline=int(seg.sum()),
        dice=dice(seg, ref),
        hausdorff_mm=hausdorff_mm(seg, ref, img.spacing),
        margin=spec.margin,
        output=str(spec.output) if spec.output else None,
    )
    with staged_files() as staged:
        outputs = {}
        if spec.output is not None:
            out = imio.Volume(seg.astype(np.uint8), img.spacing, img.origin, img.direction).to_image()
            imio.write_image(out, staged.path(spec.output), imio.image_ext(spec.output))
            outputs[str(spec.output)] = staged.sha256(spec.output)
        with store.session() as session:
            record_event(
                session,
                actor=caller.actor,
                action="imaging.segment",
                object_type="file" if spec.output else None,
                object_id=str(spec.output) if spec.output else None,
                inputs={"image": _hash(spec.image), "mask": _hash(spec.mask)},
                outputs=outputs,
                params={
                    "method": "otsu-box",
                    "margin": spec.margin,
                    "dice": round(result.dice, 6),
                    "hausdorff_mm": round(result.hausdorff_mm, 6),
                    "channel": caller.channel,
                },
            )
    return result


def variability(store: Store, spec: VariabilitySpec, caller: Caller) -> VariabilityResult:
    """Inter-reader variability simulation on the largest lesion; audited ``imaging.variability``."""
    from pharmakon.imaging.variability import simulate_variability

    image = imio.read_image(_file(spec.image, "image"))
    vol, ref = _largest(_file(spec.mask, "mask"), image, spec.label)
    rows = simulate_variability(ref, vol.spacing, tuple(spec.ratios), spec.n, spec.max_voxels, spec.seed)
    result = VariabilityResult(
        max_voxels=spec.max_voxels, seed=spec.seed, rows=[VariabilityRowOut(**vars(r)) for r in rows]
    )
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="imaging.variability",
            inputs={"image": _hash(spec.image), "mask": _hash(spec.mask)},
            params={
                "n": spec.n,
                "max_voxels": spec.max_voxels,
                "seed": spec.seed,
                "rates": ",".join(f"{r.ratio:g}:{r.rate:.4f}" for r in rows),
                "channel": caller.channel,
            },
        )
    return result


# --------------------------------------------------------------------------- read-only

KINDS = ("imaging_measure", "imaging_recist", "imaging_features")


def list_results(store: Store) -> list[StoredInfo]:
    """Stored imaging results (latest version of each), by kind then name."""
    with store.read_session() as session:
        rows = [o for kind in KINDS for o in list_objects(session, kind)]
    return [
        StoredInfo(kind=o.kind, name=o.name, version=o.version, created_by=o.created_by, created_at=o.created_at)
        for o in rows
    ]


def get_result(store: Store, kind: str, name: str) -> MeasureResult | RecistResult | FeaturesResult:
    """The latest stored version of ``kind``/``name`` as its typed result."""
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; choose from {KINDS}", field="kind")
    with store.read_session() as session:
        obj = get_object(session, kind, name)
    content = obj.content if isinstance(obj.content, dict) else json.loads(obj.content)
    cls = {"imaging_measure": MeasureResult, "imaging_recist": RecistResult, "imaging_features": FeaturesResult}[kind]
    return cls(name=obj.name, version=obj.version, **content)


def eligibility(
    lesions: list[LesionOut] | list[dict[str, Any]],
    *,
    min_diameter_mm: float = MIN_MEASURABLE_MM,
    min_lesions: int = 1,
    node: bool = False,
) -> EligibilityResult:
    """ "At least ``min_lesions`` measurable lesion(s) >= ``min_diameter_mm``", from measurements.

    A non-nodal lesion is measured by its longest diameter; with ``node`` (lymph nodes,
    RECIST: short axis >= 15 mm) by its short axis. Trial matching calls this with a
    study's stored measurements.
    """
    key = "short_axis_mm" if node else "longest_diameter_mm"
    sizes = [float(les[key] if isinstance(les, dict) else getattr(les, key)) for les in lesions]
    n = sum(s >= min_diameter_mm for s in sizes)
    what = "short axis" if node else "longest diameter"
    reason = f"{n} lesion(s) with {what} >= {min_diameter_mm:g} mm (need {min_lesions})"
    return EligibilityResult(eligible=n >= min_lesions, measurable=n, min_diameter_mm=min_diameter_mm, reason=reason)


# --------------------------------------------------------------------------- front-end helpers


@contextmanager
def uploaded_files(files: Mapping[str, tuple[str, IO[bytes]] | None]) -> Iterator[dict[str, Path]]:
    """Uploaded files written to a private temporary folder under their own base names.

    The paths live for the block only. Keeping the uploaded name keeps the default stored
    name and the input hashes the same as the CLI's for the same files.

    Raises
    ------
    InputError
        A file larger than :data:`MAX_UPLOAD_BYTES` or without a name.
    """
    with scratch_folder("imaging-upload") as folder:
        paths: dict[str, Path] = {}
        for key, item in files.items():
            if item is None:
                continue
            filename, stream = item
            base = Path(filename or "").name
            if not base or base in (".", ".."):
                raise InputError("uploaded file has no name", field=key)
            sub = folder / key
            sub.mkdir()
            target = sub / base
            with target.open("wb") as fh:
                copied = 0
                while chunk := stream.read(1 << 20):
                    copied += len(chunk)
                    if copied > MAX_UPLOAD_BYTES:
                        raise InputError(f"upload larger than {MAX_UPLOAD_BYTES} bytes", file=base, field=key)
                    fh.write(chunk)
            paths[key] = target
        yield paths


def viewer_slices(image_path: Path, mask_path: Path, label: int = 1) -> list[dict[str, Any]]:
    """Slices with the mask overlay and caliper (PNG base64) for the workbench viewer; writes nothing."""
    from pharmakon.imaging.figures import overlay_slices

    image = imio.read_image(image_path)
    mask = imio.read_mask(mask_path, image)
    img, msk = imio.Volume.of(image), imio.Volume.of(mask)
    return overlay_slices(img.array.astype(float), (msk.array == label).astype(np.uint8), img.spacing)


def recist_timeline(subject: SubjectOut) -> str:
    """The subject's sum of diameters and per-visit response over time (inline SVG)."""
    from pharmakon.imaging.figures import recist_timeline_svg

    return recist_timeline_svg([v.model_dump() for v in subject.visits], subject.baseline_sod)


def stored_eligibility(
    store: Store,
    measure_name: str,
    *,
    min_diameter_mm: float = MIN_MEASURABLE_MM,
    min_lesions: int = 1,
    node: bool = False,
) -> EligibilityResult:
    """:func:`eligibility` of a stored measurement (``imaging_measure/<measure_name>``, latest version); writes nothing."""
    if not 0 < min_diameter_mm <= 1000 or not 1 <= min_lesions <= 1000:
        raise InputError("min_diameter_mm must be in (0, 1000] and min_lesions in [1, 1000]", field="min_diameter_mm")
    stored = get_result(store, "imaging_measure", measure_name)
    return eligibility(stored.lesions, min_diameter_mm=min_diameter_mm, min_lesions=min_lesions, node=node)
