"""First-stage retrieval: BM25, the dense WordLlama index (deep extra), RRF fusion, and the missing-extra error."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events
from pharmakon.trials.matching import retrieval
from pharmakon.trials.matching.documents import trial_from_ctgov
from pharmakon.trials.matching.retrieval import RRF_K, BM25Index, HybridIndex, make_index, rrf
from pharmakon.trials.matching.service import match_trials
from pharmakon.trials.matching.specs import MatchTrialsSpec
from tests.trials.matching.conftest import ctgov

HAS_DENSE = importlib.util.find_spec("wordllama") is not None
needs_dense = pytest.mark.skipif(not HAS_DENSE, reason="the deep extra (wordllama) is not installed")


def _trial(nct: str, title: str, condition: str, criteria: str):
    raw = ctgov(nct, criteria)
    raw["protocolSection"]["identificationModule"]["briefTitle"] = title
    raw["protocolSection"]["conditionsModule"]["conditions"] = [condition]
    return trial_from_ctgov(raw)


@pytest.fixture(scope="module")
def trials():
    return [
        _trial(
            "NCT00000001",
            "Insulin titration in type 2 diabetes",
            "Type 2 Diabetes",
            "Inclusion Criteria:\n- HbA1c 7-10%",
        ),
        _trial(
            "NCT00000002",
            "Pembrolizumab for non-small cell lung carcinoma",
            "Lung Cancer",
            "Inclusion Criteria:\n- Histologically confirmed NSCLC\n- ECOG 0-1",
        ),
        _trial(
            "NCT00000003",
            "Levodopa dosing in Parkinson disease",
            "Parkinson Disease",
            "Inclusion Criteria:\n- Idiopathic Parkinson's disease, Hoehn and Yahr stage 2-3",
        ),
    ]


def test_rrf_is_the_sum_of_reciprocal_ranks_with_k_60() -> None:
    fused = rrf([["a", "b", "c"], ["b", "c", "a"]])
    assert RRF_K == 60
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 62)
    assert sorted(fused, key=lambda k: -fused[k]) == ["b", "a", "c"]


def test_unknown_retriever_is_refused_by_name(trials) -> None:
    with pytest.raises(InputError, match="retriever"):
        make_index(trials, "splade")
    with pytest.raises(InputError, match="retriever"):
        build_spec(MatchTrialsSpec, patients=[{"_id": "p", "text": "x"}], trials=[{}], retriever="splade")


def test_missing_extra_gives_a_clear_error_naming_it(trials, monkeypatch) -> None:
    retrieval.load_embedder.cache_clear()
    monkeypatch.setitem(sys.modules, "wordllama", None)  # import fails as when the extra is not installed
    try:
        for name in ("dense", "hybrid"):
            with pytest.raises(InputError, match=r"deep extra.*wordllama") as err:
                make_index(trials, name)
            assert "pharmakon[deep]" in str(err.value)
        assert isinstance(make_index(trials, "bm25"), BM25Index)  # the default needs nothing more
    finally:
        retrieval.load_embedder.cache_clear()


@needs_dense
def test_dense_model_loads_from_the_wheel_without_network(trials, monkeypatch, tmp_path: Path) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    retrieval.load_embedder.cache_clear()
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HOME", str(tmp_path))  # no user cache to fall back on
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    try:
        index = make_index(trials, "dense")
    finally:
        retrieval.load_embedder.cache_clear()
    assert not any(tmp_path.iterdir())  # nothing written to a cache
    s = index.scores("58-year-old smoker with a lung adenocarcinoma, metastatic, ECOG 1")
    assert s.shape == (3,) and np.all((s >= 0) & (s <= 1))
    assert int(np.argmax(s)) == 1  # the lung cancer trial
    assert index.top("tremor and rigidity, diagnosed with Parkinson's disease", 1)[0][0] == 2
    assert np.all(index.scores("") == 0)


@needs_dense
def test_hybrid_scores_are_rrf_of_bm25_and_dense(trials) -> None:
    hybrid = HybridIndex(trials)
    query = "type 2 diabetes on metformin, HbA1c 8.5%"
    bm25, dense = (p.scores(query) for p in hybrid.parts)
    ranking = [[trials[i].nct_id for i in sorted(range(3), key=lambda i: (-s[i], i))] for s in (bm25, dense)]
    want = rrf(ranking)
    got = hybrid.scores(query)
    assert got == pytest.approx([want[t.nct_id] for t in trials])
    assert hybrid.top(query, 1)[0][0] == 0


@needs_dense
def test_service_records_the_retriever(store: Store, tmp_path: Path, trials) -> None:
    trial_rows = [
        ctgov("NCT00000002", "Inclusion Criteria:\n- Histologically confirmed non-small cell lung cancer"),
        ctgov("NCT00000001", "Inclusion Criteria:\n- Type 2 diabetes"),
    ]
    note = {"_id": "p1", "text": "A 60-year-old woman with type 2 diabetes on metformin."}
    spec = build_spec(MatchTrialsSpec, patients=[note], trials=trial_rows, retriever="hybrid", mode="retrieve")
    res = match_trials(store, spec, Caller("ann", "python"))
    assert res.retriever == "hybrid" and len(res.results[0].ranking) == 2
    with store.read_session() as session:
        [event], _ = list_events(session, action="match.trials", limit=5)
    assert event.to_dict()["params"]["retriever"] == "hybrid"
    assert json.loads(json.dumps(res.to_dict()))["retriever"] == "hybrid"


def test_cli_without_the_extra_exits_non_zero_naming_it(cli, store: Store, tmp_path: Path, monkeypatch) -> None:
    patients, trials = tmp_path / "p.jsonl", tmp_path / "t.jsonl"
    patients.write_text(json.dumps({"_id": "p1", "text": "A 60-year-old woman with type 2 diabetes."}) + "\n")
    trials.write_text(json.dumps(ctgov("NCT00000001", "Inclusion Criteria:\n- Type 2 diabetes")) + "\n")
    retrieval.load_embedder.cache_clear()
    monkeypatch.setitem(sys.modules, "wordllama", None)
    try:
        res = cli("match", "trials", "--patients", str(patients), "--trials", str(trials), "--retriever", "dense")
    finally:
        retrieval.load_embedder.cache_clear()
    assert res.exit_code == 2 and "deep extra" in res.stderr and "wordllama" in res.stderr
    with store.read_session() as session:
        assert list_events(session, action="match.trials", limit=5)[0] == []  # nothing stored or audited
    bad = cli("match", "trials", "--patients", str(patients), "--trials", str(trials), "--retriever", "splade")
    assert bad.exit_code != 0 and "retriever" in bad.stderr
