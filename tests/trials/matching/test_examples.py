"""The seed example: deterministic, quick, and what it says it stored."""

from __future__ import annotations

import pytest

from pharmakon.config import get_settings
from pharmakon.store import open_store
from pharmakon.trials.matching.examples import seed_example
from pharmakon.trials.matching.service import get_result, list_results
from tests.conftest import MIRROR


@pytest.mark.slow
@pytest.mark.skipif(not (MIRROR / "trec_ct_2021_trials").is_dir(), reason="no data mirror")
def test_seed_example(pharmakon_home, monkeypatch) -> None:
    # one store (SQLite) is enough here: the service's storage is tested on both databases elsewhere
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()
    store = open_store(f"sqlite:///{pharmakon_home / 'seed.db'}")
    line = seed_example(store, get_settings())
    assert line.startswith(
        "matching: 69 trials stored; 3 TREC topics ranked (trec-topics@1); 13 Synthea patients screened"
    )
    kinds = {(r.kind, r.name) for r in list_results(store)}
    assert {
        ("trial_collection", "trec2021-sample"),
        ("trial_match", "trec-topics"),
        ("patient_match", "synthea-depression"),
    } <= kinds
    ranked = get_result(store, "trial_match", "trec-topics")
    assert [len(r.ranking) for r in ranked.results] == [10, 10, 10]
    first = ranked.results[0]
    assert first.patient_id == "trec-202141" and first.ranking[0].score >= first.ranking[-1].score
