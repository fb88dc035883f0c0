"""``pharmakon safety``: disproportionality signals, signal review and running-trial monitoring.

Thin layer over :mod:`pharmakon.trials.safety`; heavy imports happen inside commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from pharmakon.cli._common import cli_actor, console, err_console, print_json, record_cli_event
from pharmakon.errors import InputError
from pharmakon.files import atomic_path

__all__ = ["app"]

app = typer.Typer(
    help="Drug safety: signal detection in adverse-event reports; trial safety monitoring.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Input layout: caers (openEBGM id,var1,var2,strat*), "
        "faers (quarterly $-delimited DEMO/DRUG/REAC folder), long (report,drug,event "
        "CSV/Parquet), counts (drug,event,n,n_drug,n_event,n_total).",
    ),
]
SynOpt = Annotated[Path | None, typer.Option("--synonyms", help="CSV with columns name,canonical for drug names.")]
NormOpt = Annotated[
    bool | None,
    typer.Option(
        "--normalise/--no-normalise",
        help="Normalise drug names (default: on for faers/long, off for caers brand names).",
    ),
]
RolesOpt = Annotated[str, typer.Option("--roles", help="FAERS drug role codes kept (PS,SS,C,I).")]


def _input_hashes(path: Path) -> dict[str, str]:
    """SHA-256 of the input file, or of every file in an input folder (FAERS), for the audit event."""
    from pharmakon.hashing import sha256_file

    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return {str(f): sha256_file(f) for f in files}


def _read(path: Path, fmt: str, synonyms: Path | None, normalise: bool | None, roles: str, strict: bool) -> Any:
    from pharmakon.trials.safety.ingest import load_synonyms, read_reports

    syn = load_synonyms(synonyms) if synonyms else None
    table, report = read_reports(
        path,
        fmt,
        synonyms=syn,
        normalise=normalise,
        roles=tuple(r.strip().upper() for r in roles.split(",") if r.strip()),
    )
    for note in report.notes:
        err_console.print(f"note: {note}", markup=False)
    if report.bad_count:
        err_console.print(f"{report.bad_count} bad row(s) rejected (of {report.rows_read} read):", markup=False)
        for bad in report.bad_rows[:10]:
            err_console.print(f"  {bad.file}:{bad.line}: {bad.reason}", markup=False)
        if strict:
            raise InputError(f"{report.bad_count} bad row(s) and --strict was given", file=str(path))
    return table, report


@app.command("ingest")
def ingest_command(
    input: Annotated[Path, typer.Argument(help="Input file or FAERS folder.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Long table to write (Parquet).")],
    fmt: FormatOpt = "long",
    synonyms: SynOpt = None,
    normalise: NormOpt = None,
    roles: RolesOpt = "PS,SS",
    strict: Annotated[bool, typer.Option("--strict", help="Fail on any bad row.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Read reports into the long table report,drug,event(+strata); bad rows are listed with file and line."""

    from pharmakon.hashing import sha256_file

    table, report = _read(input, fmt, synonyms, normalise, roles, strict)
    with atomic_path(output) as tmp:
        table.write_parquet(tmp)
    record_cli_event(
        "safety.ingest",
        object_type="file",
        object_id=str(output),
        inputs=_input_hashes(input),
        outputs={str(output): sha256_file(output)},
        params={"format": fmt, "roles": roles},
    )
    summary = {**report.to_dict(), "output": str(output)}
    summary["bad_rows"] = summary["bad_rows"][:100]
    if as_json:
        print_json(summary)
    else:
        console.print(
            f"{report.rows_kept} rows kept of {report.rows_read} read; {report.bad_count} bad; -> {output}",
            markup=False,
        )


