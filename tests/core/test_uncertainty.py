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
from pharmakon.core.uncertainty import mondrian_edges
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


def test_mondrian_edges_bins_have_enough_rows():
    rng = np.random.default_rng(0)
    d = rng.random(1000)
    edges = mondrian_edges(d, min_rows=200, max_bins=5)
    assert len(edges) == 4 and np.all(np.diff(edges) > 0)
    counts = np.bincount(np.searchsorted(edges, d, side="left"))
    assert counts.min() >= 200 and counts.sum() == 1000
    assert len(mondrian_edges(d[:399], min_rows=200)) == 0  # fewer than 2 bins' worth: plain conformal
    ties = np.r_[np.zeros(700), rng.random(300)]  # 70% identical values (e.g. exact training duplicates)
    e = mondrian_edges(ties, min_rows=200, max_bins=5)
    assert np.bincount(np.searchsorted(e, ties, side="left")).min() >= 200
    with pytest.raises(InputError, match="min_rows"):
        mondrian_edges(d, min_rows=0)


def _shifted(seed: int, n: int = 3000):
    """Noise sd grows with difficulty d; the test rows are mostly hard (covariate shift in d)."""
    rng = np.random.default_rng(seed)
    d_cal, d_test = rng.random(n), rng.beta(4, 1.5, n)
    return d_cal, rng.normal(0, 0.2 + 2 * d_cal), d_test, rng.normal(0, 0.2 + 2 * d_test)


def test_mondrian_regression_keeps_coverage_under_difficulty_shift():
    """Plain conformal under-covers the shifted test rows; per-bin thresholds hold 90% (mean of 10 data sets)."""
    plain, mondrian = [], []
    for seed in range(10):
        d_cal, r_cal, d_test, r_test = _shifted(seed)
        c = ConformalRegressor(0.1, min_rows=200, max_bins=10).fit(r_cal, np.zeros_like(r_cal), d_cal)
        assert len(c.bins()) == 10 and sum(b["rows"] for b in c.bins()) == len(r_cal)
        lo, hi = c.interval(np.zeros_like(r_test), d_test)
        mondrian.append(np.mean((r_test >= lo) & (r_test <= hi)))
        lo, hi = c.interval(np.zeros_like(r_test))  # no difficulty: the marginal threshold
        plain.append(np.mean((r_test >= lo) & (r_test <= hi)))
    assert np.mean(plain) < 0.85
    assert abs(np.mean(mondrian) - 0.9) < 0.015
    q = [b["q"] for b in c.bins()]
    assert q[-1] > 3 * q[0]  # harder bins get wider intervals


def test_mondrian_classifier_and_plain_fallbacks():
    rng = np.random.default_rng(1)
    n = 4000
    d = rng.random(n)
    y = rng.integers(0, 2, n)
    signal = 3.0 * (1 - d)  # hard rows (high d) have uninformative probabilities
    p1 = 1 / (1 + np.exp(-(np.where(y == 1, signal, -signal) + rng.normal(0, 1, n))))
    proba = np.c_[1 - p1, p1]
    c = ConformalClassifier(0.1, min_rows=300).fit(y[:2000], proba[:2000], d[:2000])
    hard = d[2000:] > 0.7
    sets = c.sets(proba[2000:], d[2000:])
    assert sets[np.arange(2000), y[2000:]][hard].mean() >= 0.86  # per-bin coverage holds on the hard rows
    assert sets.sum(1)[hard].mean() > sets.sum(1)[~hard].mean()
    old = ConformalClassifier(0.1).fit(y[:2000], proba[:2000])
    assert old.sets(proba[2000:], d[2000:]).sum() == old.sets(proba[2000:]).sum()  # no bins: difficulty ignored
    legacy = ConformalRegressor(0.1).fit(np.zeros(9), np.arange(1.0, 10.0), np.arange(9.0))
    for attr in ("edges_", "bin_q_", "bin_rows_", "difficulty_"):  # a model pickled before the bins existed
        del legacy.__dict__[attr]
    assert legacy.interval(np.zeros(2), np.ones(2))[1].tolist() == [9.0, 9.0]
    assert legacy.bins() == [{"lower": None, "upper": None, "rows": 9, "q": 9.0}]
    with pytest.raises(InputError, match="difficulty"):
        ConformalRegressor(0.1).fit(np.zeros(3), np.zeros(3), [0.1, np.nan, 0.2])


def test_domain_fold_scores_and_flags():
    rng = np.random.default_rng(2)
    fp = (rng.random((60, 64)) < 0.2).astype(float)
    ad = ApplicabilityDomain("tanimoto").fit(fp)
    folds = [(np.arange(20, 60), np.arange(20)), (np.arange(20), np.arange(20, 60))]
    s = ad.fold_scores(fp, folds)
    np.testing.assert_allclose(s[:20], tanimoto_max(fp[:20], fp[20:]))
    np.testing.assert_allclose(s[20:], tanimoto_max(fp[20:], fp[:20]))
    np.testing.assert_allclose(ad.novelty(s), 1 - s)
    assert (ad.flag(ad.score(fp)) == ad.in_domain(fp)).all()
    tab = rng.normal(size=(60, 3))
    eu = ApplicabilityDomain("euclidean").fit(tab)
    d = eu.fold_scores(tab, folds)
    z = (tab - tab.mean(0)) / tab.std(0)
    ref = np.sqrt(((z[:20, None, :] - z[None, 20:, :]) ** 2).sum(-1)).min(1)  # brute force nearest neighbour
    np.testing.assert_allclose(d[:20], ref)
    np.testing.assert_allclose(eu.novelty(d), d)


def test_capped_tanimoto_reference_keeps_the_flag_rate_and_old_models_load():
    import pickle

    from pharmakon.core.uncertainty import ApplicabilityDomain

    rng = np.random.default_rng(5)
    X = (rng.random((400, 1024)) < 0.06).astype(float)  # about 60 bits a row: similarities nearly continuous
    capped = ApplicabilityDomain(max_reference=60).fit(X)
    assert capped.reference_bits().shape == (60, 1024)
    fresh = (rng.random((2000, 1024)) < 0.06).astype(float)  # new rows from the same distribution
    assert 0.03 <= 1 - capped.in_domain(fresh).mean() <= 0.08  # the 5% rule holds for new molecules
    full = ApplicabilityDomain().fit(X)
    np.testing.assert_allclose(full.score(X[:20]), tanimoto_max(X[:20], X), atol=1e-6)
    # a model saved before the packed reference (float32 ``reference_``) scores the same way
    old = ApplicabilityDomain().fit(X)
    old.reference_ = (X > 0).astype(np.float32)
    del old.packed_reference_, old.n_bits_, old._index
    old = pickle.loads(pickle.dumps(old))
    np.testing.assert_array_equal(old.score(X[:20]), full.score(X[:20]))
    assert "_index" not in pickle.loads(pickle.dumps(full)).__dict__
