"""Vectorised Monte Carlo simulation of group-sequential trials (rates and means).

Each chunk of ``chunk_size`` simulated trials is a few NumPy computations (no Python
loop over trials): the sufficient statistics of each stage (responders per arm, or the
stage mean difference) are drawn for a cache-sized block of trials at once, cumulated
and turned into the look's decision (a tabulated decision for every count pair for
rates; the overall Z against the boundaries for means). Chunks run through the foundation's executor; chunk ``i`` draws from
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


#: Trials processed together inside a chunk: arrays of this many int32/int8 values stay in
#: the CPU cache (256 KiB per int32 array) while every stage of the block is worked on.
BLOCK = 1 << 16
#: Largest per-arm stage size drawn from a tabulated CDF (64 Ki entries, 512 KiB); larger
#: stages use NumPy's binomial sampler.
_CDF_TABLE_MAX = 1 << 16
#: Buckets of the uniform's range in a binomial sampler's lookup table (64 KiB of int32).
_GUIDE = 1 << 14
#: Largest grid of cumulative (responders arm 1, responders arm 2) whose decisions are
#: tabulated per look (1 Mi int8 entries); larger looks compute Z on the drawn counts.
_DECISION_TABLE_MAX = 1 << 20

_CONTINUE, _REJECT, _FUTILITY = 0, 1, 2


def _rates_z(x1: np.ndarray, x2: np.ndarray, n_arm: float) -> np.ndarray:
    """Pooled-variance Z of cumulative responders ``x1``, ``x2`` out of ``n_arm`` per arm (0 if pbar in {0, 1})."""
    p1, p2 = x1 / n_arm, x2 / n_arm
    pbar = (x1 + x2) / (2.0 * n_arm)
    var = pbar * (1.0 - pbar) * (2.0 / n_arm)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, (p1 - p2) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)


def _decide(z: np.ndarray, upper: float, lower: float, sided: int) -> np.ndarray:
    """Decision codes (int8) at one look: reject if Z crosses ``upper``, futility if inside ``lower``."""
    stat = np.abs(z) if sided == 2 else z
    up = stat >= upper
    # two-sided designs stop for futility inside the wedge |Z_k| <= f_k
    down = (stat <= lower) & ~up
    return np.where(up, _REJECT, np.where(down, _FUTILITY, _CONTINUE)).astype(np.int8)


def _bounds(params: dict[str, Any], k_max: int) -> tuple[np.ndarray, np.ndarray]:
    upper = np.asarray(params["critical_values"], dtype=float)
    lower = np.full(k_max, -np.inf)
    if params.get("futility_bounds") is not None:
        lower[:-1] = [-np.inf if f is None else f for f in params["futility_bounds"]]
    return upper, lower


class _BinomialSampler:
    """Exact Binomial(m, p) draws by inverting the tabulated CDF at a uniform, mostly by one lookup.

    ``[0, 1)`` is cut into :data:`_GUIDE` equal buckets; a bucket that lies inside one step
    of the CDF gives its value directly (a gather), and only uniforms in the few buckets
    that contain a step (at most ``m + 1`` of them) are resolved by binary search. So each
    draw is exact up to floating point, at a few nanoseconds instead of NumPy's ~30-100 ns
    binomial sampler. Stages above :data:`_CDF_TABLE_MAX` use NumPy's sampler.
    """

    def __init__(self, m: int, p: float) -> None:
        self.m, self.p = m, p
        self.cdf: np.ndarray | None = None
        if m + 1 > _CDF_TABLE_MAX:
            return
        from scipy.special import bdtr  # already loaded with the design's spending functions

        cdf = bdtr(np.arange(m + 1), m, p)
        cdf[-1] = 1.0
        starts = np.arange(_GUIDE) / _GUIDE
        ends = np.nextafter((np.arange(_GUIDE) + 1) / _GUIDE, 0.0)  # largest uniform in each bucket
        first, last = np.searchsorted(cdf, starts, side="right"), np.searchsorted(cdf, ends, side="right")
        self.cdf = cdf
        self.guide = np.where(first == last, first, -1).astype(np.int32)  # -1: a CDF step inside

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws, int32 (int64 from NumPy's sampler for very large stages)."""
        if self.cdf is None:
            return rng.binomial(self.m, self.p, size=size)
        u = rng.random(size)
        x = self.guide[(u * _GUIDE).astype(np.intp)]
        steps = np.flatnonzero(x < 0)
        x[steps] = np.searchsorted(self.cdf, u[steps], side="right")
        return x


