"""The append-only, hash-chained audit trail (21 CFR Part 11 spirit).

Every event is hashed in a canonical form that includes its sequence number and the
hash of the event before it, so that editing, deleting, inserting or reordering any
event breaks the chain at a place :func:`verify_chain` names. The database refuses
UPDATE and DELETE on the event table by triggers (see the initial migration), and the
single-row ``audit_head`` table records the newest event so that cutting events off
the end is noticed too.

Canonical form of an event (what ``hash`` is the SHA-256 of)::

    json.dumps({seq, event_id, ts, actor, action, object_type, object_id,
                inputs, outputs, params, reason, code_version, prev_hash},
               sort_keys=True, separators=(",", ":"), ensure_ascii=False)

with ``inputs``/``outputs``/``params`` as JSON objects. ``audit export`` writes one
such object per line plus its ``hash``; the README shows a 20-line re-verifier.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pharmakon._version import __version__
from pharmakon.hashing import canonical_json, sha256_json
from pharmakon.store.schema import AuditEvent, AuditHead

if TYPE_CHECKING:  # pragma: no cover
    from pharmakon.store.database import Store

__all__ = [
    "GENESIS_HASH",
    "AuditRecord",
    "ChainReport",
    "record_event",
    "event_hash",
    "list_events",
    "verify_chain",
    "verify_and_record",
    "verify_records",
    "export_jsonl",
    "read_jsonl",
    "utc_now",
    "chain_head",
    "MAX_OFFSET",
]

#: Largest ``offset`` :func:`list_events` accepts (far beyond any real chain; keeps SQL integers in range).
MAX_OFFSET = 10**12

GENESIS_HASH = "0" * 64
_HASHED_FIELDS = (
    "seq",
    "event_id",
    "ts",
    "actor",
    "action",
    "object_type",
    "object_id",
    "inputs",
    "outputs",
    "params",
    "reason",
    "code_version",
    "prev_hash",
)
_JSON_FIELDS = ("inputs", "outputs", "params")
_VERIFY_BATCH = 20_000
# Built once: statement construction is a third of an append's cost, paid under the head lock.
_LOCK_HEAD = select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
_NEWEST_EVENT = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
_INSERT_EVENT = AuditEvent.__table__.insert()
_MOVE_HEAD = (
    AuditHead.__table__.update()
    .where(AuditHead.__table__.c.id == 1)
    .values(last_seq=bindparam("new_seq"), last_hash=bindparam("new_hash"))
)


def utc_now() -> str:
    """Current UTC time as ISO-8601 with microseconds and a ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditRecord:
    """One audit event as plain data (what export writes and verify reads).

    ``inputs`` and ``outputs`` map a name (file, table, model) to its SHA-256 hex digest.
    """

    seq: int
    event_id: str
    ts: str
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    inputs: dict[str, str]
    outputs: dict[str, str]
    params: dict[str, Any]
    reason: str | None
    code_version: str
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: Any) -> AuditRecord:
        values = {name: getattr(row, name) for name in (*_HASHED_FIELDS, "hash")}
        for name in _JSON_FIELDS:
            values[name] = json.loads(values[name])
        return cls(**values)


