"""``pharmakon admet``: train the ADMET panel from the catalogue and stream predictions.

Thin layer over :mod:`pharmakon.chem.admet` (endpoints, training) and
:mod:`pharmakon.chem.panel_io` (chunked prediction); heavy imports stay inside commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pharmakon.cli._common import cli_actor, console, err_console, print_json

__all__ = ["app"]

app = typer.Typer(
    help="ADMET panel: train endpoints from the catalogue; predict molecule files in chunks.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
EndpointsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--endpoints",
        "-e",
        help="Endpoint name or group (biogen, moleculenet, pharmabench); repeat or comma-separate. Default: all.",
    ),
]


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


@app.command("endpoints")
def endpoints_command(as_json: JsonOpt = False) -> None:
    """List the panel's endpoints: data set, table, target, task, training split."""
    from dataclasses import asdict

    from rich.table import Table

    from pharmakon.chem.admet import ENDPOINTS

    if as_json:
        print_json([asdict(e) for e in ENDPOINTS.values()])
        return
    table = Table(title=f"{len(ENDPOINTS)} ADMET endpoints")
    for col in ("endpoint", "data set", "table", "target", "task", "split", "what"):
        table.add_column(col)
    for e in ENDPOINTS.values():
        table.add_row(e.name, e.dataset, e.table, e.target, e.task, e.split, e.description)
    console.print(table)


@app.command("train")
def train_command(
    endpoints: EndpointsOpt = None,
    budget: Annotated[float, typer.Option("--budget", min=5, max=86400, help="Seconds per endpoint.")] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (folds, models, Optuna).")] = 0,
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows",
            min=50,
            help="Train on a seeded random subset of at most this many rows per endpoint (quick runs).",
        ),
    ] = None,
    featurizer: Annotated[
        str, typer.Option("--featurizer", help="SMILES features, '+'-joined: morgan, rdkit2d, maccs.")
    ] = "morgan+rdkit2d",
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="Comma-separated model families to select from (default: ridge/logistic, lightgbm, xgboost, rf, mlp: fast to predict).",
        ),
    ] = None,
    cv_split: Annotated[
        str,
        typer.Option(
            "--cv-split",
            help="CV folds: random | scaffold (Bemis-Murcko groups: selection and conformal calibration measure new series).",
        ),
    ] = "random",
    alias: Annotated[
        str | None, typer.Option("--alias", help="Also point this alias (staging, production) at each model.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit trail).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train endpoints (QC, CV selection within --budget each, conformal calibration) and register them as admet.<name>."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pharmakon.chem.admet import resolve_endpoints, train_panel
    from pharmakon.store import open_store

    names = _split(endpoints)
    chosen = resolve_endpoints(names)
    with Progress(
        TextColumn("[bold]admet train[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=len(chosen))

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, description=name)

        with open_store().session() as session:
            rows = train_panel(
                session,
                [e.name for e in chosen],
                actor=cli_actor(),
                budget_s=budget,
                seed=seed,
                max_rows=max_rows,
                featurizer=featurizer,
                alias=alias,
                reason=reason,
                progress=progress,
                models=_split([models] if models else None) or None,
                cv_split=cv_split,
            )
    if as_json:
        print_json(rows)
        return
    for r in rows:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in r["cv_metrics"].items() if v is not None and k != "n")
        console.print(
            f"{r['model']} v{r['version']}: {r['task']}, {r['rows']} rows, best {r['best']} "
            f"(CV {metrics}) in {r['seconds']} s",
            markup=False,
        )


@app.command("predict")
def predict_command(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Molecules: .csv/.tsv (a SMILES column), .smi or .sdf.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output CSV: one row per molecule.")],
    endpoints: EndpointsOpt = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="local (process pool, default) | ray | serial.")
    ] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, max=1_000_000, help="Molecules per chunk.")] = 5000,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: all cores).")
    ] = None,
    smiles_col: Annotated[
        str | None, typer.Option("--smiles-col", help="SMILES column of a CSV (default: detected).")
    ] = None,
    id_col: Annotated[
        str | None, typer.Option("--id-col", help="Identifier column of a CSV, copied to the output.")
    ] = None,
    alerts: Annotated[
        bool, typer.Option("--alerts/--no-alerts", help="Add PAINS/Brenk alerts and drug-likeness.")
    ] = True,
    version: Annotated[
        str | None, typer.Option("--version", "-v", help="Model version alias for every endpoint (default: newest).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict every registered endpoint for every molecule, streaming in chunks (constant memory)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pharmakon.chem.admet import registered_panel
    from pharmakon.chem.panel_io import predict_file
    from pharmakon.hashing import sha256_file
    from pharmakon.store import open_store, record_event

    store = open_store()
    with store.read_session() as session:  # resolved and version-checked here; the workers load the models
        panel = registered_panel(session, _split(endpoints) or None, version=version)
    with Progress(
        TextColumn("[bold]admet predict[/bold]"),
        BarColumn(pulse_style="cyan"),
        TextColumn("{task.completed:,} molecules"),
        TextColumn("{task.fields[rate]} mol/s"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None, rate="-")

        def progress(done: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            bar.update(task, completed=done, rate=f"{done / elapsed:,.0f}" if elapsed else "-")

        summary = predict_file(
            panel,
            input_path,
            out,
            backend=backend,
            chunk_size=chunk_size,
            smiles_col=smiles_col,
            id_col=id_col,
            n_jobs=jobs,
            alerts=alerts,
            progress=progress,
        )
    refs = panel.refs
    with store.session() as session:
        record_event(
            session,
            actor=cli_actor(),
            action="admet.predict",
            object_type="model",
            object_id="admet.panel",
            inputs={input_path.name: sha256_file(input_path)},
            outputs={out.name: sha256_file(out)},
            params={
                "models": refs,
                "rows": summary["rows"],
                "invalid_rows": summary["invalid"],
                "chunk_size": chunk_size,
                "backend": backend or "default",
            },
        )
    if as_json:
        print_json({**summary, "models": refs})
        return
    console.print(
        f"wrote {summary['rows']:,} rows x {len(refs)} endpoints to {out} in {summary['seconds']} s "
        f"({summary['molecules_per_s']} molecules/s; {summary['invalid']} invalid)",
        markup=False,
    )
    for r in summary["invalid_rows"]:
        err_console.print(f"row {r['row']}: {r['status']} ({r['input']!r}); no prediction", markup=False)
    if summary["invalid"] > len(summary["invalid_rows"]):
        err_console.print(
            f"... and {summary['invalid'] - len(summary['invalid_rows'])} more invalid rows (see the status column)",
            markup=False,
        )
