"""Benchmark of the hash-chained audit trail: append and verify throughput.

For SQLite (a file in a temporary folder) and PostgreSQL (a throwaway server started
from the installed binaries, as the tests do) it measures

* append, single writer: real ``record_event`` calls, each in its own
  ``store.session()`` transaction (the way every state change records its event);
* append, concurrent: N writer processes (multiprocessing spawn) appending at once,
  timed from a common start barrier to the last writer's finish; the chain is then
  verified, which must report it intact;
* verify: ``verify_chain`` over a store holding ``--verify-events`` events (default
  1,000,000; the issue's target is "under a minute" for 1,000,000);
* export and re-verify: ``export_jsonl`` to a file, then
  ``verify_records(read_jsonl(file))`` as an auditor would;
* the lower bound of verify (issue 20: "1M events toward 10 s"): reading the same rows in
  the same batches and doing nothing with them, plus SHA-256 of as many canonical events
  (their mean length, measured on the chain) -- the work no verifier of this hash
  definition can skip. ``verify_chain`` is reported beside it as a multiple of it.

Building a 1,000,000-event chain with one transaction per event would take far too
long, so the chain is topped up to ``--verify-events`` by bulk-inserting valid,
correctly chained rows in one transaction (hashes from
:func:`pharmakon.store.audit.event_hash`, the canonical form ``record_event`` uses,
and the ``audit_head`` row moved to the new end). That is setup and is not part of any
measured rate; on PostgreSQL it ends with ``VACUUM ANALYZE`` (what autovacuum does to a
long-lived table), on SQLite with a WAL checkpoint.

There is no peer tool to compare with: no other audit-trail implementation runs here,
so the numbers are absolute, not ratios.

Usage::

    python bench/audit.py                      # full run, 1,000,000 events per database
    python bench/audit.py --quick              # small sizes, about 20 s
    python bench/audit.py --databases sqlite --verify-events 200000 --profile

Writes ``bench/results/audit.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import multiprocessing
import os
import pstats
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

import _common
from pharmakon._version import __version__
from pharmakon.hashing import canonical_json
from pharmakon.store import Store, export_jsonl, open_store, read_jsonl, record_event, verify_chain, verify_records
from pharmakon.store.audit import event_hash, utc_now
from pharmakon.store.schema import AuditHead

NAME = "audit"
TARGET_EVENTS, TARGET_S = 1_000_000, 60.0
TOWARD_S = 10.0  # issue 20: "audit verify on 1M events toward 10 s"
PEER_NOTE = "no peer tool to compare with (no other audit-trail implementation runs here): absolute numbers"
COLUMNS = (
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
    "hash",
)
JSON_COLUMNS = ("inputs", "outputs", "params")
BULK_CHUNK = 20_000
_IN_HASH = hashlib.sha256(b"pharmakon bench input").hexdigest()
_OUT_HASH = hashlib.sha256(b"pharmakon bench output").hexdigest()

DEFAULTS = {"verify_events": TARGET_EVENTS, "single_events": 2_000, "writers": 4, "events_per_writer": 500}
QUICK = {"verify_events": 20_000, "single_events": 200, "writers": 4, "events_per_writer": 50}


def event_fields(actor: str, i: int) -> dict[str, Any]:
    """A typical event: one input and one output digest, a couple of parameters, a reason."""
    return {
        "actor": actor,
        "action": "bench.event",
        "object_type": "dataset",
        "object_id": str(i),
        "inputs": {"in.csv": _IN_HASH},
        "outputs": {"out.parquet": _OUT_HASH},
        "params": {"i": i, "note": "δ", "alpha": 0.05},
        "reason": "benchmark",
    }


# --------------------------------------------------------------------------- appends


def append_events(store: Store, n: int, actor: str, offset: int = 0) -> None:
    """``n`` events, one ``record_event`` per write transaction (what the platform does)."""
    for i in range(offset, offset + n):
        with store.session() as session:
            record_event(session, **event_fields(actor, i))


def _writer(url: str, worker: int, n: int, barrier: Any, results: Any) -> None:
    """A writer process: open the store, wait for the others, append ``n`` events."""
    try:
        store = open_store(url)  # connects and checks the schema before the clock starts
        with store.session() as session:
            session.execute(select(AuditHead.last_seq))  # warm the write connection
        barrier.wait(timeout=300)
        start = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        append_events(store, n, actor=f"writer-{worker}")
        end = time.perf_counter()
        store.dispose()
        results.put((worker, start, end, n, None))
    except BaseException as exc:  # noqa: BLE001 - report any failure to the parent
        results.put((worker, 0.0, 0.0, 0, repr(exc)))
        raise


def concurrent_appends(url: str, writers: int, per_writer: int) -> tuple[float, list[dict[str, Any]]]:
    """Wall seconds from the common start to the last writer's end, and per-writer timings."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(writers + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, w, per_writer, barrier, results)) for w in range(writers)]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=300)
        got = [results.get(timeout=600) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=60)
    errors = [f"writer {w}: {err}" for w, _, _, _, err in got if err]
    if errors or any(p.exitcode != 0 for p in procs):
        raise RuntimeError("concurrent writers failed: " + "; ".join(errors or [str([p.exitcode for p in procs])]))
    wall = max(end for _, _, end, _, _ in got) - min(start for _, start, _, _, _ in got)
    per = [{"writer": w, "events": n, "seconds": end - start} for w, start, end, n, _ in sorted(got)]
    return wall, per


