"""Patient-trial matching as a service: the use cases the CLI, the REST API and the workbench offer.

* :func:`match_trials` (:class:`MatchTrialsSpec`): trials for each patient -> ``match.trials``;
* :func:`match_patients` (:class:`MatchPatientsSpec`): patients for a trial, funnel and
  equity -> ``match.patients``;
* :func:`evaluate` (:class:`EvalSpec`): NDCG@10, P@10, MRR, AUROC beside BM25 -> ``match.eval``;
* :func:`save_trials` (:class:`SaveTrialsSpec`): a versioned trial collection -> ``match.trials.save``.

Each stores its result as a versioned object and writes its audit event in the same
transaction, with ``params["channel"]``. Patient data is de-identified at the door
(HIPAA Safe Harbor, :mod:`pharmakon.patients.records.deid`) unless the spec turns it off
(REST and workbench allow that only to users with PHI access); what was found is
counted in the event. Patient ids are kept as given (they are the caller's keys) unless
``pseudonymize`` is set. Read-only queries (:func:`list_results`, :func:`get_result`,
:func:`collection_trials`) write nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from pharmakon.caller import Caller
from pharmakon.errors import InputError, NotFoundError
from pharmakon.hashing import sha256_bytes, sha256_json
from pharmakon.patients.records.deid import DeidReport, deidentify, pseudonym
from pharmakon.patients.records.fhir import read_fhir, read_fhir_resources
from pharmakon.patients.records.model import PatientRecord
from pharmakon.patients.records.notes import record_from_note
from pharmakon.results import Result
from pharmakon.store import Store, get_object, list_objects, read_artifact, record_event, save_object
from pharmakon.trials.matching.documents import Trial, read_ctgov, read_trials, trial_from_ctgov, trial_from_flat
from pharmakon.trials.matching.equity import equity_view
from pharmakon.trials.matching.funnel import screen_patients
from pharmakon.trials.matching.matcher import LazyParsed, parse_trial, rank_trials
from pharmakon.trials.matching.retrieval import make_index
from pharmakon.trials.matching.specs import (
    EvalSpec,
    MatchPatientsSpec,
    MatchTrialsSpec,
    PatientNote,
    SaveTrialsSpec,
)

__all__ = [
    "MatchTrialsSpec",
    "MatchPatientsSpec",
    "EvalSpec",
    "SaveTrialsSpec",
    "PatientNote",
    "CriterionOut",
    "RankedTrialOut",
    "PatientRanking",
    "MatchTrialsResult",
    "FunnelRow",
    "CohortItem",
    "MatchPatientsResult",
    "Metrics",
    "EvalResult",
    "TrialCollectionInfo",
    "StoredResult",
    "match_trials",
    "match_patients",
    "evaluate",
    "save_trials",
    "list_results",
    "get_result",
    "collection_trials",
    "result_notes",
    "TRIALGPT",
]

#: Published TrialGPT (GPT-4) numbers, pooled over SIGIR + TREC 2021 + TREC 2022, with its own metric definitions.
TRIALGPT = {"ndcg@10": 0.8165, "p@10": 0.7328, "criterion_accuracy": 0.873}
NDCG_FLOOR = 1.25
_STOP = {"the", "and", "of", "with", "in", "a", "is", "was", "for", "to", "on", "he", "she", "his", "her", "has", "had"}


# ----------------------------------------------------------------- results


class CriterionOut(BaseModel):
    """One criterion's verdict for a patient."""

    text: str
    type: str
    verdict: str
    evidence: str


class RankedTrialOut(BaseModel):
    """One trial in a patient's ranking."""

    nct_id: str
    score: float
    criteria: list[CriterionOut]


class PatientRanking(BaseModel):
    """A patient's ranked trials."""

    patient_id: str
    ranking: list[RankedTrialOut]


