"""``pharmakon trialdata``: Clinical-trial data on CDISC standards: validate, TLFs, review, retention."""

from __future__ import annotations

import typer

app = typer.Typer(help="Clinical-trial data on CDISC standards: validate, TLFs, review, retention.", no_args_is_help=True)
