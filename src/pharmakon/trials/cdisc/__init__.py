"""Clinical-trial data on CDISC standards: SDTM/ADaM I/O, analysis outputs, data review, retention.

The science (no store, no front end): :mod:`.io` (XPT via pyreadstat and CSV into equal
tables), :mod:`.validate` (pandera schemas and cross-domain checks), :mod:`.tlf` with
:mod:`.analysis_spec` (tables described in YAML), :mod:`.review` with
:mod:`.review_checks` and :mod:`.review_ml` (queries with evidence), :mod:`.inject`
(seeded anomalies for recall), :mod:`.retention` (landmark features, baseline, metrics)
and :mod:`.safety_feed` (SDTM as the safety monitor's stream). The use cases the CLI,
the REST API and the workbench call are in :mod:`.service`.
"""

from pharmakon.trials.cdisc.analysis_spec import BUILTIN_TABLES, builtin_analysis, load_analysis
from pharmakon.trials.cdisc.inject import ANOMALY_TYPES, inject_anomalies
from pharmakon.trials.cdisc.io import load_domains, read_domain, read_table, read_xpt, write_xpt
from pharmakon.trials.cdisc.review import RULES, review_domains
from pharmakon.trials.cdisc.tlf import TlfOutput, run_analysis
from pharmakon.trials.cdisc.validate import Finding, validate_domains

__all__ = [
    "ANOMALY_TYPES",
    "BUILTIN_TABLES",
    "RULES",
    "Finding",
    "TlfOutput",
    "builtin_analysis",
    "inject_anomalies",
    "load_analysis",
    "load_domains",
    "read_domain",
    "read_table",
    "read_xpt",
    "review_domains",
    "run_analysis",
    "validate_domains",
    "write_xpt",
]
