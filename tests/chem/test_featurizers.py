from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from pharmakon import errors
from pharmakon.chem import DESCRIPTOR_NAMES, NotFittedError, SmilesFeaturizer, make_featurizer
from pharmakon.errors import InputError

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC"]


def test_shapes_and_names():
    f = SmilesFeaturizer(kinds=("morgan", "rdkit2d", "maccs"), n_bits=128).fit()
    X = f.transform(SMILES)
    assert X.shape == (4, 128 + len(DESCRIPTOR_NAMES) + 167) == (4, len(f))
    assert f.feature_names_[0] == "morgan:0" and f.feature_names_[128] == f"rdkit2d:{DESCRIPTOR_NAMES[0]}"
    assert len(f.fingerprint_columns_) == 128 + 167
    assert np.isfinite(X).all()


def test_morgan_counts_and_descriptors_match_rdkit():
    from rdkit import Chem
    from rdkit.Chem import Descriptors, rdFingerprintGenerator

    f = SmilesFeaturizer(kinds=("morgan", "rdkit2d"), n_bits=256).fit()
    x = f.transform(["CC(=O)Nc1ccc(O)cc1"])[0]
    mol = Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")
    ref = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=256).GetCountFingerprintAsNumPy(mol)
    assert np.array_equal(x[:256], ref)
    assert x[256 + DESCRIPTOR_NAMES.index("MolWt")] == pytest.approx(Descriptors.MolWt(mol))
    assert x[256 + DESCRIPTOR_NAMES.index("TPSA")] == pytest.approx(49.33, abs=0.01)  # paracetamol TPSA


