"""Clinical-trial design: group-sequential boundaries, sample size, simulation.

Boundaries come from recursive numerical integration (Armitage-McPherson-Rowe on the
Jennison-Turnbull grid) and are checked against rpact; simulations are vectorised
NumPy, chunked through the foundation's executor and reproducible from a seed.

:mod:`pharmakon.trials.design.service` holds the use cases the CLI, REST API and
workbench call (one spec and one typed result each). Names below are imported on first
use, so importing a spec does not load the numerical code.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: public name -> module defining it (imported on first access)
_WHERE = {
    "BayesianResult": "pharmakon.trials.design.bayesian",
    "boin_boundaries": "pharmakon.trials.design.boin",
    "BoinResult": "pharmakon.trials.design.boin",
    "calibrate_continuous": "pharmakon.trials.design.bayes_continuous",
    "calibrate_efficacy": "pharmakon.trials.design.bayesian",
    "conditional_power": "pharmakon.trials.design.interim",
    "ContinuousBayesResult": "pharmakon.trials.design.bayes_continuous",
    "CrmResult": "pharmakon.trials.design.crm",
    "design_characteristics": "pharmakon.trials.design.characteristics",
    "design_from_spec": "pharmakon.trials.design.spec",
    "design_group_sequential": "pharmakon.trials.design.groupsequential",
    "DESIGN_KEYS": "pharmakon.trials.design.spec",
    "design_pampallona_tsiatis": "pharmakon.trials.design.pampallona",
    "design_plots": "pharmakon.trials.design.report",
    "design_report_html": "pharmakon.trials.design.report",
    "DESIGN_TYPES": "pharmakon.trials.design.groupsequential",
    "design_wt_optimum": "pharmakon.trials.design.optimum",
    "DesignCharacteristics": "pharmakon.trials.design.characteristics",
    "EnrichmentResult": "pharmakon.trials.design.enrichment",
    "GroupSequentialDesign": "pharmakon.trials.design.groupsequential",
    "inverse_normal_statistics": "pharmakon.trials.design.interim",
    "KIND": "pharmakon.trials.design.persist",
    "load_design": "pharmakon.trials.design.persist",
    "load_spec": "pharmakon.trials.design.spec",
    "median_unbiased_drift": "pharmakon.trials.design.interim",
    "operating_characteristics": "pharmakon.trials.design.report",
    "OPTIMIZATION_CRITERIA": "pharmakon.trials.design.optimum",
    "power_means": "pharmakon.trials.design.samplesize",
    "power_rates": "pharmakon.trials.design.power_rates",
    "power_survival": "pharmakon.trials.design.survival_power",
    "reestimate_stage_size": "pharmakon.trials.design.interim",
    "repeated_confidence_interval": "pharmakon.trials.design.interim",
    "sample_size_means": "pharmakon.trials.design.samplesize",
    "sample_size_rates": "pharmakon.trials.design.samplesize",
    "sample_size_survival": "pharmakon.trials.design.survival",
    "SampleSizeResult": "pharmakon.trials.design.samplesize",
    "save_design": "pharmakon.trials.design.persist",
    "save_simulation": "pharmakon.trials.design.sim_store",
    "seed_example": "pharmakon.trials.design.persist",
    "SIM_KIND": "pharmakon.trials.design.sim_store",
    "simulate_bayesian_continuous": "pharmakon.trials.design.bayes_continuous",
    "simulate_bayesian_multiarm": "pharmakon.trials.design.bayesian",
    "simulate_boin": "pharmakon.trials.design.boin",
    "simulate_crm": "pharmakon.trials.design.crm",
    "simulate_enrichment": "pharmakon.trials.design.enrichment",
    "simulate_means": "pharmakon.trials.design.simulation",
    "simulate_operating_characteristics": "pharmakon.trials.design.sim_store",
    "simulate_rates": "pharmakon.trials.design.simulation",
    "simulation_plots": "pharmakon.trials.design.sim_store",
    "SimulationResult": "pharmakon.trials.design.simulation",
    "spend": "pharmakon.trials.design.spending",
    "spending": "pharmakon.trials.design.spending",
    "stage_probabilities": "pharmakon.trials.design.characteristics",
    "stagewise_p_value": "pharmakon.trials.design.interim",
}

__all__ = [
    "BayesianResult",
    "BoinResult",
    "ContinuousBayesResult",
    "CrmResult",
    "DESIGN_KEYS",
    "DESIGN_TYPES",
    "KIND",
    "OPTIMIZATION_CRITERIA",
    "SIM_KIND",
    "DesignCharacteristics",
    "EnrichmentResult",
    "GroupSequentialDesign",
    "SampleSizeResult",
    "SimulationResult",
    "boin_boundaries",
    "calibrate_continuous",
    "calibrate_efficacy",
    "conditional_power",
    "design_characteristics",
    "design_from_spec",
    "design_group_sequential",
    "design_pampallona_tsiatis",
    "design_plots",
    "design_wt_optimum",
    "inverse_normal_statistics",
    "design_report_html",
    "load_design",
    "load_spec",
    "median_unbiased_drift",
    "operating_characteristics",
    "power_means",
    "power_rates",
    "power_survival",
    "reestimate_stage_size",
    "sample_size_means",
    "sample_size_rates",
    "sample_size_survival",
    "repeated_confidence_interval",
    "save_design",
    "save_simulation",
    "seed_example",
    "simulate_bayesian_continuous",
    "simulate_bayesian_multiarm",
    "simulate_boin",
    "simulate_crm",
    "simulate_enrichment",
    "simulate_means",
    "simulate_operating_characteristics",
    "simulate_rates",
    "simulation_plots",
    "spend",
    "stagewise_p_value",
    "spending",
    "stage_probabilities",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
