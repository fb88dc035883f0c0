"""``pharmakon trialdata``: clinical-trial data on CDISC standards: validate, TLFs, review, retention.

Thin layer over :mod:`pharmakon.trials.cdisc.service`: options become a spec (the
defaults are the spec's), the service computes, stores and audits; this module prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pharmakon.cli._common import cli_caller, console, err_console, print_json
from pharmakon.specs import build_spec
from pharmakon.trials.cdisc.service import (
    QueryActionSpec,
    RetentionSpec,
    ReviewSpec,
    SafetyFeedSpec,
    TlfSpec,
    ValidateSpec,
)

__all__ = ["app"]

app = typer.Typer(
    help="Clinical-trial data on CDISC standards: validate, TLFs, review, retention.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
SdtmOpt = Annotated[Path, typer.Option("--sdtm", help="Folder of SDTM datasets (dm.xpt or dm.csv, ...).")]
AdamOpt = Annotated[Path | None, typer.Option("--adam", help="Folder of ADaM datasets (adsl.xpt or adsl.csv, ...).")]


def _help(spec: type, field: str) -> str:
    return spec.model_fields[field].description or ""


def _default(spec: type, field: str) -> Any:
    return spec.model_fields[field].default


def _store() -> Any:
    from pharmakon.store import open_store

    return open_store()


@app.command("validate")
def validate_command(sdtm: SdtmOpt, as_json: JsonOpt = False) -> None:
    """Dataset-level checks: required variables, ISO 8601 dates, terminology, keys, AE dates in the reference period."""
    from pharmakon.trials.cdisc.service import validate_study

    result = validate_study(_store(), build_spec(ValidateSpec, sdtm=sdtm), cli_caller())
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


@app.command("tlf")
def tlf_command(
    study: Annotated[Path, typer.Option("--study", help=_help(TlfSpec, "study"))],
    table: Annotated[str | None, typer.Option("--table", help="demographics | primary | km")] = None,
    analysis: Annotated[Path | None, typer.Option("--analysis", help=_help(TlfSpec, "analysis"))] = None,
    save: Annotated[str | None, typer.Option("--save", help=_help(TlfSpec, "name"))] = None,
    as_json: JsonOpt = False,
) -> None:
    """One analysis output (numbers keyed as reference_numbers.json), from a built-in table or a YAML analysis spec."""
    from pharmakon.trials.cdisc.service import make_tlf

    spec = build_spec(TlfSpec, study=study, table=table, analysis=analysis, name=save)
    result = make_tlf(_store(), spec, cli_caller())
    if as_json:
        print_json(result.contract_json())
    else:
        console.print(result.summary(), markup=False)


@app.command("review")
def review_command(
    sdtm: SdtmOpt,
    adam: AdamOpt = None,
    save: Annotated[str | None, typer.Option("--save", help=_help(ReviewSpec, "name"))] = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only this rule (repeat for several).")] = None,
    ml: Annotated[bool, typer.Option("--ml/--no-ml", help=_help(ReviewSpec, "ml"))] = _default(ReviewSpec, "ml"),
    window: Annotated[
        float | None, typer.Option("--visit-window-days", help=_help(ReviewSpec, "visit_window_days"))
    ] = None,
    weight: Annotated[float | None, typer.Option("--weight-change", help=_help(ReviewSpec, "weight_change"))] = None,
    contamination: Annotated[
        float | None, typer.Option("--contamination", help=_help(ReviewSpec, "contamination"))
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help=_help(ReviewSpec, "seed"))] = None,
    as_json: JsonOpt = False,
) -> None:
    """Edit checks and anomaly detection; each query names domain, subject, --SEQ, variable, rule and evidence."""
    from pharmakon.trials.cdisc.service import review_study

    spec = build_spec(
        ReviewSpec,
        sdtm=sdtm,
        adam=adam,
        name=save,
        rules=rule or None,
        ml=ml,
        visit_window_days=window,
        weight_change=weight,
        contamination=contamination,
        seed=seed,
    )
    result = review_study(_store(), spec, cli_caller())
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


def _act(review: str, query_id: str, action: str, text: str, as_json: bool) -> None:
    from pharmakon.trials.cdisc.service import act_on_query

    spec = build_spec(QueryActionSpec, review=review, query_id=query_id, action=action, text=text)
    result = act_on_query(_store(), spec, cli_caller())
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


ReviewArg = Annotated[str, typer.Argument(help="Stored review name (review --save).")]
QueryArg = Annotated[str, typer.Argument(help="Query id (16 hex digits).")]
TextOpt = Annotated[str, typer.Option("--text", help="The answer or the reason (audited).")]


@app.command("answer")
def answer_command(review: ReviewArg, query_id: QueryArg, text: TextOpt, as_json: JsonOpt = False) -> None:
    """Answer a query of a stored review (audited)."""
    _act(review, query_id, "answer", text, as_json)


@app.command("close")
def close_command(review: ReviewArg, query_id: QueryArg, text: TextOpt, as_json: JsonOpt = False) -> None:
    """Close a query of a stored review (audited)."""
    _act(review, query_id, "close", text, as_json)


@app.command("reopen")
def reopen_command(review: ReviewArg, query_id: QueryArg, text: TextOpt, as_json: JsonOpt = False) -> None:
    """Reopen a query of a stored review (audited)."""
    _act(review, query_id, "reopen", text, as_json)


@app.command("queries")
def queries_command(
    review: ReviewArg,
    status: Annotated[str | None, typer.Option("--status", help="open | answered | closed (default: all).")] = None,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="Only this domain.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The queries of a stored review with their status, and open queries by site and domain."""
    from pharmakon.trials.cdisc.service import review_dashboard

    result = review_dashboard(_store(), review, status=status, site=site, domain=domain, limit=limit)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(result.summary(), markup=False)


