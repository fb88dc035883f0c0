"""``pharmakon process``: Manufacturing quality: process monitoring, soft sensors, digital twin."""

from __future__ import annotations

import typer

app = typer.Typer(help="Manufacturing quality: process monitoring, soft sensors, digital twin.", no_args_is_help=True)
