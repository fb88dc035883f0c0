"""Ranking metrics and the evaluation collections (TREC CT 2021 re-rank set, SIGIR 2016 sample).

Metrics per topic, then averaged over topics (macro):

* NDCG@10 with linear gains (the label: 2 eligible, 1 excluded, 0 not relevant) and
  log2 discount, the ideal ranking taken from the topic's judged set (trec_eval's
  ``ndcg_cut_10``);
* P@10: share of the first 10 that are eligible (label 2);
* MRR: reciprocal rank of the first eligible trial;
* AUROC of eligible vs excluded (labels 2 vs 1) by the score, pooled over topics
  (scores of the matcher are comparable across patients: relevance is normalised per
  patient and decisive verdicts shift by a constant).

Topics whose available judged pool has no relevant trial (label > 0) are left out.
Labels are read here, for scoring, and never passed to the matcher: :func:`load_collection`
returns them apart from the trials, whose records lose their judgment fields on reading.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pharmakon.errors import InputError
from pharmakon.patients.records.model import PatientRecord
from pharmakon.patients.records.notes import record_from_note
from pharmakon.trials.matching.documents import Trial, read_trials

__all__ = [
    "Collection",
    "load_collection",
    "ndcg_at",
    "precision_at",
    "reciprocal_rank",
    "auroc",
    "topic_metrics",
    "rerank_runs",
    "retrieval_runs",
    "COLLECTIONS",
]

COLLECTIONS = ("trec2021", "sigir2016")


@dataclass
class Collection:
    """Patients, trials, and per-patient judged pools with labels (for scoring only)."""

    name: str
    patients: list[PatientRecord]
    trials: list[Trial]
    pools: dict[str, list[str]]
    labels: dict[str, dict[str, int]]


def _queries(path: Path) -> dict[str, str]:
    out = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out[row["_id"]] = row["text"]
    return out


def load_collection(name: str, mirror: Path) -> Collection:
    """The re-rank set of ``name`` from the data mirror (see the module docstring)."""
    if name == "trec2021":
        trials_path, pairs_path = (
            mirror / "trec_ct_2021_trials" / "trials.jsonl",
            mirror / "trec_ct_2021_trials" / "pairs.tsv",
        )
        queries_path = mirror / "trec_ct_2021" / "queries.jsonl"
    elif name == "sigir2016":
        trials_path = mirror / "sigir_2016" / "judged_trial_sample" / "trials.jsonl"
        pairs_path = mirror / "sigir_2016" / "judged_trial_sample" / "pairs.tsv"
        queries_path = mirror / "sigir_2016" / "queries.jsonl"
    else:
        raise InputError(f"unknown collection {name!r}; choose from {COLLECTIONS}", field="collection")
    for p in (trials_path, pairs_path, queries_path):
        if not p.exists():
            raise InputError("collection file missing from the data mirror", file=str(p))
    trials = read_trials(trials_path)
    known = {t.nct_id for t in trials}
    labels: dict[str, dict[str, int]] = defaultdict(dict)
    with pairs_path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row.get("selected_topic", "1") != "1" or row["corpus-id"] not in known:
                continue
            labels[row["query-id"]][row["corpus-id"]] = int(row["score"])
    texts = _queries(queries_path)
    # a topic whose available pool holds no relevant trial scores 0 for every system: it is left out
    # (the rest of its pool is sealed or not in the mirror), which changes no ratio between systems
    patients = [record_from_note(q, texts[q]) for q in sorted(labels) if q in texts and max(labels[q].values()) > 0]
    pools = {p.patient_id: sorted(labels[p.patient_id]) for p in patients}
    return Collection(name, patients, trials, pools, dict(labels))


def rerank_runs(
    coll: Collection, records: Sequence[PatientRecord] | None = None, retriever: str = "bm25"
) -> tuple[dict[str, list[tuple[str, float]]], dict[str, list[tuple[str, float]]]]:
    """(matcher, BM25) rankings of each patient's judged pool, as (nct_id, score) lists, best first.

    ``records``: the patients as matched (e.g. de-identified); default the collection's.
    ``retriever``: the first stage whose score is the matcher's relevance (BM25 baseline unchanged).
    """
    runs = retrieval_runs(coll, records, retriever=retriever, mode="rerank")
    return runs["matcher"], runs["bm25"]


def retrieval_runs(
    coll: Collection,
    records: Sequence[PatientRecord] | None = None,
    *,
    retriever: str = "bm25",
    mode: str = "rerank",
    candidates: int = 25,
) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """Rankings of the matcher (first stage ``retriever``), of BM25 alone and of ``retriever`` alone.

    ``rerank``: each patient's judged pool is indexed and ranked (BM25 statistics of the
    pool). ``retrieve``: one index over the whole collection; the retrievers rank all of
    it, the matcher assesses and ranks the ``candidates`` best of ``retriever`` (trials
    nobody judged for the topic count as not relevant). Returns ``{"matcher", "bm25",
    "retriever"}`` each ``{patient_id: [(nct_id, score), ...]}`` best first.
    """
    from pharmakon.trials.matching.matcher import parse_trial, rank_trials
    from pharmakon.trials.matching.retrieval import BM25Index, make_index

    by_id = {t.nct_id: t for t in coll.trials}
    parsed = {t.nct_id: parse_trial(t) for t in coll.trials}
    out: dict[str, dict[str, list[tuple[str, float]]]] = {"matcher": {}, "bm25": {}, "retriever": {}}

    def ranked(ids: Sequence[str], scores: Any) -> list[tuple[str, float]]:
        return sorted(zip(ids, [float(x) for x in scores], strict=True), key=lambda x: (-x[1], x[0]))

    whole = [t.nct_id for t in coll.trials]
    if mode == "retrieve":
        index, bm25 = make_index(coll.trials, retriever), BM25Index(coll.trials)
    for rec in records if records is not None else coll.patients:
        ids = whole if mode == "retrieve" else coll.pools[rec.patient_id]
        if mode != "retrieve":
            bm25 = BM25Index([by_id[n] for n in ids])
            index = bm25 if retriever == "bm25" else make_index([by_id[n] for n in ids], retriever)
        query = rec.text()
        out["bm25"][rec.patient_id] = ranked(ids, bm25.scores(query))
        out["retriever"][rec.patient_id] = ranked(ids, index.scores(query))
        result = rank_trials(rec, [parsed[n] for n in ids], index, mode=mode, candidates=candidates)
        out["matcher"][rec.patient_id] = [(r.nct_id, r.score) for r in result]
    return out


def ndcg_at(ranked_labels: Sequence[int], all_labels: Sequence[int], k: int = 10) -> float:
    """NDCG@k, linear gains, log2 discount; 0 when the topic has no positive label."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float(np.sum(np.asarray(ranked_labels[:k], dtype=float) * discounts[: len(ranked_labels[:k])]))
    ideal = sorted(all_labels, reverse=True)[:k]
    idcg = float(np.sum(np.asarray(ideal, dtype=float) * discounts[: len(ideal)]))
    return dcg / idcg if idcg > 0 else 0.0