# --------------------------------------------------------------------------- bulk setup


_SLOTS = ("event_id", "object_id", "prev_hash", "seq", "ts")


def _bulk_template(actor: str) -> tuple[str, tuple[str, ...], str]:
    """Canonical text of a bulk event with ``%``-slots, the slots in text order, and the ``params`` text.

    Made by ``canonical_json`` itself from :func:`event_fields` with a placeholder where
    an event's values vary, so a filled template is the text ``event_hash`` hashes. The
    ``seq`` slot also fills ``params["i"]`` (bulk events have ``i = seq``).
    """
    marks = {name: f'"@@{name}@@"' for name in _SLOTS}
    fields = event_fields(actor, 0) | {"object_id": marks["object_id"][1:-1]}
    fields["params"] = fields["params"] | {"i": marks["seq"][1:-1]}
    slots = {name: marks[name][1:-1] for name in ("seq", "event_id", "ts", "prev_hash")}
    body = canonical_json({**fields, **slots, "code_version": __version__}).replace("%", "%%")
    order = sorted((match.start(), name) for name, mark in marks.items() for match in re.finditer(mark, body))
    params = canonical_json(fields["params"]).replace("%", "%%").replace(marks["seq"], "%d")
    for name, mark in marks.items():
        body = body.replace(mark, "%d" if name == "seq" else "%s")
    return body, tuple(name for _, name in order), params


def _chained_rows(start_seq: int, prev_hash: str, n: int, last: list[str]) -> Iterator[tuple[Any, ...]]:
    """``n`` valid events continuing the chain, as rows in :data:`COLUMNS` order.

    Same values and canonical form as ``record_event``: the text is a filled
    :func:`_bulk_template`, checked against :func:`event_hash` every 50,000 events (a
    mismatch stops the fill). One timestamp per :data:`BULK_CHUNK` events (the chain's
    order is ``seq``). ``last[0]`` ends as the new head hash.
    """
    from hashlib import sha256
    from json.encoder import encode_basestring as quote

    actor = "bulk-loader"
    template, slots, params = _bulk_template(actor)
    fixed = event_fields(actor, 0)
    inputs, outputs = canonical_json(fixed["inputs"]), canonical_json(fixed["outputs"])
    constant = (actor, fixed["action"], fixed["object_type"])
    ts = ""
    for k, seq in enumerate(range(start_seq, start_seq + n)):
        if k % BULK_CHUNK == 0:
            ts = utc_now()
        event_id, object_id = str(uuid.uuid4()), str(seq)
        value = {"event_id": event_id, "object_id": object_id, "prev_hash": prev_hash, "ts": ts}
        text = template % tuple(seq if s == "seq" else quote(value[s]) for s in slots)
        digest = sha256(text.encode("utf-8")).hexdigest()
        if k % 50_000 == 0:
            reference = {**event_fields(actor, seq), **value, "seq": seq, "code_version": __version__}
            if event_hash(reference) != digest:
                raise RuntimeError(f"the bulk template disagrees with event_hash at seq {seq}")
        yield (seq, event_id, ts, *constant, object_id, inputs, outputs, params % seq, fixed["reason"],
               __version__, prev_hash, digest)  # fmt: skip
        prev_hash = digest
    last[0] = prev_hash


