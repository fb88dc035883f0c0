"""The seeded worked example, and the soft-sensor and twin services it runs (SQLite store)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.caller import Caller
from pharmakon.config import get_settings
from pharmakon.errors import InputError
from pharmakon.process import service, service_models
from pharmakon.process.examples import SEED_MONITOR, SEED_SOFTSENSOR, seed_example
from pharmakon.store import list_events, open_store
from tests.conftest import MIRROR


@pytest.mark.slow
def test_seed_example_is_deterministic_and_complete(pharmakon_home, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()
    if not (MIRROR / "tep_braatz").exists():
        pytest.skip("data mirror not available")
    store = open_store()
    text = seed_example(store, get_settings())
    assert "fed TEP fault 1: 960 samples" in text and "soft sensor" in text and "twin" in text
    view = service.monitor_view(store, SEED_MONITOR)
    assert view.source == "live" and len(view.records) == 960 and view.alarms
    alarm = np.array([r["alarm"] for r in view.records])
    assert alarm[160:].mean() > 0.95 and alarm[:160].mean() < 0.1  # IDV(1) starts after sample 160
    assert alarm[160:175].any()
    with store.read_session() as session:
        actions = {e.action for e in list_events(session, limit=1000)[0]}
    assert {"process.fit", "process.samples", "process.alarm", "process.softsensor.fit", "process.twin.fit"} <= actions
    assert {"model.train"} & actions or any(a.startswith("model.") for a in actions)
    # the soft sensor predicts with intervals; another wavelength grid is refused naming the file
    from chemotools.datasets import load_fermentation_test

    spectra, _ = load_fermentation_test()
    spectra.iloc[:50].to_csv(tmp_path / "online.csv", index=False)
    spec = service_models.SoftSensorPredictSpec(
        name=SEED_SOFTSENSOR, spectra=tmp_path / "online.csv", out=tmp_path / "p.csv"
    )
    res = service_models.softsensor_predict(store, spec, Caller("ann"))
    out = pd.read_csv(tmp_path / "p.csv")
    assert res.predicted == 50 and list(out.columns)[:4] == ["row", "prediction", "pred_lower", "pred_upper"]
    assert (out["pred_lower"] <= out["prediction"]).all() and (out["prediction"] <= out["pred_upper"]).all()
    spectra.iloc[:5, :200].to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(InputError, match="short.csv.*wavelength grid"):
        service_models.softsensor_predict(
            store, spec.model_copy(update={"spectra": tmp_path / "short.csv", "out": tmp_path / "q.csv"}), Caller("ann")
        )
    assert not (tmp_path / "q.csv").exists()
    # the twin: what-if and the closed loop after a drift
    w = service_models.twin_whatif(store, service_models.WhatIfSpec(pp_l=0.5, pp_nh2=0.5, ratio=0.2))
    assert 50 < w.twin_nm < 200 and w.hybrid_nm is not None and not w.extrapolation
    c = service_models.twin_correct(
        store,
        service_models.CorrectSpec(
            pp_l=0.5, pp_nh2=0.5, ratio=0.2, target_nm=w.hybrid_nm, observed_nm=[w.hybrid_nm * 1.1]
        ),
    )
    assert c.drift_log == pytest.approx(np.log(1.1)) and c.in_spec and c.proposed_ratio != 0.2
    with pytest.raises(InputError, match="sum to 1"):
        service_models.twin_whatif(store, service_models.WhatIfSpec(pp_l=0.5, ratio=0.2))