def event_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical form of an event (``hash`` itself excluded)."""
    body = {name: record[name] for name in _HASHED_FIELDS}
    return sha256_json(body)


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    inputs: Mapping[str, str] | None = None,
    outputs: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditRecord:
    """Append one event to the chain inside the caller's transaction.

    Call it last in a transaction that changes state, so the change and its audit
    event commit (or roll back) together. The head row is locked for the rest of the
    transaction, so concurrent writers append one after another.

    Parameters
    ----------
    session : Session
        Open write transaction (from :meth:`Store.session`).
    actor : str
        Who acted: a user name, ``local:<os user>`` for the CLI, or ``anonymous``.
    action : str
        Dotted verb, e.g. ``user.create``, ``data.fetch``, ``esign``.
    inputs, outputs : mapping of str to str, optional
        Name → SHA-256 hex digest of what the action read and wrote.
    params : mapping, optional
        JSON-serialisable parameters (no NaN).
    reason : str, optional
        Why, in the actor's words.

    Returns
    -------
    AuditRecord

    Raises
    ------
    StoreError
        If the head row does not name the newest stored event (the head row or the end
        of the chain was tampered with): nothing is appended, so the evidence stays as
        it is for ``pharmakon audit verify`` to report.
    """
    last_seq, last_hash = session.execute(_LOCK_HEAD).one()
    newest = session.execute(_NEWEST_EVENT).first()
    newest_seq, newest_hash = (0, GENESIS_HASH) if newest is None else (newest[0], newest[1])
    if (newest_seq, newest_hash) != (last_seq, last_hash):
        from pharmakon.errors import StoreError

        raise StoreError(
            f"the audit trail is inconsistent: its head row records event {last_seq} (hash {str(last_hash)[:16]}…) "
            f"but the newest stored event is {newest_seq} (hash {str(newest_hash)[:16]}…); nothing was recorded. "
            "Run `pharmakon audit verify` and restore the store from a backup"
        )
    values: dict[str, Any] = {
        "seq": last_seq + 1,
        "event_id": str(uuid.uuid4()),
        "ts": utc_now(),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "inputs": dict(inputs or {}),
        "outputs": dict(outputs or {}),
        "params": dict(params or {}),
        "reason": reason,
        "code_version": __version__,
        "prev_hash": last_hash,
    }
    values["hash"] = event_hash(values)
    session.execute(_INSERT_EVENT, {k: (canonical_json(v) if k in _JSON_FIELDS else v) for k, v in values.items()})
    session.execute(_MOVE_HEAD, {"new_seq": values["seq"], "new_hash": values["hash"]})
    return AuditRecord(**values)


def list_events(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
    offset: int = 0,
    newest_first: bool = True,
) -> tuple[list[AuditRecord], int]:
    """Filtered page of events and the total number matching.

    ``action`` matches a prefix when it ends with ``*`` (``user.*``); ``since`` and
    ``until`` are ISO-8601 UTC strings compared with the event time.

    Raises
    ------
    InputError
        ``limit`` under 1 or ``offset`` outside 0..:data:`MAX_OFFSET`.
    """
    from pharmakon.errors import InputError

    if not 0 <= offset <= MAX_OFFSET:
        raise InputError(f"offset must be between 0 and {MAX_OFFSET:,}, got {offset:,}", field="offset")
    if limit < 1 or limit > MAX_OFFSET:
        raise InputError(f"limit must be between 1 and {MAX_OFFSET:,}, got {limit:,}", field="limit")
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        if action.endswith("*"):
            query = query.where(AuditEvent.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if since:
        query = query.where(AuditEvent.ts >= since)
    if until:
        query = query.where(AuditEvent.ts <= until)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = AuditEvent.seq.desc() if newest_first else AuditEvent.seq.asc()
    rows = session.execute(query.order_by(order).limit(limit).offset(offset)).scalars()
    return [AuditRecord.from_row(r) for r in rows], total


@dataclass
class ChainReport:
    """Outcome of walking the audit chain.

    ``first_bad_seq`` is the sequence number of the first event that fails (``None``
    when the chain is intact); ``problem`` says what failed.
    """

    ok: bool
    n_events: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int | None = None
    head_hash: str | None = None
    elapsed_s: float = 0.0
    source: str = "store"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit chain intact: {self.n_events} events verified in {self.elapsed_s:.2f} s "
                f"(head seq {self.head_seq}, hash {str(self.head_hash)[:16]}…)"
            )
        note = " (this check was not recorded in the trail)" if self.extra.get("recorded") is False else ""
        return f"audit chain BROKEN at event seq {self.first_bad_seq}: {self.problem}{note}"


def verify_records(
    records: Iterable[Mapping[str, Any]],
    *,
    expected_head: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Walk events in order and check every link of the chain.

    Parameters
    ----------
    records : iterable of mappings
        Events in ascending storage order, with the hashed fields (JSON fields as
        objects) and ``hash``.
    expected_head : (seq, hash), optional
        The recorded chain head; a chain that ends elsewhere was cut or extended.
    progress : callable, optional
        Called with the number of events checked so far, every 20,000 events.
    """
    links = ((r["seq"], r["prev_hash"], r["hash"], r["hash"] == event_hash(r)) for r in records)
    return _walk(links, expected_head, progress)


