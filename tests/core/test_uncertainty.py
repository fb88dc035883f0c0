from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from pharmakon.core import (
    ApplicabilityDomain,
    ConformalClassifier,
    ConformalRegressor,
    conformal_quantile,
    split_conformal_regression,
    tanimoto_max,
)
from pharmakon.errors import InputError


def test_conformal_quantile_definition():
    scores = np.arange(1.0, 20.0)  # n = 19: ceil(20 * 0.9) = 18th smallest
    assert conformal_quantile(scores, 0.1) == 18.0
    assert conformal_quantile([1.0, 2.0], 0.1) == np.inf  # too few scores for 90%
    with pytest.raises(InputError, match="alpha"):
        conformal_quantile(scores, 1.5)


@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_split_conformal_coverage_on_held_out_data(alpha):
    """Marginal coverage >= 1 - alpha, checked on 20 independent data sets of held-out rows."""
    covers = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(800, 3))
        y = X @ [1.0, -2.0, 0.5] + rng.standard_t(4, 800)  # heavy-tailed noise
        est, conf = split_conformal_regression(LinearRegression(), X[:400], y[:400], alpha=alpha, seed=seed)
        lo, hi = conf.interval(est.predict(X[400:]))
        covers.append(np.mean((y[400:] >= lo) & (y[400:] <= hi)))
    assert abs(np.mean(covers) - (1 - alpha)) < 0.02


def test_conformal_classifier_sets_cover():
    rng = np.random.default_rng(0)
    n = 4000
    y = rng.integers(0, 3, n)
    logits = np.eye(3)[y] * 1.5 + rng.normal(0, 1, (n, 3))
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    conf = ConformalClassifier(alpha=0.1).fit(y[:2000], proba[:2000])
    sets = conf.sets(proba[2000:])
    coverage = sets[np.arange(2000), y[2000:]].mean()
    assert 0.88 <= coverage <= 0.93
    assert sets.sum(1).mean() < 3  # informative, not always every class


def test_conformal_regressor_interval():
    c = ConformalRegressor(0.1).fit(np.zeros(9), np.arange(1.0, 10.0))
    lo, hi = c.interval(np.array([0.0]))
    assert (lo[0], hi[0]) == (-9.0, 9.0)


def test_tanimoto_against_rdkit():
    from rdkit import DataStructs
    from rdkit.Chem import MolFromSmiles, rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=512)
    smiles = ["CCO", "CCCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    fps = [gen.GetFingerprint(MolFromSmiles(s)) for s in smiles]
    arr = np.array([gen.GetFingerprintAsNumPy(MolFromSmiles(s)) for s in smiles], float)
    ref = max(DataStructs.BulkTanimotoSimilarity(fps[3], fps[:3]))
    assert tanimoto_max(arr[3:], arr[:3])[0] == pytest.approx(ref)
    loo = tanimoto_max(arr, arr, exclude_self=True)
    assert loo[0] == pytest.approx(DataStructs.TanimotoSimilarity(fps[0], fps[1]))


def test_applicability_domain_flags_far_rows():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(300, 4))
    ad = ApplicabilityDomain("euclidean", quantile=0.05).fit(train)
    assert 0.9 <= ad.in_domain(rng.normal(size=(300, 4))).mean() <= 1.0
    assert not ad.in_domain(np.full((1, 4), 8.0))[0]
    fp = np.zeros((200, 64))
    fp[:, :32] = rng.random((200, 32)) < 0.3  # training bits only in the first half
    tan = ApplicabilityDomain("tanimoto").fit(fp)
    assert tan.threshold_ > 0 and tan.in_domain(fp[:5]).all()
    far = np.zeros((1, 64))
    far[0, 40:50] = 1
    assert tan.score(far)[0] == 0.0 and not tan.in_domain(far)[0]
    with pytest.raises(InputError, match="metric"):
        ApplicabilityDomain("cosine").fit(train)