def precision_at(ranked_labels: Sequence[int], k: int = 10, positive: int = 2) -> float:
    """Share of the first ``k`` with a label >= ``positive``."""
    return float(np.mean([lab >= positive for lab in ranked_labels[:k]])) if ranked_labels else 0.0


def reciprocal_rank(ranked_labels: Sequence[int], positive: int = 2) -> float:
    """1 / rank of the first label >= ``positive`` (0 if none)."""
    return next((1.0 / r for r, lab in enumerate(ranked_labels, 1) if lab >= positive), 0.0)


def auroc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """AUROC of eligible (2) vs excluded (1); ``None`` without both."""
    from sklearn.metrics import roc_auc_score

    pairs = [(s, lab == 2) for s, lab in zip(scores, labels, strict=True) if lab in (1, 2)]
    if len({y for _, y in pairs}) < 2:
        return None
    return float(roc_auc_score([y for _, y in pairs], [s for s, _ in pairs]))


def topic_metrics(
    rankings: Mapping[str, Sequence[tuple[str, float]]], labels: Mapping[str, Mapping[str, int]]
) -> dict[str, float | None]:
    """Macro NDCG@10, P@10, MRR over topics and pooled AUROC, for (nct_id, score) rankings."""
    ndcg, p10, mrr, all_scores, all_labels = [], [], [], [], []
    for topic, ranking in rankings.items():
        lab = labels[topic]
        ranked = [lab.get(n, 0) for n, _ in ranking]
        ndcg.append(ndcg_at(ranked, list(lab.values())))
        p10.append(precision_at(ranked))
        mrr.append(reciprocal_rank(ranked))
        all_scores += [s for _, s in ranking]
        all_labels += ranked
    return {
        "ndcg@10": float(np.mean(ndcg)) if ndcg else None,
        "p@10": float(np.mean(p10)) if p10 else None,
        "mrr": float(np.mean(mrr)) if mrr else None,
        "auroc": auroc(all_scores, all_labels),
        "topics": len(ndcg),
    }
