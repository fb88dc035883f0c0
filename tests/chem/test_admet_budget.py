"""An ADMET endpoint's budget and fixed work, checked with a fake clock (no machine-speed assertions)."""

from __future__ import annotations

import time
import types

import pandas as pd
import pytest

from pharmakon.chem import admet
from pharmakon.core import lifecycle, selection
from pharmakon.errors import InputError

FRAME = pd.DataFrame({"smiles": ["C" * k + end for end in ("O", "N", "Cl") for k in range(1, 11)]})
FRAME["y"] = [i % 2 for i in range(len(FRAME))]


class _Clock:
    """``time`` for one module: the real clock plus seconds the test says have passed."""

    def __init__(self) -> None:
        self.offset = 0.0

    def module(self) -> types.SimpleNamespace:
        return types.SimpleNamespace(
            monotonic=lambda: time.monotonic() + self.offset, strftime=time.strftime, gmtime=time.gmtime
        )


@pytest.fixture
def spy_selection(monkeypatch) -> dict:
    """Record what selection is asked for, then stop the run (no model is trained)."""
    seen: dict = {}

    def spy(*args, **kwargs):
        seen.update(kwargs)
        raise InputError("stopped by the test")

    monkeypatch.setattr(selection, "select_model", spy)
    return seen


def test_the_endpoint_clock_starts_before_its_data_is_loaded(monkeypatch, spy_selection) -> None:
    """Loading (and grouping, featurizing) the data counts against ``--budget``: it was overshot by that work."""
    clock = _Clock()
    monkeypatch.setattr(admet, "time", clock.module())
    monkeypatch.setattr(lifecycle, "time", clock.module())

    def slow_load(endpoint, **kwargs):
        clock.offset += 990.0  # loading the data "takes" 990 s of a 1000 s budget
        return FRAME

    monkeypatch.setattr(admet, "endpoint_frame", slow_load)
    with pytest.raises(InputError, match="stopped by the test"):
        admet.train_endpoint(admet.ENDPOINTS["bbbp"], budget_s=1000, featurizer="morgan", models=["logistic"])
    # Selection gets what is left of the 1000 s (10 s less featurization; at least 1 s), not a fresh 1000 s.
    assert 1.0 <= spy_selection["budget_s"] <= 10.0 and spy_selection["trials"] is None


def test_fixed_trials_reach_selection_from_the_cli(cli, pharmakon_home, monkeypatch, spy_selection) -> None:
    monkeypatch.setattr(admet, "endpoint_frame", lambda endpoint, **kwargs: FRAME)
    r = cli("admet", "train", "-e", "bbbp", "--trials", "2", "--models", "logistic", "--featurizer", "morgan")
    assert r.exit_code == 2 and "stopped by the test" in r.stderr
    assert spy_selection["trials"] == 2
    r = cli("admet", "train", "-e", "bbbp", "--trials", "-1")
    assert r.exit_code == 2 and "field 'trials'" in r.stderr


def test_panel_spec_passes_fixed_trials(store, monkeypatch, spy_selection) -> None:
    from pharmakon.caller import Caller
    from pharmakon.chem.service import PanelTrainSpec, train_endpoints

    monkeypatch.setattr(admet, "endpoint_frame", lambda endpoint, **kwargs: FRAME)
    spec = PanelTrainSpec(endpoints=["bbbp"], trials=0, models=["logistic"], featurizer="morgan")
    with pytest.raises(InputError, match="stopped by the test"):
        train_endpoints(store, spec, Caller(actor="t", channel="python"))
    assert spy_selection["trials"] == 0
