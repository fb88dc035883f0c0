"""``pharmakon pgx``: star-allele calls, phenotypes and dosing advice from VCF; IWPC warfarin.

Thin layer: parses options into the specs of :mod:`pharmakon.patients.pgx.service`, calls
the service (which computes, stores and audits) and renders what it returns; option
defaults come from the specs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pharmakon.cli._common import cli_caller, console, print_json
from pharmakon.patients.pgx.service import BatchSpec

__all__ = ["app"]

app = typer.Typer(
    help="Pharmacogenomics: VCF -> diplotypes -> phenotypes -> CPIC/DPWG advice; warfarin.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
RefHelp = "GRCh38 FASTA (with .fai, or regions from samtools faidx): recognise indels shifted in long repeats."


@app.command("call")
def call_command(
    vcf: Annotated[Path, typer.Argument(help="Sample VCF (.vcf or .vcf.gz), GRCh38.")],
    outside_call: Annotated[
        Path | None,
        typer.Option(
            "--outside-call", help="TSV of GENE<TAB>DIPLOTYPE calls made elsewhere (e.g. CYP2D6 with copy number)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Folder for <sample>.json/.html and summary.tsv.")
    ] = None,
    sample: Annotated[str | None, typer.Option("--sample", help="Only this sample of a multi-sample VCF.")] = None,
    reference: Annotated[Path | None, typer.Option("--reference", help=RefHelp)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Call star-allele diplotypes, phenotypes and recommendations for each sample of a VCF."""
    from pharmakon.patients.pgx.service import CallSpec, call_vcf_file
    from pharmakon.specs import build_spec
    from pharmakon.store import open_store

    spec = build_spec(
        CallSpec,
        vcf=vcf,
        outside_call=outside_call,
        out=out,
        samples=[sample] if sample else None,
        reference=reference,
    )
    result = call_vcf_file(open_store(), spec, cli_caller())
    if as_json:
        reports = [rep.to_dict() for rep in result.reports]
        print_json(reports[0] if len(reports) == 1 else reports)
        return
    from rich.table import Table

    for rep in result.reports:
        table = Table(title=f"{rep.sample}")
        for col in ("gene", "diplotype", "phenotype", "activity", "missing", "note"):
            table.add_column(col, overflow="fold")
        for gene, r in sorted(rep.genes.items()):
            table.add_row(
                gene,
                " or ".join(r.diplotypes) or "not called",
                str(r.phenotype or ""),
                "" if r.activity_score is None else str(r.activity_score),
                str(len(r.missing_positions)),
                r.not_called_reason or r.source,
            )
        console.print(table)
        console.print(f"{len(rep.recommendations)} recommendations; caveats: {'; '.join(rep.caveats) or 'none'}")
    if result.files:
        console.print(f"wrote {len(result.files)} files to {out}")


@app.command("batch")
def batch_command(
    vcf: Annotated[Path, typer.Argument(help="Multi-sample VCF (.vcf or .vcf.gz), GRCh38.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output TSV (one row per sample and gene).")],
    backend: Annotated[str | None, typer.Option("--backend", help="serial, local or ray.")] = None,
    n_jobs: Annotated[int | None, typer.Option("--n-jobs", help="Workers.")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Samples per task.", min=1)] = BatchSpec.model_fields[
        "chunk_size"
    ].default,
    groups: Annotated[Path | None, typer.Option("--groups", help="CSV sample,group for coverage per group.")] = None,
    reference: Annotated[Path | None, typer.Option("--reference", help=RefHelp)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Call every sample of a multi-sample VCF through the executor (progress bar), with coverage per group."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pharmakon.patients.pgx.service import batch_call_file
    from pharmakon.specs import build_spec
    from pharmakon.store import open_store

    spec = build_spec(
        BatchSpec,
        vcf=vcf,
        out=out,
        backend=backend,
        n_jobs=n_jobs,
        chunk_size=chunk_size,
        groups=groups,
        reference=reference,
    )
    with Progress(
        TextColumn("calling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, disable=as_json
    ) as bar:
        task = bar.add_task("samples", total=None)
        result = batch_call_file(
            open_store(),
            spec,
            cli_caller(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        print_json(result.to_dict())
        return
    console.print(result.summary(), markup=False, highlight=False)
    for row in result.coverage_by_sample or []:
        if row.small_group:
            console.print(
                f"[yellow]warning:[/] group {row.group!r} has {row.n_samples} samples: its shares are unstable"
            )


@app.command("warfarin")
def warfarin_command(
    cohort: Annotated[Path, typer.Option("--cohort", help="Cohort CSV in the IWPC warfarin.csv layout.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV of doses (mg/week) and reasons.")],
    as_json: JsonOpt = False,
) -> None:
    """IWPC pharmacogenetic, clinical and fixed (35 mg/week) doses for every patient of a cohort."""
    from pharmakon.patients.pgx.service import WarfarinCohortSpec, dose_warfarin_cohort
    from pharmakon.specs import build_spec
    from pharmakon.store import open_store

    spec = build_spec(WarfarinCohortSpec, cohort=cohort, out=out)
    result = dose_warfarin_cohort(open_store(), spec, cli_caller())
    if as_json:
        print_json(result.to_dict())
        return
    console.print(f"dosed {result.n_dosed} of {result.n_patients} patients -> {out}")
    if result.mae_mg_week:
        m = result.mae_mg_week
        console.print(
            f"MAE (n={m.n}): pharmacogenetic {m.pharmacogenetic:.2f}, clinical {m.clinical:.2f},"
            f" fixed {m.fixed:.2f} mg/week"
        )