def _walk(
    links: Iterable[tuple[int, str, str, bool]],
    expected_head: tuple[int, str] | None,
    progress: Callable[[int], None] | None,
) -> ChainReport:
    """Check ``(seq, prev_hash, hash, content matches hash)`` links in order, and the head."""
    start = time.perf_counter()
    prev_seq, prev_hash, n = 0, GENESIS_HASH, 0

    def broken(seq: int, problem: str) -> ChainReport:
        return ChainReport(False, n, seq, problem, prev_seq, prev_hash, time.perf_counter() - start)

    for seq, linked_to, digest, intact in links:
        if not intact:
            return broken(seq, f"event {seq} was edited: its content no longer matches its stored hash")
        if seq != prev_seq + 1:
            return broken(
                seq,
                f"event {seq} follows event {prev_seq}: events are missing (deleted) or out of order",
            )
        if linked_to != prev_hash:
            return broken(
                seq,
                f"event {seq} does not link to event {prev_seq}: an event before it was "
                "edited and re-hashed, deleted, inserted or reordered",
            )
        prev_seq, prev_hash, n = seq, digest, n + 1
        if progress is not None and n % _VERIFY_BATCH == 0:
            progress(n)
    if expected_head is not None and (prev_seq, prev_hash) != tuple(expected_head):
        return broken(
            prev_seq + 1 if expected_head[0] > prev_seq else expected_head[0],
            f"the chain ends at event {prev_seq} but the recorded head is event {expected_head[0]}"
            + ("" if expected_head[0] != prev_seq else " with another hash")
            + ": events were removed from (or added to) the end, or the head row was edited",
        )
    return ChainReport(True, n, None, None, prev_seq, prev_hash, time.perf_counter() - start)


# The canonical form of a stored event, assembled as text: the keys in sorted order (as
# ``sort_keys`` writes them), strings escaped by the json module's own encoder, and the
# JSON fields as stored (``record_event`` stores them in canonical form). Same bytes as
# ``canonical_json`` of the decoded event, without decoding and re-encoding three objects.
_ROW_FIELDS = (*_HASHED_FIELDS, "hash")
_SORTED_FIELDS = (
    "action", "actor", "code_version", "event_id", "inputs", "object_id", "object_type",
    "outputs", "params", "prev_hash", "reason", "seq", "ts",
)  # fmt: skip
assert _SORTED_FIELDS == tuple(sorted(_HASHED_FIELDS))
_CANONICAL_TEMPLATE = "{" + ",".join(f'"{n}":' + ("%d" if n == "seq" else "%s") for n in _SORTED_FIELDS) + "}"


def _row_links(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, str, str, bool]]:
    """Links of stored rows (``_ROW_FIELDS`` order) with their content checked against their hash.

    The canonical text is assembled from the row first; an event it does not match (a
    value of an unexpected type, a JSON field stored in another spelling, an edited
    event) is hashed the reference way (:func:`event_hash` on the decoded event), so
    every event ``record_event`` wrote verifies exactly as before. Per event this costs
    about a tenth of decoding and re-encoding its three JSON objects.
    """
    from hashlib import sha256
    from json.encoder import encode_basestring as quote

    template = _CANONICAL_TEMPLATE
    for row in rows:
        (
            seq,
            event_id,
            ts,
            actor,
            action,
            object_type,
            object_id,
            inputs,
            outputs,
            params,
            reason,
            version,
            prev,
            stored,
        ) = row
        try:
            body = template % (
                quote(action), quote(actor), quote(version), quote(event_id), inputs,
                "null" if object_id is None else quote(object_id),
                "null" if object_type is None else quote(object_type),
                outputs, params, quote(prev), "null" if reason is None else quote(reason), seq, quote(ts),
            )  # fmt: skip
            # The JSON fields are joined as stored: each must be one JSON value on its own, or an edit
            # could move text across a field boundary and keep the joined text (and its hash).
            intact = sha256(body.encode("utf-8")).hexdigest() == stored and _single_json(inputs, outputs, params)
        except (TypeError, ValueError):  # e.g. a None where a string belongs: the reference way decides
            intact = False
        if not intact:
            try:
                intact = event_hash(_decoded(row)) == stored
            except (TypeError, ValueError):  # a value JSON cannot hold (e.g. bytes): it was not written so
                intact = False
        yield seq, prev, stored, intact


