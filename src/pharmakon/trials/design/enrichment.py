"""Two-stage adaptive population enrichment, simulated for many trials at once.

A biomarker-positive subgroup S (prevalence ``prevalence``) and its complement C are
recruited in stage 1 (``n1`` patients per arm from the full population F). At the
interim, if the complement's z statistic is below ``futility_c`` recruitment is
restricted to S (enrichment) and only H_S is tested at the end; otherwise stage 2
recruits ``n2`` per arm from F and both H_F and H_S are tested.

Type I error is controlled in the strong sense by Bonferroni (``alpha / 2`` for each of
H_F and H_S) combined with the inverse-normal combination test with pre-fixed weights
``sqrt(n1 / (n1 + n2))`` and ``sqrt(n2 / (n1 + n2))``: the stage-2 statistic of each
hypothesis is standard normal under its null whatever was decided at the interim.
Normal endpoint with known standard deviation; stratum counts per arm are binomial.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from pharmakon.errors import InputError
from pharmakon.trials.design._fanout import add_up, run_chunks

__all__ = ["EnrichmentResult", "enrichment_chunk", "simulate_enrichment"]


@dataclass
class EnrichmentResult:
    """Operating characteristics of the enrichment design.

    Attributes
    ----------
    p_enrich : float
        P(stage 2 restricted to the subgroup).
    reject_full, reject_subgroup, reject_any : float
        P(reject H_F), P(reject H_S), P(reject at least one).
    expected_n : float
        Expected total patients (both arms, both stages).
    mc_se_any : float
        Monte Carlo SE of ``reject_any``.
    """

    p_enrich: float
    reject_full: float
    reject_subgroup: float
    reject_any: float
    expected_n: float
    mc_se_any: float
    sims: int
    seed: int
    parameters: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def _stage(rng: np.random.Generator, n: int, prev: float, eff_s: float, eff_c: float, sd: float, sims: int):  # type: ignore[no-untyped-def]
    """Per-arm stratum counts and sums -> z statistics (F, S, C) of one stage, each shape (sims,)."""
    out = {}
    for arm, (es, ec) in (("t", (eff_s, eff_c)), ("c", (0.0, 0.0))):
        m_s = rng.binomial(n, prev, sims).astype(float)
        m_c = n - m_s
        sum_s = rng.standard_normal(sims) * sd * np.sqrt(m_s) + es * m_s
        sum_c = rng.standard_normal(sims) * sd * np.sqrt(m_c) + ec * m_c
        out[arm] = (m_s, m_c, sum_s, sum_c)
    (ms1, mc1, ss1, sc1), (ms0, mc0, ss0, sc0) = out["t"], out["c"]
    with np.errstate(divide="ignore", invalid="ignore"):
        z_f = ((ss1 + sc1) / n - (ss0 + sc0) / n) / (sd * np.sqrt(2.0 / n))
        z_s = (ss1 / ms1 - ss0 / ms0) / (sd * np.sqrt(1 / ms1 + 1 / ms0))
        z_c = (sc1 / mc1 - sc0 / mc0) / (sd * np.sqrt(1 / mc1 + 1 / mc0))
    return np.nan_to_num(z_f), np.nan_to_num(z_s), np.nan_to_num(z_c)


def simulate_enrichment(
    effect_s: float,
    effect_c: float,
    *,
    prevalence: float = 0.4,
    stdev: float = 1.0,
    n1: int = 100,
    n2: int = 100,
    futility_c: float = 0.0,
    alpha: float = 0.025,
    sims: int = 100_000,
    seed: int = 0,
    backend: Any = "serial",
    chunk_size: int = 50_000,
    progress: Any = None,
) -> EnrichmentResult:
    """Simulate the two-stage enrichment design (see module docstring).

    Parameters
    ----------
    effect_s, effect_c : float
        True mean differences (treatment - control) in the subgroup and the complement.
    prevalence : float
        Share of the subgroup in the full population, in (0, 1).
    n1, n2 : int
        Patients per arm in stage 1 and stage 2.
    futility_c : float
        Enrich when the stage-1 complement z statistic is below this value.
    alpha : float
        One-sided family-wise type I error (split equally between H_F and H_S).
    backend, chunk_size
        Chunks run through the executor with ``spawn_seeds`` seeds (backend-independent).

    Examples
    --------
    >>> r = simulate_enrichment(0.0, 0.0, sims=50_000, seed=1)
    >>> r.reject_any < 0.025 + 4 * r.mc_se_any
    True
    """
    if not 0 < prevalence < 1:
        raise InputError(f"prevalence must be in (0, 1), got {prevalence}", field="prevalence")
    if not 0 < alpha < 0.5:
        raise InputError(f"alpha must be in (0, 0.5), got {alpha}", field="alpha")
    if n1 < 2 or n2 < 2 or not stdev > 0:
        raise InputError("n1 and n2 must be >= 2 patients per arm and stdev > 0", field="n1")
    prm = {
        "effect_s": effect_s,
        "effect_c": effect_c,
        "prevalence": prevalence,
        "stdev": stdev,
        "n1": n1,
        "n2": n2,
        "futility_c": futility_c,
        "alpha": alpha,
    }
    parts = run_chunks(enrichment_chunk, prm, sims, seed, backend=backend, chunk_size=chunk_size, progress=progress)
    p_any = add_up(parts, "any") / sims
    return EnrichmentResult(
        p_enrich=add_up(parts, "enrich") / sims,
        reject_full=add_up(parts, "full") / sims,
        reject_subgroup=add_up(parts, "sub") / sims,
        reject_any=p_any,
        expected_n=float(2 * (n1 + n2)),
        mc_se_any=float(np.sqrt(p_any * (1 - p_any) / sims)),
        sims=sims,
        seed=seed,
        parameters=prm,
    )


def enrichment_chunk(task: tuple[dict[str, Any], Any, int]) -> dict[str, Any]:
    """Simulate ``sims`` enrichment trials: ``(params, seed_sequence, sims)`` -> counts."""
    prm, seed, sims = task
    effect_s, effect_c, prevalence, stdev = prm["effect_s"], prm["effect_c"], prm["prevalence"], prm["stdev"]
    n1, n2, futility_c, alpha = prm["n1"], prm["n2"], prm["futility_c"], prm["alpha"]
    rng = np.random.default_rng(seed)
    w1, w2 = np.sqrt(n1 / (n1 + n2)), np.sqrt(n2 / (n1 + n2))
    crit = float(ndtri(1 - alpha / 2))
    zf1, zs1, zc1 = _stage(rng, n1, prevalence, effect_s, effect_c, stdev, sims)
    enrich = zc1 < futility_c
    zf2, zs2_full, _ = _stage(rng, n2, prevalence, effect_s, effect_c, stdev, sims)
    _, zs2_enr, _ = _stage(rng, n2, 1.0, effect_s, effect_c, stdev, sims)  # subgroup-only stage 2
    zs2 = np.where(enrich, zs2_enr, zs2_full)
    rej_s = w1 * zs1 + w2 * zs2 >= crit
    rej_f = ~enrich & (w1 * zf1 + w2 * zf2 >= crit)
    return {
        "enrich": int(enrich.sum()),
        "full": int(rej_f.sum()),
        "sub": int(rej_s.sum()),
        "any": int((rej_s | rej_f).sum()),
    }
