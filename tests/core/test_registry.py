"""Registry on the versioned object store (SQLite and PostgreSQL), audit events, version checks."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pandas as pd
import pytest

from pharmakon.core import (
    ModelCompatibilityError,
    check_versions,
    list_models,
    load_model,
    model_aliases,
    model_card_html,
    promote_model,
    register_model,
)
from pharmakon.errors import NotFoundError, StoreError
from pharmakon.store import list_events

INPUT = pd.DataFrame({"smiles": ["CCCO", "CCCCCCCl", "bad(", "c1ccccc1CCO"]})


def test_register_load_alias_and_audit(store, mol_model):
    with store.session() as session:
        v1 = register_model(session, mol_model, name="mols", actor="alice", alias="staging", reason="first")
        v2 = register_model(session, mol_model, name="mols", actor="alice")
        promote_model(session, name="mols", version=1, alias="production", actor="admin")
    assert (v1.version, v2.version) == (1, 2)
    with store.read_session() as session:
        loaded = load_model(session, "mols", "production")
        newest = load_model(session, "mols")
        assert model_aliases(session, "mols") == {"staging": 1, "production": 1}
        [summary] = list_models(session)
        html = model_card_html(session, "mols", 1)
        events, _ = list_events(session, limit=100)
    assert loaded.registry["version"] == 1 and newest.registry["version"] == 2
    pd.testing.assert_frame_equal(loaded.predict(INPUT).table, mol_model.predict(INPUT).table)
    c = summary.content
    assert c["data_sha256"] == mol_model.data_hash and c["seed"] == 0 and "scikit-learn" in c["library_versions"]
    assert c["qc"]["n_rows_out"] > 0 and c["best"]["model"] in ("ridge", "lightgbm", "rf")
    assert c["featurizer"]["version"] == "1"
    assert html.count("<img") == 2 and "predicted vs observed" in html and "Leaderboard" in html
    actions = [e.action for e in events]
    for step in (
        "model.data",
        "model.qc",
        "model.featurize",
        "model.select",
        "model.calibrate",
        "object.save",
        "object.alias",
    ):
        assert step in actions
    assert any(e.object_id == "mols@1" and e.action == "model.qc" for e in events)


def test_not_found_and_corrupt_artifact(store, mol_model):
    from pharmakon.store.objects import artifact_path

    with store.session() as session:
        saved = register_model(session, mol_model, name="fragile", actor="t")
    with store.read_session() as session, pytest.raises(NotFoundError):
        load_model(session, "nope")
    path = artifact_path(saved.artifacts["model.joblib"])
    path.write_bytes(b"garbage")
    with store.read_session() as session, pytest.raises(StoreError, match="corrupt"):
        load_model(session, "fragile")


def test_version_mismatch_fails_or_warns(store, mol_model, monkeypatch):
    from pharmakon.core import lifecycle

    with store.session() as session:
        register_model(session, mol_model, name="old", actor="t")
    real = lifecycle.library_versions()
    major, minor, *_ = real["scikit-learn"].split(".")
    monkeypatch.setattr(lifecycle, "library_versions", lambda: {**real, "scikit-learn": f"{major}.{int(minor) + 1}.0"})
    with store.read_session() as session, pytest.raises(ModelCompatibilityError) as err:
        load_model(session, "old")
    assert f"scikit-learn {real['scikit-learn']}" in str(err.value) and f"{major}.{int(minor) + 1}.0" in str(err.value)
    monkeypatch.setattr(lifecycle, "library_versions", lambda: {**real, "rdkit": "1999.01.1"})
    with store.read_session() as session, pytest.warns(UserWarning, match="rdkit"):
        load_model(session, "old")
    current = SimpleNamespace(version="1", version_="1")  # a featurizer: computes version 1 now
    with pytest.raises(ModelCompatibilityError, match="featurizer version 0 .*computes version 1"):
        check_versions({}, what="model x", featurizer_version="0", featurizer=current)
    monkeypatch.setattr(lifecycle, "library_versions", lambda: real)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_versions(real, what="model x") == []  # same versions: silent
        assert check_versions(real, what="model x", featurizer_version="1", featurizer=current) == []


@pytest.mark.parametrize("difficulty", [True, False])
def test_model_card_plots_the_interval_of_each_novelty_bin(difficulty):
    import base64
    from types import SimpleNamespace

    import numpy as np

    from pharmakon.core.modelcard import card_plots
    from pharmakon.core.uncertainty import ConformalRegressor

    rng = np.random.default_rng(0)
    novelty = rng.random(1000)
    y, p = rng.normal(size=1000), rng.normal(size=1000) * (0.5 + novelty)  # errors grow with novelty
    conformal = ConformalRegressor().fit(y, p, novelty if difficulty else None)
    model = SimpleNamespace(task="regression", target="y", oof_y=y, oof_pred=p, conformal=conformal)
    plots = card_plots(model)
    assert ("interval_by_novelty" in plots) is difficulty
    assert len(conformal.bins()) == (5 if difficulty else 1)  # 1,000 rows, >= 200 per bin
    assert all(base64.b64decode(png).startswith(b"\x89PNG") for png in plots.values())


def test_cached_load_reuses_the_object_until_version_or_file_changes(store, mol_model):
    import os

    from pharmakon.core import registry
    from pharmakon.store.objects import artifact_path

    registry.clear_model_cache()
    with store.session() as session:
        saved = register_model(session, mol_model, name="served", actor="t", alias="production")
    with store.read_session() as session:
        first = load_model(session, "served", "production", cache=True)
        again = load_model(session, "served", "production", cache=True)
        plain = load_model(session, "served", "production")
    assert again is first and plain is not first  # only cache=True shares objects
    pd.testing.assert_frame_equal(first.predict(INPUT).table, plain.predict(INPUT).table)
    with store.session() as session:  # a new version behind the same alias: a new object
        register_model(session, mol_model, name="served", actor="t")
        promote_model(session, name="served", version=2, alias="production", actor="t")
    with store.read_session() as session:
        moved = load_model(session, "served", "production", cache=True)
    assert moved is not first and moved.registry["version"] == 2
    path = artifact_path(saved.artifacts["model.joblib"])
    path.write_bytes(b"garbage")  # a touched file is read (and verified) again, not served from memory
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))
    with store.read_session() as session, pytest.raises(StoreError, match="corrupt"):
        load_model(session, "served", 1, cache=True)
    registry.clear_model_cache()


def test_cache_keeps_at_most_its_byte_budget(store, mol_model, monkeypatch):
    from pharmakon.core import registry

    registry.clear_model_cache()
    with store.session() as session:
        for name in ("a", "b", "c"):
            register_model(session, mol_model, name=name, actor="t")
    with store.read_session() as session:
        sizes = [
            registry._artifact_stat(registry.get_object(session, "model", n).artifacts["model.joblib"])[1]
            for n in ("a", "b", "c")
        ]
        monkeypatch.setattr(registry, "_cache_limit", lambda: sum(sizes) - 1)  # not room for all three
        a = load_model(session, "a", cache=True)
        load_model(session, "b", cache=True)
        load_model(session, "c", cache=True)  # evicts "a", the least recently used
        assert len(registry._CACHE) == 2 and load_model(session, "a", cache=True) is not a
        monkeypatch.setattr(registry, "_cache_limit", lambda: 0)  # PHARMAKON_MODEL_CACHE_MB=0: nothing kept
        registry.clear_model_cache()
        assert load_model(session, "b", cache=True) is not load_model(session, "b", cache=True)
    registry.clear_model_cache()


def test_featurizer_version_travels_with_the_artifact(store, mol_model, monkeypatch):
    """The registry asks the unpickled featurizer which version it computes; another one refuses to load."""
    from pharmakon.chem import SmilesFeaturizer
    from pharmakon.core import registry

    registry.clear_model_cache()
    with store.session() as session:
        register_model(session, mol_model, name="feat", actor="t")
    monkeypatch.setattr(SmilesFeaturizer, "version", "2")  # as if the featurizer's code had changed
    for cache in (False, True):
        with store.read_session() as session, pytest.raises(ModelCompatibilityError) as err:
            load_model(session, "feat", cache=cache)
        assert "featurizer version 1 (SmilesFeaturizer)" in str(err.value) and "computes version 2" in str(err.value)
    monkeypatch.setattr(SmilesFeaturizer, "version", "1")
    metadata = registry.model_metadata

    def without_version(model, *, name):  # an older record: no featurizer version in the metadata
        return {**metadata(model, name=name), "featurizer": {"class": "SmilesFeaturizer"}}

    monkeypatch.setattr(registry, "model_metadata", without_version)
    with store.session() as session:
        register_model(session, mol_model, name="old-record", actor="t")
    with store.read_session() as session:  # the artifact's own record (the fitted featurizer's version_) is used
        loaded = load_model(session, "old-record")
    assert loaded.featurizer.version_ == "1" and loaded.registry["artifact_bytes"] > 0
    monkeypatch.setattr(SmilesFeaturizer, "version", "2")
    with store.read_session() as session, pytest.raises(ModelCompatibilityError, match="featurizer version 1"):
        load_model(session, "old-record")
    registry.clear_model_cache()