def _single_json(*texts: str) -> bool:
    """Whether every text is exactly one JSON value (nothing before or after it)."""
    try:
        for text_ in texts:
            json.loads(text_)
    except ValueError:
        return False
    return True


def _decoded(row: Sequence[Any]) -> dict[str, Any]:
    record = dict(zip(_ROW_FIELDS, row, strict=True))
    for name in _JSON_FIELDS:
        try:
            record[name] = json.loads(record[name])
        except (TypeError, ValueError):  # not JSON text: keep it, so its hash cannot match
            pass
    return record


def _stream_rows(session: Session) -> Iterator[Sequence[Any]]:
    """Stored events as tuples in ``_ROW_FIELDS`` order, ascending ``seq``, read in large batches."""
    columns = [getattr(AuditEvent, name) for name in _ROW_FIELDS]
    statement = select(*columns).order_by(AuditEvent.seq).execution_options(yield_per=_VERIFY_BATCH)
    for partition in session.connection().execute(statement).partitions():
        yield from partition


def _stream_records(session: Session) -> Iterator[dict[str, Any]]:
    for row in _stream_rows(session):
        yield _decoded(row)


def chain_head(session: Session) -> tuple[int, str]:
    """``(seq, hash)`` of the newest event as recorded in the head row (``(0, GENESIS_HASH)`` if empty)."""
    last_seq, last_hash = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one()
    return int(last_seq), str(last_hash)


# The same canonical text assembled by SQLite itself, so that a row crosses into Python as
# one value, hashed here. SQLite's JSON string quoting (json_quote) escapes exactly as
# json.dumps(ensure_ascii=False) does: \" \\ \b \f \n \r \t, \u00xx for other control
# characters, everything else as is. The three JSON fields are joined as stored, so each must
# be one valid JSON value on its own (json_valid): otherwise an edit could move text across a
# field boundary (end one field early, start the next with the rest) and leave the joined text,
# and so its hash, unchanged. A row whose text is missing or does not hash to its stored hash
# (a value of another type, a re-spelled JSON field, an edit) is read whole and decided by
# _row_links, exactly as before. PostgreSQL (no non-raising JSON check before version 16)
# takes the row way.
_SQLITE_TEXT = (
    """printf('{"action":%s,"actor":%s,"code_version":%s,"event_id":%s,"inputs":', json_quote(action), """
    """json_quote(actor), json_quote(code_version), json_quote(event_id)) || inputs || """
    """printf(',"object_id":%s,"object_type":%s,"outputs":', json_quote(object_id), json_quote(object_type)) """
    """|| outputs || ',"params":' || params || printf(',"prev_hash":%s,"reason":%s,"seq":%d,"ts":%s}', """
    """json_quote(prev_hash), json_quote(reason), seq, json_quote(ts))"""
)  # the JSON fields are joined with || (byte-exact), not printf's %s (which would stop at a NUL)
_SQLITE_SQL = (
    "SELECT seq, prev_hash, hash, CASE WHEN json_valid(inputs) AND json_valid(outputs) AND json_valid(params) "
    f"THEN CAST({_SQLITE_TEXT} AS BLOB) END FROM audit_events ORDER BY seq"
)


