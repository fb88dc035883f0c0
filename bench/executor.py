"""Benchmark of pharmakon.executor: overhead per item and speed-up on CPU-bound work.

Runs the same seeded workload on every backend available here, checks that the
results are identical, and writes ``bench/results/executor.json``.

Usage: ``python bench/executor.py [--n-jobs N] [--no-ray]``
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()

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
