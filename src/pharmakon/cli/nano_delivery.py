"""Commands of ``pharmakon nano`` for delivery (registered on the shared group by :func:`register`).

``nano delivery train|predict`` (tumour-delivery QSAR), ``nano pbpk`` (population PBPK
simulation) and ``nano pbpk-fit`` (parameter estimation). Options become the service's
spec (defaults are the spec's); the service computes, stores and audits; this module prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pharmakon.cli._common import cli_caller, console, print_json
from pharmakon.nano.delivery.service import (
    AIPBPKSpec,
    DeliveryPredictSpec,
    DeliveryTrainSpec,
    FitSpec,
    SimulateSpec,
)
from pharmakon.specs import build_spec

__all__ = ["register"]


def _default(spec: type, field: str) -> Any:
    return spec.model_fields[field].default


def _help(spec: type, field: str) -> str:
    return spec.model_fields[field].description or ""


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a summary.")]

delivery_app = typer.Typer(help="Tumour-delivery QSAR: train on particle tables, predict %ID.", no_args_is_help=True)


def _emit(result: Any, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


def _csv(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


@delivery_app.command("train")
def delivery_train(
    data: Annotated[Path | None, typer.Option("--data", help=_help(DeliveryTrainSpec, "data"))] = None,
    name: Annotated[str, typer.Option("--name", help=_help(DeliveryTrainSpec, "name"))] = _default(
        DeliveryTrainSpec, "name"
    ),
    targets: Annotated[str | None, typer.Option("--targets", help="Comma-separated: DE_24,DE_168,DE_Max.")] = None,
    models: Annotated[str | None, typer.Option("--models", help="Comma-separated model families.")] = None,
    trials: Annotated[int, typer.Option("--trials", help=_help(DeliveryTrainSpec, "trials"))] = _default(
        DeliveryTrainSpec, "trials"
    ),
    seed: Annotated[int, typer.Option("--seed")] = _default(DeliveryTrainSpec, "seed"),
    as_json: JsonOpt = False,
) -> None:
    """Train one governed model per delivery target (conformal intervals, domain flag, SHAP)."""
    from pharmakon.nano.delivery.service import train_delivery
    from pharmakon.store import open_store

    spec = build_spec(
        DeliveryTrainSpec, data=data, name=name, targets=_csv(targets), models=_csv(models), trials=trials, seed=seed
    )
    _emit(train_delivery(open_store(), spec, cli_caller()), as_json)


@delivery_app.command("predict")
def delivery_predict(
    data: Annotated[Path, typer.Option("--data", help=_help(DeliveryPredictSpec, "data"))],
    output: Annotated[Path | None, typer.Option("--output", "-o", help=_help(DeliveryPredictSpec, "output"))] = None,
    name: Annotated[str, typer.Option("--name", help=_help(DeliveryPredictSpec, "name"))] = _default(
        DeliveryPredictSpec, "name"
    ),
    version: Annotated[int | None, typer.Option("--version")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict DE_24/DE_168/DE_Max (%ID) with intervals; unseen categories are flagged out of domain."""
    from pharmakon.nano.delivery.service import predict_delivery
    from pharmakon.store import open_store

    spec = build_spec(DeliveryPredictSpec, data=data, output=output, name=name, version=version)
    _emit(predict_delivery(open_store(), spec, cli_caller()), as_json)


