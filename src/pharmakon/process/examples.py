"""Worked example seeded by ``make run``: a TEP monitor fed a faulty run, a soft sensor and the twin."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pharmakon.caller import Caller

__all__ = ["seed_example", "SEED_MONITOR", "SEED_FAULT"]

SEED_MONITOR = "tep-demo"
#: The Tennessee Eastman test run fed to the seeded monitor (IDV(1): A/C feed ratio step, from sample 161).
SEED_FAULT = 1
SEED_SOFTSENSOR = "fermentation-glucose"


def _monitor(store: Any, settings: Any, caller: Caller, tmp: Path) -> str:
    from pharmakon.datasets import load
    from pharmakon.process import service
    from pharmakon.specs import build_spec

    normal = tmp / "tep_d00_train_normal.csv"
    load("tep_braatz", "train_normal", settings=settings).to_csv(normal, index=False)
    fit = service.fit_monitor(store, build_spec(service.FitSpec, data=normal, name=SEED_MONITOR), caller)
    test = load("tep_braatz", "test", settings=settings)
    run = test[test["fault"] == SEED_FAULT].drop(columns=["faulty"]).to_dict("records")
    onsets = 0
    for start in range(0, len(run), 120):  # as a line would post it: 120 samples (6 h) at a time
        spec = service.SamplesSpec(name=SEED_MONITOR, samples=run[start : start + 120], restart=start == 0)
        onsets += len(service.feed_samples(store, spec, caller).alarms)
    service.save_snapshot(store, SEED_MONITOR, caller)
    return (
        f"monitor {SEED_MONITOR} ({fit.method}) fed TEP fault {SEED_FAULT}: {len(run)} samples, {onsets} alarm onset(s)"
    )


def _softsensor(store: Any, caller: Caller, tmp: Path) -> str:
    from chemotools.datasets import load_fermentation_train

    from pharmakon.process import service_models as sm

    spectra, reference = load_fermentation_train()
    spectra.to_csv(tmp / "fermentation_spectra.csv", index=False)
    reference.to_csv(tmp / "fermentation_glucose.csv", index=False)
    spec = sm.SoftSensorFitSpec(
        spectra=tmp / "fermentation_spectra.csv", reference=tmp / "fermentation_glucose.csv", name=SEED_SOFTSENSOR
    )
    fit = sm.softsensor_fit(store, spec, caller)
    return f"soft sensor {fit.name} ({fit.best.get('model')})"


def seed_example(store: Any, settings: Any) -> str:
    """Fit the recommended monitor on TEP normal data and feed it run IDV(1); a glucose soft sensor; the twin."""
    from pharmakon.process import service_models as sm

    caller = Caller("seed", "python")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        parts = [_monitor(store, settings, caller, tmp), _softsensor(store, caller, tmp)]
    twin = sm.twin_fit(store, sm.TwinFitSpec(), caller)
    parts.append(f"twin {twin.name} (held-out RMSE {twin.holdout['twin_rmse']:.1f} nm)")
    return "; ".join(parts)
