"""``pharmakon model``: train, register and use models on any table (with or without SMILES).

Thin layer over :mod:`pharmakon.core.service`: parse options into the use case's spec
(defaults come from the spec), call the service, print its result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pharmakon.cli._common import cli_caller, console, err_console, print_json
from pharmakon.core.service import EvaluateSpec, PromoteSpec, TrainSpec

__all__ = ["app"]

app = typer.Typer(
    help="Governed models: train with QC, CV selection, conformal uncertainty; register; predict.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
NameArg = Annotated[str, typer.Argument(help="Registered model name (see `pharmakon model list`).")]
VersionOpt = Annotated[str | None, typer.Option("--version", "-v", help="Version number or alias (default: newest).")]
_TRAIN = TrainSpec.model_fields


def _store():
    from pharmakon.store import open_store

    return open_store()


@app.command("train")
def train_command(
    data: Annotated[Path, typer.Option("--data", help="Training CSV; one row per example.")],
    target: Annotated[str, typer.Option("--target", help="Column to predict.")],
    smiles_col: Annotated[str | None, typer.Option("--smiles-col", help="Column with SMILES (featurized).")] = None,
    id_col: Annotated[
        list[str] | None, typer.Option("--id-col", help="Identifier column (not a feature); repeat.")
    ] = None,
    sensitive_col: Annotated[
        list[str] | None,
        typer.Option(
            "--sensitive-col", help="Attribute for the per-subgroup fairness report (sex, age band, site); repeat."
        ),
    ] = None,
    task: Annotated[str, typer.Option("--task", help="auto | regression | classification.")] = _TRAIN["task"].default,
    name: Annotated[str | None, typer.Option("--name", help="Registry name (default: the file's stem).")] = None,
    budget: Annotated[float, typer.Option("--budget", help="Seconds for the whole run (1 to 86400).")] = _TRAIN[
        "budget_s"
    ].default,
    trials: Annotated[
        int | None,
        typer.Option(
            "--trials",
            help="Fixed work instead of --budget: screen every family, then N Optuna trials (same model on any machine).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (folds, models, Optuna).")] = _TRAIN["seed"].default,
    alpha: Annotated[float, typer.Option("--alpha", help="Conformal miscoverage, 0.01 to 0.5 (0.1 = 90%).")] = _TRAIN[
        "alpha"
    ].default,
    featurizer: Annotated[
        str,
        typer.Option(
            "--featurizer",
            help="SMILES features, '+'-joined: morgan, rdkit2d, erg, maccs, lipid, pharmabench (default morgan+rdkit2d+erg+pharmabench); lipid is added by itself for lipid-like molecules; pharmabench is six predictions (logD, solubility, microsomal CL, PPB) of models fitted on public PharmaBench data.",
        ),
    ] = _TRAIN["featurizer"].default,
    cv: Annotated[
        int | None,
        typer.Option("--cv", help="CV folds, 2 to 20 (default 3, or 5 if budget >= 300 s and under 5,000 rows)."),
    ] = None,
    cv_split: Annotated[
        str,
        typer.Option(
            "--cv-split",
            help="How CV folds are drawn: random (stratified for classes) | scaffold (Bemis-Murcko groups of --smiles-col: CV and conformal calibration measure new chemical series).",
        ),
    ] = _TRAIN["cv_split"].default,
    group_col: Annotated[
        str | None,
        typer.Option(
            "--group-col",
            help="Rows sharing this column's value stay in one CV fold (patient, site, series); not a feature.",
        ),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="Comma-separated model families to select from (default: the whole zoo except opt-in chemprop, which needs --smiles-col and the deep extra).",
        ),
    ] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", help="Also point this alias (staging, production) at it.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit trail).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train on a CSV (QC, CV model selection within --budget, conformal calibration) and register the model."""
    import pharmakon.chem  # noqa: F401 - the molecule domain registers SMILES featurization
    from pharmakon.core.service import train_and_register
    from pharmakon.specs import build_spec

    spec = build_spec(
        TrainSpec,
        data=data,
        target=target,
        smiles_col=smiles_col,
        id_cols=id_col,
        sensitive_cols=sensitive_col,
        task=task,
        name=name,
        budget_s=budget,
        trials=trials,
        seed=seed,
        alpha=alpha,
        featurizer=featurizer,
        cv=cv,
        cv_split=cv_split,
        group_col=group_col,
        models=[m.strip() for m in models.split(",") if m.strip()] if models else None,
        alias=alias,
        reason=reason,
    )
    with console.status("training...") as status:
        result = train_and_register(
            _store(), spec, cli_caller(), progress=lambda msg: status.update(f"training: {msg}")
        )
    if as_json:
        print_json(result.to_dict())
        return
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in result.cv_metrics.items() if v is not None and k != "n")
    console.print(
        f"registered model [bold]{result.name}[/bold] version {result.version}: {result.task}, "
        f"best {result.best['model']} (CV {metrics}) in {result.seconds} s"
    )
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    for bad in result.invalid_structures:
        err_console.print(f"skipped row {bad['row']}: {bad['reason']} ({bad['input']})", highlight=False, markup=False)