def test_erg_block_is_rdkits_reduced_graph_fingerprint_after_the_descriptors():
    from rdkit import Chem
    from rdkit.Chem import rdReducedGraphs

    f = make_featurizer("morgan+rdkit2d+erg", n_bits=64).fit()
    x = f.transform(["CC(=O)Nc1ccc(O)cc1"])[0]
    ref = np.asarray(rdReducedGraphs.GetErGFingerprint(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")))
    start = 64 + len(DESCRIPTOR_NAMES)
    assert f.feature_names_[start] == "erg:0" and len(f) == start + len(ref)
    np.testing.assert_allclose(x[start:], ref)
    assert ref.sum() > 0  # paracetamol has donor/acceptor/aromatic pairs
    assert len(f.fingerprint_columns_) == 64  # the applicability domain's Tanimoto stays on Morgan bits


def test_model_train_computes_erg_and_the_pharmabench_block_by_default():
    from pharmakon.core.service import TrainSpec

    generic = make_featurizer(TrainSpec.model_fields["featurizer"].default).fit(SMILES)
    assert generic.blocks_ == ("morgan", "rdkit2d", "erg", "pharmabench")


def test_invalid_rows_are_nan_and_cached_by_canonical():
    f = SmilesFeaturizer(kinds=("morgan",), n_bits=64).fit()
    X = f.transform(["OCC", "xx", "CCO"])
    assert np.isnan(X[1]).all()
    assert np.array_equal(X[0], X[2])
    assert set(f._cache) == {"CCO"}
    assert "_cache" not in pickle.loads(pickle.dumps(f)).__dict__


def test_feature_cache_is_a_byte_bounded_lru(monkeypatch):
    from pharmakon.chem import featurizers

    monkeypatch.setattr(featurizers, "CACHE_BYTES", 2 * 64 * 8)  # room for two 64-wide vectors
    f = SmilesFeaturizer(kinds=("morgan",), n_bits=64).fit()
    first = f.transform(["CCO", "CCN"])
    f.transform(["CCO", "CCC"])  # CCN is the least recently used: it goes
    assert f._cache.keys() == ["CCO", "CCC"] and f._cache.nbytes == 2 * 64 * 8
    np.testing.assert_array_equal(f.transform(["CCO", "CCN"]), first)


def test_sklearn_contract():
    f = SmilesFeaturizer(n_bits=32)
    with pytest.raises(NotFittedError):
        f.transform(["CCO"])
    assert isinstance(NotFittedError("x"), ValueError) and isinstance(NotFittedError("x"), AttributeError)
    assert NotFittedError is errors.NotFittedError  # one NotFittedError, re-exported under the old name
    assert f.fit(["CCO"]) is f
    g = clone(f)
    assert g.get_params() == f.get_params() and not hasattr(g, "feature_names_")


@pytest.mark.parametrize(
    "params, field", [({"kinds": ("ecfp",)}, "kinds"), ({"n_bits": 8}, "n_bits"), ({"radius": 0}, "radius")]
)
def test_bad_parameters_name_the_parameter(params, field):
    with pytest.raises(InputError, match=field):
        SmilesFeaturizer(**params).fit()


def test_make_featurizer_aliases():
    assert make_featurizer("morgan+maccs").kinds == ("morgan", "maccs")
    with pytest.raises(InputError, match="rdkit2d"):
        make_featurizer("morgan+ecfp")


def test_bit_substructures_maps_bits_back():
    f = SmilesFeaturizer(kinds=("morgan",), n_bits=2048).fit()
    x = f.transform(["c1ccccc1O"])[0]
    frags = {s for col in np.flatnonzero(x) for s in f.bit_substructures(int(col), ["c1ccccc1O"])}
    assert "O" in frags or "o" in frags or any("O" in s for s in frags)
    assert any("c" in s for s in frags)


LIPIDS = [
    "CCCCCCCCCCCCN(C)CCCCCCCCCCCC",  # two C12 tails on a tertiary amine
    "CCCCCC/C=C\\CCCCCCCCN(C)C",  # one unsaturated tail
    "CCCCCCCCCCOC(=O)CCN(CCC(=O)OCCCCCCCCCC)CCN(C)C",
]
DRUGS = ["c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "CCO"]


def test_lipid_block_is_added_for_lipid_like_training_sets_only():
    from pharmakon.chem.lipids import LIPID_TABLE_COLUMNS, lipid_descriptor_table

    lipid = make_featurizer("morgan+rdkit2d", n_bits=64).fit(LIPIDS + DRUGS[:1])
    drug = make_featurizer("morgan+rdkit2d", n_bits=64).fit(DRUGS + LIPIDS[:1])
    assert lipid.blocks_ == ("morgan", "rdkit2d", "lipid") and drug.blocks_ == ("morgan", "rdkit2d")
    assert len(lipid) == len(drug) + len(LIPID_TABLE_COLUMNS)
    assert [n for n in lipid.feature_names_ if n.startswith("lipid:")][:2] == ["lipid:parsed", "lipid:is_lipid"]
    # the block holds exactly the lipid descriptor table's values, and never enters the Tanimoto domain
    X = lipid.transform(LIPIDS)
    np.testing.assert_allclose(X[:, -len(LIPID_TABLE_COLUMNS) :], lipid_descriptor_table(LIPIDS).to_numpy())
    assert not any(lipid.feature_names_[i].startswith(("lipid:", "rdkit2d:")) for i in lipid.fingerprint_columns_)
    # "never", no training molecules, or an explicit kind decide it without the test
    assert make_featurizer("morgan", n_bits=64, lipids="never").fit(LIPIDS).blocks_ == ("morgan",)
    assert make_featurizer("morgan", n_bits=64).fit().blocks_ == ("morgan",)
    assert make_featurizer("morgan+lipid", n_bits=64).fit(DRUGS).blocks_ == ("morgan", "lipid")
    with pytest.raises(InputError, match="lipids"):
        SmilesFeaturizer(lipids="always").fit(LIPIDS)


def test_a_model_pickled_before_the_lipid_block_still_predicts_the_same():
    f = make_featurizer("morgan+rdkit2d", n_bits=64).fit(DRUGS)
    state = f.__getstate__()
    del state["blocks_"], state["lipids"]  # what a featurizer saved by the previous release holds
    old = pickle.loads(pickle.dumps(f))
    old.__dict__.clear()
    old.__setstate__(state)
    np.testing.assert_array_equal(old.transform(DRUGS), f.transform(DRUGS))
    assert old.blocks_ == ("morgan", "rdkit2d") and "lipids='never'" in repr(old)


def test_the_model_card_names_the_blocks_a_lipid_model_computes():
    import pandas as pd

    from pharmakon.core import train_model
    from pharmakon.core.modelcard import render_model_card
    from pharmakon.core.registry import model_metadata

    tails = ["CCCCCC", "CCCCCCCC", "CCCCCCCCCC", "CCCCCCC/C=C\\CCCC"]
    smiles = [f"{a}N(C){b}" for a in tails for b in tails] + [f"{a}OC(=O)CCN(C)C" for a in tails]
    frame = pd.DataFrame({"smiles": smiles, "y": [len(s) / 10 for s in smiles]})
    featurizer = make_featurizer("morgan+rdkit2d", n_bits=64)
    model = train_model(
        frame, "y", task="regression", smiles_col="smiles", featurizer=featurizer, trials=0, models=["ridge"]
    )
    meta = model_metadata(model, name="lipids")
    assert meta["featurizer"]["blocks"] == "morgan+rdkit2d+lipid"
    assert "computing morgan+rdkit2d+lipid" in render_model_card(model, name="lipids", metadata=meta)
