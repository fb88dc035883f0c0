"""Bayesian adaptive multi-arm trials with a continuous (normal) endpoint, simulated in bulk.

Model: outcome ``Y ~ N(mu_arm, sigma^2)`` with known ``sigma``; independent conjugate
priors ``mu_arm ~ N(m0, s0^2)``. After ``n`` patients with outcome sum ``S`` on an arm
the posterior is normal with precision ``1/s0^2 + n/sigma^2`` and mean
``(m0/s0^2 + S/sigma^2) / precision`` (exact, no MCMC). Arm 0 is control.

At each interim (every ``block`` patients), for all simulated trials at once:

* ``P(mu_arm - mu_control > margin | data) = Phi((m_arm - m_ctl - margin) / sqrt(v_arm + v_ctl))``
  (closed form, independent posteriors);
* an arm below ``futility`` is dropped; the trial stops for futility when all are;
* the trial stops for efficacy when an active arm exceeds ``efficacy``;
* Thompson-type response-adaptive randomisation: the next block goes to active
  treatment arms with weights ``P(arm is best | data)^rar_power`` (from ``draws``
  posterior draws); control keeps ``1 / arms`` of each block.

A block's allocation is multinomial and each arm's outcome sum is drawn from
``N(n mu, n sigma^2)`` (the sufficient statistic), so no individual patients are drawn.
:func:`calibrate_continuous` sets the efficacy threshold for a target type I error
under a null scenario by bisection with common random numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from pharmakon.errors import InputError
from pharmakon.trials.design._fanout import run_chunks
from pharmakon.trials.design.bayesian import (
    BayesianResult,
    adaptive_shares,
    apply_look,
    calibrate_threshold,
    check_look_schedule,
    chunk_sums,
    new_state,
    summarise,
)

__all__ = ["ContinuousBayesResult", "calibrate_continuous", "continuous_chunk", "simulate_bayesian_continuous"]


@dataclass
class ContinuousBayesResult(BayesianResult):
    """Operating characteristics of a Bayesian adaptive design with a normal endpoint.

    Attributes
    ----------
    power : float
        P(efficacy declared for some arm) (the type I error under a null scenario).
    select_probability : list of float, length arms
        P(arm declared effective); index 0 (control) is always 0.
    early_stop, futility_stop, expected_n : float
        P(stop before ``n_max``), P(stop with every arm dropped), mean patients.
    allocation : list of float, length arms
        Mean share of patients per arm.
    bias_selected : float
        Mean (posterior mean - true mean) of the declared arm (outcome units).
    mc_se : float
        Monte Carlo standard error of ``power``.
    """

    assumptions: tuple[str, ...] = (
        "normal outcome with known SD, independent conjugate normal priors per arm",
        "posterior P(arm - control > margin) in closed form; P(best) from posterior draws",
    )


def _posterior(s: np.ndarray, n: np.ndarray, prm: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and variances, each shape like ``s``."""
    prec = 1.0 / prm["prior_sd"] ** 2 + n / prm["sigma"] ** 2
    mean = (prm["prior_mean"] / prm["prior_sd"] ** 2 + s / prm["sigma"] ** 2) / prec
    return mean, 1.0 / prec


def continuous_chunk(task: tuple[dict[str, Any], Any, int]) -> dict[str, Any]:
    """Simulate ``n`` trials: ``(params, seed_sequence, n)`` -> sums over trials (order-free)."""
    prm, seed, n = task
    rng = np.random.default_rng(seed)
    mu = np.asarray(prm["mu"], dtype=float)
    arms, sigma = mu.size, prm["sigma"]
    s = np.zeros((n, arms))
    m = np.zeros((n, arms))
    state = new_state(n, arms)
    weights = np.full((n, arms), 1.0 / arms)
    looks = prm["n_max"] // prm["block"]
    for look in range(looks):
        idx = np.flatnonzero(state["running"])
        if idx.size == 0:
            break
        w = weights[idx]
        new = rng.multinomial(prm["block"], w / w.sum(axis=1, keepdims=True)).astype(float)
        m[idx] += new
        s[idx] += new * mu + rng.standard_normal(new.shape) * sigma * np.sqrt(new)
        mean, var = _posterior(s[idx], m[idx], prm)
        gt = ndtr((mean - mean[:, :1] - prm["margin"]) / np.sqrt(var + var[:, :1]))
        act = apply_look(gt, idx, state, prm, last=look == looks - 1)
        if prm["rar"] and arms > 2:
            x = mean[:, 1:, None] + np.sqrt(var[:, 1:, None]) * rng.standard_normal((idx.size, arms - 1, prm["draws"]))
            x = np.where(act[:, 1:, None], x, -np.inf)
            best = np.zeros((idx.size, arms))
            np.add.at(
                best, (np.repeat(np.arange(idx.size), prm["draws"]), x.argmax(axis=1).ravel() + 1), 1.0 / prm["draws"]
            )
            weights[idx] = adaptive_shares(act, best, prm["rar_power"])
        else:
            weights[idx] = act / act.sum(axis=1, keepdims=True)
    selected = state["selected"]
    rows = np.flatnonzero(selected >= 0)
    mean, _ = _posterior(s[rows, selected[rows]], m[rows, selected[rows]], prm)
    return chunk_sums(state, m, prm["n_max"], float((mean - mu[selected[rows]]).sum()))


