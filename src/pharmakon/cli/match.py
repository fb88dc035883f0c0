"""``pharmakon match``: Patient-trial matching: trials for a patient, patients for a trial, evaluation."""

from __future__ import annotations

import typer

app = typer.Typer(help="Patient-trial matching: trials for a patient, patients for a trial, evaluation.", no_args_is_help=True)
