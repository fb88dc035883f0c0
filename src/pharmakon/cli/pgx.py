"""``pharmakon pgx``: star-allele calls, phenotypes and dosing advice from VCF; IWPC warfarin.

Thin layer: parses options, calls :mod:`pharmakon.patients.pgx`, renders, records audit
events. Heavy imports happen inside the commands so ``pharmakon --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pharmakon.cli._common import console, print_json, record_cli_event

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
    from pharmakon.hashing import sha256_file
    from pharmakon.patients.pgx import call_vcf, write_reports

    reports = list(call_vcf(vcf, outside_call, samples=[sample] if sample else None, reference=reference))
    written = write_reports(reports, out) if out else []
    record_cli_event(
        "pgx.call",
        object_type="pgx_report",
        object_id=vcf.name,
        inputs={"vcf": sha256_file(vcf), **({"outside_call": sha256_file(outside_call)} if outside_call else {})},
        outputs={"files": ",".join(p.name for p in written)} if written else None,
        params={"samples": [r["sample"] for r in reports][:20]},
    )
    if as_json:
        print_json(_contract(reports[0]) if len(reports) == 1 else [_contract(r) for r in reports])
        return
    from rich.table import Table

    for rep in reports:
        table = Table(title=f"{rep['sample']}")
        for col in ("gene", "diplotype", "phenotype", "activity", "missing", "note"):
            table.add_column(col, overflow="fold")
        for gene, r in sorted(rep["genes"].items()):
            table.add_row(
                gene,
                " or ".join(r["diplotypes"]) or "not called",
                str(r["phenotype"] or ""),
                "" if r["activity_score"] is None else str(r["activity_score"]),
                str(len(r["missing_positions"])),
                r["not_called_reason"] or r["source"],
            )
        console.print(table)
        console.print(f"{len(rep['recommendations'])} recommendations; caveats: {'; '.join(rep['caveats']) or 'none'}")
    if written:
        console.print(f"wrote {len(written)} files to {out}")


def _contract(rep: dict) -> dict:
    """The documented ``--json`` shape plus the full evidence under each gene."""
    return {
        "sample": rep["sample"],
        "genes": rep["genes"],
        "recommendations": rep["recommendations"],
        "warfarin_notes": rep["warfarin_notes"],
        "caveats": rep["caveats"],
        "notes": rep["notes"],
    }


@app.command("batch")
def batch_command(
    vcf: Annotated[Path, typer.Argument(help="Multi-sample VCF (.vcf or .vcf.gz), GRCh38.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output TSV (one row per sample and gene).")],
    backend: Annotated[str | None, typer.Option("--backend", help="serial, local or ray.")] = None,
    n_jobs: Annotated[int | None, typer.Option("--n-jobs", help="Workers.")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Samples per task.", min=1)] = 1000,
    groups: Annotated[Path | None, typer.Option("--groups", help="CSV sample,group for coverage per group.")] = None,
    reference: Annotated[Path | None, typer.Option("--reference", help=RefHelp)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Call every sample of a multi-sample VCF through the executor (progress bar), with coverage per group."""
    import pandas as pd
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pharmakon.patients.pgx import call_batch, coverage_by_group
    from pharmakon.patients.pgx.fairness import read_groups, sample_coverage_by_group

    group_of = read_groups(groups) if groups else None
    with Progress(
        TextColumn("calling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, disable=as_json
    ) as bar:
        task = bar.add_task("samples", total=None)
        summary = call_batch(
            vcf,
            out,
            backend=backend,
            n_jobs=n_jobs,
            chunk_size=chunk_size,
            reference=reference,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if group_of is not None:
        calls = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
        summary["coverage"] = coverage_by_group(calls, group_of).to_dict(orient="records")
        summary["coverage_by_sample"] = sample_coverage_by_group(calls, group_of).to_dict(orient="records")
    record_cli_event(
        "pgx.batch",
        object_type="pgx_batch",
        object_id=vcf.name,
        outputs={"tsv": str(out)},
        params={"n_samples": summary["n_samples"], "backend": backend},
    )
    if as_json:
        print_json(summary)
        return
    console.print(summary)
    for row in summary.get("coverage_by_sample", []):
        if row["small_group"]:
            console.print(
                f"[yellow]warning:[/] group {row['group']!r} has {row['n_samples']} samples: its shares are unstable"
            )


@app.command("warfarin")
def warfarin_command(
    cohort: Annotated[Path, typer.Option("--cohort", help="Cohort CSV in the IWPC warfarin.csv layout.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV of doses (mg/week) and reasons.")],
    as_json: JsonOpt = False,
) -> None:
    """IWPC pharmacogenetic, clinical and fixed (35 mg/week) doses for every patient of a cohort."""
    from pharmakon.hashing import sha256_file
    from pharmakon.patients.pgx import dose_cohort, iwpc_mae, read_cohort, warfarin_coverage, write_doses
    from pharmakon.patients.pgx.fairness import warfarin_mae_by_group

    frame = read_cohort(cohort)
    doses = dose_cohort(frame)
    write_doses(doses, out)
    result: dict = {"n_patients": len(doses), "n_dosed": int((doses["not_dosed_reason"] == "").sum()), "out": str(out)}
    if "Therapeutic Dose of Warfarin" in frame.columns:
        result["mae_mg_week"] = iwpc_mae(frame)
        result["mae_by_race"] = warfarin_mae_by_group(frame).to_dict(orient="records")
    result["coverage_by_race"] = warfarin_coverage(frame).to_dict(orient="records")
    record_cli_event(
        "pgx.warfarin",
        object_type="warfarin_doses",
        object_id=out.name,
        inputs={"cohort": sha256_file(cohort)},
        outputs={"csv": sha256_file(out)},
        params={"n_dosed": result["n_dosed"]},
    )
    if as_json:
        print_json(result)
        return
    console.print(f"dosed {result['n_dosed']} of {result['n_patients']} patients -> {out}")
    if "mae_mg_week" in result:
        m = result["mae_mg_week"]
        console.print(
            f"MAE (n={m['n']}): pharmacogenetic {m['pharmacogenetic']:.2f}, clinical {m['clinical']:.2f},"
            f" fixed {m['fixed']:.2f} mg/week"
        )
