"""Benchmark of disproportionality signal detection at FAERS scale (issue 5).

For each size it generates FAERS-shaped synthetic reports with injected signals
(:func:`pharmakon.trials.safety.synthetic.make_reports`: Zipf-skewed drugs and events,
drug-class background heterogeneity, 200 injected pairs with reporting ratio 2, 3 or 5),
writes them as a Parquet long table (not timed), then in a fresh child process times

* ingest: :func:`read_long` (Parquet -> Polars, drug-name normalisation, bad-row checks);
* signals: :func:`detect_signals` with all four methods (EBGM with MGPS fitted on
  squashed data, PRR, ROR, IC) and expected counts stratified by sex;

and reads the child's peak resident memory (``ru_maxrss``, the whole process: Python,
Polars and numpy). Ranking quality: ROC AUC of each score (EB05, EBGM, PRR, ROR lower
bound, IC025) for "is an injected pair" among all observed pairs (label 0 includes the
background heterogeneity, so AUC < 1 is expected).

Running-trial monitoring: operating characteristics of the three monitoring models
(beta-binomial and gamma-Poisson vs the control arm, cutoff 0.99 on P(RR > 1); Poisson
MaxSPRT vs the historical control rate, alpha 0.05) on simulated two-arm trials
(100 subjects per arm, accrual 180 days, follow-up 180 days, control rate 0.002
events/subject-day): alert probability (false-alert rate at RR = 1), median days to
alert, for RR 1, 1.5, 2 and 3 (``--oc-sims`` trials each).

Lower bound (issue 20, "20M rows toward 30 s"): in the same child process after the
pipeline, Polars reading the same Parquet file and counting reports per (drug, event, sex)
-- the one pass over the rows that any disproportionality method needs -- timed alone;
the table gives the pipeline as a multiple of it, in wall seconds and in CPU seconds
(``time.process_time``, all threads: on a machine shared with other jobs the CPU ratio is
the steadier one). The load average before and after is recorded. Writing the signal
table as CSV (:meth:`SignalTable.to_csv_bytes`, what ``safety signals -o`` writes) is
timed on its own (``csv_s``), outside ingest + signals.

Floors from the issue: 20M rows end-to-end < 300 s with peak memory < 8 GiB on this 2-core machine.
There is no peer here (openEBGM needs R, which is not installed): absolute numbers.

Usage::

    python bench/safety.py                 # quick: 200k and 1M rows, 100 trials per RR (about a minute)
    python bench/safety.py --full          # 1M, 5M and 20M rows (the 20M case once)
    python bench/safety.py --rows 2000000

Writes ``bench/results/safety.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common

NAME = "safety"
FLOOR_S, FLOOR_GIB, FLOOR_ROWS = 300.0, 8.0, 20_000_000
SCORES = ("eb05", "ebgm", "prr", "ror_lower", "ic025")


def child(data: str, truth: str) -> dict:
    """Run ingest + all methods in this (fresh) process; return timings, AUCs and peak memory."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from pharmakon.trials.safety import detect_signals, read_long

    load_before = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    table, report = read_long(data)
    t1 = time.perf_counter()
    result = detect_signals(table, methods="ebgm,prr,ror,ic", strata=["sex"])
    t2, c2 = time.perf_counter(), time.process_time()
    csv = result.to_csv_bytes()
    csv_s = time.perf_counter() - t2
    scored = result.table.merge(pd.read_parquet(truth).assign(label=1), on=["drug", "event"], how="left")
    label = scored["label"].fillna(0).to_numpy()
    aucs = {s: float(roc_auc_score(label, np.nan_to_num(scored[s].to_numpy(), posinf=1e300))) for s in SCORES}
    import polars as pl

    t3, c3 = time.perf_counter(), time.process_time()
    pl.scan_parquet(data).group_by(["drug", "event", "sex"]).len().collect()
    bound, bound_cpu = time.perf_counter() - t3, time.process_time() - c3
    return {
        "lower_bound_s": bound,
        "over_bound": (t2 - t0) / bound if bound > 0 else None,
        "cpu_s": c2 - c0,
        "lower_bound_cpu_s": bound_cpu,
        "over_bound_cpu": (c2 - c0) / bound_cpu if bound_cpu > 0 else None,
        "csv_s": csv_s,
        "csv_bytes": len(csv),
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
        "rows": report.rows_kept,
        "pairs": len(result.table),
        "injected_observed": int(label.sum()),
        "ingest_s": t1 - t0,
        "signals_s": t2 - t1,
        "total_s": t2 - t0,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "auc": aucs,
        "flagged": result.summary()["flagged"],
        "hyper_converged": result.hyper.converged,
        "bad_rows": report.bad_count,
    }


