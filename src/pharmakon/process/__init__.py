"""Manufacturing quality: multivariate process monitoring, spectral soft sensors and a process digital twin.

- :mod:`~pharmakon.process.mspc`: PCA, dynamic PCA, PLS and kernel PCA monitors (T², SPE, limits, contributions);
- :mod:`~pharmakon.process.charts`: univariate EWMA and CUSUM charts for single quality attributes;
- :mod:`~pharmakon.process.stream`: the running monitor (sample rules, persistence, alarm onsets);
- :mod:`~pharmakon.process.softsensor`: chemotools preprocessing, PLS with CV components, alignment rule;
- :mod:`~pharmakon.process.twin`: the nanoprecipitation twin (mixing-time scaling) and set-point correction;
- :mod:`~pharmakon.process.service` / :mod:`~pharmakon.process.service_models`: the audited use cases.
"""

from pharmakon.process.mspc import MONITORS, DPCAMonitor, KPCAMonitor, PCAMonitor, PLSMonitor
from pharmakon.process.stream import DEFAULT_PERSISTENCE, StreamMonitor, persistence_alarm

__all__ = [
    "MONITORS",
    "PCAMonitor",
    "DPCAMonitor",
    "PLSMonitor",
    "KPCAMonitor",
    "StreamMonitor",
    "DEFAULT_PERSISTENCE",
    "persistence_alarm",
]