def simulate_bayesian_continuous(
    mu: Sequence[float],
    sigma: float = 1.0,
    n_max: int = 200,
    block: int = 40,
    *,
    efficacy: float = 0.99,
    futility: float = 0.05,
    margin: float = 0.0,
    rar: bool = True,
    rar_power: float = 0.5,
    prior_mean: float = 0.0,
    prior_sd: float = 10.0,
    draws: int = 256,
    sims: int = 10_000,
    seed: int = 0,
    backend: Any = "serial",
    chunk_size: int = 5_000,
    progress: Any = None,
) -> ContinuousBayesResult:
    """Simulate a Bayesian adaptive multi-arm trial with a normal endpoint (see module docstring).

    Parameters
    ----------
    mu : sequence of float, shape (arms,)
        True arm means (outcome units); ``mu[0]`` is control.
    sigma : float
        Known outcome SD (outcome units).
    n_max, block : int
        Maximum total patients and patients per interim block.
    efficacy, futility : float
        Posterior-probability thresholds for stopping for efficacy / dropping an arm.
    margin : float
        Clinically relevant difference in ``P(mu_arm - mu_control > margin)``.
    prior_mean, prior_sd : float
        Normal prior of every arm mean.
    backend, chunk_size
        Chunks of ``chunk_size`` trials run through the executor with seeds from
        ``spawn_seeds(seed, n_chunks)``: the same seed gives the same answer on any backend.

    Examples
    --------
    >>> r = simulate_bayesian_continuous([0.0, 0.0, 0.5], sims=2000, seed=1)
    >>> r.select_probability[2] > r.select_probability[1]
    True
    """
    if len(mu) < 2 or not np.all(np.isfinite(mu)):
        raise InputError(f"mu needs a control and >= 1 treatment mean (finite), got {list(mu)}", field="mu")
    if not (sigma > 0 and prior_sd > 0):
        raise InputError(f"sigma and prior_sd must be > 0, got {sigma}, {prior_sd}", field="sigma")
    check_look_schedule(n_max, block, efficacy, futility)
    if draws < 1:
        raise InputError(f"draws must be >= 1, got {draws}", field="draws")
    prm = {
        "mu": [float(x) for x in mu],
        "sigma": float(sigma),
        "n_max": int(n_max),
        "block": int(block),
        "efficacy": float(efficacy),
        "futility": float(futility),
        "margin": float(margin),
        "rar": bool(rar),
        "rar_power": float(rar_power),
        "prior_mean": float(prior_mean),
        "prior_sd": float(prior_sd),
        "draws": int(draws),
    }
    parts = run_chunks(continuous_chunk, prm, sims, seed, backend=backend, chunk_size=chunk_size, progress=progress)
    return summarise(ContinuousBayesResult, parts, sims, seed, prm)  # type: ignore[return-value]


def calibrate_continuous(mu_null: Sequence[float], target_alpha: float = 0.025, **kwargs: Any) -> dict[str, Any]:
    """:func:`~pharmakon.trials.design.bayesian.calibrate_threshold` for :func:`simulate_bayesian_continuous`."""
    return calibrate_threshold(simulate_bayesian_continuous, mu_null, target_alpha, **kwargs)
