"""``pharmakon data``: list, inspect and fetch the public data sets.

A Typer sub-app; the main CLI mounts it with ``app.add_typer(data.app, name="data")``.
Errors are :class:`~pharmakon.errors.PharmakonError` subclasses and propagate to the
main CLI, which prints them and exits non-zero.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pharmakon.datasets import DatasetEntry, fetch_source, info, list_datasets

__all__ = ["app"]

app = typer.Typer(help="Public data sets: list, inspect and fetch (verified by SHA-256).", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def _entry_dict(entry: DatasetEntry) -> dict[str, Any]:
    d = entry.model_dump(mode="json", exclude={"url_rules"})
    d["n_files"] = entry.n_files
    d["network_fetchable"] = entry.network_fetchable
    d["manifest_sha256"] = entry.manifest_sha256
    return d


@app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """List the catalogued data sets (name, domain, licence, size, files)."""
    entries = list_datasets()
    if as_json:
        typer.echo(json.dumps([_entry_dict(e) for e in entries], indent=2))
        return
    table = Table(title=f"{len(entries)} public data sets")
    for col, kw in (
        ("name", {"style": "bold", "no_wrap": True}),
        ("domain", {}),
        ("licence", {"overflow": "fold"}),
        ("size", {"justify": "right"}),
        ("files", {"justify": "right"}),
        ("citation", {"overflow": "fold"}),
        ("source", {"overflow": "fold"}),
        ("manifest sha256", {"overflow": "fold"}),
    ):
        table.add_column(col, **kw)
    for e in entries:
        table.add_row(
            e.name,
            e.domain,
            e.licence,
            _human(e.size_bytes),
            str(e.n_files),
            e.citation,
            e.source_url,
            e.manifest_sha256[:16] + "…",
        )
    Console().print(table)


@app.command("info")
def info_command(
    name: Annotated[str, typer.Argument(help="Data set name (see `pharmakon data list`).")], as_json: JsonOpt = False
) -> None:
    """Show all metadata of one data set, including every file's SHA-256 and URL."""
    entry = info(name)
    if as_json:
        typer.echo(json.dumps(_entry_dict(entry), indent=2))
        return
    console = Console()
    console.print(f"[bold]{entry.name}[/bold]: {entry.title}")
    for label, value in (
        ("domain", entry.domain),
        ("description", entry.description),
        ("licence", entry.licence),
        ("citation", entry.citation),
        ("source", entry.source_url),
        ("commit", entry.commit or "-"),
        ("size", f"{_human(entry.size_bytes)} in {entry.n_files} files"),
        ("sha256", f"{entry.manifest_sha256} (manifest of the file hashes below)"),
    ):
        console.print(f"[cyan]{label:>11}[/cyan]  {value}", highlight=False)
    table = Table(title="files")
    table.add_column("path")
    table.add_column("size", justify="right")
    table.add_column("sha256")
    table.add_column("url", overflow="fold")
    for f in entry.files:
        table.add_row(f.path, _human(f.size_bytes), f.sha256, f.url or "- (mirror only)")
    console.print(table)


@app.command("fetch")
def fetch_command(
    name: Annotated[str, typer.Argument(help="Data set name (see `pharmakon data list`).")],
    force: Annotated[bool, typer.Option("--force", help="Fetch again even if a verified copy is cached.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy (from PHARMAKON_DATA_MIRROR) or download a data set into the cache, verifying checksums."""
    from pharmakon.cli._common import cli_caller  # lazy: keeps the store out of `data list`
    from pharmakon.datasets.service import fetch_dataset
    from pharmakon.store import open_store

    entry = info(name)
    if as_json:
        result = fetch_dataset(open_store(), entry.name, cli_caller(), force=force)
    else:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[file]}"),
            TimeElapsedColumn(),
            transient=False,
        ) as bar:
            task = bar.add_task(f"{entry.name} ({fetch_source()})", total=entry.n_files, file="")
            result = fetch_dataset(
                open_store(),
                entry.name,
                cli_caller(),
                force=force,
                progress=lambda f, i, n: bar.update(task, completed=i, file=f.path),
            )
    if as_json:
        fields = ("name", "path", "source", "n_files", "size_bytes")
        typer.echo(json.dumps({k: getattr(result, k) for k in fields}))
    else:
        typer.echo(result.path)