def _sqlite_insert(cursor: Any, rows: Iterator[tuple[Any, ...]]) -> None:
    """``executemany`` in chunks, with the plain indexes dropped and rebuilt after (sorted builds).

    The page cache is raised to 1 GiB for the load so the two unique indexes (random
    ``event_id`` and ``hash`` keys) stay in memory; the rebuilt indexes are the same
    ``CREATE INDEX`` statements, read back from ``sqlite_master``.
    """
    cursor.execute("PRAGMA cache_size = -1048576")
    indexes = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    sql = f"INSERT INTO audit_events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    while chunk := [row for _, row in zip(range(BULK_CHUNK), rows)]:
        cursor.executemany(sql, chunk)
    for _, create in indexes:
        cursor.execute(create)
    cursor.execute("PRAGMA cache_size = -2000")


def bulk_fill(store: Store, total: int) -> dict[str, Any]:
    """Top the chain up to ``total`` events in one transaction (setup, not measured)."""
    start = time.perf_counter()
    with store.session() as session:
        conn = session.connection()
        if store.dialect == "postgresql":
            conn.exec_driver_sql("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE")
        head_seq, head_hash = conn.execute(select(AuditHead.last_seq, AuditHead.last_hash)).one()
        n_new = total - head_seq
        if n_new <= 0:
            return {"added": 0, "seconds": 0.0}
        last = [head_hash]
        rows = _chained_rows(head_seq + 1, head_hash, n_new, last)
        raw = conn.connection.driver_connection
        cursor = raw.cursor()
        if store.dialect == "sqlite":
            _sqlite_insert(cursor, rows)
        else:
            with cursor.copy(f"COPY audit_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cursor.close()
        conn.execute(
            text("UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE id = 1"), {"s": total, "h": last[0]}
        )
    loaded = time.perf_counter() - start
    if store.dialect == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE audit_events")
    else:
        with sqlite3.connect(store.engine.url.database, isolation_level=None) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
    return {"added": n_new, "load_seconds": loaded, "seconds": time.perf_counter() - start}


# --------------------------------------------------------------------------- verification


def _profile(fn: Callable[[], Any], top: int = 20) -> tuple[Any, list[dict[str, Any]]]:
    profiler = cProfile.Profile()
    result = profiler.runcall(fn)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    table = [
        {
            "function": f"{Path(file).name}:{line}({func})",
            "ncalls": nc,
            "tottime_s": round(tt, 3),
            "cumtime_s": round(ct, 3),
        }
        for (file, line, func), (_cc, nc, tt, ct, _callers) in entries
    ]
    return result, table


def verify_lower_bound(store: Store) -> dict[str, float]:
    """Seconds to read every event row into Python, to scan it in the database, and to hash as many events.

    ``read_s``: every column of every row fetched into Python in batches of 20,000 (what
    a verifier that hashes in Python from the columns must do). ``scan_s``: the database
    touching every stored value in its own engine (``sum(length(...))`` over the text
    columns), no rows crossing into Python: the floor for a verifier that lets the
    database assemble the text. ``sha256_s``: SHA-256 of as many events of the chain's
    mean canonical length.
    """
    columns = ", ".join(COLUMNS)
    lengths: list[int] = []
    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    with store.read_session() as session:
        result = session.connection().execute(
            text(f"SELECT {columns} FROM audit_events ORDER BY seq").execution_options(yield_per=20_000)
        )
        for part in result.partitions():
            n += len(part)
            if len(lengths) < 1000:
                lengths += [len(canonical_json(_as_event(row))) for row in part[:1000]]
    read_s, read_cpu = time.perf_counter() - start, time.process_time() - cpu
    text_columns = [c for c in COLUMNS if c != "seq"]
    scan = (
        "SELECT count(*), sum(" + " + ".join(f"coalesce(length({c}), 0)" for c in text_columns) + ") FROM audit_events"
    )
    start, cpu = time.perf_counter(), time.process_time()  # CPU: this process's (SQLite), not a server's
    with store.read_session() as session:
        session.connection().execute(text(scan)).one()
    scan_s, scan_cpu = time.perf_counter() - start, time.process_time() - cpu
    payload = b"x" * round(sum(lengths) / max(len(lengths), 1))
    sha = hashlib.sha256
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        sha(payload).hexdigest()
    hash_s, hash_cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "events": n,
        "read_s": read_s,
        "read_cpu_s": read_cpu,
        "scan_s": scan_s,
        "scan_cpu_s": scan_cpu,
        "sha256_s": hash_s,
        "sha256_cpu_s": hash_cpu,
        "mean_event_bytes": len(payload),
    }