class MatchTrialsResult(Result):
    """Trials for each patient (``results``), how they were matched, and where the result is stored."""

    results: list[PatientRanking]
    mode: str
    retriever: str = "bm25"
    n_patients: int
    n_trials: int
    deidentified: bool
    deid: dict[str, Any]
    notes: list[str]
    stored: str | None = None

    def summary(self) -> str:
        lines = [
            f"{self.n_patients} patient(s) x {self.n_trials} trial(s), mode {self.mode}, "
            f"retriever {self.retriever}; stored as {self.stored}"
        ]
        for r in self.results:
            top = ", ".join(f"{t.nct_id} ({t.score:.2f})" for t in r.ranking[:5])
            lines.append(f"  {r.patient_id}: {top}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "patient_id": r.patient_id,
                "rank": i,
                "nct_id": t.nct_id,
                "score": t.score,
                "met": sum(c.verdict == "met" for c in t.criteria),
                "not_met": sum(c.verdict == "not met" for c in t.criteria),
                "not_enough_information": sum(c.verdict == "not enough information" for c in t.criteria),
            }
            for r in self.results
            for i, t in enumerate(r.ranking, 1)
        ]
        return pd.DataFrame(rows)


class FunnelRow(BaseModel):
    """How many patients a criterion removed, and how many remain."""

    criterion: str
    removed: int
    remaining: int


class CohortItem(BaseModel):
    """One patient x criterion verdict."""

    patient_id: str
    criterion: str
    type: str
    verdict: str
    evidence: str


class MatchPatientsResult(Result):
    """Patients for a trial: the eligible, the undetermined (listed apart), the funnel, every verdict, equity."""

    nct_id: str
    title: str
    eligible: list[str]
    not_enough_information: list[str]
    excluded: list[str]
    funnel: list[FunnelRow]
    criteria: list[CohortItem]
    equity: dict[str, Any]
    n_patients: int
    deidentified: bool
    deid: dict[str, Any]
    notes: list[str]
    stored: str | None = None

    def summary(self) -> str:
        lines = [
            f"{self.nct_id}: {len(self.eligible)} eligible, {len(self.not_enough_information)} undetermined "
            f"(not enough information), {len(self.excluded)} excluded of {self.n_patients}; stored as {self.stored}",
            "funnel:",
        ]
        lines += [f"  -{f.removed:<5} {f.remaining:>6} left  {f.criterion[:90]}" for f in self.funnel]
        lines += [f"warning: {w}" for w in self.equity.get("warnings", [])]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.model_dump() for c in self.criteria])


class Metrics(BaseModel):
    """Ranking metrics (macro over topics; AUROC pooled)."""

    ndcg_at_10: float | None
    p_at_10: float | None
    mrr: float | None
    auroc: float | None
    topics: int


class EvalResult(Result):
    """The matcher beside BM25 on one collection, in the same run."""

    collection: str
    mode: str
    retriever: str = "bm25"
    candidates: int | None = None
    matcher: Metrics
    bm25: Metrics
    retriever_alone: Metrics | None = None
    ndcg_ratio: float | None
    floor: float
    floor_met: bool
    tokenisation: str
    trialgpt_published: dict[str, float]
    stored: str | None = None

    def summary(self) -> str:
        head = (
            f"{self.collection} ({self.mode}, retriever {self.retriever}, {self.matcher.topics} topics); "
            f"tokenisation: {self.tokenisation}"
        )
        rows = [f"  {'':8} {'NDCG@10':>8} {'P@10':>6} {'MRR':>6} {'AUROC':>6}"]
        systems = [("matcher", self.matcher), ("BM25", self.bm25)]
        if self.retriever_alone is not None:
            systems.append((self.retriever, self.retriever_alone))
        for label, m in systems:
            vals = [m.ndcg_at_10, m.p_at_10, m.mrr, m.auroc]
            rows.append(f"  {label:8} " + " ".join(f"{v:>6.3f}" if v is not None else "    - " for v in vals))
        ratio = f"{self.ndcg_ratio:.3f}" if self.ndcg_ratio is not None else "-"
        tail = f"NDCG@10 ratio matcher/BM25 {ratio} (floor {self.floor}: {'met' if self.floor_met else 'NOT met'})"
        ref = f"TrialGPT (GPT-4, pooled SIGIR+TREC21+TREC22, own definitions): NDCG@10 {TRIALGPT['ndcg@10']}, P@10 {TRIALGPT['p@10']}"
        return "\n".join([head, *rows, tail, ref])


