"""The ``pharmabench`` feature block: auxiliary ADMET models fitted on public PharmaBench rows."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy.stats import pearsonr

from pharmakon.chem import make_featurizer
from pharmakon.chem.admet import ENDPOINTS
from pharmakon.chem.transfer import (
    AUXILIARY_ENDPOINTS,
    auxiliary_bundle,
    data_key,
    fit_bundle,
    input_featurizer,
    overlap_warning,
    training_frames,
)

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "not a smiles", "CCN(CC)CC"]


@pytest.fixture(scope="module")
def bundle():
    return auxiliary_bundle()


def test_block_is_the_auxiliary_models_prediction_whatever_else_is_computed(bundle):
    expected = bundle.predict(input_featurizer().transform([s for s in SMILES if s != "not a smiles"]))
    for spec in ("erg+pharmabench", "morgan+rdkit2d+erg+pharmabench"):  # inputs computed / sliced from the row
        f = make_featurizer(spec).fit(SMILES)
        X = f.transform(SMILES)
        block = X[:, [f.feature_names_.index(f"pharmabench:{n}") for n in AUXILIARY_ENDPOINTS]]
        assert np.isnan(block[3]).all()
        np.testing.assert_allclose(np.delete(block, 3, axis=0), expected, rtol=1e-12)
    assert expected.shape == (4, 6) and np.isfinite(expected).all()
    logd = expected[:, list(AUXILIARY_ENDPOINTS).index("logd")]
    assert logd[1] > logd[0]  # phenol is more lipophilic than ethanol


def test_auxiliary_models_generalise_to_pharmabench_scaffold_test_rows(bundle):
    """They are fitted on scaffold-train rows only, so the held-out rows measure them."""
    from pharmakon.datasets import load

    endpoint = ENDPOINTS["pb_logd"]
    raw = load(endpoint.dataset, endpoint.table)
    test = raw[raw["scaffold_train_test_label"].astype(str).str.strip().eq("test")].head(600)
    pred = bundle.predict(input_featurizer().transform(test[endpoint.smiles_col].tolist()))[:, 0]
    r = pearsonr(pred, test[endpoint.target].to_numpy(float))[0]
    assert r > 0.6, r


def test_the_shipped_models_are_what_the_mirror_and_these_settings_fit(bundle):
    """Provenance: the shipped file was fitted on the mirror's current rows, and a refit reproduces it."""
    frames = training_frames()
    assert bundle.key == data_key(frames)
    refit = fit_bundle(frames)
    molecules = [s for s in SMILES if s != "not a smiles"]
    inputs = input_featurizer().transform(molecules)
    np.testing.assert_allclose(refit.predict(inputs), bundle.predict(inputs), rtol=1e-9)
    assert refit.training_inchikeys == bundle.training_inchikeys


def test_the_block_needs_no_data_and_travels_inside_a_pickled_featurizer(monkeypatch, tmp_path):
    from pharmakon.config import get_settings

    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(tmp_path / "no-mirror"))
    monkeypatch.setenv("PHARMAKON_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        f = make_featurizer("erg+pharmabench").fit(SMILES)
        restored = pickle.loads(pickle.dumps(f))
        np.testing.assert_array_equal(restored.transform(SMILES), f.transform(SMILES))
    finally:
        get_settings.cache_clear()


def test_training_on_the_auxiliary_models_own_molecules_is_flagged(bundle):
    endpoint = ENDPOINTS["pb_logd"]
    from pharmakon.chem.admet import endpoint_frame

    public = endpoint_frame(endpoint).head(200)["smiles"].tolist()
    note = overlap_warning(public, bundle)
    assert note is not None and "200 of 200 distinct training molecules (100%)" in note
    assert overlap_warning(["CC1=CC(=O)N(c2ccccc2)N1C" + "C" * k for k in range(1, 30)], bundle) is None
    f = make_featurizer("erg+pharmabench").fit(public)
    assert f.training_notes(public) == [note]
    assert make_featurizer("erg").fit(public).training_notes(public) == []


def test_model_training_reports_the_overlap_as_a_qc_warning(bundle):
    from pharmakon.chem.admet import endpoint_frame
    from pharmakon.core import train_model

    frame = endpoint_frame(ENDPOINTS["pb_logd"]).head(60)
    model = train_model(
        frame, "y", smiles_col="smiles", featurizer=make_featurizer("erg+pharmabench"), trials=0, models=["ridge"]
    )
    assert any("also trained the pharmabench feature block" in w for w in model.qc["warnings"])


def test_uncached_molecules_are_featurized_in_batches_with_the_same_vectors(monkeypatch):
    import pharmakon.chem.featurizers as featurizers

    monkeypatch.setattr(featurizers, "MISS_BATCH", 2)
    smiles = [*SMILES, "CCO", "OCC", "c1ccccc1O"]  # repeats (one spelled another way) and an invalid row
    batched = make_featurizer("morgan+rdkit2d+pharmabench", n_bits=64).fit().transform(smiles)
    one_by_one = np.vstack(
        [make_featurizer("morgan+rdkit2d+pharmabench", n_bits=64).fit().transform([s]) for s in smiles]
    )
    np.testing.assert_array_equal(batched, one_by_one)
    assert np.isnan(batched[3]).all() and np.array_equal(batched[5], batched[0])
