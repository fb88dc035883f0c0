"""Trial documents: ClinicalTrials.gov API v2 JSON and the flattened TREC trial lines.

A :class:`Trial` holds what matching needs: id, title, summary, conditions, the
eligibility text (``criteria_text``, as written) and the structured eligibility fields
(sex, minimum/maximum age in years, healthy volunteers), plus phase, status and
locations for display.

Relevance labels never enter a :class:`Trial`: the TREC mirror's records carry
``qrels_2021``, ``qrels_2022`` and ``sampled_for`` fields (judgments), which
:func:`trial_from_flat` drops unread (:data:`IGNORED_FIELDS`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pharmakon.errors import InputError

__all__ = [
    "Trial",
    "IGNORED_FIELDS",
    "MAX_TRIALS",
    "parse_age",
    "trial_from_flat",
    "trial_from_ctgov",
    "read_trials",
    "read_ctgov",
    "ctgov_document",
]

#: Fields of the TREC mirror's trial lines that are judgments, never read by the matcher.
IGNORED_FIELDS = frozenset({"qrels_2021", "qrels_2022", "sampled_for"})
#: Largest trial collection read (trials).
MAX_TRIALS = 200_000
#: Longest criteria text kept (characters).
MAX_CRITERIA_CHARS = 50_000
_AGE_UNITS = {"year": 1.0, "month": 1 / 12, "week": 1 / 52, "day": 1 / 365, "hour": 1 / 8766, "minute": 1 / 525960}


@dataclass
class Trial:
    """One trial as the matcher sees it (ages in years; ``sex`` ``all``/``male``/``female``)."""

    nct_id: str
    title: str = ""
    summary: str = ""
    conditions: list[str] = field(default_factory=list)
    criteria_text: str = ""
    inclusion_text: str | None = None
    exclusion_text: str | None = None
    sex: str = "all"
    min_age: float | None = None
    max_age: float | None = None
    healthy_volunteers: bool | None = None
    phase: list[str] = field(default_factory=list)
    status: str | None = None
    locations: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)

    def search_text(self) -> str:
        """The text indexed for retrieval: title, conditions, keywords, interventions, summary, criteria."""
        parts = [self.title, " ".join(self.conditions), " ".join(self.keywords), " ".join(self.interventions)]
        return "\n".join([*parts, self.summary, self.criteria_text])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_age(text: Any) -> float | None:
    """ClinicalTrials.gov age ("18 Years", "6 Months", "N/A") in years; ``None`` if absent."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text)
    m = re.match(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)?", str(text))
    if not m:
        return None
    unit = (m.group(2) or "year").lower().rstrip("s")
    return float(m.group(1)) * _AGE_UNITS.get(unit, 1.0)


def _sex(value: Any) -> str:
    text = str(value or "all").strip().lower()
    return text if text in ("male", "female") else "all"


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value if v is not None]


def _clean(text: Any) -> str:
    """Criteria text without ClinicalTrials.gov markdown escapes (``\\<``, ``\\[``...)."""
    return re.sub(r"\\([<>\[\]\-*_#+.()~=|])", r"\1", str(text or ""))[:MAX_CRITERIA_CHARS]


def trial_from_flat(row: dict[str, Any], *, where: str = "trial") -> Trial:
    """A :class:`Trial` from a flattened line (``trec_ct_2021_trials`` or SIGIR sample layout).

    Judgment fields (:data:`IGNORED_FIELDS`) are dropped before anything is read.
    """
    row = {k: v for k, v in row.items() if k not in IGNORED_FIELDS}
    nct = row.get("nct_id") or row.get("nctid") or row.get("_id") or row.get("id")
    if not nct:
        raise InputError(f"{where}: no nct_id", field="nct_id")
    criteria = row.get("raw_criteria") or row.get("criteria") or ""
    inc, exc = row.get("inclusion_criteria"), row.get("exclusion_criteria")
    if not criteria and (inc or exc):
        criteria = f"Inclusion Criteria:\n{inc or ''}\n\nExclusion Criteria:\n{exc or ''}"
    min_age = row.get("min_age_years", row.get("minimum_age"))
    max_age = row.get("max_age_years", row.get("maximum_age"))
    return Trial(
        nct_id=str(nct),
        title=str(row.get("title") or row.get("brief_title") or ""),
        summary=str(row.get("brief_summary") or row.get("summary") or ""),
        conditions=_list(row.get("conditions") or row.get("condition") or row.get("diseases_list")),
        criteria_text=_clean(criteria),
        sex=_sex(row.get("sex") or row.get("gender")),
        min_age=parse_age(min_age),
        max_age=parse_age(max_age),
        phase=_list(row.get("phases") or row.get("phase")),
        status=row.get("overall_status") or row.get("status"),
        keywords=_list(row.get("keywords")),
        interventions=_list(row.get("drugs_list") or row.get("interventions")),
    )


