"""``pharmakon nano``: nanomedicine formulation design and nanoparticle delivery.

One command group shared by two sub-packages: each front-end module registers its own
commands on ``app`` (formulation: fit, predict, design, propose; delivery: delivery,
pbpk, pbpk-fit), so neither edits the other's file.
"""

from __future__ import annotations

import typer

from pharmakon.cli import nano_delivery, nano_formulation

app = typer.Typer(
    help="Nanomedicine: formulation CQA models, designs of experiments, batch proposals, delivery QSAR and PBPK.",
    no_args_is_help=True,
)
nano_formulation.register(app)
nano_delivery.register(app)
