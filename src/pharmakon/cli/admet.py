"""``pharmakon admet``: train the ADMET panel from the catalogue and stream predictions.

Thin layer over :mod:`pharmakon.chem.service`: parse options into the use case's spec,
call the service, print its result. Options left out are left to the spec, which holds
the defaults (the help texts quote them); the service module is imported inside the
commands, so ``pharmakon --help`` does not load the molecule stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pharmakon.cli._common import cli_caller, console, err_console, print_json

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


ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="full (default): the exact panel, fingerprints + RDKit descriptors. screen: fingerprint-only models "
        "for triaging large libraries, with conformal intervals and the domain flag (train them with "
        "`admet train --profile screen`); run full on the shortlist.",
        metavar="full|screen",
    ),
]


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _store():
    from pharmakon.store import open_store

    return open_store()


@app.command("endpoints")
def endpoints_command(as_json: JsonOpt = False) -> None:
    """List the panel's endpoints: data set, table, target, task, training split."""
    from rich.table import Table

    from pharmakon.chem.service import list_endpoints

    catalogue = list_endpoints()
    if as_json:
        print_json(catalogue.to_dict()["endpoints"])
        return
    table = Table(title=f"{len(catalogue.endpoints)} ADMET endpoints")
    for col in ("endpoint", "data set", "table", "target", "task", "split", "what"):
        table.add_column(col)
    for e in catalogue.endpoints:
        table.add_row(e.name, e.dataset, e.table, e.target, e.task, e.split, e.description)
    console.print(table)


@app.command("train")
def train_command(
    endpoints: EndpointsOpt = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            help="Seconds per endpoint, 1 to 86400 (default 60), counted from loading its data. Margin: an "
            "endpoint may pass it by one cross-validation of the baseline model (always run) plus the refit "
            "of the chosen model, calibration and registration. --trials fixes the work instead.",
        ),
    ] = None,
    trials: Annotated[
        int | None,
        typer.Option(
            "--trials",
            help="Fixed work instead of --budget: screen every family, then N Optuna trials per endpoint "
            "(same models on any machine).",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (folds, models, Optuna; default 0).")] = None,
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows",
            help="Train on a seeded random subset of at most this many rows (>= 50) per endpoint (quick runs).",
        ),
    ] = None,
    featurizer: Annotated[
        str | None,
        typer.Option(
            "--featurizer",
            help="SMILES features, '+'-joined: morgan, rdkit2d, erg, maccs, lipid, pharmabench (default morgan+rdkit2d).",
        ),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="Comma-separated model families to select from (default: ridge/logistic, lightgbm, xgboost, rf, mlp: fast to predict).",
        ),
    ] = None,
    cv_split: Annotated[
        str | None,
        typer.Option(
            "--cv-split",
            help="CV folds: random (default) | scaffold (Bemis-Murcko groups: selection and conformal calibration measure new series).",
        ),
    ] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", help="Also point this alias (staging, production) at each model.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit trail).")] = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Train endpoints (QC, CV selection within --budget each, conformal calibration) and register them as admet.<name>."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pharmakon.chem.service import PanelTrainSpec, train_endpoints
    from pharmakon.specs import build_spec

    spec = build_spec(
        PanelTrainSpec,
        endpoints=_split(endpoints) or None,
        budget_s=budget,
        trials=trials,
        seed=seed,
        max_rows=max_rows,
        featurizer=featurizer,
        models=_split([models] if models else None) or None,
        cv_split=cv_split,
        alias=alias,
        reason=reason,
        profile=profile,
    )
    with Progress(
        TextColumn("[bold]admet train[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=name)

        result = train_endpoints(_store(), spec, cli_caller(), progress=progress)
    if as_json:
        print_json(result.to_dict()["endpoints"])
        return
    for r in result.endpoints:
        console.print(r.summary(), markup=False)


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
    chunk_size: Annotated[
        int | None, typer.Option("--chunk-size", help="Molecules per chunk, 1 to 1,000,000 (default 5000).")
    ] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).")] = None,
    smiles_col: Annotated[
        str | None, typer.Option("--smiles-col", help="SMILES column of a CSV (default: detected).")
    ] = None,
    id_col: Annotated[
        str | None,
        typer.Option(
            "--id-col",
            help="Identifier column of a CSV, copied to the output (default: the SMILES name field, the SDF title, "
            "else the 1-based row number).",
        ),
    ] = None,
    alerts: Annotated[
        bool | None,
        typer.Option(
            "--alerts/--no-alerts",
            help="Add PAINS/Brenk alerts and drug-likeness (default: with --profile full, not with screen).",
        ),
    ] = None,
    profile: ProfileOpt = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            "-v",
            help="Model version or alias for every endpoint (default: each endpoint's production version, else its newest).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict every registered endpoint for every molecule, streaming in chunks (constant memory)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pharmakon.chem.service import PanelFileSpec, predict_molecule_file
    from pharmakon.specs import build_spec

    spec = build_spec(
        PanelFileSpec,
        input=input_path,
        out=out,
        endpoints=_split(endpoints) or None,
        backend=backend,
        chunk_size=chunk_size,
        jobs=jobs,
        smiles_col=smiles_col,
        id_col=id_col,
        alerts=alerts,
        version=version,
        profile=profile,
    )
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

        result = predict_molecule_file(_store(), spec, cli_caller(), progress=progress)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(result.summary(), markup=False)
    for r in result.invalid_rows:
        where = f" ({r['input']!r})" if r["input"] else ""
        err_console.print(f"row {r['row']}: {r['status']}{where}; no prediction", markup=False)
    if result.invalid > len(result.invalid_rows):
        err_console.print(
            f"... and {result.invalid - len(result.invalid_rows)} more invalid rows (see the status column)",
            markup=False,
        )