def trial_from_ctgov(doc: dict[str, Any], *, where: str = "trial") -> Trial:
    """A :class:`Trial` from one ClinicalTrials.gov API v2 study (``protocolSection`` layout)."""
    ps = doc.get("protocolSection")
    if not isinstance(ps, dict):
        raise InputError(
            f"{where}: not a ClinicalTrials.gov API v2 study (no protocolSection)", field="protocolSection"
        )
    ident = ps.get("identificationModule") or {}
    nct = ident.get("nctId")
    if not nct:
        raise InputError(f"{where}: no identificationModule.nctId", field="nctId")
    elig = ps.get("eligibilityModule") or {}
    cond = ps.get("conditionsModule") or {}
    status = ps.get("statusModule") or {}
    design = ps.get("designModule") or {}
    locs = (ps.get("contactsLocationsModule") or {}).get("locations") or []
    arms = (ps.get("armsInterventionsModule") or {}).get("interventions") or []
    hv = elig.get("healthyVolunteers")
    return Trial(
        nct_id=str(nct),
        title=str(ident.get("officialTitle") or ident.get("briefTitle") or ""),
        summary=str((ps.get("descriptionModule") or {}).get("briefSummary") or ""),
        conditions=_list(cond.get("conditions")),
        keywords=_list(cond.get("keywords")),
        criteria_text=_clean(elig.get("eligibilityCriteria")),
        sex=_sex(elig.get("sex")),
        min_age=parse_age(elig.get("minimumAge")),
        max_age=parse_age(elig.get("maximumAge")),
        healthy_volunteers=hv if isinstance(hv, bool) else None,
        phase=_list(design.get("phases")),
        status=status.get("overallStatus"),
        locations=[
            ", ".join(str(x) for x in (loc.get("facility"), loc.get("city"), loc.get("country")) if x) for loc in locs
        ],
        interventions=[str(i.get("name")) for i in arms if isinstance(i, dict) and i.get("name")],
    )


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not JSON: {exc.msg}", file=path.name, row=lineno) from None
            if not isinstance(row, dict):
                raise InputError("each line must be a JSON object", file=path.name, row=lineno)
            yield lineno, row


def read_trials(path: str | Path) -> list[Trial]:
    """Trials of a JSON-lines file: flattened TREC lines or API v2 studies (one per line).

    Raises
    ------
    InputError
        Unreadable line (file and line named), a trial without an id, duplicate ids,
        more than :data:`MAX_TRIALS`, or an empty file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    trials: list[Trial] = []
    seen: set[str] = set()
    for lineno, row in _iter_jsonl(path):
        where = f"{path.name} line {lineno}"
        trial = trial_from_ctgov(row, where=where) if "protocolSection" in row else trial_from_flat(row, where=where)
        if trial.nct_id in seen:
            raise InputError(f"duplicate trial {trial.nct_id}", file=path.name, row=lineno)
        seen.add(trial.nct_id)
        trials.append(trial)
        if len(trials) > MAX_TRIALS:
            raise InputError(f"more than {MAX_TRIALS} trials", file=path.name)
    if not trials:
        raise InputError("no trials in the file", file=path.name)
    return trials


def read_ctgov(path: str | Path) -> Trial:
    """One trial from a ClinicalTrials.gov API v2 JSON file (a study, or ``{"studies": [one]}``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not JSON: {exc}", file=path.name) from None
    if isinstance(doc, dict) and isinstance(doc.get("studies"), list) and len(doc["studies"]) == 1:
        doc = doc["studies"][0]
    if not isinstance(doc, dict):
        raise InputError("expected one ClinicalTrials.gov study object", file=path.name)
    if "protocolSection" not in doc:
        return trial_from_flat(doc, where=path.name)
    return trial_from_ctgov(doc, where=path.name)


def ctgov_document(trial: Trial) -> dict[str, Any]:
    """A ClinicalTrials.gov API v2 study (``protocolSection`` layout) holding ``trial``'s fields.

    :func:`trial_from_ctgov` reads it back to an equal :class:`Trial` (up to the fields
    the layout has).
    """

    def age(years: float | None) -> str | None:
        return None if years is None else f"{years:g} Years"

    elig: dict[str, Any] = {"eligibilityCriteria": trial.criteria_text, "sex": trial.sex.upper()}
    if trial.min_age is not None:
        elig["minimumAge"] = age(trial.min_age)
    if trial.max_age is not None:
        elig["maximumAge"] = age(trial.max_age)
    if trial.healthy_volunteers is not None:
        elig["healthyVolunteers"] = trial.healthy_volunteers
    return {
        "protocolSection": {
            "identificationModule": {"nctId": trial.nct_id, "briefTitle": trial.title},
            "statusModule": {"overallStatus": trial.status},
            "descriptionModule": {"briefSummary": trial.summary},
            "conditionsModule": {"conditions": trial.conditions, "keywords": trial.keywords},
            "designModule": {"phases": trial.phase},
            "eligibilityModule": elig,
            "armsInterventionsModule": {"interventions": [{"name": n} for n in trial.interventions]},
        }
    }
