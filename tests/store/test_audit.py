"""The audit chain: appends, verification, tamper detection, database-level refusal."""

from __future__ import annotations

import io
import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from pharmakon.store import (
    GENESIS_HASH,
    Store,
    export_jsonl,
    list_events,
    open_store,
    record_event,
    verify_chain,
    verify_records,
)
from pharmakon.store.audit import event_hash, read_jsonl

README = Path(__file__).resolve().parents[2] / "README.md"


def append(store: Store, n: int, actor: str = "tester") -> None:
    for i in range(n):
        with store.session() as session:
            record_event(
                session,
                actor=actor,
                action="test.event",
                object_type="thing",
                object_id=str(i),
                inputs={"in.csv": "ab" * 32},
                params={"i": i, "note": "δ"},
                reason="because",
            )


def verify(store: Store):
    with store.read_session() as session:
        return verify_chain(session)


def tamper(store: Store, *statements: str) -> None:
    """Run SQL on the event table as an attacker with DDL rights would: triggers off first."""
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.commit()


def test_events_chain_from_genesis(store: Store) -> None:
    append(store, 5)
    with store.read_session() as session:
        events, total = list_events(session, newest_first=False)
    assert total == 5
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    assert all(e.hash == event_hash(e.to_dict()) for e in events)
    assert events[0].params == {"i": 0, "note": "δ"}
    report = verify(store)
    assert report.ok and report.n_events == 5 and report.head_seq == 5


def test_empty_chain_verifies(store: Store) -> None:
    report = verify(store)
    assert report.ok and report.n_events == 0


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET actor = 'mallory' WHERE seq = 2", "DELETE FROM audit_events WHERE seq = 2"]
)
def test_database_refuses_update_and_delete(store: Store, statement: str) -> None:
    append(store, 3)
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert verify(store).ok


def test_database_refuses_wiping_the_log(store: Store) -> None:
    append(store, 2)
    wipe = "TRUNCATE audit_events" if store.dialect == "postgresql" else "DELETE FROM audit_events"
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as conn:
            conn.exec_driver_sql(wipe)
    assert verify(store).n_events == 2


def test_edit_is_detected_and_named(store: Store) -> None:
    append(store, 6)
    tamper(store, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 4")
    report = verify(store)
    assert not report.ok
    assert report.first_bad_seq == 4
    assert "edited" in report.problem


def test_edit_with_recomputed_hash_breaks_the_next_link(store: Store) -> None:
    append(store, 6)
    with store.read_session() as session:
        event = next(e for e in list_events(session)[0] if e.seq == 3)
    forged = {**event.to_dict(), "actor": "mallory"}
    tamper(store, f"UPDATE audit_events SET actor = 'mallory', hash = '{event_hash(forged)}' WHERE seq = 3")
    report = verify(store)
    assert not report.ok and report.first_bad_seq == 4
    assert "does not link" in report.problem


def test_deletion_in_the_middle_is_detected(store: Store) -> None:
    append(store, 6)
    tamper(store, "DELETE FROM audit_events WHERE seq = 3")
    report = verify(store)
    assert not report.ok and report.first_bad_seq == 4
    assert "missing" in report.problem


def test_deletion_at_the_end_is_detected(store: Store) -> None:
    append(store, 6)
    tamper(store, "DELETE FROM audit_events WHERE seq = 6")
    report = verify(store)
    assert not report.ok
    assert "removed from" in report.problem


def test_reordering_is_detected(store: Store) -> None:
    append(store, 6)
    tamper(
        store,
        "UPDATE audit_events SET seq = 1000 WHERE seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = 1000",
    )
    report = verify(store)
    assert not report.ok and report.first_bad_seq == 2


def test_inserted_event_is_detected(store: Store) -> None:
    append(store, 4)
    with store.read_session() as session:
        last = list_events(session, limit=1)[0][0]
    forged = {**last.to_dict(), "seq": 5, "event_id": "forged", "prev_hash": last.hash, "actor": "mallory"}
    forged["hash"] = event_hash(forged)
    columns = ", ".join(forged)
    values = ", ".join(
        "NULL"
        if v is None
        else str(v)
        if isinstance(v, int)
        else "'" + (json.dumps(v) if isinstance(v, dict) else v) + "'"
        for v in forged.values()
    )
    with store.engine.begin() as conn:  # inserting is allowed; the head still says event 4
        conn.exec_driver_sql(f"INSERT INTO audit_events ({columns}) VALUES ({values})")
    report = verify(store)
    assert not report.ok and "end" in report.problem


def _append_worker(url: str, worker: int, n: int) -> None:
    store = open_store(url)
    for i in range(n):
        with store.session() as session:
            record_event(session, actor=f"worker-{worker}", action="test.concurrent", params={"i": i})
    store.dispose()


def test_concurrent_processes_build_one_valid_chain(store: Store, database_url: str) -> None:
    append(store, 1)
    store.dispose()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_append_worker, args=(database_url, w, 40)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=240)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    report = verify(store)
    assert report.ok, report.problem
    assert report.n_events == 1 + 4 * 40
    with store.read_session() as session:
        actors = {e.actor for e in list_events(session, action="test.concurrent", limit=1000)[0]}
    assert actors == {f"worker-{w}" for w in range(4)}


def test_export_reverifies_with_the_readme_script(store: Store, tmp_path: Path) -> None:
    append(store, 5)
    out = io.StringIO()
    with store.read_session() as session:
        assert export_jsonl(session, out) == 5
    export = tmp_path / "audit.jsonl"
    export.write_text(out.getvalue(), encoding="utf-8")
    assert verify_records(read_jsonl(export)).ok

    script = _readme_verifier()
    assert len(script.strip().splitlines()) <= 20
    (tmp_path / "verify.py").write_text(script)
    ok = subprocess.run([sys.executable, "verify.py", "audit.jsonl"], cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    lines = export.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[2])
    record["reason"] = "edited later"
    lines[2] = json.dumps(record)
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, "verify.py", "audit.jsonl"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "3" in bad.stdout + bad.stderr
    assert not verify_records(read_jsonl(export)).ok


def _readme_verifier() -> str:
    """The re-verification script documented in the README (between the markers)."""
    body = README.read_text(encoding="utf-8")
    start = body.index("<!-- verify-script -->")
    block = body[start:].split("```python\n", 1)[1].split("```", 1)[0]
    return block


def test_list_events_filters_and_pages(store: Store) -> None:
    append(store, 3, actor="alice")
    append(store, 2, actor="bob")
    with store.read_session() as session:
        events, total = list_events(session, actor="bob")
        assert total == 2 and {e.actor for e in events} == {"bob"}
        page, total = list_events(session, action="test.*", limit=2, offset=2)
        assert total == 5 and [e.seq for e in page] == [3, 2]
        assert list_events(session, action="nothing")[1] == 0