def monitoring_oc(n_sims: int, seed: int) -> tuple[object, float]:
    """Operating characteristics of one rule per model on simulated trials."""
    from pharmakon.trials.safety.monitoring import MonitorRule
    from pharmakon.trials.safety.simulate import operating_characteristics

    rules = [
        MonitorRule("beta-binomial", event="HEPATOTOXICITY", cutoff=0.99),
        MonitorRule("gamma-Poisson", event="HEPATOTOXICITY", model="gamma_poisson", cutoff=0.99),
        MonitorRule(
            "MaxSPRT", event="HEPATOTOXICITY", model="maxsprt", control=None, historical_rate=0.002, max_expected=40.0
        ),
    ]
    t0 = time.perf_counter()
    oc = operating_characteristics(
        rules, (1.0, 1.5, 2.0, 3.0), n_sims=n_sims, n_per_arm=100, base_rate=0.002, seed=seed
    )
    return oc, time.perf_counter() - t0


def run_size(rows: int, seed: int, workdir: Path) -> dict:
    from pharmakon.trials.safety.synthetic import make_reports

    t0 = time.perf_counter()
    synth = make_reports(rows, seed=seed)
    data, truth = workdir / f"reports_{rows}.parquet", workdir / f"truth_{rows}.parquet"
    synth.rows.to_parquet(data)
    synth.truth.to_parquet(truth)
    gen_s = time.perf_counter() - t0
    del synth
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(data), str(truth)], capture_output=True, text=True, check=True
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["generate_s"] = gen_s
    data.unlink()
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", help="row counts to run")
    parser.add_argument("--full", action="store_true", help="1M, 5M and 20M rows")
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--oc-sims", type=int, help="simulated trials per risk ratio (default 100; 500 with --full)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    sizes = args.rows or ([1_000_000, 5_000_000, 20_000_000] if args.full else [200_000, 1_000_000])
    results = []
    with tempfile.TemporaryDirectory(prefix="pharmakon-bench-safety-") as tmp:
        for rows in sizes:
            res = run_size(rows, args.seed, Path(tmp))
            res["target_rows"] = rows
            if rows >= FLOOR_ROWS:
                res["meets_floor"] = res["total_s"] < FLOOR_S and res["peak_rss_gib"] < FLOOR_GIB
            results.append(res)
    oc, oc_s = monitoring_oc(args.oc_sims or (500 if args.full else 100), args.seed)
    _common.write_result(
        NAME,
        {
            "machine": _common.machine_info(),
            "floors": {"rows": FLOOR_ROWS, "seconds": FLOOR_S, "peak_gib": FLOOR_GIB},
            "peer": "none (openEBGM needs R)",
            "results": results,
            "monitoring": {"seconds": oc_s, "rows": oc.to_dict("records")},
        },
    )
    rows_out = [
        [
            f"{r['rows']:,}",
            f"{r['pairs']:,}",
            f"{r['ingest_s']:.1f}",
            f"{r['signals_s']:.1f}",
            f"{r['total_s']:.1f}",
            f"{r['lower_bound_s']:.1f}",
            f"{r['over_bound']:.1f}x / {r['over_bound_cpu']:.1f}x",
            f"{r['csv_s']:.1f}",
            f"{r['load_avg_before'][0]:.1f}",
            f"{r['peak_rss_gib']:.2f}",
            f"{r['injected_observed']}",
            *(f"{r['auc'][s]:.3f}" for s in SCORES),
        ]
        for r in results
    ]
    _common.print_table(
        "Signal detection, ingest + EBGM/PRR/ROR/IC (sex-stratified E)",
        [
            "rows",
            "pairs",
            "ingest s",
            "signals s",
            "total s",
            "bound s",
            "x bound (wall / CPU)",
            "CSV s",
            "load",
            "peak GiB",
            "injected seen",
            *(f"AUC {s}" for s in SCORES),
        ],
        rows_out,
        numeric=["rows", "pairs", "ingest s", "signals s", "total s", "peak GiB"],
        caption="floor: 20M rows < 300 s and < 8 GiB (goal toward 30 s); bound: Polars read + count per "
        "(drug, event, sex) of the same file; AUC: injected pairs vs all observed pairs",
    )
    _common.print_table(
        f"Trial safety monitoring, {int(oc['n_sims'].iloc[0])} simulated trials per RR ({oc_s:.0f} s)",
        ["rule", "true RR", "alert rate", "s.e.", "median days to alert"],
        [
            [r.rule, f"{r.rr:g}", f"{r.alert_rate:.3f}", f"{r.alert_rate_se:.3f}", f"{r.median_days_to_alert:.0f}"]
            for r in oc.itertuples()
        ],
        numeric=["alert rate", "s.e.", "median days to alert"],
        caption="alert rate at RR = 1 is the false-alert rate (continuous monitoring, every record)",
    )


if __name__ == "__main__":
    main()
