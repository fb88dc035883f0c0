"""``pharmakon safety``: disproportionality signals, signal review and running-trial monitoring.

Thin layer over :mod:`pharmakon.trials.safety.service`: options become a spec (the
defaults are the spec's), the service computes, stores and audits; this module prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from pharmakon.cli._common import cli_caller, console, err_console, print_json
from pharmakon.errors import InputError
from pharmakon.files import atomic_open
from pharmakon.specs import build_spec
from pharmakon.trials.safety.specs import (
    IngestSpec,
    MonitorRunSpec,
    ReportFileSpec,
    ReportsPolicy,
    ReviewSpec,
    SignalOptions,
    SignalsFileSpec,
    SimulateSpec,
)

__all__ = ["app"]

app = typer.Typer(
    help="Drug safety: signal detection in adverse-event reports; trial safety monitoring.", no_args_is_help=True
)


def _default(spec: type, field: str) -> Any:
    return spec.model_fields[field].default


def _help(spec: type, field: str) -> str:
    return spec.model_fields[field].description or ""


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help=f"Input layout: {_help(ReportFileSpec, 'format')}")]
SynOpt = Annotated[Path | None, typer.Option("--synonyms", help=_help(ReportFileSpec, "synonyms"))]
NormOpt = Annotated[
    bool | None,
    typer.Option(
        "--normalise/--no-normalise",
        help="Normalise drug names (default: on for faers/long, off for caers brand names).",
    ),
]
RolesOpt = Annotated[str, typer.Option("--roles", help="FAERS drug role codes kept (PS,SS,C,I).")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Fail on any bad row.")]
DEFAULT_FORMAT = _default(ReportFileSpec, "format")
DEFAULT_ROLES = ",".join(_default(ReportFileSpec, "roles"))
DEFAULT_STRICT = _default(ReportsPolicy, "strict")


def _roles(text: str) -> list[str]:
    return [r.strip().upper() for r in text.split(",") if r.strip()]


def _print_ingest(ingest: Any) -> None:
    """Notes and bad rows of a read on stderr (the result keeps them for --json)."""
    for note in ingest.notes:
        err_console.print(f"note: {note}", markup=False)
    if ingest.bad_count:
        err_console.print(f"{ingest.bad_count} bad row(s) rejected (of {ingest.rows_read} read):", markup=False)
        for bad in ingest.bad_rows[:10]:
            err_console.print(f"  {bad.file}:{bad.line}: {bad.reason}", markup=False)


@app.command("ingest")
def ingest_command(
    input: Annotated[Path, typer.Argument(help="Input file or FAERS folder.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Long table to write (Parquet).")],
    fmt: FormatOpt = DEFAULT_FORMAT,
    synonyms: SynOpt = None,
    normalise: NormOpt = None,
    roles: RolesOpt = DEFAULT_ROLES,
    strict: StrictOpt = DEFAULT_STRICT,
    as_json: JsonOpt = False,
) -> None:
    """Read reports into the long table report,drug,event(+strata); bad rows are listed with file and line."""
    from pharmakon.store import open_store
    from pharmakon.trials.safety.service import ingest_reports

    spec = build_spec(
        IngestSpec,
        input=input,
        output=output,
        format=fmt,
        synonyms=synonyms,
        normalise=normalise,
        roles=_roles(roles),
        strict=strict,
    )
    result = ingest_reports(open_store(), spec, cli_caller())
    _print_ingest(result)
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(
            f"{result.rows_kept} rows kept of {result.rows_read} read; {result.bad_count} bad; -> {output}",
            markup=False,
        )


@app.command("signals")
def signals_command(
    input: Annotated[Path, typer.Argument(help="Input file or FAERS folder.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Signal table CSV to write.")],
    fmt: FormatOpt = DEFAULT_FORMAT,
    method: Annotated[str, typer.Option("--method", "-m", help="Comma-separated: ebgm,prr,ror,ic.")] = ",".join(
        _default(SignalOptions, "methods")
    ),
    stratify: Annotated[
        list[str] | None, typer.Option("--stratify", help="Stratify expected counts by COL (repeat for several).")
    ] = None,
    hyper_json: Annotated[
        Path | None, typer.Option("--hyper-json", help="Write the MGPS hyper-parameters here.")
    ] = None,
    squash: Annotated[
        bool | None,
        typer.Option("--squash/--no-squash", help="Fit MGPS on squashed data (default: when > 20,000 pairs)."),
    ] = None,
    save: Annotated[
        str | None, typer.Option("--save", help="Also store the table in the store under this name.")
    ] = None,
    synonyms: SynOpt = None,
    normalise: NormOpt = None,
    roles: RolesOpt = DEFAULT_ROLES,
    strict: StrictOpt = DEFAULT_STRICT,
    as_json: JsonOpt = False,
) -> None:
    """Score every (drug, event) pair with EBGM/EB05/EB95, PRR, ROR (95% CI) and IC/IC025."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from pharmakon.store import open_store
    from pharmakon.trials.safety.service import compute_signals
    from pharmakon.trials.safety.signals import parse_methods

    methods = list(parse_methods(method))
    if hyper_json and "ebgm" not in methods:
        raise InputError("--hyper-json needs the ebgm method", field="hyper-json")
    spec = build_spec(
        SignalsFileSpec,
        input=input,
        output=output,
        format=fmt,
        methods=methods,
        strata=stratify,
        squash=squash,
        name=save,
        synonyms=synonyms,
        normalise=normalise,
        roles=_roles(roles),
        strict=strict,
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("starting", total=None)
        result = compute_signals(
            open_store(),
            spec,
            cli_caller(),
            progress=lambda stage: progress.update(task, description=stage),
            hyper_output=hyper_json,
        )
    _print_ingest(result.ingest)
    for note in result.notes:
        err_console.print(f"warning: {note}", markup=False)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(result.summary(), markup=False)


@app.command("review")
def review_command(
    table: Annotated[str, typer.Argument(help="Stored signal table name (see --save).")],
    drug: Annotated[str, typer.Option("--drug", help="Drug as in the table.")],
    event: Annotated[str, typer.Option("--event", help="Event (MedDRA PT) as in the table.")],
    status: Annotated[str, typer.Option("--status", help="reviewed, dismissed or open.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required, audited).")],
    as_json: JsonOpt = False,
) -> None:
    """Mark a signal reviewed or dismissed, with a reason (audited)."""
    from pharmakon.store import open_store
    from pharmakon.trials.safety.service import review_signal

    spec = build_spec(ReviewSpec, table=table, drug=drug, event=event, status=status, reason=reason)
    result = review_signal(open_store(), spec, cli_caller())
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


def _load_rules(path: Path) -> list[dict[str, Any]]:
    """The rules of a YAML file (a list, or a mapping with key ``rules``), checked."""
    import yaml

    from pharmakon.trials.safety.monitoring import parse_rules

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read rules: {exc}".splitlines()[0], file=str(path)) from exc
    parse_rules(data, str(path))  # the error names the file
    return data.get("rules") if isinstance(data, dict) else data


def _read_stream(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, record)`` of a JSON-lines file or standard input (``-``), read as it comes."""
    import sys

    def lines() -> Iterator[str]:
        if str(path) == "-":
            yield from sys.stdin
        else:
            with path.open() as fh:
                yield from fh

    for i, line in enumerate(lines(), 1):
        if not line.strip():
            continue
        try:
            yield i, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg}", file=str(path), row=i) from None


@app.command("monitor")
def monitor_command(
    stream: Annotated[
        Path,
        typer.Option(
            "--stream",
            help="JSON-lines file of enroll/ae/exit records; '-' reads "
            "standard input and prints each alert as it happens.",
        ),
    ],
    rules: Annotated[Path, typer.Option("--rules", help="YAML list of monitoring rules.")],
    report: Annotated[Path | None, typer.Option("--report", help="Write a DSMB-style HTML report here.")] = None,
    trial: Annotated[str, typer.Option("--trial", help=_help(MonitorRunSpec, "trial"))] = _default(
        MonitorRunSpec, "trial"
    ),
    save: Annotated[bool, typer.Option("--save/--no-save", help=_help(MonitorRunSpec, "save"))] = _default(
        MonitorRunSpec, "save"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Replay a stream through Bayesian (beta-binomial, gamma-Poisson) and MaxSPRT rules; alerts are audited."""
    from pharmakon.store import open_store
    from pharmakon.trials.safety.service import alert_line, monitor_stream

    spec = build_spec(
        MonitorRunSpec, rules=_load_rules(rules), trial=trial, save=save, report=report is not None, source=str(stream)
    )
    live = str(stream) == "-" and not as_json
    result = monitor_stream(
        open_store(),
        spec,
        cli_caller(),
        _read_stream(stream),
        on_alert=(lambda a: console.print(alert_line(a), markup=False)) if live else None,
    )
    html = result.report_html()
    if report and html:
        with atomic_open(report) as fh:
            fh.write(html)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(
        f"{result.records} records to day {result.data_cut_day:.1f}; {len(result.alerts)} alert(s)", markup=False
    )
    for a in result.alerts if str(stream) != "-" else []:
        console.print(f"  {alert_line(a)}", markup=False)


@app.command("simulate")
def simulate_command(
    rules: Annotated[Path, typer.Option("--rules", help="YAML list of monitoring rules.")],
    rr: Annotated[str, typer.Option("--rr", help="True risk ratios, comma-separated (1 = no excess).")] = ",".join(
        f"{v:g}" for v in _default(SimulateSpec, "rr")
    ),
    n_sims: Annotated[int, typer.Option("--n-sims", help=_help(SimulateSpec, "n_sims"))] = _default(
        SimulateSpec, "n_sims"
    ),
    n_per_arm: Annotated[int, typer.Option("--n-per-arm", help=_help(SimulateSpec, "n_per_arm"))] = _default(
        SimulateSpec, "n_per_arm"
    ),
    base_rate: Annotated[float, typer.Option("--base-rate", help=_help(SimulateSpec, "base_rate"))] = _default(
        SimulateSpec, "base_rate"
    ),
    seed: Annotated[int, typer.Option("--seed")] = _default(SimulateSpec, "seed"),
    as_json: JsonOpt = False,
) -> None:
    """Operating characteristics: detection probability, days to detection, false-alert rate."""
    from pharmakon.trials.safety.service import simulate_monitoring

    try:
        rr_values = [float(x) for x in rr.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--rr must be comma-separated numbers, got {rr!r}", field="rr") from None
    spec = build_spec(
        SimulateSpec,
        rules=_load_rules(rules),
        rr=rr_values,
        n_sims=n_sims,
        n_per_arm=n_per_arm,
        base_rate=base_rate,
        seed=seed,
    )
    result = simulate_monitoring(spec)
    if as_json:
        print_json(result.to_dict()["rows"])
    else:
        console.print(result.summary(), markup=False)