@app.command("retention")
def retention_command(
    adam: Annotated[Path, typer.Option("--adam", help=_help(RetentionSpec, "adam"))],
    sdtm: Annotated[Path, typer.Option("--sdtm", help=_help(RetentionSpec, "sdtm"))],
    save: Annotated[str | None, typer.Option("--save", help=_help(RetentionSpec, "name"))] = None,
    day: Annotated[float | None, typer.Option("--day", help=_help(RetentionSpec, "day"))] = None,
    trials: Annotated[int | None, typer.Option("--trials", help=_help(RetentionSpec, "trials"))] = None,
    seed: Annotated[int | None, typer.Option("--seed", help=_help(RetentionSpec, "seed"))] = None,
    as_json: JsonOpt = False,
) -> None:
    """Risk of discontinuation per participant (site-grouped CV, calibrated, SHAP reasons, fairness)."""
    from pharmakon.trials.cdisc.service import predict_retention

    spec = build_spec(RetentionSpec, adam=adam, sdtm=sdtm, name=save, day=day, trials=trials, seed=seed)
    result = predict_retention(_store(), spec, cli_caller(), progress=lambda s: err_console.print(s, markup=False))
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


@app.command("safety-feed")
def safety_feed_command(
    sdtm: SdtmOpt,
    trial: Annotated[str | None, typer.Option("--trial", help=_help(SafetyFeedSpec, "trial"))] = None,
    event: Annotated[str | None, typer.Option("--event", help=_help(SafetyFeedSpec, "event"))] = None,
    control: Annotated[str | None, typer.Option("--control", help=_help(SafetyFeedSpec, "control"))] = None,
    as_json: JsonOpt = False,
) -> None:
    """Feed SDTM AE records (with DM enrolment and DS exits) to the running-trial safety monitor."""
    from pharmakon.trials.cdisc.service import feed_safety

    spec = build_spec(SafetyFeedSpec, sdtm=sdtm, trial=trial, event=event, control=control)
    result = feed_safety(_store(), spec, cli_caller())
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)
