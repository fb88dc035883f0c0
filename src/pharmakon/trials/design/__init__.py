"""Clinical-trial design: group-sequential boundaries, sample size, simulation.

Boundaries come from recursive numerical integration (Armitage-McPherson-Rowe on the
Jennison-Turnbull grid) and are checked against rpact; simulations are vectorised
NumPy, chunked through the foundation's executor and reproducible from a seed.
"""

from pharmakon.trials.design.bayes_continuous import (
    ContinuousBayesResult,
    calibrate_continuous,
    simulate_bayesian_continuous,
)
from pharmakon.trials.design.bayesian import BayesianResult, calibrate_efficacy, simulate_bayesian_multiarm
from pharmakon.trials.design.boin import BoinResult, boin_boundaries, simulate_boin
from pharmakon.trials.design.characteristics import DesignCharacteristics, design_characteristics, stage_probabilities
from pharmakon.trials.design.crm import CrmResult, simulate_crm
from pharmakon.trials.design.enrichment import EnrichmentResult, simulate_enrichment
from pharmakon.trials.design.groupsequential import DESIGN_TYPES, GroupSequentialDesign, design_group_sequential
from pharmakon.trials.design.interim import (
    conditional_power,
    inverse_normal_statistics,
    median_unbiased_drift,
    reestimate_stage_size,
    repeated_confidence_interval,
    stagewise_p_value,
)
from pharmakon.trials.design.optimum import OPTIMIZATION_CRITERIA, design_wt_optimum
from pharmakon.trials.design.pampallona import design_pampallona_tsiatis
from pharmakon.trials.design.persist import KIND, load_design, save_design, seed_example
from pharmakon.trials.design.power_rates import power_rates
from pharmakon.trials.design.report import design_plots, design_report_html, operating_characteristics
from pharmakon.trials.design.samplesize import (
    SampleSizeResult,
    power_means,
    sample_size_means,
    sample_size_rates,
)
from pharmakon.trials.design.sim_store import (
    SIM_KIND,
    save_simulation,
    simulate_operating_characteristics,
    simulation_plots,
)
from pharmakon.trials.design.simulation import SimulationResult, simulate_means, simulate_rates
from pharmakon.trials.design.spec import DESIGN_KEYS, design_from_spec, load_spec
from pharmakon.trials.design.spending import spend, spending
from pharmakon.trials.design.survival import sample_size_survival
from pharmakon.trials.design.survival_power import power_survival

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