class TrialCollectionInfo(Result):
    """A stored trial collection."""

    name: str
    version: int
    trials: int
    without_criteria: int


class StoredResult(BaseModel):
    """A stored match result (for listings)."""

    kind: str
    name: str
    version: int
    created_by: str
    created_at: str
    summary: dict[str, Any]


# ----------------------------------------------------------------- helpers


def _deid_key() -> str:
    from pharmakon.config import get_settings

    return get_settings().secret_key or "pharmakon-deid"


def _door(records: list[PatientRecord], on: bool, pseudo: bool = False) -> tuple[list[PatientRecord], DeidReport]:
    """De-identify at the door (ids kept unless ``pseudo``)."""
    report = DeidReport()
    if not on:
        return records, report
    key, out = _deid_key(), []
    for rec in records:
        clean, rep = deidentify(rec, key)
        report.add(rep)
        clean.patient_id = clean.patient_id if pseudo else rec.patient_id
        out.append(clean)
    if not pseudo:
        report.counts.pop("patient_id", None)  # ids kept as given: nothing was replaced
    return out, report


def _read_notes(path: Path) -> list[PatientNote]:
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    out = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(PatientNote.model_validate(row))
            except json.JSONDecodeError as exc:
                raise InputError(f"not JSON: {exc.msg}", file=path.name, row=lineno) from None
            except Exception as exc:  # pydantic: missing _id/text or too long
                msg = str(exc).splitlines()[1:3]
                raise InputError(
                    f"each line needs '_id' and 'text' ({' '.join(msg).strip()})", file=path.name, row=lineno
                ) from None
            if len(out) > 10_000:
                raise InputError("more than 10000 patients", file=path.name)
    if not out:
        raise InputError("no patients in the file", file=path.name)
    ids = [n.id for n in out]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"duplicate patient id {dup!r}", file=path.name, field="_id")
    return out


def _language_note(rec: PatientRecord) -> str | None:
    words = re.findall(r"[a-zA-Z]+", rec.text().lower())
    if len(words) >= 8 and sum(w in _STOP for w in words) / len(words) < 0.05:
        return f"{rec.patient_id}: the note does not read as English; text criteria stay 'not enough information'"
    return None


def _trials_of(store: Store, spec: Any) -> list[Trial]:
    if getattr(spec, "trials_file", None) is not None:
        return read_trials(spec.trials_file)
    if getattr(spec, "collection", None):
        return collection_trials(store, spec.collection)
    rows = spec.trials or []
    out = [
        trial_from_ctgov(r, where=f"trials[{i}]")
        if "protocolSection" in r
        else trial_from_flat(r, where=f"trials[{i}]")
        for i, r in enumerate(rows)
    ]
    if not out:
        raise InputError("no trials given", field="trials")
    ids = [t.nct_id for t in out]
    if len(set(ids)) != len(ids):
        raise InputError("duplicate trial ids", field="trials")
    return out


def _llm(spec: Any) -> Any:
    if not spec.llm_url:
        return None
    from pharmakon.trials.matching.llm import LLMJudge

    return LLMJudge(base_url=spec.llm_url, model=spec.llm_model)


def _llm_params(llm: Any) -> dict[str, Any]:
    if llm is None:
        return {"llm": None}
    return {"llm": {"endpoint": llm.base_url, "model": llm.model, "calls": llm.calls, "failures": llm.failures}}


def _save(
    store: Store,
    caller: Caller,
    *,
    kind: str,
    name: str,
    content: dict[str, Any],
    payload: dict[str, Any],
    action: str,
    inputs: dict[str, str],
    params: dict[str, Any],
) -> str:
    data = json.dumps(payload, sort_keys=True).encode("utf-8")
    with store.session() as session:
        obj = save_object(
            session, kind=kind, name=name, content=content, actor=caller.actor, artifacts={"result.json": data}
        )
        record_event(
            session,
            actor=caller.actor,
            action=action,
            object_type=kind,
            object_id=f"{obj.name}@{obj.version}",
            inputs=inputs,
            outputs={"result.json": sha256_bytes(data)},
            params={**params, "channel": caller.channel},
        )
    return f"{obj.name}@{obj.version}"


