"""The ADMET screening profile: fingerprint-only endpoint models beside the exact panel.

Tiny endpoints (a few hundred mirror molecules) and fixed work (``trials=0``), so nothing
depends on the machine's speed.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pharmakon.chem.admet import ENDPOINTS, PROFILES, endpoint_frame, model_prefix, train_endpoint
from pharmakon.chem.panel_io import predict_chunk, read_molecules
from pharmakon.errors import InputError
from tests.conftest import MIRROR

pytestmark = pytest.mark.skipif(not MIRROR.exists(), reason="needs the data mirror")


def test_profiles_have_their_own_registry_names() -> None:
    assert model_prefix() == "admet." and model_prefix("screen") == "admet-screen."
    assert set(PROFILES) == {"full", "screen"}
    with pytest.raises(InputError, match="profile must be one of"):
        model_prefix("fast")


def test_screen_train_and_predict_through_the_cli(mirror, cli, pharmakon_home, tmp_path) -> None:
    args = ("admet", "train", "-e", "biogen_hlm,bbbp", "--trials", "0", "--max-rows", "250")
    res = cli(*args, "--profile", "screen", "--json")
    assert res.exit_code == 0, res.stderr
    trained = json.loads(res.stdout)
    assert [t["model"] for t in trained] == ["admet-screen.biogen_hlm", "admet-screen.bbbp"]
    assert {t["best"] for t in trained} <= {"ridge", "logistic", "lightgbm"}

    smiles = endpoint_frame(ENDPOINTS["esol"])["smiles"].head(30).tolist()
    inp = tmp_path / "in.csv"
    pd.DataFrame({"smiles": [*smiles, "C1CC("]}).to_csv(inp, index=False)
    # no full panel yet: the full profile says what to run, the screen profile works
    res = cli("admet", "predict", str(inp), "-o", str(tmp_path / "full.csv"), "--backend", "serial")
    assert res.exit_code != 0 and "not registered" in res.stderr and "admet train" in res.stderr
    out = tmp_path / "screen.csv"
    res = cli("admet", "predict", str(inp), "-o", str(out), "--profile", "screen", "--backend", "serial", "--json")
    assert res.exit_code == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["models"] == {"biogen_hlm": "admet-screen.biogen_hlm@1", "bbbp": "admet-screen.bbbp@1"}
    table = pd.read_csv(out)
    assert len(table) == 31 and table["status"].iloc[-1].startswith("invalid")
    lo, mid, hi = (table[c].iloc[:30] for c in ("biogen_hlm_lower", "biogen_hlm", "biogen_hlm_upper"))
    assert (lo < mid).all() and (mid < hi).all()  # conformal intervals kept
    assert table["bbbp_p1"].iloc[:30].between(0, 1).all() and "bbbp_in_domain" in table  # domain flag kept
    assert "pains_count" not in table  # alerts on demand in the screening profile
    res = cli("admet", "predict", str(inp), "-o", str(out), "--profile", "screen", "--alerts", "--backend", "serial")
    assert res.exit_code == 0 and "pains_count" in pd.read_csv(out)

    from pharmakon.store import list_events, open_store

    with open_store().read_session() as session:
        events, _ = list_events(session, action="admet.predict")
    assert events[0].object_id == "admet-screen.panel" and events[0].params["profile"] == "screen"


def test_bad_profile_is_a_usage_error(cli, pharmakon_home, tmp_path) -> None:
    res = cli("admet", "predict", str(tmp_path / "x.csv"), "-o", str(tmp_path / "o.csv"), "--profile", "fast")
    assert res.exit_code != 0 and "profile" in res.stderr


@pytest.mark.parametrize("endpoint", ["biogen_solubility", "bbbp"])
def test_screen_models_keep_conformal_coverage_on_held_out_molecules(mirror, tmp_path, endpoint: str) -> None:
    """1 - alpha coverage (0.9) on held-out molecules exchangeable with the training data, within binomial error."""
    frame = endpoint_frame(ENDPOINTS[endpoint], max_rows=900, seed=3)
    train, test = frame.iloc[:600].reset_index(drop=True), frame.iloc[600:].reset_index(drop=True)
    model = train_endpoint(
        ENDPOINTS[endpoint], frame=train, trials=0, seed=0, featurizer="morgan", models=["ridge", "logistic"]
    )
    path = tmp_path / "held_out.csv"
    test[["smiles"]].to_csv(path, index=False)
    chunk = next(read_molecules(path, chunk_size=10_000))
    pred = predict_chunk({endpoint: model}, chunk, alerts=False)
    ok = pred["status"].eq("ok").to_numpy()
    y = test["y"].to_numpy()[ok]
    if model.task == "regression":
        covered = (pred[f"{endpoint}_lower"].to_numpy()[ok] <= y) & (y <= pred[f"{endpoint}_upper"].to_numpy()[ok])
    else:
        sets = pred[f"{endpoint}_set"].astype(str).to_numpy()[ok]
        covered = np.array([str(label) in s for label, s in zip(y, sets, strict=True)])
    n = covered.size
    assert n > 250
    assert abs(covered.mean() - 0.9) < 3.5 * np.sqrt(0.09 / n) + 0.02, covered.mean()
