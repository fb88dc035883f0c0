"""``pharmakon audit``: read, verify, export and sign the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pharmakon.cli._common import cli_actor, console, err_console, print_json, read_password

app = typer.Typer(help="The tamper-evident audit trail: log, verify, export, sign.", no_args_is_help=True)

CHAIN_BROKEN_EXIT = 8


@app.command("log")
def log(
    actor: Annotated[str | None, typer.Option(help="Only events by this actor.")] = None,
    action: Annotated[str | None, typer.Option(help="Action, or prefix ending in '*' (user.*).")] = None,
    object_type: Annotated[str | None, typer.Option("--object-type", help="Only this object type.")] = None,
    object_id: Annotated[str | None, typer.Option("--object-id", help="Only this object id.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO-8601 UTC lower bound on time.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO-8601 UTC upper bound on time.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Events to show.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Events to skip (newest first).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show audit events, newest first."""
    from pharmakon.store import list_events, open_store

    with open_store().read_session() as session:
        events, total = list_events(
            session,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    if as_json:
        print_json({"total": total, "items": [e.to_dict() for e in events]})
        return
    table = Table(title=f"audit events ({len(events)} of {total})")
    for column in ("seq", "time (UTC)", "actor", "action", "object", "reason"):
        table.add_column(column, overflow="fold")
    for e in events:
        obj = f"{e.object_type or ''}:{e.object_id or ''}".strip(":")
        table.add_row(str(e.seq), e.ts, e.actor, e.action, obj, e.reason or "")
    console.print(table)


@app.command("verify")
def verify(
    file: Annotated[
        Path | None, typer.Option("--file", exists=True, dir_okay=False, help="Verify an export instead of the store.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Walk the hash chain; exit 8 and name the first broken event if it was tampered with."""
    from pharmakon.store import open_store, read_jsonl, verify_and_record, verify_records

    with Progress(
        TextColumn("verifying"),
        BarColumn(),
        TextColumn("{task.completed:,} events"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task("verify", total=None)

        def progress(n: int) -> None:
            bar.update(task, completed=n)

        if file is not None:
            report = verify_records(read_jsonl(file), progress=progress)
            report.source = str(file)
        else:
            report = verify_and_record(open_store(), actor=cli_actor(), progress=progress)
    if as_json:
        print_json(report.to_dict())
    else:
        (console if report.ok else err_console).print(report.summary(), markup=False)
    if not report.ok:
        raise typer.Exit(CHAIN_BROKEN_EXIT)


@app.command("export")
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="JSON Lines file to write ('-' for stdout).")],
) -> None:
    """Write the whole log as JSON Lines with the hashes, for third-party re-verification.

    The export itself is then recorded as an ``audit.export`` event carrying the
    file's SHA-256 and the head it covers (that event is not in the file).
    """
    import sys

    from pharmakon.store import export_and_record, export_jsonl, open_store

    store = open_store()
    if str(output) == "-":
        with store.read_session() as session:
            export_jsonl(session, sys.stdout)
        return
    n, head_hash = export_and_record(store, output, actor=cli_actor())
    err_console.print(f"exported {n:,} events to {output} (head {head_hash[:16]}…)", markup=False)


@app.command("sign")
def sign(
    object_type: Annotated[str, typer.Argument(help="Kind of object: model_version, trial_design, report ...")],
    object_id: Annotated[str, typer.Argument(help="Identifier of the object.")],
    meaning: Annotated[str, typer.Option(help="authored, reviewed, approved, verified or rejected.")],
    user: Annotated[str, typer.Option("--user", help="Signer's user name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    file: Annotated[
        Path | None, typer.Option("--file", exists=True, dir_okay=False, help="Signed content, hashed into the event.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why, in the signer's words.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Electronically sign an object, re-entering the signer's password."""
    from pharmakon.hashing import sha256_file
    from pharmakon.store import open_store
    from pharmakon.store import sign as sign_object

    password = read_password(password_stdin)
    with open_store().session() as session:
        event = sign_object(
            session,
            username=user,
            password=password,
            object_type=object_type,
            object_id=object_id,
            meaning=meaning,
            object_hash=sha256_file(file) if file else None,
            reason=reason,
        )
    if as_json:
        print_json(event.to_dict())
    else:
        console.print(
            f"signed {object_type}:{object_id} as {meaning!r} by {user} at {event.ts} (event {event.seq})", markup=False
        )