@app.command("predict")
def predict_command(
    name: NameArg,
    data: Annotated[Path, typer.Option("--data", help="Input CSV with the columns the model was trained on.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output CSV: input rows in order plus predictions.")],
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict every row of a CSV: prediction, interval or set (+ probabilities), in_domain, pred_status."""
    from pharmakon.core.service import PredictFileSpec, predict_table_file
    from pharmakon.specs import build_spec

    spec = build_spec(PredictFileSpec, name=name, version=version, data=data, out=out)
    with console.status(f"predicting {data.name}..."):
        result = predict_table_file(_store(), spec, cli_caller())
    if as_json:
        print_json(result.to_dict())
        return
    console.print(result.summary(), markup=False)
    for w in result.warnings:
        err_console.print(f"warning: {w}", markup=False)
    for r in result.invalid_rows[:20]:
        err_console.print(f"row {r['row']}: {r['reason']} ({r['input']!r}); no prediction", markup=False)
    if len(result.invalid_rows) > 20:
        err_console.print(f"... and {len(result.invalid_rows) - 20} more invalid rows (see pred_status)", markup=False)


@app.command("evaluate")
def evaluate_command(
    name: NameArg,
    data: Annotated[Path, typer.Option("--data", help="Labelled CSV the model has not seen (a test split).")],
    target: Annotated[
        str | None, typer.Option("--target", help="Label column (default: the one it was trained on).")
    ] = None,
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score a registered model on held-out labelled rows: metrics, conformal coverage test, by domain."""
    from pharmakon.core.service import evaluate_on_data
    from pharmakon.specs import build_spec

    spec = build_spec(EvaluateSpec, name=name, version=version, data=data, target=target)
    with console.status(f"evaluating on {data.name}..."):
        result = evaluate_on_data(_store(), spec, cli_caller())
    if as_json:
        print_json(result.to_dict())
        return
    _print_evaluation(result.to_dict())


def _print_evaluation(r: dict) -> None:
    from rich.table import Table

    c = r["coverage"]
    console.print(
        f"model {r['model']} v{r['version']} on {r['evaluated']:,} of {r['rows']:,} rows "
        f"({r['skipped']['count']} without a prediction or label)",
        markup=False,
    )
    keys = [k for k in r["metrics"] if k != "n"]
    table = Table("rows", "n", "coverage", *keys)
    for label, part in (
        ("all", {"n": r["evaluated"], "coverage": c["coverage"], "metrics": r["metrics"]}),
        ("in domain", r["by_domain"]["in_domain"]),
        ("out of domain", r["by_domain"]["out_of_domain"]),
    ):
        m = part["metrics"] or {}
        table.add_row(
            label,
            str(part["n"]),
            "-" if part["coverage"] is None else f"{part['coverage']:.3f}",
            *("-" if m.get(k) is None else f"{m[k]:.3f}" for k in keys),
        )
    console.print(table)
    console.print(
        f"conformal coverage {c['coverage']:.3f} (95% CI {c['ci_low']:.3f}-{c['ci_high']:.3f}) vs nominal "
        f"{c['nominal']:.2f}: exact binomial p = {c['p_value']:.3g}; an exactly calibrated method lands in "
        f"{c['band_low']:.3f}-{c['band_high']:.3f} at n = {c['n']:,} (95%)",
        markup=False,
        soft_wrap=True,
    )


@app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """List registered models (newest version of each)."""
    from rich.table import Table

    from pharmakon.core.service import list_registered

    result = list_registered(_store())
    if as_json:
        print_json(result.to_dict()["models"])
        return
    table = Table(title=f"{len(result.models)} registered models")
    for col in ("name", "version", "task", "target", "best", "aliases", "created"):
        table.add_column(col)
    for m in result.models:
        table.add_row(
            m.name,
            str(m.version),
            m.task,
            m.target,
            m.best_model,
            ", ".join(f"{k}→{v}" for k, v in sorted(m.aliases.items())),
            m.created_at,
        )
    console.print(table)


@app.command("show")
def show_command(name: NameArg, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """Show a model's metadata: metrics, parameters, QC, versions."""
    from pharmakon.core.service import show_model

    result = show_model(_store(), name, version)
    if as_json:  # the stored record at the top level, as before (REST nests it under "metadata")
        print_json({"name": result.name, "version": result.version, **result.metadata})
        return
    console.print(result.summary(), markup=False, highlight=False)


@app.command("card")
def card_command(
    name: NameArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")],
    version: VersionOpt = None,
) -> None:
    """Write a model's card (HTML with plots)."""
    from pharmakon.core.service import model_card
    from pharmakon.files import atomic_open

    html = model_card(_store(), name, version)
    with atomic_open(out) as handle:
        handle.write(html)
    console.print(f"wrote {out}", markup=False)


@app.command("promote")
def promote_command(
    name: NameArg,
    version: Annotated[int, typer.Option("--version", "-v", help="Version number to point the alias at.")],
    alias: Annotated[str, typer.Option("--alias", help="staging, production, ...")] = PromoteSpec.model_fields[
        "alias"
    ].default,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (audit trail).")] = None,
) -> None:
    """Point an alias (default production) at a model version (audited)."""
    from pharmakon.core.service import promote_version
    from pharmakon.specs import build_spec

    spec = build_spec(PromoteSpec, name=name, version=version, alias=alias, reason=reason)
    result = promote_version(_store(), spec, cli_caller())
    console.print(result.summary(), markup=False)