# ----------------------------------------------------------------- use cases


def match_trials(store: Store, spec: MatchTrialsSpec, caller: Caller) -> MatchTrialsResult:
    """Rank trials for each patient with per-criterion verdicts; store and audit (``match.trials``).

    Raises
    ------
    InputError
        Unreadable patients or trials (file and line named), duplicates, no trials.
    """
    notes_in = _read_notes(spec.patients_file) if spec.patients_file else list(spec.patients or [])
    trials = _trials_of(store, spec)
    records = [record_from_note(n.id, n.text) for n in notes_in]
    records, report = _door(records, spec.deidentify)
    parsed = LazyParsed(trials)
    index = make_index(trials, spec.retriever)
    llm = _llm(spec)
    messages = [f"{t.nct_id}: no eligibility criteria text" for t in trials if not t.criteria_text.strip()][:50]
    messages += [m for r in records if (m := _language_note(r))]
    results = []
    for rec in records:
        ranked = rank_trials(rec, parsed, index, mode=spec.mode, top=spec.top, candidates=spec.candidates, llm=llm)
        results.append(
            PatientRanking(patient_id=rec.patient_id, ranking=[RankedTrialOut(**r.to_dict()) for r in ranked])
        )
    result = MatchTrialsResult(
        results=results,
        mode=spec.mode,
        retriever=spec.retriever,
        n_patients=len(records),
        n_trials=len(trials),
        deidentified=spec.deidentify,
        deid=report.to_dict(),
        notes=messages,
    )
    inputs = {
        "patients": sha256_json([n.model_dump(by_alias=True) for n in notes_in]),
        "trials": sha256_json([t.to_dict() for t in trials]),
    }
    params = {
        "mode": spec.mode,
        "retriever": spec.retriever,
        "top": spec.top,
        "candidates": spec.candidates,
        "n_patients": len(records),
        "n_trials": len(trials),
        "deidentified": spec.deidentify,
        "deid": report.to_dict(),
        **_llm_params(llm),
    }
    content = {
        "n_patients": len(records),
        "n_trials": len(trials),
        "mode": spec.mode,
        "patients": [r.patient_id for r in records][:100],
    }
    # the (de-identified) notes travel with the stored result, so the workbench can show the evidence in them
    payload = {**result.to_dict(), "patient_notes": {r.patient_id: r.text() for r in records}}
    result.stored = _save(
        store,
        caller,
        kind="trial_match",
        name=spec.name,
        content=content,
        payload=payload,
        action="match.trials",
        inputs=inputs,
        params=params,
    )
    return result


def _trial_of(spec: MatchPatientsSpec) -> Trial:
    if spec.trial_file is not None:
        return read_ctgov(spec.trial_file)
    doc = spec.trial or {}
    return trial_from_ctgov(doc, where="trial") if "protocolSection" in doc else trial_from_flat(doc, where="trial")