def _as_event(row: Any) -> dict[str, Any]:
    event = dict(zip(COLUMNS, row, strict=True))
    event.pop("hash")
    for name in JSON_COLUMNS:
        event[name] = json.loads(event[name])
    return event


def verify_store(store: Store, profile: bool = False) -> tuple[float, Any, list[dict[str, Any]] | None]:
    """Seconds to run ``verify_chain`` in a read session (and its report, and a profile)."""

    def run() -> Any:
        with store.read_session() as session:
            return verify_chain(session)

    start = time.perf_counter()
    if profile:
        report, table = _profile(run)
    else:
        report, table = run(), None
    return time.perf_counter() - start, report, table


# --------------------------------------------------------------------------- per database


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    path = workdir / "pharmakon.db"
    info = {"version": sqlite3.sqlite_version, "settings": "file in a temp dir, WAL, synchronous=NORMAL"}
    yield f"sqlite:///{path}", info


@contextmanager
def postgres_database() -> Iterator[tuple[str, dict[str, Any]]]:
    _common.add_repo_root_to_path()
    from tests.postgres_server import PostgresServer, find_pg_bin

    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        server.execute("CREATE DATABASE pharmakon_bench")
        import psycopg

        with psycopg.connect(server.dsn("postgres")) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        info = {
            "version": version,
            "bin_dir": str(bin_dir),
            "settings": "throwaway local server from tests/postgres_server.py (fsync=off), TCP 127.0.0.1",
        }
        yield server.url("pharmakon_bench"), info
    finally:
        server.stop()