def _database_links(session: Session) -> Iterator[tuple[int, str, str, bool]]:
    """Links with the content check done on text SQLite assembled (:data:`_SQLITE_TEXT`).

    Yields the same ``(seq, prev_hash, hash, intact)`` as ``_row_links(_stream_rows(...))``;
    a row whose assembled text misses is read whole and checked by :func:`_row_links`.
    """
    from hashlib import sha256

    statement = text(_SQLITE_SQL).execution_options(yield_per=_VERIFY_BATCH)
    columns = [getattr(AuditEvent, name) for name in _ROW_FIELDS]
    for partition in session.connection().execute(statement).partitions():
        checked = [(seq, prev, stored, body is not None and sha256(body).hexdigest() == stored)
                   for seq, prev, stored, body in partition]  # fmt: skip
        missed = [link[0] for link in checked if not link[3]]
        if missed:  # rare: decide these rows the row way
            rows = session.connection().execute(select(*columns).where(AuditEvent.seq.in_(missed))).all()
            verdict = {seq: intact for seq, _, _, intact in _row_links(rows)}
            checked = [(seq, prev, stored, ok or verdict[seq]) for seq, prev, stored, ok in checked]
        yield from checked


def _database_can_assemble(session: Session) -> bool:
    """Whether :data:`_SQLITE_SQL` runs here: SQLite with its JSON functions built in (3.38+)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    import sqlite3

    return sqlite3.sqlite_version_info >= (3, 38)


def verify_chain(session: Session, *, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Verify the whole chain stored in the database, and its recorded head.

    On SQLite the content check runs on canonical text the database assembles (see
    :func:`_database_links`); elsewhere, or where SQLite refuses a value (e.g.
    ``json_quote`` of a BLOB), every row is read and checked in Python.
    """
    head = chain_head(session)
    if _database_can_assemble(session):
        try:
            return _walk(_database_links(session), head, progress)
        except OperationalError:  # SQLite's JSON functions refused a stored value: the row way decides
            pass
    return _walk(_row_links(_stream_rows(session)), head, progress)


def verify_and_record(store: Store, *, actor: str, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Verify the stored chain, then record an intact outcome as an ``audit.verify`` event.

    The walk runs in a read session (it never blocks writers on SQLite); the event is
    appended afterwards in its own transaction, so it is not part of what was verified.
    A broken chain or head is only reported (``extra["recorded"]`` is False): appending
    to it would bury the evidence under a new event, and a moved head cannot take one.
    """
    with store.read_session() as session:
        report = verify_chain(session, progress=progress)
    report.extra["recorded"] = report.ok
    if not report.ok:
        return report
    with store.session() as session:
        record_event(
            session,
            actor=actor,
            action="audit.verify",
            object_type="audit_chain",
            object_id="store",
            params={"ok": report.ok, "n_events": report.n_events, "first_bad_seq": report.first_bad_seq},
        )
    return report


def export_jsonl(session: Session, out: TextIO) -> int:
    """Write every event as one canonical JSON object per line; returns the count."""
    n = 0
    for record in _stream_records(session):
        out.write(canonical_json(record))
        out.write("\n")
        n += 1
    return n


def export_and_record(store: Store, path: str | Path, *, actor: str) -> tuple[int, str]:
    """Write the whole chain to ``path`` (JSON Lines, all or nothing), then record ``audit.export``.

    The event carries the file's SHA-256 and the head it covers (it is not in the file).
    Returns ``(number of events, head hash)``.
    """
    from pharmakon.files import atomic_open
    from pharmakon.hashing import sha256_file

    path = Path(path)
    with atomic_open(path) as handle, store.read_session() as session:
        head_seq, head_hash = chain_head(session)
        n = export_jsonl(session, handle)
    with store.session() as session:
        record_event(
            session,
            actor=actor,
            action="audit.export",
            object_type="audit_chain",
            object_id="store",
            outputs={path.name: sha256_file(path)},
            params={"n_events": n, "head_seq": head_seq, "head_hash": head_hash},
        )
    return n, head_hash


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Events from an export file, for :func:`verify_records`.

    Raises
    ------
    InputError
        If a line is not a JSON object with the audit fields (names file and line).
    """
    from pharmakon.errors import InputError

    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not JSON: {exc.msg}", file=str(path), row=line_no) from exc
            missing = [k for k in (*_HASHED_FIELDS, "hash") if not isinstance(record, dict) or k not in record]
            if missing:
                raise InputError(f"missing audit fields {missing}", file=str(path), row=line_no)
            yield record
