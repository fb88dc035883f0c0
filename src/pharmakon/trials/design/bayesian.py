"""Bayesian adaptive multi-arm trials with a binary endpoint, simulated in bulk.

Design: arm 0 is control, arms 1..A-1 are treatments; Beta(a, b) priors; patients
arrive in blocks. At each interim, for every simulated trial at once (NumPy arrays of
shape (trials, arms, draws); no Python loop over trials):

* ``P(p_arm > p_control | data)`` is estimated from posterior draws;
* an arm whose probability is below ``futility`` is dropped (no more patients);
  the trial stops for futility when every treatment arm is dropped;
* the trial stops for efficacy when an active arm exceeds ``efficacy``;
* response-adaptive randomisation (Thompson-type): the next block goes to active
  treatment arms with weights ``P(arm is best)^rar_power``; control keeps a fixed
  share ``1 / arms`` (``rar=False`` gives equal allocation to active arms).

:func:`calibrate_efficacy` finds the efficacy threshold giving a target type I error
under a null scenario by bisection with common random numbers (same seed at each
step). Chunks run through the foundation executor with seeds from ``spawn_seeds``.

Continuous endpoints: :mod:`~pharmakon.trials.design.bayes_continuous`; enrichment,
BOIN and CRM have their own modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pharmakon.errors import InputError

__all__ = ["BayesianResult", "simulate_bayesian_multiarm", "calibrate_efficacy", "calibrate_threshold", "bayes_chunk"]


@dataclass
class BayesianResult:
    """Operating characteristics of a Bayesian adaptive multi-arm design.

    Attributes
    ----------
    power : float
        P(trial declares efficacy for some arm) (type I error under the null).
    select_probability : list of float, length arms
        P(arm declared effective) (index 0, control, is always 0).
    early_stop, expected_n, mc_se : float
    allocation : list of float, length arms
        Mean share of patients per arm.
    bias_selected : float
        Mean (estimated - true) response rate of the selected arm, over trials with a winner.
    """

    power: float
    select_probability: list[float]
    early_stop: float
    futility_stop: float
    expected_n: float
    allocation: list[float]
    bias_selected: float
    mc_se: float
    sims: int
    seed: int
    parameters: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def check_look_schedule(n_max: int, block: int, efficacy: float, futility: float) -> None:
    """Validate the block schedule and posterior thresholds shared by the Bayesian simulators."""
    if block < 1 or n_max < block:
        raise InputError(f"need 1 <= block <= n_max, got block={block}, n_max={n_max}", field="block")
    if not 0.5 < efficacy < 1:
        raise InputError(f"efficacy threshold must be in (0.5, 1), got {efficacy}", field="efficacy")
    if not 0 <= futility < efficacy:
        raise InputError(f"futility threshold must be in [0, efficacy), got {futility}", field="futility")


def apply_look(
    gt: np.ndarray, idx: np.ndarray, state: dict[str, np.ndarray], prm: dict[str, Any], last: bool
) -> np.ndarray:
    """One interim look for the running trials ``idx``: drop arms, stop for efficacy or futility.

    ``gt`` (running trials, arms) holds P(arm beats control); ``state`` holds the arrays
    ``active``, ``selected``, ``futile`` and ``running``, updated in place. Returns the
    arms still active in the running trials.
    """
    act = state["active"][idx]
    act[:, 1:] &= gt[:, 1:] >= prm["futility"]
    state["active"][idx] = act
    eff = np.where(act, gt, 0.0)
    eff[:, 0] = 0.0
    win = eff.max(axis=1) > prm["efficacy"]
    done_futile = ~act[:, 1:].any(axis=1) & ~win
    state["selected"][idx[win]] = eff[win].argmax(axis=1)
    state["futile"][idx[done_futile]] = True
    state["running"][idx[win | done_futile]] = False
    if last:
        state["running"][:] = False
    return act


def adaptive_shares(act: np.ndarray, best: np.ndarray, rar_power: float) -> np.ndarray:
    """Thompson-type allocation: control keeps 1/arms, active arms share the rest by P(best)^power."""
    arms = act.shape[1]
    tw = np.where(act, best, 0.0) ** rar_power
    tw[:, 0] = 0.0
    tot = tw.sum(axis=1, keepdims=True)
    share = np.where(tot > 0, tw / np.where(tot > 0, tot, 1.0), 0.0) * (1 - 1.0 / arms)
    share[:, 0] = 1.0 / arms
    return share


def new_state(n: int, arms: int) -> dict[str, np.ndarray]:
    """Per-trial arrays of a chunk of ``n`` trials with ``arms`` arms."""
    return {
        "active": np.ones((n, arms), dtype=bool),
        "running": np.ones(n, dtype=bool),
        "selected": np.full(n, -1),
        "futile": np.zeros(n, dtype=bool),
    }


def chunk_sums(state: dict[str, np.ndarray], m: np.ndarray, n_max: int, bias_sum: float) -> dict[str, Any]:
    """What a chunk returns: sums over its trials, added across chunks by :func:`summarise`."""
    selected = state["selected"]
    n_used = m.sum(axis=1)
    return {
        "wins": np.bincount(selected[selected >= 0], minlength=m.shape[1]).tolist(),
        "futile": int(state["futile"].sum()),
        "early": int((n_used < n_max).sum()),
        "n_sum": float(n_used.sum()),
        "alloc_sum": (m / n_used[:, None]).sum(axis=0).tolist(),
        "bias_sum": bias_sum,
    }


def summarise(
    result: type[BayesianResult], parts: list[dict[str, Any]], sims: int, seed: int, prm: dict[str, Any]
) -> BayesianResult:
    """Operating characteristics from the chunk sums of :func:`chunk_sums`."""
    from pharmakon.trials.design._fanout import add_up

    wins = add_up(parts, "wins") / sims
    power = float(wins.sum())
    return result(
        power=power,
        select_probability=[float(x) for x in wins],
        early_stop=add_up(parts, "early") / sims,
        futility_stop=add_up(parts, "futile") / sims,
        expected_n=add_up(parts, "n_sum") / sims,
        allocation=[float(x) for x in add_up(parts, "alloc_sum") / sims],
        bias_selected=add_up(parts, "bias_sum") / max(round(power * sims), 1),
        mc_se=float(np.sqrt(power * (1 - power) / sims)),
        sims=sims,
        seed=seed,
        parameters=prm,
    )


def _p_greater(rng: np.random.Generator, s: np.ndarray, n: np.ndarray, a: float, b: float, draws: int):  # type: ignore[no-untyped-def]
    """Posterior draws -> P(arm > control) and P(arm is best), each (trials, arms)."""
    x = rng.beta(a + s[:, :, None], b + n[:, :, None] - s[:, :, None], size=(*s.shape, draws))
    gt = (x > x[:, :1, :]).mean(axis=2)
    best = np.zeros(s.shape)
    winner = x[:, 1:, :].argmax(axis=1) + 1
    np.add.at(best, (np.repeat(np.arange(s.shape[0]), draws), winner.ravel()), 1.0 / draws)
    return gt, best


def bayes_chunk(task: tuple[dict[str, Any], Any, int]) -> dict[str, Any]:
    """Simulate ``n`` trials: ``(params, seed_sequence, n)`` -> sums (exact, order-free)."""
    prm, seed, n = task
    rng = np.random.default_rng(seed)
    p = np.asarray(prm["p"], dtype=float)
    arms = p.size
    s = np.zeros((n, arms))
    m = np.zeros((n, arms))
    state = new_state(n, arms)
    looks = prm["n_max"] // prm["block"]
    weights = np.full((n, arms), 1.0 / arms)
    for look in range(looks):
        idx = np.flatnonzero(state["running"])
        if idx.size == 0:
            break
        w = weights[idx]
        new = rng.multinomial(prm["block"], w / w.sum(axis=1, keepdims=True))
        m[idx] += new
        s[idx] += rng.binomial(new, p)
        gt, best = _p_greater(rng, s[idx], m[idx], prm["a"], prm["b"], prm["draws"])
        act = apply_look(gt, idx, state, prm, last=look == looks - 1)
        weights[idx] = (
            adaptive_shares(act, best, prm["rar_power"]) if prm["rar"] else act / act.sum(axis=1, keepdims=True)
        )
    selected = state["selected"]
    win_rows = np.flatnonzero(selected >= 0)
    est = s[win_rows, selected[win_rows]] / np.maximum(m[win_rows, selected[win_rows]], 1)
    return chunk_sums(state, m, prm["n_max"], float((est - p[selected[win_rows]]).sum()))


def _params(
    p: Sequence[float],
    n_max: int,
    block: int,
    efficacy: float,
    futility: float,
    rar: bool,
    rar_power: float,
    prior: tuple[float, float],
    draws: int,
) -> dict[str, Any]:
    if len(p) < 2 or any(not 0 < x < 1 for x in p):
        raise InputError(f"p needs a control and >= 1 treatment rate, each in (0, 1), got {list(p)}", field="p")
    check_look_schedule(n_max, block, efficacy, futility)
    return {
        "p": [float(x) for x in p],
        "n_max": int(n_max),
        "block": int(block),
        "efficacy": float(efficacy),
        "futility": float(futility),
        "rar": bool(rar),
        "rar_power": float(rar_power),
        "a": float(prior[0]),
        "b": float(prior[1]),
        "draws": int(draws),
    }


def simulate_bayesian_multiarm(
    p: Sequence[float],
    n_max: int = 200,
    block: int = 40,
    *,
    efficacy: float = 0.99,
    futility: float = 0.05,
    rar: bool = True,
    rar_power: float = 0.5,
    prior: tuple[float, float] = (1.0, 1.0),
    draws: int = 256,
    sims: int = 10_000,
    seed: int = 0,
    backend: Any = "serial",
    chunk_size: int = 5_000,
    progress: Any = None,
) -> BayesianResult:
    """Simulate a Bayesian adaptive multi-arm binary trial (see module docstring).

    Parameters
    ----------
    p : sequence of float, shape (arms,)
        True response rates; ``p[0]`` is control.
    n_max, block : int
        Maximum total patients and patients per interim block.
    efficacy, futility : float
        Posterior-probability thresholds for stopping / dropping.
    draws : int
        Posterior draws per arm and look (Monte Carlo error of the probabilities ~ 1/sqrt(draws)).

    Examples
    --------
    >>> r = simulate_bayesian_multiarm([0.2, 0.2, 0.4], sims=2000, seed=1)
    >>> r.select_probability[2] > r.select_probability[1]
    True
    """
    from pharmakon.trials.design._fanout import run_chunks

    prm = _params(p, n_max, block, efficacy, futility, rar, rar_power, prior, draws)
    out = run_chunks(bayes_chunk, prm, sims, seed, backend=backend, chunk_size=chunk_size, progress=progress)
    return summarise(BayesianResult, out, sims, seed, prm)


def calibrate_threshold(
    simulate: Callable[..., Any],
    null: Sequence[Any],
    target_alpha: float = 0.025,
    *,
    sims: int = 10_000,
    seed: int = 0,
    lo: float = 0.9,
    hi: float = 0.99999,
    iterations: int = 14,
    **kwargs: Any,
) -> dict[str, Any]:
    """Posterior-probability efficacy threshold whose simulated type I error is <= ``target_alpha``.

    Bisection on the threshold with common random numbers (the same ``seed`` at every
    step), so the simulated error is monotone in the threshold up to posterior-draw noise.
    ``simulate(null, efficacy=..., sims=..., seed=..., **kwargs)`` must return a result
    with ``power`` (the rejection rate) and ``mc_se``.

    Returns
    -------
    dict
        ``efficacy`` (threshold), ``type_one_error`` (simulated at it), ``mc_se``.
    """
    if not 0 < target_alpha < 0.5:
        raise InputError(f"target_alpha must be in (0, 0.5), got {target_alpha}", field="target_alpha")
    best = None
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        res = simulate(null, efficacy=mid, sims=sims, seed=seed, **kwargs)
        if res.power <= target_alpha:
            hi, best = mid, res
        else:
            lo = mid
    if best is None:
        best = simulate(null, efficacy=hi, sims=sims, seed=seed, **kwargs)
    return {"efficacy": hi, "type_one_error": best.power, "mc_se": best.mc_se}


def calibrate_efficacy(p_null: Sequence[float], target_alpha: float = 0.025, **kwargs: Any) -> dict[str, Any]:
    """:func:`calibrate_threshold` for :func:`simulate_bayesian_multiarm` under response rates ``p_null``."""
    return calibrate_threshold(simulate_bayesian_multiarm, p_null, target_alpha, **kwargs)