def bench_database(
    kind: str, url: str, cfg: dict[str, Any], workdir: Path, profile: bool, log: Callable, export_files: bool = True
) -> dict:
    rows: list[dict[str, Any]] = []

    def add(measurement: str, events: int, seconds: float, **extra: Any) -> None:
        rows.append(
            {
                "database": kind,
                "measurement": measurement,
                "events": events,
                "seconds": seconds,
                "events_per_s": _common.rate(events, seconds),
                **extra,
            }
        )

    store = Store(url)
    store.migrate()
    result: dict[str, Any] = {}

    warmup = 20
    append_events(store, warmup, "warmup")  # compiles statements, fills the pool; not timed
    n = cfg["single_events"]
    log(f"{kind}: {n} appends, single writer")
    with _common.timed() as t:
        append_events(store, n, "single", offset=warmup)
    add("append, 1 writer", n, t.seconds, note="record_event, 1 transaction each")

    w, per = cfg["writers"], cfg["events_per_writer"]
    log(f"{kind}: {w} writer processes x {per} appends")
    store.dispose()
    wall, per_writer = concurrent_appends(url, w, per)
    add(f"append, {w} writers", w * per, wall, per_writer=per_writer, note=f"{w} processes, 1 transaction each")

    seconds, report, _ = verify_store(store)
    expected = warmup + n + w * per
    intact = report.ok and report.n_events == expected
    add(
        "verify after concurrent",
        report.n_events,
        seconds,
        ok=intact,
        note="chain intact" if intact else f"BROKEN or wrong count: {report.summary()}",
    )
    result["chain_after_concurrent_appends"] = {
        "ok": report.ok,
        "n_events": report.n_events,
        "expected_events": expected,
        "problem": report.problem,
    }

    total = cfg["verify_events"]
    log(f"{kind}: bulk-loading the chain up to {total:,} events (setup, not measured)")
    result["bulk_setup"] = bulk_fill(store, total)
    log(f"{kind}: setup took {result['bulk_setup']['seconds']:.1f} s; verifying")

    load = os.getloadavg()[0]
    cpu = time.process_time()
    seconds, report, _ = verify_store(store)
    cpu = time.process_time() - cpu
    add(
        "verify_chain",
        report.n_events,
        seconds,
        cpu_s=cpu,
        load_avg=load,
        ok=report.ok,
        note=_target_note(report.n_events, seconds, "verify_chain(read session)")
        + f"; this process's CPU {cpu:.1f} s at load {load:.1f}"
        if report.ok
        else report.summary(),
    )
    result["verify_store_report"] = report.to_dict()
    bound = verify_lower_bound(store)
    floor = bound["read_s"] + bound["sha256_s"]
    scan_floor = bound["scan_s"] + bound["sha256_s"]
    add(
        "verify bound: rows",
        bound["events"],
        floor,
        read_s=bound["read_s"],
        sha256_s=bound["sha256_s"],
        note=f"read rows {bound['read_s']:.2f} s + SHA-256 {bound['sha256_s']:.2f} s "
        f"({bound['mean_event_bytes']} B/event); verify_chain is {seconds / floor:.1f}x this",
    )
    add(
        "verify bound: scan",
        bound["events"],
        scan_floor,
        scan_s=bound["scan_s"],
        sha256_s=bound["sha256_s"],
        note=f"database scan {bound['scan_s']:.2f} s + SHA-256 {bound['sha256_s']:.2f} s; "
        f"verify_chain is {seconds / scan_floor:.1f}x this",
    )
    result["verify_lower_bound"] = bound | {
        "verify_chain_over_bound": seconds / floor,
        "verify_chain_over_scan_bound": seconds / scan_floor,
    }
    if profile:
        log(f"{kind}: verifying again under cProfile")
        p_seconds, _, table = verify_store(store, profile=True)
        result["verify_profile"] = {"seconds_under_profiler": p_seconds, "top_by_tottime": table}

    if not export_files:
        store.dispose()
        result["rows"] = rows
        return result
    export = workdir / f"{kind}-audit.jsonl"
    log(f"{kind}: exporting to {export.name}")
    with _common.timed() as t, store.read_session() as session, open(export, "w", encoding="utf-8") as out:
        n_exported = export_jsonl(session, out)
    add(
        "export_jsonl",
        n_exported,
        t.seconds,
        bytes=export.stat().st_size,
        note=f"to a file, {export.stat().st_size / 1e6:,.0f} MB",
    )
    with _common.timed() as t:
        file_report = verify_records(read_jsonl(export))
    add(
        "verify export file",
        file_report.n_events,
        t.seconds,
        ok=file_report.ok,
        note=_target_note(file_report.n_events, t.seconds, "verify_records(read_jsonl(file))")
        if file_report.ok
        else file_report.summary(),
    )
    export.unlink()
    store.dispose()
    result["rows"] = rows
    return result


