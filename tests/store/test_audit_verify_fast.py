"""``verify_chain`` assembles each event's canonical text from its row: the same verdicts as hashing the decoded event."""

from __future__ import annotations

import json

import pytest

from pharmakon.hashing import canonical_json
from pharmakon.store import Store, record_event, verify_chain, verify_records
from pharmakon.store.audit import event_hash, read_jsonl
from tests.store.test_audit import tamper

AWKWARD = [
    {"actor": "alice", "action": "a.b", "params": {}, "reason": None, "object_type": None, "object_id": None},
    {"actor": 'quote " back\\slash', "action": "x", "params": {"z": 1, "a": [1.5, None, True]}, "reason": "δ ünï 漢"},
    {"actor": "tab\tnew\nline", "action": "ctl\x01", "params": {"nested": {"b": "é", "a": 1e-300}}, "reason": ""},
    {
        "actor": "emoji 🧪",
        "action": "y",
        "inputs": {"f.csv": "ab" * 32},
        "outputs": {"o": "cd" * 32},
        "reason": "\u2028",
    },
]


def _fill(store: Store) -> None:
    for fields in AWKWARD:
        with store.session() as session:
            record_event(session, **fields)


def _verify(store: Store):
    with store.read_session() as session:
        return verify_chain(session)


def test_awkward_values_verify_and_match_the_reference_hash(store: Store, tmp_path) -> None:
    _fill(store)
    report = _verify(store)
    assert report.ok and report.n_events == len(AWKWARD)
    # the reference: decode every stored event, hash its canonical form (as an exported file is checked)
    from pharmakon.store import export_jsonl

    path = tmp_path / "trail.jsonl"
    with store.read_session() as session, path.open("w", encoding="utf-8") as out:
        export_jsonl(session, out)
    records = list(read_jsonl(path))
    assert all(r["hash"] == event_hash(r) for r in records)
    reference = verify_records(records)
    assert reference.ok and (reference.head_seq, reference.head_hash) == (report.head_seq, report.head_hash)


def test_a_json_field_stored_in_another_spelling_still_verifies(store: Store) -> None:
    """The fast text misses (not canonical), the reference hash decides: same verdict as before."""
    _fill(store)
    spaced = json.dumps({"z": 1, "a": [1.5, None, True]}, indent=1).replace("'", "''")
    assert spaced != canonical_json(json.loads(spaced))
    tamper(store, f"UPDATE audit_events SET params = '{spaced}' WHERE seq = 2")
    assert _verify(store).ok


@pytest.mark.parametrize(
    ("column", "value"),
    [("params", '\'{"z":2,"a":[1.5,null,true]}\''), ("reason", "NULL"), ("object_type", "'thing'")],
)
def test_an_edited_value_is_detected_and_named(store: Store, column: str, value: str) -> None:
    _fill(store)
    tamper(store, f"UPDATE audit_events SET {column} = {value} WHERE seq = 2")
    report = _verify(store)
    assert not report.ok and report.first_bad_seq == 2 and "edited" in report.problem


def test_broken_json_is_reported_not_raised(store: Store) -> None:
    _fill(store)
    tamper(store, "UPDATE audit_events SET params = '{not json' WHERE seq = 3")
    report = _verify(store)
    assert not report.ok and report.first_bad_seq == 3 and "edited" in report.problem


def test_an_intact_chain_is_checked_on_text_the_database_assembles(store: Store, monkeypatch) -> None:
    """On SQLite, json_quote + json_valid decide every intact event: no row is read whole."""
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL takes the row way (no non-raising JSON check before version 16)")
    _fill(store)

    def row_way(rows):
        raise AssertionError("an intact event was read whole")

    monkeypatch.setattr("pharmakon.store.audit._row_links", row_way)
    report = _verify(store)
    assert report.ok and report.n_events == len(AWKWARD)


def test_a_nul_appended_to_a_json_field_is_an_edit(store: Store) -> None:
    """SQLite printf('%s') would stop at a NUL: the JSON fields are joined byte-exact, so the edit is found."""
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL text cannot hold a NUL")
    _fill(store)
    tamper(store, "UPDATE audit_events SET params = params || char(0) || 'x' WHERE seq = 3")
    report = _verify(store)
    assert not report.ok and report.first_bad_seq == 3 and "edited" in report.problem


@pytest.mark.parametrize("value", ["CAST(actor AS BLOB)", "42", "4.5"])
def test_a_value_of_another_type_is_reported_not_raised(store: Store, value: str) -> None:
    """SQLite keeps any type in any column: json_quote refuses a BLOB; the row way then decides, without raising."""
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL columns are typed")
    _fill(store)
    tamper(store, f"UPDATE audit_events SET actor = {value} WHERE seq = 2")
    report = _verify(store)
    assert not report.ok and report.first_bad_seq == 2 and "edited" in report.problem


def test_a_long_chain_verifies_across_batches_and_names_an_edit_far_in(store: Store, monkeypatch) -> None:
    """Batches of the database walk join up; an edit in a later batch is named by its seq."""
    monkeypatch.setattr("pharmakon.store.audit._VERIFY_BATCH", 7)
    for i in range(30):
        with store.session() as session:
            record_event(session, actor="a", action="x", params={"i": i, "s": "δ\n"})
    assert _verify(store).ok and _verify(store).n_events == 30
    tamper(store, """UPDATE audit_events SET params = '{"i":99,"s":"δ\\n"}' WHERE seq = 23""")
    report = _verify(store)
    assert not report.ok and report.first_bad_seq == 23 and report.n_events == 22


def test_text_moved_across_a_json_field_boundary_is_detected(store: Store) -> None:
    """An edit that ends ``outputs`` early and starts ``params`` with the rest joins to the same text.

    The joined canonical text (and so its hash) is unchanged, but the event is not: each JSON
    field must be valid on its own before the database's text is trusted.
    """
    with store.session() as session:
        record_event(session, actor="a", action="x", outputs={"a": "1", "params": "x"}, params={})
    tamper(store, """UPDATE audit_events SET outputs = '{"a":"1"', params = '"x"},"params":{}' WHERE seq = 1""")
    report = _verify(store)
    assert not report.ok and report.first_bad_seq == 1 and "edited" in report.problem
