"""Vectorised Monte Carlo simulation of group-sequential trials (rates and means).

Each chunk of ``chunk_size`` simulated trials is one NumPy computation (no Python
loop over trials): stage-wise data for all trials are drawn at once, cumulated,
turned into the overall test statistic at each look and compared with the design's
boundaries. Chunks run through the foundation's executor; chunk ``i`` draws from
``spawn_seeds(seed, n_chunks)[i]`` and returns integer counts, so the same seed gives
the same answer on every backend (serial, local pool, Ray) and any number of workers.

Conventions follow rpact's ``getSimulationRates`` / ``getSimulationMeans`` for a
group-sequential design: ``planned`` are cumulative sample sizes over both arms at each
look, equal allocation (1:1), the test is one-sided upper (``directionUpper``) unless
the design is two-sided, futility bounds stop the trial when ``Z_k <= f_k``
(``|Z_k| <= f_k`` for two-sided designs).

* rates: ``Z_k = (p1 - p2) / sqrt(pbar (1 - pbar) (1/n1 + 1/n2))`` on cumulative data
  (pooled variance under H0; a look with ``pbar`` in {0, 1} gives ``Z_k = 0``);
* means: ``Z_k = (mean1 - mean2 - theta_h0) / (stdev sqrt(1/n1 + 1/n2))`` with the
  standard deviation treated as known (stage means are drawn from their exact normal
  distribution, which is equivalent to simulating patients).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pharmakon.errors import InputError
from pharmakon.trials.design.groupsequential import GroupSequentialDesign

__all__ = ["SimulationResult", "simulate_rates", "simulate_means", "simulate_chunk", "DEFAULT_CHUNK"]

DEFAULT_CHUNK = 200_000


@dataclass
class SimulationResult:
    """Operating characteristics estimated by simulation.

    Attributes
    ----------
    power : float
        Overall rejection probability (type I error when simulated under H0).
    reject_per_stage, futility_per_stage : list of float, length K
        Probability of rejecting / stopping for futility at each look.
    early_stop : float
        Probability of stopping before the last look (efficacy or futility).
    expected_n : float
        Expected total sample size (both arms).
    mc_se : float
        Monte Carlo standard error of ``power``: ``sqrt(p (1 - p) / sims)``.
    mc_se_expected_n : float
        Monte Carlo standard error of ``expected_n``.
    sample_size_distribution : dict of str to float
        ``P(N = n)`` for each planned size ``n``.
    sims, seed, seconds, sims_per_second : int, int, float, float
    """

    endpoint: str
    power: float
    reject_per_stage: list[float]
    futility_per_stage: list[float]
    early_stop: float
    expected_n: float
    mc_se: float
    mc_se_expected_n: float
    sample_size_distribution: dict[str, float]
    sims: int
    seed: int
    seconds: float
    sims_per_second: float
    backend: str
    parameters: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def _statistics(kind: str, params: dict[str, Any], rng: np.random.Generator, n: int) -> np.ndarray:
    planned = np.asarray(params["planned"], dtype=float)
    per_arm = np.diff(np.concatenate(([0.0], planned))) / 2.0
    cum_arm = planned / 2.0
    if kind == "rates":
        m = np.rint(per_arm).astype(np.int64)
        x1 = rng.binomial(m, params["pi1"], size=(n, m.size)).cumsum(axis=1)
        x2 = rng.binomial(m, params["pi2"], size=(n, m.size)).cumsum(axis=1)
        n_arm = np.cumsum(m).astype(float)
        p1, p2 = x1 / n_arm, x2 / n_arm
        pbar = (x1 + x2) / (2.0 * n_arm)
        var = pbar * (1.0 - pbar) * (2.0 / n_arm)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(var > 0, (p1 - p2) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
        return z
    # means: stage-wise sums of N(mu, sd^2 m) per arm, cumulated
    sd = params["stdev"]
    diff = rng.standard_normal((n, per_arm.size)) * (sd * np.sqrt(2.0 * per_arm)) + params["alternative"] * per_arm
    cum = np.cumsum(diff, axis=1) / cum_arm  # cumulative mean difference
    return (cum - params.get("theta_h0", 0.0)) / (sd * np.sqrt(2.0 / cum_arm))


def simulate_chunk(task: tuple[str, dict[str, Any], Any, int]) -> dict[str, Any]:
    """Simulate one chunk: ``(kind, params, seed_sequence, n)`` -> integer counts.

    Returns
    -------
    dict
        ``reject`` and ``futility`` counts per stage (length K), ``n_sum`` and
        ``n_sq_sum`` (sum and sum of squares of the final sample size, exact integers).
    """
    kind, params, seed, n = task
    rng = np.random.default_rng(seed)
    z = _statistics(kind, params, rng, n)
    k_max = z.shape[1]
    upper = np.asarray(params["critical_values"])
    if params["sided"] == 2:
        up = np.abs(z) >= upper
    else:
        up = z >= upper
    lower = np.full(k_max, -np.inf)
    if params.get("futility_bounds") is not None:
        lower[:-1] = [-np.inf if f is None else f for f in params["futility_bounds"]]
    # two-sided designs stop for futility inside the wedge |Z_k| <= f_k
    down = ((np.abs(z) if params["sided"] == 2 else z) <= lower) & ~up
    stop = up | down
    stop[:, -1] = True
    first = stop.argmax(axis=1)
    rows = np.arange(n)
    rej = up[rows, first]
    reject = np.bincount(first[rej], minlength=k_max)
    futility = np.bincount(first[~rej & (first < k_max - 1)], minlength=k_max)
    planned = np.asarray(params["planned"], dtype=np.int64)
    stops = np.bincount(first, minlength=k_max)
    return {
        "reject": reject.tolist(),
        "futility": futility.tolist(),
        "stops": stops.tolist(),
        "n_sum": int((stops * planned).sum()),
        "n_sq_sum": int((stops * planned**2).sum()),
    }


def _check_common(design: GroupSequentialDesign, planned: Sequence[float], sims: int) -> list[int]:
    if len(planned) != design.kmax:
        raise InputError(
            f"planned needs {design.kmax} cumulative sample sizes (one per look), got {len(planned)}", field="planned"
        )
    p = [int(round(x)) for x in planned]
    if any(x <= 0 or x % 2 for x in p) or any(b <= a for a, b in zip(p, p[1:], strict=False)):
        raise InputError(
            f"planned sample sizes must be even, positive and strictly increasing, got {list(planned)}", field="planned"
        )
    if not 1 <= sims <= 10**9:
        raise InputError(f"sims must be in [1, 1e9], got {sims}", field="sims")
    return p


def _run(
    kind: str,
    design: GroupSequentialDesign,
    params: dict[str, Any],
    sims: int,
    seed: int,
    backend: Any,
    n_jobs: int | None,
    chunk_size: int,
    progress: Callable[[int, int], Any] | None,
) -> SimulationResult:
    from pharmakon.executor import Executor, SerialExecutor, get_executor, spawn_seeds

    params = dict(
        params, critical_values=list(design.critical_values), sided=design.sided, futility_bounds=design.futility_bounds
    )
    n_chunks = -(-sims // chunk_size)
    seeds = spawn_seeds(seed, n_chunks)
    sizes = [chunk_size] * (n_chunks - 1) + [sims - chunk_size * (n_chunks - 1)]
    tasks = [(kind, params, s, m) for s, m in zip(seeds, sizes, strict=True)]
    start = time.perf_counter()
    if isinstance(backend, Executor):  # caller-owned executor, left open
        executor = backend
        counts = executor.map(simulate_chunk, tasks, chunksize=1, progress=progress)
    else:
        executor = SerialExecutor() if n_chunks == 1 and backend is None else get_executor(backend, n_jobs=n_jobs)
        with executor:
            counts = executor.map(simulate_chunk, tasks, chunksize=1, progress=progress)
    seconds = time.perf_counter() - start
    k_max = design.kmax
    reject = np.sum([c["reject"] for c in counts], axis=0) / sims
    futility = np.sum([c["futility"] for c in counts], axis=0) / sims
    stops = np.sum([c["stops"] for c in counts], axis=0) / sims
    n_sum = sum(c["n_sum"] for c in counts)
    n_sq = sum(c["n_sq_sum"] for c in counts)
    power = float(reject.sum())
    mean_n = n_sum / sims
    var_n = max(n_sq / sims - mean_n**2, 0.0)
    return SimulationResult(
        endpoint=kind,
        power=power,
        reject_per_stage=[float(x) for x in reject],
        futility_per_stage=[float(x) for x in futility[: k_max - 1]],
        early_stop=float(stops[:-1].sum()),
        expected_n=float(mean_n),
        mc_se=float(np.sqrt(power * (1 - power) / sims)),
        mc_se_expected_n=float(np.sqrt(var_n / sims)),
        sample_size_distribution={str(n): float(p) for n, p in zip(params["planned"], stops, strict=True)},
        sims=sims,
        seed=seed,
        seconds=seconds,
        sims_per_second=sims / seconds if seconds > 0 else float("inf"),
        backend=type(executor).__name__.replace("Executor", "").lower() or "serial",
        parameters={k: v for k, v in params.items() if k not in ("critical_values", "futility_bounds", "sided")},
    )


def simulate_rates(
    design: GroupSequentialDesign,
    pi1: float,
    pi2: float,
    planned: Sequence[float],
    *,
    sims: int = 100_000,
    seed: int = 0,
    backend: Any = None,
    n_jobs: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], Any] | None = None,
) -> SimulationResult:
    """Simulate a two-arm binary-endpoint trial under ``design`` (rpact ``getSimulationRates``).

    Parameters
    ----------
    design : GroupSequentialDesign
    pi1, pi2 : float
        True response rates (treatment, control), in (0, 1).
    planned : sequence of int, shape (K,)
        Cumulative total sample sizes (both arms, 1:1) at each look; even numbers.
    sims : int
        Number of simulated trials.
    seed : int
        Root seed (chunk seeds are spawned from it).
    backend, n_jobs : optional
        Executor backend (``serial``, ``local``, ``ray``) and workers.
    chunk_size : int
        Trials per chunk; results depend on it (fixed default), not on the backend.

    Examples
    --------
    >>> from pharmakon.trials.design import design_group_sequential
    >>> d = design_group_sequential(3, 0.025, type_of_design="asOF")
    >>> r = simulate_rates(d, 0.5, 0.3, [60, 120, 180], sims=20000, seed=1)
    >>> 0.6 < r.power < 0.8
    True
    """
    for name, p in (("pi1", pi1), ("pi2", pi2)):
        if not 0.0 < p < 1.0:
            raise InputError(f"{name} must be in (0, 1), got {p}", field=name)
    p = _check_common(design, planned, sims)
    return _run(
        "rates",
        design,
        {"pi1": float(pi1), "pi2": float(pi2), "planned": p},
        sims,
        seed,
        backend,
        n_jobs,
        chunk_size,
        progress,
    )


def simulate_means(
    design: GroupSequentialDesign,
    alternative: float,
    stdev: float,
    planned: Sequence[float],
    *,
    theta_h0: float = 0.0,
    sims: int = 100_000,
    seed: int = 0,
    backend: Any = None,
    n_jobs: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], Any] | None = None,
) -> SimulationResult:
    """Simulate a two-arm continuous-endpoint trial (rpact ``getSimulationMeans``, known SD).

    Parameters
    ----------
    alternative : float
        True mean difference (treatment - control), endpoint units.
    stdev : float
        Common standard deviation (> 0), endpoint units.

    See :func:`simulate_rates` for the other parameters.
    """
    if not stdev > 0:
        raise InputError(f"stdev must be > 0, got {stdev}", field="stdev")
    p = _check_common(design, planned, sims)
    params = {"alternative": float(alternative), "stdev": float(stdev), "theta_h0": float(theta_h0), "planned": p}
    return _run("means", design, params, sims, seed, backend, n_jobs, chunk_size, progress)
