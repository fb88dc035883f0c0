"""Commands of ``pharmakon nano`` for formulation (registered on the shared group by :func:`register`).

``fit``, ``predict``, ``design``, ``propose``: each builds a spec from its options, calls
:mod:`pharmakon.nano.formulation.service` and prints the summary (or ``--json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pharmakon.cli._common import cli_caller, console, print_json
from pharmakon.specs import build_spec

__all__ = ["register"]


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def _print(result, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False, highlight=False)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def fit_command(
    data: Annotated[Path, typer.Option("--data", help="Training table (CSV/TSV/Parquet).")],
    targets: Annotated[str, typer.Option("--targets", help="CQA column(s) to predict, comma-separated.")],
    name: Annotated[str, typer.Option("--name", help="Registry name of the model set.")],
    smiles_col: Annotated[str | None, typer.Option("--smiles-col", help="Lipid SMILES column.")] = None,
    id_col: Annotated[list[str] | None, typer.Option("--id-col", help="Identifier column (repeatable).")] = None,
    features: Annotated[str | None, typer.Option("--features", help="Input columns, comma-separated.")] = None,
    form: Annotated[str | None, typer.Option("--form", help="miso | mimo | auto (default auto).")] = None,
    budget: Annotated[float | None, typer.Option("--budget", help="Seconds per model (else fixed trials).")] = None,
    trials: Annotated[int | None, typer.Option("--trials", help="Optuna trials per model (default 0).")] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="Zoo families, comma-separated (default up to 200 rows: ridge,poly_ridge,gp_ard,"
            "gbm_shallow,rf,lightgbm; up to 1,000 rows: the default zoo plus poly_ridge,gp_ard,"
            "gbm_shallow; the whole zoo above).",
        ),
    ] = None,
    cv: Annotated[int | None, typer.Option("--cv", help="K of the repeated K-fold (default 5).")] = None,
    repeats: Annotated[int | None, typer.Option("--repeats", help="Repeats of the K-fold (default 3).")] = None,
    oof_out: Annotated[Path | None, typer.Option("--oof-out", help="Write out-of-fold predictions here.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default 0).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit CQA models (one per target, or a chain) on a formulation table and register them."""
    from pharmakon.nano.formulation.service import fit_formulation
    from pharmakon.nano.formulation.specs import FitSpec
    from pharmakon.store import open_store

    spec = build_spec(
        FitSpec,
        data=data,
        targets=_split(targets),
        name=name,
        smiles_col=smiles_col,
        id_cols=id_col or None,
        features=_split(features),
        form=form,
        budget_s=budget,
        trials=trials,
        models=_split(models),
        cv=cv,
        repeats=repeats,
        oof_out=oof_out,
        seed=seed,
    )
    _print(fit_formulation(open_store(), spec, cli_caller()), as_json)


def predict_command(
    name: Annotated[str, typer.Argument(help="Model-set name (nano fit --name).")],
    data: Annotated[Path, typer.Option("--data", help="Recipes to predict (CSV/TSV/Parquet).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV.")],
    version: Annotated[int | None, typer.Option("--version", help="Model-set version (default newest).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict CQAs with conformal intervals and the applicability-domain flag."""
    from pharmakon.nano.formulation.service import predict_formulation_file
    from pharmakon.nano.formulation.specs import PredictFileSpec
    from pharmakon.store import open_store

    spec = build_spec(PredictFileSpec, name=name, data=data, out=out, version=version)
    _print(predict_formulation_file(open_store(), spec, cli_caller()), as_json)


def design_command(
    space: Annotated[Path, typer.Option("--space", help="Space YAML file.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="full-factorial | fractional-factorial | lhs | sobol | mixture-lattice | mixture-centroid | d-optimal",
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Design CSV (one column per factor).")],
    runs: Annotated[int | None, typer.Option("--runs", help="Runs (lhs, sobol, d-optimal).")] = None,
    levels: Annotated[int | None, typer.Option("--levels", help="Levels (factorial) or lattice degree.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default 0).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Store the design under this name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate a design of experiments (pyDOE3, scipy.stats.qmc) over a space."""
    from pharmakon.nano.formulation.service import design_experiments
    from pharmakon.nano.formulation.specs import DesignSpec
    from pharmakon.store import open_store

    spec = build_spec(DesignSpec, space_file=space, kind=kind, out=out, runs=runs, levels=levels, seed=seed, name=name)
    _print(design_experiments(open_store(), spec, cli_caller()), as_json)


def propose_command(
    space: Annotated[Path, typer.Option("--space", help="Space YAML file.")],
    observed: Annotated[Path, typer.Option("--observed", help="Observations CSV (factors + responses).")],
    batch: Annotated[int, typer.Option("--batch", help="K: experiments to propose.")],
    objective: Annotated[
        list[str], typer.Option("--objective", help="maximize:COL | minimize:COL | target:COL=VALUE (repeatable).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Proposal CSV.")],
    candidates: Annotated[Path | None, typer.Option("--candidates", help="Candidate pool CSV.")] = None,
    id_col: Annotated[str | None, typer.Option("--id-col", help="Pool row identifier column.")] = None,
    constraint: Annotated[
        list[str] | None, typer.Option("--constraint", help='Output constraint, e.g. "PDI<0.2" (repeatable).')
    ] = None,
    sampler: Annotated[str | None, typer.Option("--sampler", help="tpe | gp | random (default tpe).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default 0).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Store the proposal under this name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the proposed rows as a JSON list.")] = False,
) -> None:
    """Propose the next batch of experiments under objectives and constraints."""
    from pharmakon.nano.formulation.service import propose_experiments
    from pharmakon.nano.formulation.specs import ProposeSpec
    from pharmakon.store import open_store

    spec = build_spec(
        ProposeSpec,
        space_file=space,
        observed=observed,
        batch=batch,
        objectives=objective,
        out=out,
        candidates=candidates,
        id_col=id_col,
        constraints=constraint or None,
        sampler=sampler,
        seed=seed,
        name=name,
    )
    result = propose_experiments(open_store(), spec, cli_caller())
    if as_json:
        print_json(result.rows)
    else:
        console.print(result.summary(), markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``nano`` group."""
    app.command("fit")(fit_command)
    app.command("predict")(predict_command)
    app.command("design")(design_command)
    app.command("propose")(propose_command)
