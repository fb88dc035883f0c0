"""The ADMET screening profile: fingerprint-only endpoint models beside the exact panel.

Tiny endpoints (a few hundred mirror molecules) and fixed work (``trials=0``), so nothing
depends on the machine's speed. The screening fast path (:class:`~pharmakon.chem.screen.ScreenPanel`)
is checked against the general panel (:class:`~pharmakon.chem.panel_io.Panel`, which calls
each model's own ``predict_rows``) on the same models and molecules.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pharmakon.chem.admet import ENDPOINTS, PROFILES, endpoint_frame, model_prefix, train_endpoint
from pharmakon.chem.panel_io import Panel, make_panel, predict_chunk, read_molecules, smiles_frame
from pharmakon.chem.screen import ScreenPanel, screen_supported
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

    from pharmakon.caller import Caller
    from pharmakon.chem.service import PanelPredictSpec, predict_molecules
    from pharmakon.store import list_events, open_store

    # the in-memory route (REST, workbench) gives the file's bytes, and the same audited hashes
    spec = PanelPredictSpec(smiles=[*smiles, "C1CC("], ids=[str(k) for k in range(1, 32)], profile="screen")
    in_memory = predict_molecules(open_store(), spec, Caller("ana", "python"))
    assert in_memory.to_frame().to_csv(index=False, lineterminator="\n") == out.read_text()
    with open_store().read_session() as session:
        events, _ = list_events(session, action="admet.predict")
    assert events[0].object_id == "admet-screen.panel" and events[0].params["profile"] == "screen"
    assert events[0].outputs == events[1].outputs and events[0].inputs == events[1].inputs


def test_bad_profile_is_a_usage_error(cli, pharmakon_home, tmp_path) -> None:
    res = cli("admet", "predict", str(tmp_path / "x.csv"), "-o", str(tmp_path / "o.csv"), "--profile", "fast")
    assert res.exit_code != 0 and "profile" in res.stderr


@pytest.mark.parametrize("profile", ["screen", "full"])
@pytest.mark.parametrize("endpoint", ["biogen_solubility", "bbbp"])
def test_screen_models_keep_conformal_coverage_on_held_out_molecules(
    mirror, tmp_path, endpoint: str, profile: str
) -> None:
    """1 - alpha coverage (0.9) on held-out molecules exchangeable with the training data, within binomial error."""
    frame = endpoint_frame(ENDPOINTS[endpoint], max_rows=900, seed=3)
    train, test = frame.iloc[:600].reset_index(drop=True), frame.iloc[600:].reset_index(drop=True)
    model = train_endpoint(
        ENDPOINTS[endpoint], frame=train, trials=0, seed=0, featurizer="morgan", models=["ridge", "logistic"]
    )
    path = tmp_path / "held_out.csv"
    test[["smiles"]].to_csv(path, index=False)
    chunk = next(read_molecules(path, chunk_size=10_000))
    pred = predict_chunk({endpoint: model}, chunk, alerts=False, profile=profile)  # screen: the fast path
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


def _mirror_frame(file: str, target: str, n: int, seed: int, smiles: str = "smiles") -> pd.DataFrame:
    raw = pd.read_csv(MIRROR / "moleculenet" / file)[[smiles, target]].dropna()
    raw = raw.sample(n=n, random_state=seed).reset_index(drop=True)
    return pd.DataFrame({"smiles": raw[smiles], "y": raw[target]})


@pytest.fixture(scope="module")
def screen_models() -> dict:
    """Four tiny screening models: ridge, logistic, and a LightGBM of each task (not linear: the general path)."""
    frames = {
        "esol": _mirror_frame("delaney.csv", "logp", 300, 1),
        "bbbp": _mirror_frame("bbbp.csv", "p_np", 300, 2),
    }
    out = {}
    for name, family in (("esol", "ridge"), ("bbbp", "logistic"), ("lipophilicity", "lightgbm"), ("bace", "lightgbm")):
        endpoint = ENDPOINTS[name]
        frame = frames.get(name)
        if frame is None:
            file, target, col = (
                ("lipo.csv", "lipo", "smiles") if name == "lipophilicity" else ("bace.csv", "Class", "mol")
            )
            frame = _mirror_frame(file, target, 300, 3, col)
        out[name] = train_endpoint(endpoint, frame=frame, trials=0, seed=0, featurizer="morgan", models=[family])
    return out


@pytest.fixture(scope="module")
def library() -> list[object]:
    """Mirror molecules of every kind (salts, charges, metals, screening compounds) plus unreadable inputs."""
    hiv = pd.read_csv(MIRROR / "moleculenet" / "hiv.csv")["smiles"].iloc[::400].tolist()
    clintox = pd.read_csv(MIRROR / "moleculenet" / "clintox.csv")["smiles"].iloc[::10].tolist()
    return [*hiv, *clintox, "C1CC(", "", None, "c1ccccc1" * 400, "[Na+].[Cl-]"]


def test_screen_panel_serves_screen_models_only(screen_models) -> None:
    assert screen_supported(screen_models)
    assert isinstance(make_panel(screen_models, "screen"), ScreenPanel)
    assert type(make_panel(screen_models, "full")) is Panel  # the full profile keeps the general path
    full = train_endpoint(
        ENDPOINTS["esol"],
        frame=_mirror_frame("delaney.csv", "logp", 120, 4),
        trials=0,
        featurizer="morgan+rdkit2d",
        models=["ridge"],
    )
    assert not screen_supported({"esol": full}) and type(make_panel({"esol": full}, "screen")) is Panel
    with pytest.raises(InputError, match="screening fast path"):
        ScreenPanel({"esol": full})


def test_screen_panel_equals_each_models_own_prediction(screen_models, library) -> None:
    """Same columns, same flags, sets and statuses; numbers equal to rounding (the linear product sums
    in another order than scikit-learn)."""
    fast = ScreenPanel(screen_models)
    families = {name: type(m.pipeline[-1]).__name__ for name, m in screen_models.items()}
    assert fast.linear.names == [n for n, f in families.items() if f in ("Ridge", "LogisticRegression")]
    assert len(fast.linear.names) < len(screen_models)  # a LightGBM (ensemble) takes the general path
    assert fast.domain.n_distinct < fast.domain.n_reference  # the tiny training sets overlap: deduplicated
    chunk = smiles_frame(library)
    want = Panel(screen_models).predict_chunk(chunk, alerts=True)
    got = fast.predict_chunk(chunk, alerts=True)
    assert list(got.columns) == list(want.columns)
    for col in want.columns:
        if want[col].dtype.kind == "f":
            np.testing.assert_allclose(got[col], want[col], rtol=1e-10, atol=1e-12, err_msg=col)
        else:
            assert got[col].equals(want[col]), col
    # exactly the unreadable, empty and too-long inputs are invalid (the salt is standardised to an ion: ok)
    assert got["status"].ne("ok").tolist() == [False] * (len(library) - 5) + [True] * 4 + [False]
    assert got["esol_in_domain"].any() and not got["esol_in_domain"].all()
    assert set(got["bbbp_set"]) - {""} <= {"0", "1", "0|1"} and got["bbbp_set"].nunique() > 1


def test_pooled_domain_scores_equal_each_domain(screen_models, library) -> None:
    from rdkit import Chem

    from pharmakon.chem.screen import morgan_counts
    from pharmakon.chem.standardize import standardize_mols

    mols = [m for m in standardize_mols(library)[1] if m is not None] + [Chem.MolFromSmiles("[H][H]")]
    X = morgan_counts(mols, radius=2, n_bits=2048)
    X.resize(X.shape[0] + 1, X.shape[1])  # and an empty fingerprint (similarity 0 to any non-empty one)
    pooled = ScreenPanel(screen_models).domain.scores(X.indices, X.indptr)
    assert pooled.shape == (len(mols) + 1, len(screen_models)) and (pooled[-1] == 0).all()
    for j, model in enumerate(screen_models.values()):
        assert np.array_equal(pooled[:, j], model.domain.score(X.toarray()))


def test_screen_panel_of_in_memory_smiles(screen_models) -> None:
    panel = make_panel(screen_models, "screen")
    table = panel.predict_smiles(["CCO", "not a smiles"], ids=["a", "b"], alerts=False)
    assert table["id"].tolist() == ["a", "b"] and table["status"].tolist()[0] == "ok"
    assert np.isnan(table["esol"].iloc[1]) and table["bbbp_set"].iloc[1] == "" and not table["esol_in_domain"].iloc[1]
    with pytest.raises(InputError, match="no molecules"):
        panel.predict_smiles([])
