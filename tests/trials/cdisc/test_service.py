"""The service on SQLite and PostgreSQL: stored reviews, audited query answers, TLFs, retention, safety feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.caller import Caller
from pharmakon.errors import InputError, NotFoundError
from pharmakon.store import Store, list_events
from pharmakon.trials.cdisc import service
from pharmakon.trials.cdisc.examples import SEED_REVIEW, seed_example

ME = Caller("dana", "python")


def _actions(store: Store, prefix: str) -> list[dict]:
    with store.read_session() as session:
        events, _ = list_events(session, newest_first=False, limit=1000)
    return [e.to_dict() for e in events if e.action.startswith(prefix)]


def test_review_queries_are_stored_answered_and_closed(store: Store, small_study: Path) -> None:
    spec = service.ReviewSpec(sdtm=small_study / "sdtm", adam=small_study / "adam", name="small")
    result = service.review_study(store, spec, ME)
    assert result.version == 1 and result.queries and sum(result.by_rule.values()) == len(result.queries)
    first, second = result.queries[0], result.queries[1]
    service.act_on_query(
        store,
        service.QueryActionSpec(review="small", query_id=first.id, action="answer", text="source data verified"),
        ME,
    )
    state = service.act_on_query(
        store, service.QueryActionSpec(review="small", query_id=first.id, action="close", text="resolved"), ME
    )
    assert state.status == "closed" and [h["status"] for h in state.history] == ["answered", "closed"]
    service.act_on_query(
        store, service.QueryActionSpec(review="small", query_id=second.id, action="answer", text="site asked"), ME
    )
    board = service.review_dashboard(store, "small", status=None)
    assert board.by_status == {"closed": 1, "answered": 1, "open": len(result.queries) - 2}
    assert sum(sum(c.values()) for c in board.open_by_site_domain.values()) == len(result.queries) - 2
    assert set(board.open_by_site_domain) <= {"701", "-"}
    actions = [e["action"] for e in _actions(store, "trialdata.")]
    assert actions == ["trialdata.review", "trialdata.query.answer", "trialdata.query.close", "trialdata.query.answer"]
    close = _actions(store, "trialdata.query.close")[0]
    assert close["reason"] == "resolved" and close["params"]["channel"] == "python"
    with pytest.raises(NotFoundError):
        service.act_on_query(
            store, service.QueryActionSpec(review="small", query_id="0" * 16, action="close", text="x"), ME
        )


def test_tlf_stored_and_validate_audited(store: Store, small_study: Path, pilot: Path) -> None:
    made = service.make_tlf(store, service.TlfSpec(study=pilot, table="demographics", name="demo"), ME)
    assert made.numbers["N"] == {"Placebo": 86, "Xanomeline Low Dose": 84, "Xanomeline High Dose": 84}
    assert service.get_tlf(store, "demo").numbers == made.numbers
    checked = service.validate_study(store, service.ValidateSpec(sdtm=small_study / "sdtm"), ME)
    assert checked.total == sum(checked.counts.values())
    tlf_event, validate_event = _actions(store, "trialdata.")
    assert tlf_event["object_id"] == "demo@1" and "adam/adsl.csv" in tlf_event["inputs"]
    assert validate_event["params"]["findings"] == checked.total


def test_safety_feed_through_the_monitor(store: Store, small_study: Path) -> None:
    run = service.feed_safety(store, service.SafetyFeedSpec(sdtm=small_study / "sdtm", trial="small-trial"), ME)
    assert run.records > 100 and run.version == 1
    events = [e["action"] for e in _actions(store, "")]
    assert "trialdata.safety_feed" in events


def test_bad_inputs(store: Store, tmp_path: Path, small_study: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        service.review_study(store, service.ReviewSpec(sdtm=tmp_path / "none"), ME)
    with pytest.raises(InputError, match="either a built-in table or an analysis"):
        service.make_tlf(store, service.TlfSpec(study=small_study), ME)
    (tmp_path / "sdtm").mkdir()
    (tmp_path / "sdtm" / "dm.xpt").write_text("not xport")
    with pytest.raises(InputError, match="dm.xpt"):
        service.validate_study(store, service.ValidateSpec(sdtm=tmp_path / "sdtm"), ME)
    assert not _actions(store, "trialdata.")  # nothing recorded for a refused request


@pytest.fixture
def sqlite_store(pharmakon_home: Path) -> Store:
    """One SQLite store: the slow end-to-end runs need not repeat on PostgreSQL (the tests above cover it)."""
    from pharmakon.store import open_store

    return open_store()


@pytest.mark.slow
def test_retention_through_the_lifecycle(sqlite_store: Store, pilot: Path) -> None:
    store = sqlite_store
    spec = service.RetentionSpec(adam=pilot / "adam", sdtm=pilot / "sdtm", name="ret", models=["logistic"])
    result = service.predict_retention(store, spec, ME)
    assert result.n == 229 and result.overall.events == 119
    assert {m.arm for m in result.per_arm} == {"Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"}
    assert 0.5 < result.overall.auroc < 0.9 and result.overall.baseline_auroc is not None
    assert all(len(r.reasons) == 3 for r in result.risks)
    assert result.fairness is not None
    assert service.get_retention(store, "ret").risks == result.risks


@pytest.mark.slow
def test_seed_example(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, pilot: Path) -> None:
    from pharmakon.config import get_settings

    store = sqlite_store
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(pilot.parent))
    get_settings.cache_clear()
    text = seed_example(store, get_settings())
    assert "3 TLFs reproduced" in text
    assert [r.name for r in service.list_reviews(store)] == [SEED_REVIEW]
    assert {t.name for t in service.list_tlfs(store)} == {
        "cdiscpilot01-demographics",
        "cdiscpilot01-primary",
        "cdiscpilot01-km",
    }
