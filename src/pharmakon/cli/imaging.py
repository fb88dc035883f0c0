"""``pharmakon imaging``: Imaging biomarkers: convert, measure, RECIST, radiomics features."""

from __future__ import annotations

import typer

app = typer.Typer(help="Imaging biomarkers: convert, measure, RECIST, radiomics features.", no_args_is_help=True)
