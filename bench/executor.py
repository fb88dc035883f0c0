"""Benchmark of pharmakon.executor: overhead per item and speed-up on CPU-bound work.

Runs the same seeded workload on every backend available here, checks that the
results are identical, and writes ``bench/results/executor.json``.

Also measures what a pool of local workers costs before its first result
(``pool_start_s``: a fresh ``LocalExecutor`` mapping two one-trial simulation chunks, so
each worker starts and imports NumPy and the simulation module), the number behind
``pharmakon.executor.WORKER_START_S``, and times a 1M-trial ``simulate_rates`` with and
without that threshold (``start_workers_above_s``): below it the work stays in the process.

Usage: ``python bench/executor.py [--n-jobs N] [--no-ray] [--only-threshold] [--reps 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from pharmakon.executor import RayExecutor, get_executor, spawn_seeds


def noop(x: int) -> int:
    """Tiny task: measures per-item overhead."""
    return x


def simulate(seed: np.random.SeedSequence) -> float:
    """CPU-bound task (a few ms): mean of a two-arm trial simulation's z statistics."""
    rng = np.random.default_rng(seed)
    control = rng.normal(0.0, 1.0, size=(400, 500))
    treated = rng.normal(0.2, 1.0, size=(400, 500))
    diff = treated.mean(axis=1) - control.mean(axis=1)
    se = np.sqrt(treated.var(axis=1, ddof=1) / 500 + control.var(axis=1, ddof=1) / 500)
    return float((diff / se).mean())


def run(executor, fn, items) -> tuple[float, list]:
    executor.map(fn, items[:2])  # warm the pool / Ray workers
    start = time.perf_counter()
    results = executor.map(fn, items)
    return time.perf_counter() - start, results


def threshold(reps: int, n_jobs: int | None) -> dict:
    """Pool start-up, and a 1M-trial simulation with workers always started vs only when they pay."""
    import statistics

    from pharmakon.executor import WORKER_START_S, LocalExecutor
    from pharmakon.trials.design import design_group_sequential, simulate_rates
    from pharmakon.trials.design.simulation import simulate_chunk

    design = design_group_sequential(3, 0.025, type_of_design="OF")
    params = {
        "pi1": 0.4, "pi2": 0.25, "planned": [150, 300, 450], "sided": 1,
        "critical_values": list(design.critical_values), "futility_bounds": None,
    }  # fmt: skip
    tasks = [("rates", params, seed, 1) for seed in spawn_seeds(1, 2)]
    starts, always, adaptive = [], [], []
    for _ in range(reps):
        start = time.perf_counter()
        with LocalExecutor(n_jobs=n_jobs) as ex:
            ex.map(simulate_chunk, tasks, chunksize=1)
        starts.append(time.perf_counter() - start)
        for out, threshold_s in ((always, None), (adaptive, WORKER_START_S)):
            start = time.perf_counter()
            with LocalExecutor(n_jobs=n_jobs, start_workers_above_s=threshold_s) as ex:
                simulate_rates(design, 0.4, 0.25, [150, 300, 450], sims=1_000_000, seed=1, backend=ex)
            out.append(time.perf_counter() - start)
    return {
        "worker_start_s_constant": WORKER_START_S,
        "pool_start_s": starts,
        "pool_start_s_median": statistics.median(starts),
        "sim_1m_workers_always_s": always,
        "sim_1m_workers_when_worth_s": adaptive,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--only-threshold", action="store_true", help="only the worker start-up measurements")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    start_up = threshold(args.reps, args.n_jobs)
    print(
        f"pool start-up (s): {', '.join(f'{t:.2f}' for t in start_up['pool_start_s'])} "
        f"(WORKER_START_S = {start_up['worker_start_s_constant']})\n"
        f"1M-trial simulation, workers always: {', '.join(f'{t:.2f}' for t in start_up['sim_1m_workers_always_s'])} s; "
        f"only when worth it: {', '.join(f'{t:.2f}' for t in start_up['sim_1m_workers_when_worth_s'])} s"
    )
    out = Path(__file__).parent / "results" / "executor_threshold.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), **start_up}, indent=2))
    if args.only_threshold:
        return

    tiny = list(range(20_000))
    seeds = spawn_seeds(2024, 64)
    backends = ["serial", "local"] + ([] if args.no_ray else ["ray"])
    rows, reference = [], None
    for name in backends:
        with get_executor(name, n_jobs=args.n_jobs if name != "serial" else None) as ex:
            if isinstance(ex, RayExecutor):
                ex.map(noop, [0])  # start Ray outside the timings
            t_tiny, _ = run(ex, noop, tiny)
            t_sim, results = run(ex, simulate, seeds)
            workers = ex.n_workers
        reference = results if reference is None else reference
        rows.append(
            {
                "backend": name,
                "workers": workers,
                "overhead_us_per_item": 1e6 * t_tiny / len(tiny),
                "sim_s": t_sim,
                "identical_to_serial": results == reference,
            }
        )
    serial_s = rows[0]["sim_s"]
    for row in rows:
        row["speedup_vs_serial"] = serial_s / row["sim_s"]

    print(f"{'backend':8} {'workers':>7} {'us/item':>9} {'sim s':>7} {'speed-up':>8} identical")
    for r in rows:
        print(
            f"{r['backend']:8} {r['workers']:>7} {r['overhead_us_per_item']:>9.1f} {r['sim_s']:>7.2f} "
            f"{r['speedup_vs_serial']:>8.2f} {r['identical_to_serial']}"
        )
    out = Path(__file__).parent / "results" / "executor.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "n_tiny": len(tiny),
                "n_sim": len(seeds),
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
