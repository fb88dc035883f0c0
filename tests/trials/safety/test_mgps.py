"""MGPS against openEBGM 0.9.1's published CAERS outputs (vignettes 03-05, tests/testthat/testEBGM.R).

Reference values: ../shared/data/pharmacovigilance/openebgm_caers/expected_results.json.
Tolerances: hyper-parameters 1e-3 relative (different optimisers, same likelihood);
EBGM to the 2 decimals openEBGM prints (|diff| <= 0.005); EB05/EB95 within 0.01, because
openEBGM's quantBisect stops at an interval of 0.005 and then rounds to 2 decimals.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from pharmakon.trials.safety import MGPSHyper, auto_squash, fit_mgps, mgps_negloglik, mgps_posterior, squash_data
from pharmakon.trials.safety.mgps import ConvergenceWarning

KEYS = ["alpha1", "beta1", "alpha2", "beta2"]


def _theta(d: dict) -> np.ndarray:
    return np.array([d[k] for k in KEYS] + [d.get("P", d.get("p"))])


def test_counts_match_openebgm(caers_counts, caers_expected):
    assert len(caers_counts) == caers_expected["counts"]["unique_var1_var2_pairs"]
    assert caers_counts["n_total"].iloc[0] == caers_expected["counts"]["reports_N_total"]
    row = caers_counts[(caers_counts.drug == "REUMOFAN PLUS") & (caers_counts.event == "WEIGHT INCREASED")].iloc[0]
    ref = caers_expected["frequentist_checks_computed_here"]
    assert (row.n, row.n_drug, row.n_event) == (ref["a"], ref["n_drug_reports"], ref["n_event_reports"])
    assert row.expected == pytest.approx(0.40643623, abs=5e-9)


def test_full_data_hyperparameters(caers_counts, caers_expected):
    ref = caers_expected["hyperparameters_full_data_nlminb"]
    hyper = fit_mgps(caers_counts.n.to_numpy(), caers_counts.expected.to_numpy())
    assert hyper.converged and hyper.fallback is None
    np.testing.assert_allclose(hyper.theta, _theta(ref), rtol=1e-3)
    assert hyper.neg_log_lik == pytest.approx(ref["neg_log_lik_min"], abs=1e-3)


def test_squashed_hyperparameters(caers_counts, caers_expected):
    ref = caers_expected["hyperparameters_squashed2_autoHyper"]
    n, e, w = squash_data(caers_counts.n.to_numpy(), caers_counts.expected.to_numpy())
    n, e, w = squash_data(n, e, w, count=2, bin_size=10, keep_pts=50)
    assert w.sum() == len(caers_counts)  # squashing keeps total weight
    hyper = fit_mgps(n, e, w, squashed=True)
    np.testing.assert_allclose(hyper.theta, _theta(ref), rtol=1e-3)
    assert hyper.neg_log_lik == pytest.approx(ref["neg_log_lik_min"], abs=5e-3)


def test_posterior_scores_and_131_signals(caers_counts, caers_expected):
    post_ref = caers_expected["posterior_with_squashed2_theta"]
    hyper = MGPSHyper(*_theta(caers_expected["hyperparameters_squashed2_autoHyper"]))
    post = mgps_posterior(caers_counts.n.to_numpy(), caers_counts.expected.to_numpy(), hyper)
    assert int((post["eb05"] >= 2).sum()) == post_ref["n_pairs_QUANT_05_ge_2"] == 131
    assert np.quantile(post["qn"], 0.5) == pytest.approx(post_ref["qn_summary"]["median"], abs=1e-6)
    index = {(d, e): i for i, (d, e) in enumerate(zip(caers_counts.drug, caers_counts.event, strict=True))}
    for row in post_ref["first_rows"] + post_ref["top_by_QUANT_05"]:
        i = index[(row["var1"], row["var2"])]
        assert caers_counts.n.iloc[i] == row["N"]
        assert caers_counts.expected.iloc[i] == pytest.approx(row["E"], rel=1e-7)
        assert abs(post["ebgm"][i] - row["ebgm"]) <= 0.005 + 1e-9
        assert abs(post["eb05"][i] - row["QUANT_05"]) <= 0.01 + 1e-9
        assert abs(post["eb95"][i] - row.get("QUANT_95", np.nan)) <= 0.01 + 1e-9 or "QUANT_95" not in row


def test_quantiles_against_independent_root_finding():
    rng = np.random.default_rng(3)
    hyper = MGPSHyper(3.25, 0.4, 2.02, 1.9, 0.065)
    n = rng.integers(1, 40, 30).astype(float)
    e = rng.lognormal(-1, 1.5, 30)
    post = mgps_posterior(n, e, hyper)
    a1, b1, a2, b2, _ = hyper.theta
    for i in range(30):
        q = post["qn"][i]

        def cdf(x, i=i, q=q):
            return q * stats.gamma.cdf(x, a1 + n[i], scale=1 / (b1 + e[i])) + (1 - q) * stats.gamma.cdf(
                x, a2 + n[i], scale=1 / (b2 + e[i])
            )

        for key, p in (("eb05", 0.05), ("eb95", 0.95)):
            root = optimize.brentq(lambda x, p=p: cdf(x) - p, 1e-9, 1e4, xtol=1e-12)
            assert post[key][i] == pytest.approx(root, rel=1e-7)

        # EBGM = exp(E[log lambda]) by numerical integration of the mixture density
        def logpdf_mean(x, i=i, q=q):
            dens = q * stats.gamma.pdf(x, a1 + n[i], scale=1 / (b1 + e[i])) + (1 - q) * stats.gamma.pdf(
                x, a2 + n[i], scale=1 / (b2 + e[i])
            )
            return np.log(x) * dens

        mean_log = integrate.quad(logpdf_mean, 0, np.inf, limit=200)[0]
        assert post["ebgm"][i] == pytest.approx(np.exp(mean_log), rel=1e-5)


def test_squash_matches_openebgm_example_rules():
    # openEBGM squashData semantics: N==count sorted by E, keep_pts largest untouched, bins of bin_size
    n = np.array([1] * 7 + [2, 3])
    e = np.array([0.7, 0.1, 0.3, 0.2, 0.5, 0.4, 0.6, 1.0, 2.0])
    sn, se, sw = squash_data(n, e, count=1, bin_size=3, keep_pts=1)
    ones = sn == 1
    np.testing.assert_allclose(se[ones], [0.2, 0.5, 0.7])
    np.testing.assert_allclose(sw[ones], [3, 3, 1])
    np.testing.assert_allclose(se[~ones], [1.0, 2.0])
    with pytest.raises(Exception, match="bin_size"):
        squash_data(n, e, count=1, bin_size=7, keep_pts=1)
    # autoSquash: 900 points to squash (500 <= 900 < 1000) -> 75 super-points of 12, plus 100 kept
    an, ae, aw = auto_squash(np.ones(1000, int), np.linspace(0.01, 1, 1000))
    assert aw.sum() == 1000 and len(an) == 75 + 100 and np.all(aw[:75] == 12)
    an, ae, aw = auto_squash(np.ones(500, int), np.linspace(0.01, 1, 500))  # 400 < 500 -> 50 of 8
    assert len(an) == 50 + 100 and np.all(aw[:50] == 8)


def test_negloglik_matches_direct_formula():
    theta = np.array([0.2, 0.1, 2.0, 4.0, 1 / 3])
    n, e = np.array([1, 2, 5]), np.array([0.5, 1.2, 0.3])
    f = [
        theta[4]
        * stats.nbinom.pmf(k, theta[0], theta[1] / (theta[1] + x))
        / (1 - stats.nbinom.pmf(0, theta[0], theta[1] / (theta[1] + x)))
        + (1 - theta[4])
        * stats.nbinom.pmf(k, theta[2], theta[3] / (theta[3] + x))
        / (1 - stats.nbinom.pmf(0, theta[2], theta[3] / (theta[3] + x)))
        for k, x in zip(n, e, strict=True)
    ]
    assert mgps_negloglik(theta, n, e) == pytest.approx(-np.sum(np.log(f)), rel=1e-12)
    assert mgps_negloglik(np.array([1, 1, 1, 1, 1.2]), n, e) == np.inf


def test_degenerate_data_is_flagged_not_silent():
    # Poisson counts with lambda == 1 for every pair: the ML prior is a point mass (parameters run to the bounds)
    rng = np.random.default_rng(0)
    e = rng.uniform(0.5, 3, 3000)
    n = rng.poisson(e)
    keep = n >= 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hyper = fit_mgps(n[keep], e[keep])
    assert not hyper.converged
    assert hyper.message and any(issubclass(w.category, ConvergenceWarning) for w in caught)


def test_too_few_pairs_is_an_input_error():
    from pharmakon.errors import InputError

    with pytest.raises(InputError, match="at least 5 pairs"):
        fit_mgps(np.array([1, 2]), np.array([0.1, 0.2]))
    with pytest.raises(InputError, match="expected counts"):
        fit_mgps(np.array([1, 2, 3, 1, 1]), np.array([0.1, 0.2, -1, 0.3, 0.2]))
