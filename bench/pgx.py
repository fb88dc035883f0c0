"""Benchmark of PGx batch calling: samples x genes called per second, and peak memory.

A synthetic multi-sample VCF is built from the allele definitions (11 genes, all but
CYP2D6; Zipf-shaped synthetic allele frequencies with a 70% reference allele, 0.2% of
genotypes missing; see :mod:`pharmakon.patients.pgx.synth`). Building it is setup and
is not timed. Each size is then called by ``call_batch`` (cyvcf2 read, matching,
phenotype, TSV written) in a fresh Python process, through the executor (local pool),
and the process reports its wall time and the peak resident memory of itself and of
its largest worker process (RSS polled every 50 ms with psutil). Memory is "flat" when the peak does not grow with the
number of samples (work is streamed in sample chunks of ``--chunk-size``).

Floor (issue 6): 10,000 samples x 11 genes in under 60 s on the 2-core machine.
There is no peer tool here (PharmCAT needs Java), so numbers are absolute.

Usage::

    python bench/pgx.py                    # 2,000 and 10,000 samples
    python bench/pgx.py --sizes 1000 --quick

Writes ``bench/results/pgx.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _common

FLOOR_SECONDS = 60.0


def _poll_rss(peaks: dict[int, int], stop: threading.Event) -> None:
    """Record the largest RSS seen per process (this one and its descendants) every 50 ms."""
    import psutil

    me = psutil.Process()
    while not stop.is_set():
        for p in [me, *me.children(recursive=True)]:
            try:
                peaks[p.pid] = max(peaks.get(p.pid, 0), p.memory_info().rss)
            except psutil.Error:
                pass
        stop.wait(0.05)


def _worker(vcf: str, backend: str, n_jobs: int, chunk_size: int) -> None:
    from pharmakon.patients.pgx import call_batch

    out = Path(tempfile.mkdtemp()) / "calls.tsv"
    peaks: dict[int, int] = {}
    stop = threading.Event()
    poller = threading.Thread(target=_poll_rss, args=(peaks, stop), daemon=True)
    poller.start()
    start = time.perf_counter()
    summary = call_batch(vcf, out, backend=backend, n_jobs=n_jobs, chunk_size=chunk_size)
    seconds = time.perf_counter() - start
    stop.set()
    poller.join()
    # polled, not ru_maxrss: Linux keeps ru_maxrss across execve, so it would report the parent's peak
    main_peak = peaks.pop(os.getpid(), 0)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "summary": summary,
                "peak_rss_main_mib": main_peak / 2**20,
                "peak_rss_worker_mib": max(peaks.values(), default=0) / 2**20,
                "n_worker_processes_seen": len(peaks),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--backend", default="local")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="sizes 500 and 2000")
    parser.add_argument("--worker", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker[0], args.backend, args.n_jobs, args.chunk_size)
        return 0
    _common.add_repo_root_to_path()
    from pharmakon.patients.pgx import write_synthetic_vcf

    sizes = [500, 2000] if args.quick else args.sizes
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            vcf = Path(tmp) / f"syn{n}.vcf.gz"
            write_synthetic_vcf(vcf, n, seed=n)
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                str(vcf),
                "--backend",
                args.backend,
                "--n-jobs",
                str(args.n_jobs),
                "--chunk-size",
                str(args.chunk_size),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if proc.returncode:
                raise SystemExit(f"worker for {n} samples failed:\n{proc.stderr[-3000:]}")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            calls = r["summary"]["n_rows"]
            r.update(
                {
                    "n_samples": n,
                    "vcf_mib": vcf.stat().st_size / 2**20,
                    "calls_per_s": _common.rate(calls, r["seconds"]),
                    "samples_per_s": _common.rate(n, r["seconds"]),
                }
            )
            results.append(r)
            rows.append(
                [
                    n,
                    r["summary"]["n_genes"],
                    f"{r['seconds']:.1f}",
                    f"{r['calls_per_s']:.0f}",
                    f"{r['peak_rss_main_mib']:.0f}",
                    f"{r['peak_rss_worker_mib']:.0f}",
                    r["summary"]["status_counts"],
                ]
            )
    floor = next((r for r in results if r["n_samples"] == 10000), None)
    payload = {
        "machine": _common.machine_info(),
        "backend": args.backend,
        "n_jobs": args.n_jobs,
        "chunk_size": args.chunk_size,
        "results": results,
        "floor": {
            "target_s": FLOOR_SECONDS,
            "measured_s": floor["seconds"] if floor else None,
            "met": bool(floor and floor["seconds"] < FLOOR_SECONDS),
        },
    }
    out = _common.write_result("pgx", payload)
    _common.print_table(
        "PGx batch calling (synthetic VCF)",
        ["samples", "genes", "seconds", "calls/s", "peak MiB main", "peak MiB worker", "status"],
        rows,
        caption=f"written to {out}",
        numeric=["samples", "genes", "seconds", "calls/s", "peak MiB main", "peak MiB worker"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
