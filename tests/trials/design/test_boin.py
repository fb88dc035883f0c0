"""BOIN: published boundaries and a scalar reference implementation of the same rules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta as beta_dist

from pharmakon.errors import InputError
from pharmakon.trials.design.boin import boin_boundaries, simulate_boin


@pytest.mark.parametrize(("target", "lam_e", "lam_d"), [(0.2, 0.157, 0.238), (0.25, 0.197, 0.298), (0.3, 0.236, 0.358)])
def test_boundaries_match_liu_yuan_2015_table(target: float, lam_e: float, lam_d: float) -> None:
    """Source: Liu & Yuan (2015), JRSS-C 64:507, Table 1 (phi1 = 0.6 phi, phi2 = 1.4 phi), printed to 3 decimals."""
    e, d = boin_boundaries(target)
    assert abs(e - lam_e) < 1e-3 and abs(d - lam_d) < 1e-3


def _pava(y: list[float], w: list[float]) -> list[float]:
    blocks = [[yi, wi, 1] for yi, wi in zip(y, w, strict=True)]
    i = 0
    while i < len(blocks) - 1:
        if blocks[i][0] > blocks[i + 1][0]:
            a, b = blocks[i], blocks[i + 1]
            blocks[i] = [(a[0] * a[1] + b[0] * b[1]) / (a[1] + b[1]), a[1] + b[1], a[2] + b[2]]
            del blocks[i + 1]
            i = max(i - 1, 0)
        else:
            i += 1
    return [b[0] for b in blocks for _ in range(b[2])]


def _one_trial(p, target, rng, n_cohorts=10, size=3):  # type: ignore[no-untyped-def]
    lam_e, lam_d = boin_boundaries(target)
    d = len(p)
    n, s = [0] * d, [0] * d
    dose, ceiling = 0, d - 1
    for _ in range(n_cohorts):
        n[dose] += size
        s[dose] += rng.binomial(size, p[dose])
        over = n[dose] >= 3 and beta_dist.sf(target, 1 + s[dose], 1 + n[dose] - s[dose]) > 0.95
        if over:
            ceiling = min(ceiling, dose - 1)
            if ceiling < 0:
                return None
            dose = dose - 1
            continue
        rate = s[dose] / n[dose]
        dose = dose + 1 if rate <= lam_e else dose - 1 if rate >= lam_d else dose
        dose = min(max(dose, 0), d - 1, ceiling)
    tried = [j for j in range(d) if n[j] > 0 and j <= ceiling]
    iso = _pava([s[j] / n[j] for j in tried], [n[j] for j in tried])
    return tried[int(np.argmin([abs(v + 1e-10 * (k + 1) - target) for k, v in enumerate(iso)]))]


def test_vectorised_engine_agrees_with_scalar_reference() -> None:
    p, target = [0.08, 0.15, 0.3, 0.45, 0.6], 0.3
    rng = np.random.default_rng(3)
    m = 1500
    picks = [_one_trial(p, target, rng) for _ in range(m)]
    ref = np.array([sum(x == j for x in picks) / m for j in range(len(p))])
    fast = np.array(simulate_boin(p, target, sims=20_000, seed=5).select_probability)
    se = np.sqrt(ref * (1 - ref) / m + fast * (1 - fast) / 20_000)
    assert np.all(np.abs(ref - fast) < 4 * se + 1e-3)
    assert fast.argmax() == 2


def test_toxic_first_dose_stops_trials_and_bad_input() -> None:
    r = simulate_boin([0.7, 0.8, 0.9], 0.25, sims=3000, seed=1)
    assert r.no_mtd > 0.8
    with pytest.raises(InputError):
        simulate_boin([0.2], 0.3)
    with pytest.raises(InputError):
        boin_boundaries(0.7)