def match_patients(store: Store, spec: MatchPatientsSpec, caller: Caller) -> MatchPatientsResult:
    """Screen patients against one trial: verdicts, eligible cohort, funnel, equity; store and audit (``match.patients``).

    Raises
    ------
    InputError
        Unreadable trial, malformed FHIR (file, line and resource id named), no patients.
    """
    trial = _trial_of(spec)
    if spec.patients_path is not None:
        records = read_fhir(spec.patients_path, max_notes=spec.max_notes)
    else:
        records = read_fhir_resources(spec.resources or [], max_notes=spec.max_notes)
    raw_ids = [r.patient_id for r in records]
    records, report = _door(records, spec.deidentify, spec.pseudonymize)
    parsed = parse_trial(trial)
    llm = _llm(spec)
    cohort = screen_patients(parsed, records, llm)
    equity = equity_view(records, cohort, min_group=spec.min_group)
    result = MatchPatientsResult(
        nct_id=trial.nct_id,
        title=trial.title,
        eligible=cohort.eligible,
        not_enough_information=cohort.undetermined,
        excluded=cohort.excluded,
        funnel=[FunnelRow(**f) for f in cohort.funnel],
        criteria=[CohortItem(**c) for c in cohort.items()],
        equity=equity.to_dict(),
        n_patients=len(records),
        deidentified=spec.deidentify,
        deid=report.to_dict(),
        notes=parsed.notes + [m for r in records if (m := _language_note(r))],
    )
    inputs = {"trial": sha256_json(trial.to_dict()), "patients": sha256_json(sorted(raw_ids))}
    params = {
        "nct_id": trial.nct_id,
        "n_patients": len(records),
        "eligible": len(cohort.eligible),
        "undetermined": len(cohort.undetermined),
        "deidentified": spec.deidentify,
        "pseudonymized": spec.pseudonymize,
        "deid": report.to_dict(),
        **_llm_params(llm),
    }
    content = {
        "nct_id": trial.nct_id,
        "title": trial.title[:300],
        "n_patients": len(records),
        "eligible": len(cohort.eligible),
    }
    result.stored = _save(
        store,
        caller,
        kind="patient_match",
        name=spec.name,
        content=content,
        payload=result.to_dict(),
        action="match.patients",
        inputs=inputs,
        params=params,
    )
    return result


def _mirror(spec: EvalSpec) -> Path:
    from pharmakon.config import get_settings

    for cand in (spec.data, get_settings().data_mirror, Path(__file__).resolve().parents[4].parent / "shared" / "data"):
        if cand is not None and Path(cand).is_dir():
            return Path(cand)
    raise InputError("no data mirror found: give --data or set PHARMAKON_DATA_MIRROR", field="data")


def _metrics(values: dict[str, Any]) -> Metrics:
    return Metrics(
        ndcg_at_10=values["ndcg@10"],
        p_at_10=values["p@10"],
        mrr=values["mrr"],
        auroc=values["auroc"],
        topics=values["topics"],
    )


def evaluate(store: Store, spec: EvalSpec, caller: Caller) -> EvalResult:
    """NDCG@10, P@10, MRR, AUROC of the matcher and of BM25 on a collection's judged pools (``match.eval``).

    Each patient's judged trials are re-ranked; the matcher never sees the labels
    (:mod:`pharmakon.trials.matching.evaluation`).
    """
    from pharmakon.trials.matching.evaluation import load_collection, retrieval_runs, topic_metrics

    coll = load_collection(spec.collection, _mirror(spec))
    records, _ = _door(coll.patients, True)
    runs = retrieval_runs(coll, records, retriever=spec.retriever, mode=spec.mode, candidates=spec.candidates)
    m, b = topic_metrics(runs["matcher"], coll.labels), topic_metrics(runs["bm25"], coll.labels)
    alone = _metrics(topic_metrics(runs["retriever"], coll.labels)) if spec.retriever != "bm25" else None
    ratio = m["ndcg@10"] / b["ndcg@10"] if m["ndcg@10"] is not None and b["ndcg@10"] else None
    result = EvalResult(
        collection=spec.collection,
        mode=spec.mode,
        retriever=spec.retriever,
        candidates=spec.candidates if spec.mode == "retrieve" else None,
        matcher=_metrics(m),
        bm25=_metrics(b),
        retriever_alone=alone,
        ndcg_ratio=ratio,
        floor=NDCG_FLOOR,
        floor_met=bool(ratio is not None and ratio >= NDCG_FLOOR),
        tokenisation="bm25s regex word tokens, lower case, English stop words, no stemming; BM25 k1=1.5 b=0.75 (Lucene)",
        trialgpt_published={k: v for k, v in TRIALGPT.items() if k != "criterion_accuracy"},
    )
    inputs = {"trials": sha256_json([t.to_dict() for t in coll.trials]), "patients": sha256_json(sorted(coll.pools))}
    params = {
        "collection": spec.collection,
        "mode": spec.mode,
        "retriever": spec.retriever,
        "candidates": spec.candidates,
        "topics": m["topics"],
        "ndcg_ratio": ratio,
    }
    result.stored = _save(
        store,
        caller,
        kind="match_eval",
        name="-".join(
            ["eval", spec.collection]
            + ([spec.retriever] if spec.retriever != "bm25" else [])
            + ([spec.mode] if spec.mode != "rerank" else [])
        ),
        content={"collection": spec.collection, "ndcg_ratio": ratio},
        payload=result.to_dict(),
        action="match.eval",
        inputs=inputs,
        params=params,
    )
    return result


