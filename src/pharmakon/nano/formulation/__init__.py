"""Nanomedicine formulation design: CQA models, designs of experiments, batch proposals.

- :mod:`~pharmakon.nano.formulation.recipe`: the formulation data model and CQA checks.
- :mod:`~pharmakon.nano.formulation.space`: design spaces (factors, mixture, linear constraints).
- :mod:`~pharmakon.nano.formulation.designs`: factorial, LHS, Sobol, mixture and D-optimal designs.
- :mod:`~pharmakon.nano.formulation.cqa`: CQA models on the governed lifecycle (MISO / chain).
- :mod:`~pharmakon.nano.formulation.surrogate`, :mod:`~pharmakon.nano.formulation.propose`: batch proposals.
- :mod:`~pharmakon.nano.formulation.service`: the audited use cases behind CLI, REST and workbench.
"""

from pharmakon.nano.formulation.designs import DESIGN_KINDS, Design, make_design
from pharmakon.nano.formulation.propose import Objective, OutputConstraint, Proposal, propose_batch
from pharmakon.nano.formulation.recipe import Component, Formulation, ProcessParameters
from pharmakon.nano.formulation.space import Factor, Mixture, Space, load_space

__all__ = [
    "DESIGN_KINDS",
    "Design",
    "make_design",
    "Objective",
    "OutputConstraint",
    "Proposal",
    "propose_batch",
    "Component",
    "Formulation",
    "ProcessParameters",
    "Factor",
    "Mixture",
    "Space",
    "load_space",
]
