"""Commands of ``pharmakon nano`` for formulation (registered on the shared group by :func:`register`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``nano`` group."""
