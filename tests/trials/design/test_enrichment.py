"""Adaptive enrichment: strong type I error control and the benefit of enriching."""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.design.enrichment import simulate_enrichment

SIMS = 200_000


def test_global_null_family_wise_error() -> None:
    r = simulate_enrichment(0.0, 0.0, sims=SIMS, seed=1)
    assert r.reject_any <= 0.025 + 4 * r.mc_se_any


@pytest.mark.parametrize(("eff_s", "eff_c", "true_null"), [(0.0, 0.3, "subgroup"), (0.3, -0.2, "full")])
def test_partial_nulls_keep_their_alpha_share(eff_s: float, eff_c: float, true_null: str) -> None:
    # (0.3, -0.2) with prevalence 0.4: full-population effect 0.4*0.3 + 0.6*(-0.2) = 0
    r = simulate_enrichment(eff_s, eff_c, sims=SIMS, seed=2)
    p = r.reject_subgroup if true_null == "subgroup" else r.reject_full
    assert p <= 0.0125 + 4 * np.sqrt(0.0125 / SIMS)


def test_enrichment_raises_subgroup_power_when_only_the_subgroup_benefits() -> None:
    adaptive = simulate_enrichment(0.4, 0.0, sims=50_000, seed=3)
    fixed = simulate_enrichment(0.4, 0.0, futility_c=-np.inf, sims=50_000, seed=3)
    assert fixed.p_enrich == 0.0 and 0.3 < adaptive.p_enrich < 0.7
    assert adaptive.reject_subgroup > fixed.reject_subgroup + 0.05


def test_bad_input() -> None:
    with pytest.raises(InputError):
        simulate_enrichment(0.2, 0.1, prevalence=1.2)
