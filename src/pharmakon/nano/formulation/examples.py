"""Worked example seeded into ``make run``: PLGA-PEG CQA models and a proposed next batch.

The PLGA-PEG microfluidics data (``plga_peg_microfluidics/``, cycle-2 training table):
size (Z_ave, nm) and PDI models (the zoo plus small-table candidates, no Optuna trials, no
wall-clock budget: the same models on any machine; nested out-of-fold figures from one
3-fold split to keep the example quick), then the next 8 formulations maximising
uptake with PDI below 0.2, over the polymer mixture and the flow-rate ratio.
"""

from __future__ import annotations

from typing import Any

from pharmakon.caller import Caller
from pharmakon.nano.formulation.service import design_experiments, fit_formulation, propose_experiments
from pharmakon.nano.formulation.space import Space
from pharmakon.nano.formulation.specs import DesignSpec, FitSpec, ProposeSpec

__all__ = ["PLGA_SPACE", "seed_example"]

#: The PLGA-PEG design space: four polymers as a mixture, the solvent/antisolvent flow ratio.
PLGA_SPACE: dict[str, Any] = {
    "factors": [
        {"name": "PLGA", "type": "continuous", "low": 0.0, "high": 1.0},
        {"name": "PP-L", "type": "continuous", "low": 0.0, "high": 1.0},
        {"name": "PP-COOH", "type": "continuous", "low": 0.0, "high": 1.0},
        {"name": "PP-NH2", "type": "continuous", "low": 0.0, "high": 1.0},
        {"name": "S/AS", "type": "continuous", "low": 0.1, "high": 0.25},
    ],
    "mixture": {"components": ["PLGA", "PP-L", "PP-COOH", "PP-NH2"], "total": 1.0},
}


def seed_example(store: Any, settings: Any) -> str:
    """Fit PLGA-PEG size/PDI models, store an LHS design and propose the next batch; returns a summary."""
    from pharmakon.datasets import load

    caller = Caller("seed", "python")
    data = load("plga_peg_microfluidics", "uptake_cycle_2", settings=settings)
    fit = fit_formulation(
        store,
        FitSpec(targets=["Z_ave", "PDI"], id_cols=["ID"], name="plga-peg", form="miso", trials=0, repeats=1, cv=3),
        caller,
        frame=data,
    )
    space = Space.parse(PLGA_SPACE)
    design_experiments(store, DesignSpec(space=space, kind="lhs", runs=12, seed=0, name="plga-peg-lhs"), caller)
    cells = data.drop(columns=["ID"]).astype(object)
    observed = cells.where(cells.notna(), None).to_dict(orient="records")  # a missing measurement is null
    proposal = propose_experiments(
        store,
        ProposeSpec(
            space=space,
            observed_rows=observed,
            objectives=["maximize:Uptake"],
            constraints=["PDI<0.2"],
            batch=8,
            seed=0,
            name="plga-peg-next",
        ),
        caller,
    )
    return f"{fit.summary().splitlines()[0]}; {proposal.summary().splitlines()[0]}"
