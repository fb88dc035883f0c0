"""Drug-safety signal detection (disproportionality at FAERS scale) and running-trial monitoring."""

from pharmakon.trials.safety.counts import LONG_COLUMNS, pair_counts, pair_serious
from pharmakon.trials.safety.disproportionality import (
    disproportionality,
    information_component,
    prr,
    ror,
    two_by_two,
)
from pharmakon.trials.safety.faers_extra import OUTCOME_CODES, read_outcomes, read_therapy, time_to_onset
from pharmakon.trials.safety.ingest import (
    FAERS_ROLES,
    BadRow,
    IngestReport,
    load_synonyms,
    normalise_drug_names,
    read_caers,
    read_faers,
    read_long,
)
from pharmakon.trials.safety.mgps import (
    ConvergenceWarning,
    MGPSHyper,
    auto_squash,
    fit_mgps,
    mgps_negloglik,
    mgps_posterior,
    squash_data,
)
from pharmakon.trials.safety.signals import (
    METHODS,
    SIGNAL_COLUMNS,
    SignalTable,
    detect_signals,
    pair_detail,
    parse_methods,
)

__all__ = [
    "LONG_COLUMNS",
    "pair_counts",
    "pair_serious",
    "OUTCOME_CODES",
    "read_outcomes",
    "read_therapy",
    "time_to_onset",
    "disproportionality",
    "information_component",
    "prr",
    "ror",
    "two_by_two",
    "FAERS_ROLES",
    "BadRow",
    "IngestReport",
    "load_synonyms",
    "normalise_drug_names",
    "read_caers",
    "read_faers",
    "read_long",
    "ConvergenceWarning",
    "MGPSHyper",
    "auto_squash",
    "fit_mgps",
    "mgps_negloglik",
    "mgps_posterior",
    "squash_data",
    "METHODS",
    "SIGNAL_COLUMNS",
    "SignalTable",
    "detect_signals",
    "pair_detail",
    "parse_methods",
]
