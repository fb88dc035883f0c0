"""Continual reassessment method (CRM) for dose finding, simulated for many trials at once.

O'Quigley J, Pepe M, Fisher L (1990). Continual reassessment method: a practical design
for phase 1 clinical trials in cancer. Biometrics 46:33-48.

One-parameter power model ``p_j(a) = skeleton_j ** exp(a)`` with prior
``a ~ N(0, prior_sd^2)``. After each cohort the posterior of ``a`` is computed on a fixed
grid for every simulated trial at once (an array of shape (trials, grid)); the next
dose is the one whose posterior-mean toxicity is closest to the target, escalating at
most one level at a time (no skipping). Overdose control: the trial stops without an
MTD when ``P(p_1 > target | data) > stop_cutoff`` (with at least 3 patients at dose 1).
The MTD is the recommended dose after the last cohort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pharmakon.errors import InputError
from pharmakon.trials.design._fanout import add_up, run_chunks

__all__ = ["CrmResult", "crm_chunk", "crm_posterior", "simulate_crm"]

_GRID = np.linspace(-6.0, 6.0, 401)


@dataclass
class CrmResult:
    """Operating characteristics of a CRM design (see :class:`BoinResult` for the fields)."""

    select_probability: list[float]
    no_mtd: float
    patients_per_dose: list[float]
    dlt_per_dose: list[float]
    sims: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def crm_posterior(
    skeleton: np.ndarray, n: np.ndarray, s: np.ndarray, prior_sd: float, target: float
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior-mean toxicity per dose and ``P(p_1 > target)`` for each trial.

    Parameters
    ----------
    skeleton : ndarray, shape (doses,)
    n, s : ndarray, shape (trials, doses)
        Patients and DLTs per dose.

    Returns
    -------
    p_mean : ndarray, shape (trials, doses)
    p1_over : ndarray, shape (trials,)
    """
    a = _GRID
    logp = np.exp(a)[:, None] * np.log(skeleton)[None, :]  # (grid, doses), no underflow
    p = np.exp(logp)
    loglik = s @ logp.T + (n - s) @ np.log(-np.expm1(logp)).T  # (trials, grid)
    logpost = loglik - 0.5 * (a / prior_sd) ** 2
    w = np.exp(logpost - logpost.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return w @ p, w @ (p[:, 0] > target).astype(float)


def simulate_crm(
    true_tox: Sequence[float],
    skeleton: Sequence[float],
    target: float = 0.3,
    *,
    cohort_size: int = 3,
    n_cohorts: int = 10,
    prior_sd: float = np.sqrt(1.34),
    stop_cutoff: float = 0.9,
    sims: int = 10_000,
    seed: int = 0,
    backend: Any = "serial",
    chunk_size: int = 5_000,
    progress: Any = None,
) -> CrmResult:
    """Simulate CRM trials starting at the lowest dose.

    Parameters
    ----------
    true_tox, skeleton : sequence of float, shape (doses,)
        True DLT probabilities and the prior guesses (strictly increasing, in (0, 1)).
    prior_sd : float
        Prior SD of the model parameter (default sqrt(1.34), a common choice).
    backend, chunk_size
        Chunks run through the executor with ``spawn_seeds`` seeds (backend-independent).
    """
    p = np.asarray(true_tox, dtype=float)
    sk = np.asarray(skeleton, dtype=float)
    if p.shape != sk.shape or p.size < 2 or np.any((sk <= 0) | (sk >= 1)) or np.any(np.diff(sk) <= 0):
        raise InputError("skeleton must be strictly increasing in (0, 1), one value per dose", field="skeleton")
    if np.any((p <= 0) | (p >= 1)) or not 0 < target < 1:
        raise InputError("true_tox and target must be in (0, 1)", field="true_tox")
    prm = {
        "p": p.tolist(),
        "sk": sk.tolist(),
        "target": float(target),
        "cohort_size": int(cohort_size),
        "n_cohorts": int(n_cohorts),
        "prior_sd": float(prior_sd),
        "stop_cutoff": float(stop_cutoff),
    }
    parts = run_chunks(crm_chunk, prm, sims, seed, backend=backend, chunk_size=chunk_size, progress=progress)
    return CrmResult(
        select_probability=[float(x) for x in add_up(parts, "select") / sims],
        no_mtd=add_up(parts, "no_mtd") / sims,
        patients_per_dose=[float(x) for x in add_up(parts, "n") / sims],
        dlt_per_dose=[float(x) for x in add_up(parts, "s") / sims],
        sims=sims,
        seed=seed,
    )


def crm_chunk(task: tuple[dict[str, Any], Any, int]) -> dict[str, Any]:
    """Simulate ``sims`` CRM trials: ``(params, seed_sequence, sims)`` -> sums over trials."""
    prm, seed, sims = task
    p, sk = np.asarray(prm["p"]), np.asarray(prm["sk"])
    target, cohort_size, prior_sd, stop_cutoff = prm["target"], prm["cohort_size"], prm["prior_sd"], prm["stop_cutoff"]
    rng = np.random.default_rng(seed)
    d = p.size
    n = np.zeros((sims, d))
    s = np.zeros((sims, d))
    dose = np.zeros(sims, dtype=int)
    alive = np.ones(sims, dtype=bool)
    for _ in range(prm["n_cohorts"]):
        act = np.flatnonzero(alive)
        if act.size == 0:
            break
        n[act, dose[act]] += cohort_size
        s[act, dose[act]] += rng.binomial(cohort_size, p[dose[act]])
        p_mean, p1_over = crm_posterior(sk, n[act], s[act], prior_sd, target)
        stop = (n[act, 0] >= 3) & (p1_over > stop_cutoff)
        alive[act[stop]] = False
        best = np.abs(p_mean - target).argmin(axis=1)
        dose[act] = np.minimum(best, dose[act] + 1)
    p_mean, _ = crm_posterior(sk, n, s, prior_sd, target)
    mtd = np.abs(p_mean - target).argmin(axis=1)
    return {
        "select": np.bincount(mtd[alive], minlength=d).tolist(),
        "no_mtd": int((~alive).sum()),
        "n": n.sum(axis=0).tolist(),
        "s": s.sum(axis=0).tolist(),
    }