@delivery_app.command("ai-pbpk")
def delivery_ai_pbpk(
    particle: Annotated[Path, typer.Option("--particle", help="YAML/JSON file with one particle's properties.")],
    name: Annotated[str, typer.Option("--name")] = _default(AIPBPKSpec, "name"),
    spec_name: Annotated[str, typer.Option("--spec")] = _default(AIPBPKSpec, "spec"),
    subjects: Annotated[int, typer.Option("--subjects")] = _default(AIPBPKSpec, "subjects"),
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    as_json: JsonOpt = False,
) -> None:
    """AI-assisted PBPK: QSAR delivery -> tumour parameters -> population curves with both bands."""
    import yaml

    from pharmakon.errors import InputError
    from pharmakon.nano.delivery.service import ai_assisted_pbpk
    from pharmakon.store import open_store

    try:
        values = yaml.safe_load(particle.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the particle: {exc}", file=str(particle)) from None
    spec = AIPBPKSpec.parse(
        {"particle": values, "name": name, "spec": spec_name, "subjects": subjects, "seed": seed}, file=str(particle)
    )
    _emit(ai_assisted_pbpk(open_store(), spec, cli_caller()), as_json)


def pbpk_command(
    spec: Annotated[str | None, typer.Option("--spec", help="Spec file (YAML) or built-in name.")] = None,
    subjects: Annotated[int | None, typer.Option("--subjects", help=_help(SimulateSpec, "subjects"))] = None,
    hours: Annotated[float, typer.Option("--hours", help=_help(SimulateSpec, "hours"))] = _default(
        SimulateSpec, "hours"
    ),
    step: Annotated[float, typer.Option("--step", help=_help(SimulateSpec, "step"))] = _default(SimulateSpec, "step"),
    seed: Annotated[int | None, typer.Option("--seed", help=_help(SimulateSpec, "seed"))] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=_help(SimulateSpec, "output"))] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="Executor: serial, local, ray.")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help=_help(SimulateSpec, "batch_size"))] = _default(
        SimulateSpec, "batch_size"
    ),
    list_specs: Annotated[bool, typer.Option("--list-specs", help="List the built-in specs and exit.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a PBPK spec for a population: typical curves, p5/p50/p95, mass balance."""
    from pharmakon.errors import InputError
    from pharmakon.nano.delivery.service import list_specs as builtin_specs
    from pharmakon.nano.delivery.service import simulate_pbpk
    from pharmakon.store import open_store

    if list_specs:
        found = builtin_specs()
        if as_json:
            print_json(found)
        else:
            for s in found:
                console.print(f"{s['name']}  {s['description']}", markup=False)
        return
    if spec is None:
        raise InputError("give --spec (a YAML file or a built-in name; --list-specs lists them)", field="spec")
    request = build_spec(
        SimulateSpec,
        spec=spec,
        subjects=subjects,
        hours=hours,
        step=step,
        seed=seed,
        output=output,
        backend=backend,
        batch_size=batch_size,
    )
    _emit(simulate_pbpk(open_store(), request, cli_caller()), as_json)


def pbpk_fit_command(
    spec: Annotated[str, typer.Option("--spec", help="Spec file (YAML) or built-in name.")],
    data: Annotated[Path, typer.Option("--data", help=_help(FitSpec, "data"))],
    params: Annotated[str, typer.Option("--params", help="Comma-separated 'compartment.parameter' to estimate.")],
    plot: Annotated[Path | None, typer.Option("--plot", help=_help(FitSpec, "plot"))] = None,
    max_iterations: Annotated[int, typer.Option("--max-iterations")] = _default(FitSpec, "max_iterations"),
    as_json: JsonOpt = False,
) -> None:
    """Estimate spec parameters from observed concentrations (least squares on logs, SEs, GOF plot)."""
    from pharmakon.nano.delivery.service import fit_pbpk
    from pharmakon.store import open_store

    request = build_spec(
        FitSpec, spec=spec, data=data, parameters=_csv(params), plot=plot, max_iterations=max_iterations
    )
    result = fit_pbpk(open_store(), request, cli_caller())
    if as_json:
        payload = result.to_dict()
        payload.pop("gof_png")  # the plot goes to --plot, not into the terminal
        print_json(payload)
    else:
        console.print(result.summary(), markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``nano`` group."""
    app.add_typer(delivery_app, name="delivery")
    app.command("pbpk")(pbpk_command)
    app.command("pbpk-fit")(pbpk_fit_command)
