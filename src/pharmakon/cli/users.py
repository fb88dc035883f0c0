"""``pharmakon users``: manage users, roles and API tokens without a browser."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pharmakon.cli._common import cli_actor, console, print_json, read_password

app = typer.Typer(help="Users, roles (viewer < scientist < admin) and API tokens.", no_args_is_help=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name (lower-case letters, digits, _ . -).")],
    role: Annotated[str, typer.Option(help="viewer, scientist or admin.")] = "viewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    phi: Annotated[bool, typer.Option("--phi", help="Allow access to identifiable patient data.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the audit trail).")] = None,
) -> None:
    """Add a user."""
    from pharmakon.store import create_user, open_store

    password = read_password(password_stdin, confirm=True)
    with open_store().session() as session:
        user = create_user(
            session, username=name, password=password, role=role, actor=cli_actor(), phi_access=phi, reason=reason
        )
    console.print(f"added user {user.username} ({user.role})", markup=False)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List users."""
    from dataclasses import asdict

    from pharmakon.store import list_users, open_store

    with open_store().read_session() as session:
        users = list_users(session)
    if as_json:
        print_json([asdict(u) for u in users])
        return
    table = Table(title="users")
    for column in ("name", "role", "active", "PHI", "created (UTC)"):
        table.add_column(column)
    for u in users:
        table.add_row(u.username, u.role, "yes" if u.active else "no", "yes" if u.phi_access else "no", u.created_at)
    console.print(table)


@app.command("token")
def token(
    name: Annotated[str, typer.Argument(help="User the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "cli",
    expires_days: Annotated[float | None, typer.Option(min=0.001, help="Lifetime in days (default: none).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Issue an API token; it is printed once and stored only as a hash."""
    from pharmakon.store import issue_token, open_store

    with open_store().session() as session:
        secret = issue_token(session, username=name, name=label, actor=cli_actor(), expires_days=expires_days)
    if as_json:
        print_json({"user": name, "token": secret})
    else:
        typer.echo(secret)


@app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="User to disable.")],
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the audit trail).")] = None,
) -> None:
    """Disable a user: their password and tokens stop working at once."""
    from pharmakon.store import open_store, set_user_active

    with open_store().session() as session:
        set_user_active(session, username=name, active=False, actor=cli_actor(), reason=reason)
    console.print(f"disabled user {name}", markup=False)


@app.command("enable")
def enable(
    name: Annotated[str, typer.Argument(help="User to enable again.")],
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the audit trail).")] = None,
) -> None:
    """Enable a disabled user."""
    from pharmakon.store import open_store, set_user_active

    with open_store().session() as session:
        set_user_active(session, username=name, active=True, actor=cli_actor(), reason=reason)
    console.print(f"enabled user {name}", markup=False)
