"""Read FHIR R4 patients: bulk-export NDJSON folders, single NDJSON files and Bundles.

Every resource the matcher uses (Patient, Condition, Observation, MedicationRequest,
MedicationStatement, Procedure, DocumentReference) is validated with the typed R4
models of ``fhir.resources`` (its ``R4B`` package, which reads R4 content) before a
field is read; other resource types (Encounter, Claim...) are skipped unread. A
resource that does not validate is an :class:`FhirError` naming the file, the 1-based
line (NDJSON) or entry index (Bundle) and the resource id.

Assumptions: a resource's patient is its ``subject`` (or ``patient``) reference,
``Patient/<id>`` or ``urn:uuid:<id>``; in a per-patient Bundle a resource without one
belongs to the Bundle's Patient. Notes keep the ``max_notes`` latest documents per
patient (plain-text attachments only).
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pharmakon.errors import InputError
from pharmakon.patients.records.model import Coded, Measurement, PatientRecord

__all__ = ["FhirError", "USED_TYPES", "read_fhir", "read_fhir_resources", "records_from_resources", "iter_resources"]

#: Resource types the matcher reads; the rest are skipped.
USED_TYPES = (
    "Patient",
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "Procedure",
    "DocumentReference",
)
#: Largest FHIR input read (bytes, all files together).
MAX_BYTES = 512 * 1024 * 1024
PREGNANCY_SNOMED = {"77386006", "72892002"}  # pregnancy, normal pregnancy
RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"


class FhirError(InputError):
    """A FHIR resource that cannot be read (file, line or entry, resource id named)."""


def _model(rtype: str) -> type:
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(rtype)


def _validate(raw: dict[str, Any], file: str, where: str) -> Any:
    rtype = raw.get("resourceType")
    rid = raw.get("id", "?")
    try:
        return _model(rtype).model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise FhirError(f"{where}: {rtype}/{rid} is not valid FHIR R4: {loc}: {err['msg']}", file=file) from None


def _ndjson(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FhirError(f"line {lineno}: not JSON ({exc.msg})", file=path.name) from None
            if not isinstance(raw, dict) or "resourceType" not in raw:
                raise FhirError(f"line {lineno}: not a FHIR resource (no resourceType)", file=path.name)
            yield raw, f"line {lineno}"


def _bundle(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FhirError(f"not JSON ({exc.msg} at line {exc.lineno})", file=path.name) from None
    if isinstance(raw, dict) and raw.get("resourceType") == "Bundle":
        for i, entry in enumerate(raw.get("entry") or [], 1):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(res, dict) or "resourceType" not in res:
                raise FhirError(f"entry {i}: no resource", file=path.name)
            yield res, f"entry {i}"
    elif isinstance(raw, dict) and "resourceType" in raw:
        yield raw, "resource 1"
    else:
        raise FhirError("not a FHIR Bundle or resource", file=path.name)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".ndjson", ".json") and p.name != "log.ndjson")
        if not files:
            raise InputError("no .ndjson or .json files in the folder", file=str(path))
        return files
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    return [path]


def iter_resources(path: str | Path) -> Iterator[tuple[Any, str]]:
    """Typed resources of the :data:`USED_TYPES` in a folder, NDJSON file or Bundle, with their source file."""
    files = _files(Path(path))
    if sum(f.stat().st_size for f in files) > MAX_BYTES:
        raise InputError(f"FHIR input larger than {MAX_BYTES // 2**20} MiB", file=str(path))
    for file in files:
        if file.suffix == ".ndjson":
            stem_type = file.name.split(".", 1)[0]
            if stem_type not in USED_TYPES and stem_type[:1].isupper():
                continue  # Encounter.000.ndjson etc.: not read
            rows: Iterable = _ndjson(file)
        else:
            rows = _bundle(file)
        for raw, where in rows:
            if raw["resourceType"] in USED_TYPES:
                yield _validate(raw, file.name, where), file.name


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date(int(text[:4]), 1, 1)
    except ValueError:
        return None


def _ref_id(ref: Any) -> str | None:
    text = getattr(ref, "reference", None)
    if not text:
        return None
    return text.rsplit("/", 1)[-1].removeprefix("urn:uuid:")


def _concept(cc: Any) -> tuple[str, str | None, str | None]:
    """(display, code, system) of a CodeableConcept."""
    if cc is None:
        return "", None, None
    coding = (cc.coding or [None])[0]
    display = cc.text or (coding.display if coding else None) or (coding.code if coding else "") or ""
    return display, coding.code if coding else None, coding.system if coding else None


def _status(cc: Any) -> str | None:
    if cc is None:
        return None
    if isinstance(cc, str):
        return cc
    return cc.coding[0].code if cc.coding else cc.text


def _ext_text(patient: Any, url: str) -> str | None:
    for ext in patient.extension or []:
        if ext.url == url:
            inner = {e.url: e for e in ext.extension or []}
            if "text" in inner:
                return inner["text"].valueString
            if "ombCategory" in inner and inner["ombCategory"].valueCoding:
                return inner["ombCategory"].valueCoding.display
    return None


def _patient(res: Any) -> PatientRecord:
    names = []
    for n in res.name or []:
        names += [*(n.given or []), *([n.family] if n.family else [])]
    ids = [i.value for i in res.identifier or [] if i.value]
    ids += [t.value for t in res.telecom or [] if t.value]
    for a in res.address or []:
        ids += [*(a.line or []), *(x for x in (a.city, a.postalCode) if x)]
    sex = res.gender if res.gender in ("male", "female") else None
    return PatientRecord(
        patient_id=res.id,
        birth_date=_day(res.birthDate),
        sex=sex,
        race=_ext_text(res, RACE_URL),
        ethnicity=_ext_text(res, ETHNICITY_URL),
        names=names,
        identifiers=ids,
    )


def _observation(res: Any, source: str) -> Measurement:
    display, code, system = _concept(res.code)
    value = unit = text = low = high = None
    if res.valueQuantity is not None:
        value = float(res.valueQuantity.value) if res.valueQuantity.value is not None else None
        unit = res.valueQuantity.code or res.valueQuantity.unit
    elif res.valueInteger is not None:
        value = float(res.valueInteger)
    elif res.valueCodeableConcept is not None:
        text = _concept(res.valueCodeableConcept)[0]
    elif res.valueString is not None:
        text = res.valueString
    if res.referenceRange:
        rr = res.referenceRange[0]
        low = float(rr.low.value) if rr.low is not None and rr.low.value is not None else None
        high = float(rr.high.value) if rr.high is not None and rr.high.value is not None else None
    interp = _status(res.interpretation[0]) if res.interpretation else None
    when = res.effectiveDateTime or (res.effectivePeriod.start if res.effectivePeriod else None) or res.issued
    return Measurement(
        display=display,
        value=value,
        unit=unit,
        code=code,
        system=system,
        date=_day(when),
        text=text,
        low=low,
        high=high,
        interpretation=interp,
        source=source,
    )


def _note(res: Any) -> tuple[date | None, str] | None:
    for content in res.content or []:
        att = content.attachment
        if att is None or att.data is None or not (att.contentType or "text/plain").startswith("text/"):
            continue
        data = att.data
        if isinstance(data, str):
            data = base64.b64decode(data)
        return _day(res.date), data.decode("utf-8", errors="replace")
    return None


def _period(res: Any, *names: str) -> date | None:
    for name in names:
        value = getattr(res, name, None)
        if value is not None:
            return _day(getattr(value, "start", value))
    return None


def records_from_resources(resources: Iterable[tuple[Any, str]], *, max_notes: int = 3) -> list[PatientRecord]:
    """Group typed resources by patient into :class:`PatientRecord` objects (order of first Patient seen)."""
    patients: dict[str, PatientRecord] = {}
    facts: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    notes: dict[str, list[tuple[date, str]]] = defaultdict(list)
    bundle_patient: dict[str, str] = {}
    for res, file in resources:
        rtype = res.get_resource_type()
        if rtype == "Patient":
            patients[res.id] = _patient(res)
            bundle_patient.setdefault(file, res.id)
            continue
        pid = _ref_id(getattr(res, "subject", None) or getattr(res, "patient", None)) or bundle_patient.get(file)
        if pid is None:
            raise FhirError(f"{rtype}/{res.id} names no patient (subject)", file=file)
        if rtype == "DocumentReference":
            if (note := _note(res)) is not None:
                notes[pid].append((note[0] or date.min, note[1]))
        else:
            facts[pid].append((rtype, res))
    for pid, items in facts.items():
        rec = patients.get(pid)
        if rec is None:
            continue  # a resource of a patient not in this export: nothing to attach it to
        for rtype, res in items:
            _attach(rec, rtype, res)
    for pid, docs in notes.items():
        if pid in patients:
            docs.sort(key=lambda d: d[0])
            patients[pid].notes = [text for _, text in docs[-max_notes:]] if max_notes else []
    return list(patients.values())


def _attach(rec: PatientRecord, rtype: str, res: Any) -> None:
    source = f"{rtype}/{res.id}"
    if rtype == "Condition":
        display, code, system = _concept(res.code)
        status = _status(res.clinicalStatus)
        onset = _day(res.onsetDateTime) or _period(res, "onsetPeriod") or _day(res.recordedDate)
        item = Coded(display, code, system, onset, _day(res.abatementDateTime), status, None, source)
        rec.conditions.append(item)
        if code in PREGNANCY_SNOMED and status in (None, "active") and item.end is None:
            rec.pregnant = True
    elif rtype == "Observation":
        rec.observations.append(_observation(res, source))
    elif rtype in ("MedicationRequest", "MedicationStatement"):
        display, code, system = _concept(res.medicationCodeableConcept)
        when = _day(getattr(res, "authoredOn", None)) or _period(res, "effectiveDateTime", "effectivePeriod")
        end = _day(res.effectivePeriod.end) if getattr(res, "effectivePeriod", None) is not None else None
        rec.medications.append(Coded(display, code, system, when, end, res.status, None, source))
    elif rtype == "Procedure":
        display, code, system = _concept(res.code)
        when = _period(res, "performedDateTime", "performedPeriod")
        rec.procedures.append(Coded(display, code, system, when, None, res.status, None, source))


def read_fhir(path: str | Path, *, max_notes: int = 3) -> list[PatientRecord]:
    """Patients of a FHIR bulk-export folder, an NDJSON file, or Bundle JSON file(s).

    Parameters
    ----------
    path : str or Path
        A folder of ``Type.NNN.ndjson`` files (and/or per-patient Bundle ``.json`` files),
        one NDJSON file, or one Bundle.
    max_notes : int
        Latest plain-text DocumentReferences kept per patient.

    Raises
    ------
    FhirError
        A resource that is not valid R4 (file, line/entry and resource id named).
    InputError
        No such path, no FHIR files, or no Patient resource.
    """
    records = records_from_resources(iter_resources(path), max_notes=max_notes)
    if not records:
        raise InputError("no Patient resource found", file=str(path))
    return records


def read_fhir_resources(
    resources: Iterable[dict[str, Any]], *, where: str = "request body", max_notes: int = 3
) -> list[PatientRecord]:
    """Patients from FHIR resources given as JSON objects (REST bodies, forms); errors name the item and id.

    A ``Bundle`` among them is opened (its entries are read as if listed).
    """

    def typed() -> Iterator[tuple[Any, str]]:
        for i, raw in enumerate(resources, 1):
            if not isinstance(raw, dict) or "resourceType" not in raw:
                raise FhirError(f"item {i}: not a FHIR resource (no resourceType)", file=where)
            entries = (
                [(e.get("resource"), f"item {i} entry {j}") for j, e in enumerate(raw.get("entry") or [], 1)]
                if raw["resourceType"] == "Bundle"
                else [(raw, f"item {i}")]
            )
            for res, at in entries:
                if not isinstance(res, dict) or "resourceType" not in res:
                    raise FhirError(f"{at}: not a FHIR resource", file=where)
                if res["resourceType"] in USED_TYPES:
                    yield _validate(res, where, at), f"{where}#{i}" if raw["resourceType"] == "Bundle" else where

    records = records_from_resources(typed(), max_notes=max_notes)
    if not records:
        raise InputError("no Patient resource found", file=where)
    return records
