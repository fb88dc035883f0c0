"""BOIN dose finding (Bayesian optimal interval design), simulated for many trials at once.

Liu S, Yuan Y (2015). Bayesian optimal interval designs for phase I clinical trials.
J R Stat Soc C 64:507-523.

Rules for a target toxicity rate ``phi`` (defaults ``phi1 = 0.6 phi``, ``phi2 = 1.4 phi``):
escalate when the observed DLT rate at the current dose is ``<= lambda_e``, de-escalate
when ``>= lambda_d``, otherwise stay, with

    lambda_e = log((1 - phi1) / (1 - phi)) / log(phi (1 - phi1) / (phi1 (1 - phi)))
    lambda_d = log((1 - phi) / (1 - phi2)) / log(phi2 (1 - phi) / (phi (1 - phi2)))

A dose (and every higher one) is eliminated when ``P(p > phi | data) > 0.95`` under a
Beta(1, 1) prior with at least 3 patients; the trial stops when the lowest dose is
eliminated. The MTD is the dose, among those tried and not eliminated, whose isotonic
estimate (over those doses) is closest to ``phi``; ties are broken as in the BOIN R
package (estimates perturbed by ``1e-10 * dose``). Every step is an array
operation over all simulated trials; only the cohorts are looped over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import beta as beta_dist

from pharmakon.errors import InputError
from pharmakon.trials.design._fanout import add_up, run_chunks

__all__ = ["boin_boundaries", "boin_chunk", "simulate_boin", "BoinResult"]


def boin_boundaries(target: float, phi1: float | None = None, phi2: float | None = None) -> tuple[float, float]:
    """Escalation and de-escalation boundaries ``(lambda_e, lambda_d)`` for a target DLT rate.

    Examples
    --------
    >>> [round(x, 3) for x in boin_boundaries(0.3)]
    [0.236, 0.359]
    """
    if not 0 < target < 0.6:
        raise InputError(f"target toxicity must be in (0, 0.6), got {target}", field="target")
    p1 = 0.6 * target if phi1 is None else phi1
    p2 = 1.4 * target if phi2 is None else phi2
    if not 0 < p1 < target < p2 < 1:
        raise InputError(f"need 0 < phi1 < target < phi2 < 1, got {p1}, {target}, {p2}", field="phi1")
    lam_e = np.log((1 - p1) / (1 - target)) / np.log(target * (1 - p1) / (p1 * (1 - target)))
    lam_d = np.log((1 - target) / (1 - p2)) / np.log(p2 * (1 - target) / (target * (1 - p2)))
    return float(lam_e), float(lam_d)


@dataclass
class BoinResult:
    """Operating characteristics of a BOIN design.

    Attributes
    ----------
    select_probability : list of float, length doses
        P(dose selected as MTD).
    no_mtd : float
        P(trial stopped with every dose eliminated).
    patients_per_dose, dlt_per_dose : list of float
        Mean number of patients treated and of DLTs at each dose.
    """

    boundaries: tuple[float, float]
    select_probability: list[float]
    no_mtd: float
    patients_per_dose: list[float]
    dlt_per_dose: list[float]
    sims: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def _isotonic(s: np.ndarray, n: np.ndarray, tried: np.ndarray) -> np.ndarray:
    """Weighted isotonic (non-decreasing) fit of s/n per row over tried doses (min-max formula)."""
    cs = np.concatenate((np.zeros((s.shape[0], 1)), np.cumsum(s, axis=1)), axis=1)
    cn = np.concatenate((np.zeros((n.shape[0], 1)), np.cumsum(n, axis=1)), axis=1)
    d = s.shape[1]
    i, k = np.triu_indices(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = (cs[:, k + 1] - cs[:, i]) / (cn[:, k + 1] - cn[:, i])
    avg = np.where(tried[:, k], avg, np.inf)  # blocks ending at an untried dose are ignored
    full = np.full((s.shape[0], d, d), np.nan)
    full[:, i, k] = avg
    out = np.empty(s.shape)
    for j in range(d):
        sub = full[:, : j + 1, j:]  # i <= j <= k
        out[:, j] = np.nanmax(np.nanmin(sub, axis=2), axis=1)
    return out


def simulate_boin(
    true_tox: Sequence[float],
    target: float = 0.3,
    *,
    cohort_size: int = 3,
    n_cohorts: int = 10,
    start: int = 0,
    sims: int = 10_000,
    seed: int = 0,
    cutoff_eliminate: float = 0.95,
    backend: Any = "serial",
    chunk_size: int = 5_000,
    progress: Any = None,
) -> BoinResult:
    """Simulate BOIN trials for true DLT probabilities per dose (all trials at once).

    Parameters
    ----------
    true_tox : sequence of float, shape (doses,)
        True DLT probabilities, increasing with dose.
    target : float
        Target DLT rate.
    cohort_size, n_cohorts : int
        Patients per cohort and number of cohorts (maximum sample size = product).
    start : int
        Starting dose index (0-based).
    backend, chunk_size
        Chunks of ``chunk_size`` trials run through the executor with seeds from
        ``spawn_seeds(seed, n_chunks)``: the same seed gives the same answer on any backend.
    """
    p = np.asarray(true_tox, dtype=float)
    if p.ndim != 1 or p.size < 2 or np.any((p <= 0) | (p >= 1)):
        raise InputError(f"true_tox needs >= 2 probabilities in (0, 1), got {list(true_tox)}", field="true_tox")
    if not (cohort_size >= 1 and n_cohorts >= 1 and 0 <= start < p.size):
        raise InputError("cohort_size and n_cohorts must be >= 1 and start a valid dose index", field="cohort_size")
    lam_e, lam_d = boin_boundaries(target)
    prm = {
        "p": p.tolist(),
        "target": float(target),
        "cohort_size": int(cohort_size),
        "n_cohorts": int(n_cohorts),
        "start": int(start),
        "cutoff": float(cutoff_eliminate),
        "lam_e": lam_e,
        "lam_d": lam_d,
    }
    parts = run_chunks(boin_chunk, prm, sims, seed, backend=backend, chunk_size=chunk_size, progress=progress)
    return BoinResult(
        boundaries=(lam_e, lam_d),
        select_probability=[float(x) for x in add_up(parts, "select") / sims],
        no_mtd=add_up(parts, "no_mtd") / sims,
        patients_per_dose=[float(x) for x in add_up(parts, "n") / sims],
        dlt_per_dose=[float(x) for x in add_up(parts, "s") / sims],
        sims=sims,
        seed=seed,
    )


def boin_chunk(task: tuple[dict[str, Any], Any, int]) -> dict[str, Any]:
    """Simulate ``sims`` BOIN trials: ``(params, seed_sequence, sims)`` -> sums over trials."""
    prm, seed, sims = task
    p = np.asarray(prm["p"])
    target, cohort_size, cutoff_eliminate = prm["target"], prm["cohort_size"], prm["cutoff"]
    lam_e, lam_d = prm["lam_e"], prm["lam_d"]
    rng = np.random.default_rng(seed)
    d = p.size
    start = prm["start"]
    n = np.zeros((sims, d))
    s = np.zeros((sims, d))
    dose = np.full(sims, start)
    alive = np.ones(sims, dtype=bool)
    ceiling = np.full(sims, d - 1)  # highest non-eliminated dose
    for _ in range(prm["n_cohorts"]):
        act = np.flatnonzero(alive)
        if act.size == 0:
            break
        tox = rng.binomial(cohort_size, p[dose[act]])
        n[act, dose[act]] += cohort_size
        s[act, dose[act]] += tox
        nj, sj = n[act, dose[act]], s[act, dose[act]]
        over = (nj >= 3) & (beta_dist.sf(target, 1 + sj, 1 + nj - sj) > cutoff_eliminate)
        ceiling[act[over]] = np.minimum(ceiling[act[over]], dose[act[over]] - 1)
        stop = ceiling[act] < 0
        alive[act[stop]] = False
        rate = sj / nj
        step = np.where(rate <= lam_e, 1, np.where(rate >= lam_d, -1, 0))
        step = np.where(over, -1, step)
        new = np.clip(dose[act] + step, 0, d - 1)
        dose[act] = np.minimum(new, np.maximum(ceiling[act], 0))
    tried = (n > 0) & (np.arange(d)[None, :] <= ceiling[:, None])
    iso = _isotonic(s, np.where(n > 0, n, 1.0), tried)
    iso = iso + 1e-10 * np.arange(1, d + 1)[None, :]  # ties broken as in the BOIN R package
    dist = np.where(tried, np.abs(iso - target), np.inf)
    has = np.isfinite(dist).any(axis=1) & (ceiling >= 0)
    choice = dist.argmin(axis=1)
    return {
        "select": np.bincount(choice[has], minlength=d).tolist(),
        "no_mtd": int((~has).sum()),
        "n": n.sum(axis=0).tolist(),
        "s": s.sum(axis=0).tolist(),
    }
