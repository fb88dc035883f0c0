"""A moved or mismatched chain head: verify reports without writing, appends refuse cleanly."""

from __future__ import annotations

import pytest

from pharmakon.errors import StoreError
from pharmakon.store import Store, chain_head, list_events, record_event, verify_and_record


def _append(store: Store, n: int) -> None:
    for i in range(n):
        with store.session() as session:
            record_event(session, actor="tester", action="test.event", params={"i": i})


def _events(store: Store) -> list[int]:
    with store.read_session() as session:
        return [e.seq for e in list_events(session, newest_first=False)[0]]


def _sql(store: Store, statement: str) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(statement)


@pytest.mark.parametrize(
    ("statement", "recorded_seq"),
    [
        ("UPDATE audit_head SET last_seq = last_seq - 1", 2),
        ("UPDATE audit_head SET last_seq = last_seq + 1", 4),
        ("UPDATE audit_head SET last_hash = '" + "f" * 64 + "'", 3),
    ],
)
def test_a_moved_head_is_reported_and_nothing_is_written(store: Store, statement: str, recorded_seq: int) -> None:
    _append(store, 3)
    with store.read_session() as session:
        good_head = chain_head(session)
    _sql(store, statement)

    report = verify_and_record(store, actor="auditor")
    assert not report.ok and "head" in report.problem and f"recorded head is event {recorded_seq}" in report.problem
    assert report.extra["recorded"] is False and "not recorded" in report.summary()
    assert _events(store) == [1, 2, 3]  # verify appended nothing (no gap, no duplicate)

    with pytest.raises(
        StoreError, match=r"audit trail is inconsistent.*head row records event.*newest stored event is 3"
    ):
        _append(store, 1)
    assert _events(store) == [1, 2, 3]  # refused cleanly: nothing half-written

    _sql(store, f"UPDATE audit_head SET last_seq = {good_head[0]}, last_hash = '{good_head[1]}'")  # restored
    _append(store, 1)
    report = verify_and_record(store, actor="auditor")
    assert report.ok and report.extra["recorded"] is True
    assert _events(store) == [1, 2, 3, 4, 5]


def test_a_broken_chain_is_reported_without_an_audit_verify_event(store: Store) -> None:
    _append(store, 3)
    _sql(store, "UPDATE audit_head SET last_seq = 0")
    assert not verify_and_record(store, actor="auditor").ok
    with store.read_session() as session:
        assert list_events(session, action="audit.verify")[1] == 0


def test_an_empty_chain_with_a_moved_head_refuses_appends(store: Store) -> None:
    _sql(store, "UPDATE audit_head SET last_seq = 7")
    with pytest.raises(StoreError, match="head row records event 7 .* newest stored event is 0"):
        _append(store, 1)
    assert _events(store) == []