def save_trials(store: Store, spec: SaveTrialsSpec, caller: Caller) -> TrialCollectionInfo:
    """Store a trial collection as a new version of ``name`` (``match.trials.save``)."""
    trials = _trials_of(store, spec)
    rows = [t.to_dict() for t in trials]
    data = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode("utf-8")
    without = sum(not t.criteria_text.strip() for t in trials)
    with store.session() as session:
        obj = save_object(
            session,
            kind="trial_collection",
            name=spec.name,
            content={"trials": len(trials), "without_criteria": without, "nct_ids": [t.nct_id for t in trials][:200]},
            actor=caller.actor,
            artifacts={"trials.jsonl": data},
        )
        record_event(
            session,
            actor=caller.actor,
            action="match.trials.save",
            object_type="trial_collection",
            object_id=f"{obj.name}@{obj.version}",
            inputs={"trials": sha256_json(rows)},
            outputs={"trials.jsonl": sha256_bytes(data)},
            params={"trials": len(trials), "channel": caller.channel},
        )
    return TrialCollectionInfo(name=obj.name, version=obj.version, trials=len(trials), without_criteria=without)


# ----------------------------------------------------------------- queries


def collection_trials(store: Store, name: str, version: int | None = None) -> list[Trial]:
    """The trials of a stored collection (latest version unless given)."""
    with store.read_session() as session:
        obj = get_object(session, "trial_collection", name, version)
    lines = read_artifact(obj.artifacts["trials.jsonl"]).decode("utf-8").splitlines()
    return [Trial(**json.loads(line)) for line in lines if line.strip()]


def list_results(
    store: Store, kinds: Sequence[str] = ("trial_match", "patient_match", "trial_collection", "match_eval")
) -> list[StoredResult]:
    """Stored matching objects (the latest version of each), newest first."""
    out = []
    with store.read_session() as session:
        for kind in kinds:
            for obj in list_objects(session, kind):
                out.append(
                    StoredResult(
                        kind=kind,
                        name=obj.name,
                        version=obj.version,
                        created_by=obj.created_by,
                        created_at=str(obj.created_at),
                        summary=obj.content,
                    )
                )
    return sorted(out, key=lambda o: o.created_at, reverse=True)


def get_result(
    store: Store, kind: str, name: str, version: int | None = None
) -> MatchTrialsResult | MatchPatientsResult:
    """A stored match result, rebuilt from its artifact."""
    classes = {"trial_match": MatchTrialsResult, "patient_match": MatchPatientsResult}
    if kind not in classes:
        raise NotFoundError(f"unknown result kind {kind!r}; choose from {sorted(classes)}")
    with store.read_session() as session:
        obj = get_object(session, kind, name, version)
    data = json.loads(read_artifact(obj.artifacts["result.json"]))
    data.pop("patient_notes", None)
    data["stored"] = f"{obj.name}@{obj.version}"
    return classes[kind].model_validate(data)


def result_notes(store: Store, name: str, version: int | None = None) -> dict[str, str]:
    """The notes (as matched: de-identified unless turned off) of a stored trials-for-patients result."""
    with store.read_session() as session:
        obj = get_object(session, "trial_match", name, version)
    return json.loads(read_artifact(obj.artifacts["result.json"])).get("patient_notes", {})


def pseudonym_of(patient_id: str) -> str:
    """The pseudonym :func:`match_patients` gives ``patient_id`` with ``pseudonymize``."""
    return pseudonym(patient_id, _deid_key())