@app.command("signals")
def signals_command(
    input: Annotated[Path, typer.Argument(help="Input file or FAERS folder.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Signal table CSV to write.")],
    fmt: FormatOpt = "long",
    method: Annotated[
        str, typer.Option("--method", "-m", help="Comma-separated: ebgm,prr,ror,ic.")
    ] = "ebgm,prr,ror,ic",
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
    roles: RolesOpt = "PS,SS",
    strict: Annotated[bool, typer.Option("--strict", help="Fail on any bad row.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Score every (drug, event) pair with EBGM/EB05/EB95, PRR, ROR (95% CI) and IC/IC025."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from pharmakon.hashing import sha256_file
    from pharmakon.trials.safety.signals import detect_signals, parse_methods

    methods = parse_methods(method)
    if hyper_json and "ebgm" not in methods:
        raise InputError("--hyper-json needs the ebgm method", field="hyper-json")
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("reading reports", total=None)
        table, report = _read(input, fmt, synonyms, normalise, roles, strict)
        progress.update(task, description="counting pairs and scoring")
        result = detect_signals(table, methods=methods, strata=stratify or [], squash=squash)
    for note in result.notes:
        err_console.print(f"warning: {note}", markup=False)
    result.to_csv(output)
    outputs = {str(output): sha256_file(output)}
    if hyper_json and result.hyper is not None:
        hyper = result.hyper.to_dict()
        tmp = hyper_json.with_name(f".{hyper_json.name}.tmp")
        tmp.write_text(json.dumps(hyper, indent=2))
        tmp.replace(hyper_json)
        outputs[str(hyper_json)] = sha256_file(hyper_json)
    params = {
        "format": fmt,
        "methods": list(methods),
        "strata": stratify or [],
        "bad_rows": report.bad_count,
        "flagged": result.summary()["flagged"],
    }
    if result.hyper is not None:
        h = result.hyper
        params["mgps"] = {
            "alpha1": h.alpha1,
            "beta1": h.beta1,
            "alpha2": h.alpha2,
            "beta2": h.beta2,
            "p": h.p,
            "converged": h.converged,
            "squashed": h.squashed,
        }
    record_cli_event(
        "safety.signals",
        object_type="file",
        object_id=str(output),
        inputs=_input_hashes(input),
        outputs=outputs,
        params=params,
    )
    if save:
        from pharmakon.store import open_store
        from pharmakon.trials.safety.persist import save_signal_table

        with open_store().session() as session:
            save_signal_table(
                session,
                name=save,
                result=result,
                actor=cli_actor(),
                source={"input": str(input), **params},
                reports=table,
            )
    summary = result.summary()
    if as_json:
        print_json({**summary, "output": str(output)})
        return
    console.print(f"{summary['pairs']} pairs from {summary['reports']} reports -> {output}", markup=False)
    for m, k in summary["flagged"].items():
        console.print(f"  {m}: {k} signal(s)", markup=False)


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
    from pharmakon.trials.safety.persist import review_signal

    with open_store().session() as session:
        out = review_signal(
            session, table_name=table, drug=drug, event=event, status=status, reason=reason, actor=cli_actor()
        )
    if as_json:
        print_json(out)
    else:
        console.print(f"{drug} / {event}: {status} (version {out['version']})", markup=False)


def _load_rules(path: Path) -> list:
    import yaml

    from pharmakon.trials.safety.monitoring import parse_rules

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read rules: {exc}".splitlines()[0], file=str(path)) from exc
    return parse_rules(data, str(path))


def _stream_lines(path: Path) -> Any:
    import sys

    if str(path) == "-":
        yield from enumerate((line.rstrip("\n") for line in sys.stdin), 1)
    else:
        with path.open() as fh:
            yield from enumerate((line.rstrip("\n") for line in fh), 1)


def _read_stream(path: Path) -> Any:
    for i, line in _stream_lines(path):
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
    trial: Annotated[str, typer.Option("--trial", help="Trial name for the audit trail and store.")] = "trial",
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the monitor state and alerts.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Replay a stream through Bayesian (beta-binomial, gamma-Poisson) and MaxSPRT rules; alerts are audited."""
    from pharmakon.store import open_store
    from pharmakon.trials.safety.dsmb import dsmb_report_html
    from pharmakon.trials.safety.monitoring import Monitor
    from pharmakon.trials.safety.persist import record_alerts, save_monitor

    mon = Monitor(_load_rules(rules))
    records = []
    for i, rec in _read_stream(stream):
        try:
            raised = mon.update(rec, line=i)
        except InputError as exc:
            raise InputError(exc.message, file=str(stream)) from None
        records.append(rec)
        if str(stream) == "-" and not as_json:
            for a in raised:
                console.print(
                    f"ALERT {a.rule} ({a.model}) day {a.time:.1f}: {a.statistic_name}={a.statistic:.4g}", markup=False
                )
    html = dsmb_report_html(mon, records, title=f"DSMB safety report: {trial}") if report or save else None
    if report and html:
        tmp = report.with_name(f".{report.name}.tmp")
        tmp.write_text(html)
        tmp.replace(report)
    with open_store().session() as session:
        record_alerts(session, trial=trial, alerts=mon.alerts, actor=cli_actor())
        if save:
            save_monitor(session, trial=trial, monitor=mon, actor=cli_actor(), records=records, report_html=html)
    out = {
        "trial": trial,
        "records": len(records),
        "data_cut_day": mon.now,
        "alerts": [a.to_dict() for a in mon.alerts],
    }
    if as_json:
        print_json(out)
        return
    console.print(f"{len(records)} records to day {mon.now:.1f}; {len(mon.alerts)} alert(s)", markup=False)
    for a in mon.alerts if str(stream) != "-" else []:
        console.print(
            f"  ALERT {a.rule} ({a.model}) day {a.time:.1f}: {a.statistic_name}={a.statistic:.4g}", markup=False
        )


@app.command("simulate")
def simulate_command(
    rules: Annotated[Path, typer.Option("--rules", help="YAML list of monitoring rules.")],
    rr: Annotated[str, typer.Option("--rr", help="True risk ratios, comma-separated (1 = no excess).")] = "1,2,3",
    n_sims: Annotated[int, typer.Option("--n-sims", min=1, max=100_000, help="Simulated trials per risk ratio.")] = 200,
    n_per_arm: Annotated[int, typer.Option("--n-per-arm", min=1, help="Subjects per arm.")] = 100,
    base_rate: Annotated[float, typer.Option("--base-rate", min=0.0, help="Control events/subject-day.")] = 0.002,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Operating characteristics: detection probability, days to detection, false-alert rate."""
    from pharmakon.trials.safety.simulate import operating_characteristics

    try:
        rr_values = [float(x) for x in rr.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--rr must be comma-separated numbers, got {rr!r}", field="rr") from None
    oc = operating_characteristics(
        _load_rules(rules), rr_values, n_sims=n_sims, n_per_arm=n_per_arm, base_rate=base_rate, seed=seed
    )
    if as_json:
        print_json(oc.to_dict("records"))
    else:
        console.print(oc.to_string(index=False), markup=False)