class _RatesKernel:
    """Stage-wise sufficient statistics of a two-arm binary trial, drawn in bulk.

    Per look and arm only the number of responders in the new stage matters: it is one
    Binomial(m_k, pi) draw (:class:`_BinomialSampler`). The look's decision for every possible pair of cumulative counts is
    tabulated once (an int8 table the size of the count grid), so a trial's decision is a
    table lookup, not a Z statistic in floating point.
    """

    def __init__(self, params: dict[str, Any]) -> None:
        planned = np.asarray(params["planned"], dtype=np.int64)
        self.stage = np.diff(np.concatenate(([0], planned))) // 2  # per-arm new patients per look
        self.cum = np.cumsum(self.stage)  # per-arm cumulative patients per look
        k_max = self.stage.size
        upper, lower = _bounds(params, k_max)
        self.sided = params["sided"]
        self.upper, self.lower = upper, lower
        self.samplers = [[_BinomialSampler(int(m), params[arm]) for m in self.stage] for arm in ("pi1", "pi2")]
        self.tables = [self._table(k) for k in range(k_max)]

    def _table(self, k: int) -> np.ndarray | None:
        n = int(self.cum[k])
        if (n + 1) ** 2 > _DECISION_TABLE_MAX:
            return None
        counts = np.arange(n + 1, dtype=float)
        z = _rates_z(counts[:, None], counts[None, :], float(n))
        return _decide(z, self.upper[k], self.lower[k], self.sided).ravel()

    def codes(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Decision codes, shape (size, K), int8: 0 continue, 1 reject, 2 futility."""
        k_max = self.stage.size
        out = np.empty((size, k_max), dtype=np.int8)
        x1 = np.zeros(size, dtype=np.int64)
        x2 = np.zeros(size, dtype=np.int64)
        for k in range(k_max):
            x1 += self.samplers[0][k].draw(rng, size)
            x2 += self.samplers[1][k].draw(rng, size)
            table = self.tables[k]
            if table is not None:
                out[:, k] = table[x1 * (int(self.cum[k]) + 1) + x2]
            else:
                z = _rates_z(x1.astype(float), x2.astype(float), float(self.cum[k]))
                out[:, k] = _decide(z, self.upper[k], self.lower[k], self.sided)
        return out


def _means_codes(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Decision codes (size, K) for a continuous endpoint: stage sums of N(mu, sd^2 m) per arm, cumulated."""
    planned = np.asarray(params["planned"], dtype=float)
    per_arm = np.diff(np.concatenate(([0.0], planned))) / 2.0
    cum_arm = planned / 2.0
    sd = params["stdev"]
    diff = rng.standard_normal((size, per_arm.size)) * (sd * np.sqrt(2.0 * per_arm)) + params["alternative"] * per_arm
    cum = np.cumsum(diff, axis=1) / cum_arm  # cumulative mean difference
    z = (cum - params.get("theta_h0", 0.0)) / (sd * np.sqrt(2.0 / cum_arm))
    upper, lower = _bounds(params, per_arm.size)
    return np.stack([_decide(z[:, k], upper[k], lower[k], params["sided"]) for k in range(per_arm.size)], axis=1)


def _first_stops(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per trial: the look where it stops (the last look at the latest) and whether it rejected there."""
    stop = codes != _CONTINUE
    stop[:, -1] = True
    first = stop.argmax(axis=1)
    return first, codes[np.arange(codes.shape[0]), first] == _REJECT


def simulate_chunk(task: tuple[str, dict[str, Any], Any, int]) -> dict[str, Any]:
    """Simulate one chunk: ``(kind, params, seed_sequence, n)`` -> integer counts.

    The chunk's trials are worked on in blocks of :data:`BLOCK` (cache-sized), drawn one
    after another from the chunk's generator, so the counts depend only on the task.

    Returns
    -------
    dict
        ``reject`` and ``futility`` counts per stage (length K), ``stops`` per stage,
        ``n_sum`` and ``n_sq_sum`` (sum and sum of squares of the final sample size,
        exact integers).
    """
    kind, params, seed, n = task
    rng = np.random.default_rng(seed)
    k_max = len(params["planned"])
    kernel = _RatesKernel(params) if kind == "rates" else None
    reject = np.zeros(k_max, dtype=np.int64)
    futility = np.zeros(k_max, dtype=np.int64)
    stops = np.zeros(k_max, dtype=np.int64)
    for start in range(0, n, BLOCK):
        size = min(BLOCK, n - start)
        codes = kernel.codes(rng, size) if kernel is not None else _means_codes(params, rng, size)
        first, rej = _first_stops(codes)
        reject += np.bincount(first[rej], minlength=k_max)
        futility += np.bincount(first[~rej & (first < k_max - 1)], minlength=k_max)
        stops += np.bincount(first, minlength=k_max)
    planned = np.asarray(params["planned"], dtype=np.int64)
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
    from pharmakon.executor import WORKER_START_S, Executor, SerialExecutor, get_executor, spawn_seeds

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
        # Workers start only when the chunks left would gain more than their start-up from them.
        executor = (
            SerialExecutor()
            if n_chunks == 1 and backend is None
            else get_executor(backend, n_jobs=n_jobs, start_workers_above_s=WORKER_START_S)
        )
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
