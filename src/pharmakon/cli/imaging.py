"""``pharmakon imaging``: imaging biomarkers: convert, measure, RECIST, radiomics features.

Thin layer over :mod:`pharmakon.imaging.service`: options become a spec (the defaults
are the spec's), the service computes, stores and audits; this module prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pharmakon.cli._common import cli_caller, console, print_json
from pharmakon.imaging.service import (
    ConvertSpec,
    FeaturesSpec,
    MeasureSpec,
    RecistSpec,
    SegmentSpec,
    VariabilitySpec,
)
from pharmakon.specs import build_spec

__all__ = ["app"]

app = typer.Typer(help="Imaging biomarkers: convert, measure, RECIST, radiomics features.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Stored object name (default: from the file name).")]


def _show(result, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


@app.command("measure")
def measure_command(
    image: Annotated[Path, typer.Option("--image", help="Image (NRRD, NIfTI, DICOM file or series folder).")],
    mask: Annotated[Path, typer.Option("--mask", help="Label mask on the image grid (or a DICOM SEG).")],
    label: Annotated[int | None, typer.Option("--label", help="Label measured (default 1).")] = None,
    name: NameOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per lesion (26-connected, largest first): voxels, volume, longest in-plane diameter, short axis, 3-D diameter."""
    from pharmakon.imaging.service import measure
    from pharmakon.store import open_store

    spec = build_spec(MeasureSpec, image=image, mask=mask, label=label, name=name)
    _show(measure(open_store(), spec, cli_caller()), as_json)


@app.command("recist")
def recist_command(
    tu: Annotated[Path, typer.Option("--tu", help="SDTM TU (tumour identification) CSV.")],
    tr: Annotated[Path, typer.Option("--tr", help="SDTM TR (tumour results) CSV.")],
    rs: Annotated[Path | None, typer.Option("--rs", help="SDTM RS CSV: RS responses and two-reader agreement.")] = None,
    evaluator: Annotated[
        str | None, typer.Option("--evaluator", help="Reads whose TREVAL/TREVALID is NAME (default INVESTIGATOR).")
    ] = None,
    confirm_weeks: Annotated[
        float | None,
        typer.Option(
            "--confirm-weeks",
            help="Minimum interval between a CR/PR and the read confirming it, weeks. Default 3 (21 days): the "
            "interval the CDISC onco_recist set was built with (01-701-1115's PR is confirmed by a CR 21 days "
            "later). RECIST 1.1 asks for at least 4 weeks: give --confirm-weeks 4 for a protocol's 28 days.",
        ),
    ] = None,
    sd_min_weeks: Annotated[
        float | None, typer.Option("--sd-min-weeks", help="Minimum time from baseline for SD, weeks (default 4).")
    ] = None,
    name: NameOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """RECIST 1.1 per visit, best overall response (BOR) and confirmed BOR per subject."""
    from pharmakon.imaging.service import recist
    from pharmakon.store import open_store

    spec = build_spec(
        RecistSpec,
        tu=tu,
        tr=tr,
        rs=rs,
        evaluator=evaluator,
        confirm_weeks=confirm_weeks,
        sd_min_weeks=sd_min_weeks,
        name=name,
    )
    _show(recist(open_store(), spec, cli_caller()), as_json)


@app.command("features")
def features_command(
    image: Annotated[Path, typer.Option("--image", help="Image file.")],
    mask: Annotated[Path, typer.Option("--mask", help="Label mask on the image grid.")],
    settings: Annotated[Path | None, typer.Option("--settings", help="pyradiomics settings (YAML/JSON).")] = None,
    label: Annotated[int | None, typer.Option("--label", help="Label (default 1).")] = None,
    name: NameOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """pyradiomics features; --json prints the flat map of pyradiomics' feature names."""
    from pharmakon.imaging.service import features
    from pharmakon.store import open_store

    spec = build_spec(FeaturesSpec, image=image, mask=mask, settings=settings, label=label, name=name)
    result = features(open_store(), spec, cli_caller())
    if as_json:
        print_json(result.features)
    else:
        console.print(result.summary(), markup=False)
        for key, value in result.features.items():
            console.print(f"  {key:<55} {value:.6g}", markup=False)


@app.command("convert")
def convert_command(
    dicom: Annotated[Path, typer.Option("--dicom", help="DICOM file (single/multi-frame/SEG) or series folder.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="OUT.nrrd, OUT.nii or OUT.nii.gz.")],
    seg: Annotated[Path | None, typer.Option("--seg", help="DICOM SEG to put on the image grid.")] = None,
    rtstruct: Annotated[Path | None, typer.Option("--rtstruct", help="RT Structure Set of the series.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Convert DICOM to NRRD/NIfTI (mask to OUT_label.*), headers de-identified (DICOM basic profile)."""
    from pharmakon.imaging.service import convert
    from pharmakon.store import open_store

    spec = build_spec(ConvertSpec, dicom=dicom, output=output, seg=seg, rtstruct=rtstruct)
    _show(convert(open_store(), spec, cli_caller()), as_json)


@app.command("segment")
def segment_command(
    image: Annotated[Path, typer.Option("--image", help="Image file.")],
    mask: Annotated[Path, typer.Option("--mask", help="Reference mask: its largest lesion is the target.")],
    label: Annotated[int | None, typer.Option("--label", help="Label (default 1).")] = None,
    margin: Annotated[int | None, typer.Option("--margin", help="Box margin in-plane, voxels (default 2).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the baseline mask.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Classical baseline (Otsu in the reader's box, scikit-image): Dice and Hausdorff against the reference."""
    from pharmakon.imaging.service import segment
    from pharmakon.store import open_store

    spec = build_spec(SegmentSpec, image=image, mask=mask, label=label, margin=margin, output=output)
    _show(segment(open_store(), spec, cli_caller()), as_json)


@app.command("variability")
def variability_command(
    image: Annotated[Path, typer.Option("--image", help="Image file.")],
    mask: Annotated[Path, typer.Option("--mask", help="Lesion mask: its largest lesion is simulated.")],
    n: Annotated[int | None, typer.Option("--n", help="Simulated reader pairs per ratio (default 50).")] = None,
    max_voxels: Annotated[int | None, typer.Option("--max-voxels", help="Boundary error, voxels (default 1).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default 0).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Inter-reader variability: how often perturbed outlines change the RECIST category."""
    from pharmakon.imaging.service import variability
    from pharmakon.store import open_store

    spec = build_spec(VariabilitySpec, image=image, mask=mask, n=n, max_voxels=max_voxels, seed=seed)
    _show(variability(open_store(), spec, cli_caller()), as_json)


@app.command("eligible")
def eligible_command(
    measure: Annotated[str, typer.Option("--measure", help="Stored measurement name (see `imaging measure`).")],
    min_mm: Annotated[float, typer.Option("--min-mm", help="Minimum measurable size, mm.")] = 10.0,
    min_lesions: Annotated[int, typer.Option("--min-lesions", help="Lesions needed.")] = 1,
    node: Annotated[bool, typer.Option("--node", help="Lymph nodes: compare the short axis.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Image-based eligibility: at least N measurable lesion(s) >= MIN mm in a stored measurement."""
    from pharmakon.imaging.service import stored_eligibility
    from pharmakon.store import open_store

    result = stored_eligibility(open_store(), measure, min_diameter_mm=min_mm, min_lesions=min_lesions, node=node)
    _show(result, as_json)
