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