def _target_note(events: int, seconds: float, what: str) -> str:
    """``what``, intact, and whether the rate meets the issue's "1M in under a minute"."""
    if events < TARGET_EVENTS:
        return f"{what}: intact"
    per_million = seconds * TARGET_EVENTS / events
    verdict = "meets" if per_million < TARGET_S else "MISSES"
    toward = "meets" if per_million < TOWARD_S else "misses"
    return f"{what}: intact, {verdict} < {TARGET_S:.0f} s per 1M; {toward} the {TOWARD_S:.0f} s goal (issue 20)"


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify-events", type=int, help=f"chain length to verify (default {TARGET_EVENTS:,})")
    parser.add_argument("--single-events", type=int, help="appends by the single writer (default 2,000)")
    parser.add_argument("--writers", type=int, help="concurrent writer processes (default 4)")
    parser.add_argument("--events-per-writer", type=int, help="appends per concurrent writer (default 500)")
    parser.add_argument("--quick", action="store_true", help="small sizes (20,000 events to verify)")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--profile", action="store_true", help="also run verify_chain under cProfile")
    parser.add_argument(
        "--no-export", action="store_true", help="skip export_jsonl and the re-verification of the file"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = QUICK if args.quick else DEFAULTS
    cfg = {k: (getattr(args, k) if getattr(args, k) is not None else v) for k, v in base.items()}
    began = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - began:7.1f} s] {message}", flush=True)

    print(f"pharmakon audit trail benchmark: {PEER_NOTE}", flush=True)
    databases: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="pharmakon-bench-audit-") as tmp:
        workdir = Path(tmp)
        for kind in args.databases:
            opener = sqlite_database(workdir) if kind == "sqlite" else postgres_database()
            try:
                with opener as (url, info):
                    log(f"{kind} {info['version']}: {info['settings']}")
                    databases[kind] = {
                        **info,
                        **bench_database(kind, url, cfg, workdir, args.profile, log, not args.no_export),
                    }
            except RuntimeError as exc:
                if kind == "postgresql" and "binaries" in str(exc):
                    skipped[kind] = str(exc)
                    log(f"skipping {kind}: {exc}")
                    continue
                raise

    rows = [row for db in databases.values() for row in db.pop("rows")]
    ok = all(row.get("ok", True) for row in rows)
    target = {
        "events": TARGET_EVENTS,
        "seconds": TARGET_S,
        "met": {
            db: r["seconds"] * TARGET_EVENTS / r["events"] < TARGET_S
            for db, r in ((r["database"], r) for r in rows if r["measurement"] == "verify_chain")
            if r["events"] >= TARGET_EVENTS
        },
    }
    machine = _common.machine_info(
        postgres_version=databases.get("postgresql", {}).get("version"),
    )
    out = _common.write_result(
        NAME,
        {
            "peer": None,
            "peer_note": PEER_NOTE,
            "machine": machine,
            "config": {**cfg, "quick": args.quick},
            "all_ok": ok,
            "verify_target": target,
            "total_seconds": time.perf_counter() - began,
            "skipped": skipped,
            "databases": databases,
            "rows": rows,
        },
    )
    _common.print_table(
        f"pharmakon audit trail — {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"SQLite {machine['sqlite_version']}, PostgreSQL {machine['postgres_version'] or 'n/a'}",
        ["database", "measurement", "events", "seconds", "events/s", "notes"],
        [
            (
                r["database"],
                r["measurement"],
                f"{r['events']:,}",
                f"{r['seconds']:.2f}",
                f"{r['events_per_s']:,.0f}",
                r.get("note", ""),
            )
            for r in rows
        ],
        numeric=["events", "seconds", "events/s"],
        caption=f"{PEER_NOTE}.\nBulk setup of the long chain is not measured. Wrote {out}",
    )
    for kind, db in databases.items():
        if "verify_profile" in db:
            _common.print_table(
                f"{kind}: verify_chain under cProfile ({db['verify_profile']['seconds_under_profiler']:.1f} s), "
                "top functions by own time",
                ["function", "calls", "own s", "cumulative s"],
                [
                    (e["function"], f"{e['ncalls']:,}", f"{e['tottime_s']:.2f}", f"{e['cumtime_s']:.2f}")
                    for e in db["verify_profile"]["top_by_tottime"]
                ],
                numeric=["calls", "own s", "cumulative s"],
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
