"""The delivery services on the store (SQLite and PostgreSQL): results, stored objects, audit events."""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.nano.delivery.examples import seed_example
from pharmakon.nano.delivery.service import (
    AIPBPKSpec,
    DeliveryPredictSpec,
    FitSpec,
    Particle,
    SimulateRequest,
    SimulateSpec,
    ai_assisted_pbpk,
    fit_pbpk,
    predict_delivery,
    show_delivery_models,
    simulate_pbpk,
)
from pharmakon.store import Store, get_object, list_events

CALLER = Caller("tester", "python")
GOLD = Particle(Type="Inorganic", MAT="Gold", TS="Passive", CT="breast ", TM="XH", Shape="Spherical", Size=1.6, ZP=-10)


def _actions(store: Store, action: str) -> list:
    with store.read_session() as session:
        events, _ = list_events(session, action=action, newest_first=False, limit=100)
    return events


def test_simulate_saves_and_audits(store: Store) -> None:
    result = simulate_pbpk(store, SimulateSpec(spec="nanoparticle-mouse", subjects=5, hours=24, seed=2), CALLER)
    assert result.subjects == 5 and len(result.times) == 25
    assert result.max_mass_balance_error < 1e-6
    (event,) = _actions(store, "nano.pbpk.simulate")
    assert event.params["channel"] == "python" and event.params["subjects"] == 5
    assert event.object_id == "nanoparticle-mouse@1"
    with store.read_session() as session:
        saved = get_object(session, "pbpk_simulation", "nanoparticle-mouse")
    assert saved.content["percentiles"]["p50"]["liver"] == result.percentiles["p50"]["liver"]


def test_rest_request_refuses_server_paths() -> None:
    with pytest.raises(InputError, match="built-in"):
        SimulateRequest(spec="/etc/passwd").to_spec()


def test_fit_service_on_builtin(store: Store) -> None:
    obs = [
        {"time": t, "compartment": c, "concentration": v}
        for t, c, v in [(1, "plasma", 20.0), (4, "plasma", 15.0), (24, "plasma", 8.0), (24, "liver", 2.5)]
    ]
    spec = FitSpec(model=None, spec="nanoparticle-mouse", observations=obs, parameters=["plasma.volume"])
    result = fit_pbpk(store, spec, CALLER)
    assert result.estimates["plasma.volume"] > 0 and result.standard_errors["plasma.volume"] is not None
    assert result.gof_png and len(result.fit) == 4
    assert len(_actions(store, "nano.pbpk.fit")) == 1


@pytest.mark.slow
@pytest.mark.usefixtures("mirror")
def test_seed_example_then_predict_and_ai_pbpk(sqlite_store: Store) -> None:
    """The seed trains the QSAR deterministically; prediction and the AI-assisted loop use it."""
    store = sqlite_store
    text = seed_example(store, None)
    assert "nanoparticle-mouse" in text and "nano-delivery v1" in text
    card = show_delivery_models(store)
    assert set(card.models) == {"DE_24", "DE_168", "DE_Max"}
    assert card.qc["categories_merged"]["CT"] == {"Skin ": "Skin", "skin": "Skin"}
    assert card.qc["zp_missing"] == 36
    assert set(card.importance["DE_24"]) >= {"Size", "ZP", "MAT", "ZP_missing"}
    assert "Breast" in card.vocabulary["CT"]
    assert all(np.isfinite(card.cv_metrics[t]["r2"]) for t in card.models)
    unseen = Particle(
        Type="Inorganic", MAT="Unobtainium", TS="Passive", CT="Bone", TM="XH", Shape="Spherical", Size=1.6
    )
    pred = predict_delivery(store, DeliveryPredictSpec(particles=[GOLD, unseen]), CALLER)
    known, new = pred.rows
    assert known["CT"] == "Breast" and known["unseen_categories"] == ""
    assert new["in_domain"] is False and new["unseen_categories"] == "MAT=Unobtainium; CT=Bone"
    for row in pred.rows:  # intervals around the point, in %ID
        for t in ("DE_24", "DE_168", "DE_Max"):
            assert 0 < row[f"{t}_lower"] <= row[t] <= row[f"{t}_upper"]
    assert _actions(store, "nano.delivery.predict")[0].params["in_domain"] == pred.in_domain
    ai = ai_assisted_pbpk(store, AIPBPKSpec(particle=GOLD, subjects=10, hours=168, seed=1), CALLER)
    t24 = ai.times.index(24.0)
    # the fitted tumour parameters reproduce the QSAR's DE_24 for the point scenario
    assert ai.achieved["point"]["DE_24"] == pytest.approx(ai.prediction["DE_24"], rel=0.05)
    assert ai.band_low["tumor"][t24] <= ai.median["tumor"][t24] <= ai.band_high["tumor"][t24]
    assert ai.qsar_low["tumor"][t24] < ai.qsar_high["tumor"][t24]
    assert ai.max_mass_balance_error < 1e-6
    assert len(_actions(store, "nano.delivery.ai_pbpk")) == 1
    # the same loop from the workbench's particle form: a never-seen category is flagged, not an error
    client, home, csrf = _web_client(store)
    assert 'data-testid="delivery-card"' in home.text and "nano-delivery-DE_24" in home.text
    form = {"Type": "Inorganic", "MAT": "Gold", "TS": "Passive", "CT": "Bone", "TM": "XH", "Shape": "Spherical",
            "Size": "1.6", "ZP": "", "subjects": "5", "csrf": csrf}  # fmt: skip
    page = client.post("/nano/delivery/ai-pbpk", data=form)
    assert page.status_code == 200, page.text
    assert 'data-testid="ai-curves"' in page.text and "<svg" in page.text
    assert 'data-testid="ai-out-of-domain"' in page.text and "CT=Bone" in page.text
    web_event = _actions(store, "nano.delivery.ai_pbpk")[-1]
    assert web_event.params["channel"] == "web" and web_event.params["in_domain"] is False
    bad = client.post("/nano/delivery/ai-pbpk", data=form | {"Size": "9"})
    assert 'data-testid="nano-delivery-error"' in bad.text and "Size" in bad.text


def _web_client(store: Store):
    """A logged-in workbench client (scientist) and its CSRF token."""
    import re

    from fastapi.testclient import TestClient

    from pharmakon.server import create_app
    from pharmakon.store import create_user

    with store.session() as session:
        create_user(session, username="wes", password="wes-password", role="scientist", actor="test")
    client = TestClient(create_app())
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "wes", "password": "wes-password", "csrf": csrf, "next": "/"})
    home = client.get("/nano/delivery")
    return client, home, re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)
