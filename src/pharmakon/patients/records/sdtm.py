"""SDTM -> FHIR R4: CDISC study subjects as FHIR resources (a bulk-export folder).

What is converted (per subject; the screening visit is the record's "today"):

* DM -> ``Patient`` (gender, birthDate from BRTHDTC, US Core race/ethnicity
  extensions from RACE/ETHNIC);
* MH -> ``Condition`` (code text MHDECOD, else MHTERM; MedDRA body system and MHCAT as
  categories; onset MHSTDTC, recorded MHDTC; clinicalStatus ``active`` when the
  history is ongoing (MHENRTPT/MHENRF ``ONGOING``), ``resolved`` with an end date, else
  absent);
* QS at screening -> ``Observation`` per item, plus derived totals (``method``
  "derived: sum of items"): MMSE total (MMITM01-06, LOINC 72106-8) and Modified
  Hachinski total (MHITM01-13);
* LB at screening -> ``Observation`` with LBTESTCD coding, LBSTRESN/LBSTRESU,
  reference range LBSTNRLO-LBSTNRHI and interpretation (H/L/N from LBNRIND);
* CM started on or before screening -> ``MedicationStatement``.

Every resource is validated with ``fhir.resources`` (R4B models) before it is written;
files are written atomically, one ``Type.000.ndjson`` per resource type.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from pharmakon.errors import InputError
from pharmakon.files import atomic_path

__all__ = ["sdtm_to_fhir", "write_ndjson", "read_sdtm", "CDISC_LB", "CDISC_QS", "MEDDRA"]

CDISC_LB = "http://www.cdisc.org/lbtestcd"
CDISC_QS = "http://www.cdisc.org/qstestcd"
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
_RACE_CODES = {
    "WHITE": ("2106-3", "White"),
    "BLACK OR AFRICAN AMERICAN": ("2054-5", "Black or African American"),
    "ASIAN": ("2028-9", "Asian"),
    "AMERICAN INDIAN OR ALASKA NATIVE": ("1002-5", "American Indian or Alaska Native"),
    "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER": ("2076-8", "Native Hawaiian or Other Pacific Islander"),
}
_ETHNIC_CODES = {
    "HISPANIC OR LATINO": ("2135-2", "Hispanic or Latino"),
    "NOT HISPANIC OR LATINO": ("2186-5", "Not Hispanic or Latino"),
}
_TOTALS = {
    "MINI-MENTAL STATE": ("MMTOT", "MMSE total score", "72106-8", "MMITM"),
    "MODIFIED HACHINSKI ISCHEMIC SCORE": ("MHTOT", "Modified Hachinski Ischemic Score total", None, "MHITM"),
}
_INTERP = {"HIGH": "H", "LOW": "L", "NORMAL": "N", "ABNORMAL": "A"}


def read_sdtm(folder: str | Path, domain: str) -> pd.DataFrame:
    """One SDTM domain as a DataFrame (``dm.csv`` or ``dm.csv.gz``); empty if the file is absent."""
    folder = Path(folder)
    for name in (f"{domain}.csv", f"{domain}.csv.gz"):
        if (folder / name).exists():
            return pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    return pd.DataFrame()


def _s(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out


def _dt(value: Any) -> str | None:
    """SDTM ISO 8601 (possibly partial: 1982, 2010-04) as a FHIR dateTime/date."""
    text = _s(value)
    return text[:10] if text else None


def _validate(resource: dict[str, Any]) -> dict[str, Any]:
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValidationError as exc:
        raise InputError(
            f"{resource['resourceType']}/{resource.get('id')} would not be valid FHIR: {exc.errors()[0]['msg']}"
        ) from None
    return resource


def _patient(row: pd.Series) -> dict[str, Any]:
    pid = row["USUBJID"]
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:cdisc:usubjid", "value": pid}],
        "gender": {"M": "male", "F": "female"}.get(row.get("SEX", ""), "unknown"),
    }
    if birth := _dt(row.get("BRTHDTC")):
        res["birthDate"] = birth
    ext = []
    for url, value, codes in (
        ("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", row.get("RACE"), _RACE_CODES),
        ("http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity", row.get("ETHNIC"), _ETHNIC_CODES),
    ):
        if value and value in codes:
            code, display = codes[value]
            coding = {"system": "urn:oid:2.16.840.1.113883.6.238", "code": code, "display": display}
            ext.append(
                {
                    "url": url,
                    "extension": [
                        {"url": "ombCategory", "valueCoding": coding},
                        {"url": "text", "valueString": display},
                    ],
                }
            )
    if ext:
        res["extension"] = ext
    return res


def _condition(row: pd.Series, i: int) -> dict[str, Any]:
    pid = row["USUBJID"]
    term = _s(row.get("MHDECOD")) or _s(row.get("MHTERM")) or "unspecified"
    cats = [{"text": c} for c in (_s(row.get("MHCAT")), _s(row.get("MHBODSYS"))) if c]
    res: dict[str, Any] = {
        "resourceType": "Condition",
        "id": f"{pid}-MH{i}",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"text": term, "coding": [{"system": MEDDRA, "display": term}]},
    }
    if cats:
        res["category"] = cats
    if onset := _dt(row.get("MHSTDTC")):
        res["onsetDateTime"] = onset
    if recorded := _dt(row.get("MHDTC")):
        res["recordedDate"] = recorded
    end = _dt(row.get("MHENDTC"))
    ongoing = "ONGOING" in {str(row.get("MHENRTPT", "")).upper(), str(row.get("MHENRF", "")).upper()}
    status = "active" if ongoing else ("resolved" if end else None)
    if end:
        res["abatementDateTime"] = end
    if status:
        res["clinicalStatus"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]
        }
    return res


def _observation(
    pid: str,
    oid: str,
    code: str,
    system: str,
    display: str,
    value: float | None,
    unit: str | None,
    when: str | None,
    **extra: Any,
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {
            "text": display,
            "coding": [{"system": system, "code": code, "display": display}, *extra.pop("codings", [])],
        },
    }
    if value is not None:
        res["valueQuantity"] = {"value": value, **({"unit": unit} if unit else {})}
    if when:
        res["effectiveDateTime"] = when
    res.update(extra)
    return res


def _qs(qs: pd.DataFrame) -> Iterable[dict[str, Any]]:
    screening = qs[qs["VISIT"].str.upper().str.startswith("SCREENING")] if len(qs) else qs
    for (pid, cat), rows in screening.groupby(["USUBJID", "QSCAT"]):
        when = _dt(rows["QSDTC"].iloc[0])
        for _, r in rows.iterrows():
            yield _observation(
                pid, f"{pid}-QS-{r['QSTESTCD']}", r["QSTESTCD"], CDISC_QS, r["QSTEST"], _num(r["QSSTRESN"]), None, when
            )
        if cat in _TOTALS:
            code, display, loinc, prefix = _TOTALS[cat]
            items = rows[rows["QSTESTCD"].str.startswith(prefix)]["QSSTRESN"].map(_num)
            if len(items) and items.notna().all():
                codings = [{"system": "http://loinc.org", "code": loinc, "display": display}] if loinc else []
                yield _observation(
                    pid,
                    f"{pid}-QS-{code}",
                    code,
                    CDISC_QS,
                    display,
                    float(items.sum()),
                    None,
                    when,
                    codings=codings,
                    method={"text": "derived: sum of items"},
                )


def _lb(lb: pd.DataFrame) -> Iterable[dict[str, Any]]:
    screening = lb[lb["VISIT"].str.upper().str.startswith("SCREENING")] if len(lb) else lb
    seen: set[str] = set()
    for _, r in screening.iterrows():
        oid = f"{r['USUBJID']}-LB-{r['LBTESTCD']}"
        if oid in seen or _num(r.get("LBSTRESN")) is None:
            continue
        seen.add(oid)
        extra: dict[str, Any] = {}
        lo, hi = _num(r.get("LBSTNRLO")), _num(r.get("LBSTNRHI"))
        unit = _s(r.get("LBSTRESU"))
        if lo is not None or hi is not None:
            rr: dict[str, Any] = {}
            if lo is not None:
                rr["low"] = {"value": lo, **({"unit": unit} if unit else {})}
            if hi is not None:
                rr["high"] = {"value": hi, **({"unit": unit} if unit else {})}
            extra["referenceRange"] = [rr]
        if (code := _INTERP.get(str(r.get("LBNRIND", "")).upper())) is not None:
            system = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
            extra["interpretation"] = [{"coding": [{"system": system, "code": code}]}]
        yield _observation(
            r["USUBJID"],
            oid,
            r["LBTESTCD"],
            CDISC_LB,
            r["LBTEST"],
            _num(r["LBSTRESN"]),
            unit,
            _dt(r.get("LBDTC")),
            **extra,
        )


def _cm(cm: pd.DataFrame, screening: dict[str, str]) -> Iterable[dict[str, Any]]:
    for i, r in cm.iterrows():
        pid, start = r["USUBJID"], _dt(r.get("CMSTDTC"))
        if pid not in screening or not start or start > screening[pid]:
            continue
        name = _s(r.get("CMDECOD")) or _s(r.get("CMTRT")) or "unspecified"
        res: dict[str, Any] = {
            "resourceType": "MedicationStatement",
            "id": f"{pid}-CM{i}",
            "status": "active",
            "subject": {"reference": f"Patient/{pid}"},
            "medicationCodeableConcept": {"text": name},
            "effectivePeriod": {"start": start, **({"end": end} if (end := _dt(r.get("CMENDTC"))) else {})},
        }
        yield res


def sdtm_to_fhir(folder: str | Path, *, subjects: Iterable[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """FHIR resources (as validated JSON dicts) per resource type for the subjects of an SDTM folder.

    Raises
    ------
    InputError
        No DM domain in ``folder``.
    """
    dm = read_sdtm(folder, "dm")
    if dm.empty:
        raise InputError("no dm.csv (SDTM Demographics) in the folder", file=str(folder))
    keep = set(subjects) if subjects is not None else set(dm["USUBJID"])
    dm = dm[dm["USUBJID"].isin(keep)]
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    out["Patient"] = [_validate(_patient(r)) for _, r in dm.iterrows()]
    screening = {r["USUBJID"]: (_dt(r.get("DMDTC")) or _dt(r.get("RFSTDTC")) or "9999") for _, r in dm.iterrows()}
    mh, qs, lb, cm = (read_sdtm(folder, d) for d in ("mh", "qs", "lb", "cm"))
    if len(mh):
        out["Condition"] = [_validate(_condition(r, i)) for i, r in mh[mh["USUBJID"].isin(keep)].iterrows()]
    obs = []
    if len(qs):
        obs += list(_qs(qs[qs["USUBJID"].isin(keep)]))
    if len(lb):
        obs += list(_lb(lb[lb["USUBJID"].isin(keep)]))
    out["Observation"] = [_validate(o) for o in obs]
    if len(cm):
        out["MedicationStatement"] = [_validate(m) for m in _cm(cm[cm["USUBJID"].isin(keep)], screening)]
    return dict(out)


def write_ndjson(resources: dict[str, list[dict[str, Any]]], folder: str | Path) -> list[Path]:
    """Write one ``Type.000.ndjson`` per resource type into ``folder`` (created; each file atomic)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for rtype, items in resources.items():
        target = folder / f"{rtype}.000.ndjson"
        with atomic_path(target) as tmp:
            tmp.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in items), encoding="utf-8")
        written.append(target)
    return written
