"""Nanoparticle delivery: tumour-delivery QSAR, a population PBPK engine and AI-assisted PBPK.

Modules: :mod:`~pharmakon.nano.delivery.pbpk_spec` (the YAML spec and its validation),
:mod:`~pharmakon.nano.delivery.pbpk` (the stacked ODE engine), :mod:`~pharmakon.nano.delivery.population`
(batches through the executor), :mod:`~pharmakon.nano.delivery.pbpk_fit` (least squares on log
concentrations), :mod:`~pharmakon.nano.delivery.tumor_db` (Nano-Tumor DB cleaning and QC),
:mod:`~pharmakon.nano.delivery.service` (the audited use cases), ``specs/`` (built-in models).
Names are imported lazily so ``import pharmakon.nano.delivery`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "PBPKSpec",
    "load_spec",
    "parse_spec",
    "builtin_spec_names",
    "simulate",
    "output_times",
    "sample_parameters",
    "Trajectories",
    "SolverError",
    "simulate_population",
    "fit_parameters",
    "clean_particles",
]

_WHERE = {
    **dict.fromkeys(["PBPKSpec", "load_spec", "parse_spec", "builtin_spec_names"], "pbpk_spec"),
    **dict.fromkeys(["simulate", "output_times", "sample_parameters", "Trajectories", "SolverError"], "pbpk"),
    "simulate_population": "population",
    "fit_parameters": "pbpk_fit",
    "clean_particles": "tumor_db",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"pharmakon.nano.delivery.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'pharmakon.nano.delivery' has no attribute {name!r}")
