"""Nanoparticle delivery: PBPK engine correctness and speed, the published-model comparison, the delivery QSAR.

Usage::

    python bench/nano_delivery.py                      # everything (100,000 subjects: several minutes)
    python bench/nano_delivery.py --large 20000        # a smaller executor run
    python bench/nano_delivery.py --skip-qsar --skip-large

Writes ``bench/results/nano_delivery.json`` and prints tables. Sections:

1. correctness: one compartment vs dose*exp(-CL/V t); random linear specs vs scipy.linalg.expm;
   mass balance of every subject of the built-in model.
2. speed: ``pharmakon nano pbpk --spec nanoparticle-mouse --subjects 1000 --json -o T.parquet``
   as a whole command (floor: < 10 s); N subjects through the executor (local, and ray with
   ``--ray``), wall time and peak memory (max RSS of this process and of the workers).
3. reference: the built-in spec vs the published model's own equations (the Lin lab's
   mrgsolve code, arterial/venous blood, lung between them, spleen outflow into the liver),
   written out independently here with the same parameter values: % of dose in blood, liver,
   spleen, kidney, lung, tumour at 1, 24, 168 h.
4. QSAR: repeated 80/20 splits of the 301 development rows (mean +- SD of R^2 on %ID and on
   log10 %ID), xgboost on log10 %ID with conformal intervals, through core's lifecycle.
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

import numpy as np

import _common

_common.add_repo_root_to_path()


def correctness() -> dict:
    from scipy.linalg import expm

    from pharmakon.nano.delivery.pbpk import output_times, simulate
    from pharmakon.nano.delivery.pbpk_spec import load_spec, parse_spec

    one = parse_spec(
        {"dose": {"amount": 2, "into": "plasma"}, "compartments": [{"name": "plasma", "volume": 0.5, "clearance": 0.1}]}
    )
    t = output_times(24, 0.5)
    exact = 2 * np.exp(-0.2 * t)
    one_err = float(np.max(np.abs(simulate(one, t).typical[:, 0] - exact) / exact))
    errs = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        k = int(rng.integers(1, 9))
        organs = [
            {
                "name": f"o{i}",
                "volume": float(rng.uniform(0.001, 0.05)),
                "blood_flow": float(rng.uniform(0.001, 0.5)),
                "partition": float(rng.uniform(0.05, 5)),
                "clearance": float(rng.uniform(0, 0.01)),
            }
            for i in range(k)
        ]
        vb, clb = float(rng.uniform(0.001, 0.01)), float(rng.uniform(0, 0.005))
        spec = parse_spec(
            {
                "dose": {"amount": 1, "into": "b"},
                "compartments": [{"name": "b", "volume": vb, "clearance": clb}, *organs],
            }
        )
        a = np.zeros((k + 2, k + 2))
        a[0, 0] -= clb / vb
        a[-1, 0] += clb / vb
        for i, o in enumerate(organs, 1):
            q, v, p, cl = o["blood_flow"], o["volume"], o["partition"], o["clearance"]
            a[i, 0] += q / vb
            a[0, 0] -= q / vb
            a[i, i] -= q / (v * p) + cl / v
            a[0, i] += q / (v * p)
            a[-1, i] += cl / v
        times = output_times(48, 2)
        y = np.array([expm(a * s)[:, 0] for s in times])
        sim = simulate(spec, times).typical
        mask = y[:, :-1] > 1e-9
        errs.append(float(np.max(np.abs(sim - y[:, :-1])[mask] / y[:, :-1][mask])))
    builtin, _ = load_spec("nanoparticle-mouse")
    traj = simulate(builtin, output_times(168, 1), subjects=1000)
    return {
        "one_compartment_max_rel_error": one_err,
        "linear_vs_expm_max_rel_error": max(errs),
        "linear_specs": len(errs),
        "builtin_1000_subjects_max_mass_balance_error": traj.max_mass_balance_error,
    }


def cli_speed(subjects: int) -> dict:
    exe = Path(sys.executable).with_name("pharmakon")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "traj.parquet"
        env = {**os.environ, "PHARMAKON_HOME": str(Path(tmp) / "home")}
        cmd = [str(exe), "nano", "pbpk", "--spec", "nanoparticle-mouse", "--subjects", str(subjects), "--json",
               "-o", str(out)]  # fmt: skip
        times, cpu = [], []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU seconds (user + sys) do not grow when other jobs share the cores; wall time does
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
        body = json.loads(done.stdout)
        rows = len(__import__("pandas").read_parquet(out))
    return {
        "command": " ".join(["pharmakon", *cmd[1:-1], "T.parquet"]),
        "subjects": subjects,
        "seconds": times,
        "best_seconds": min(times),
        "cpu_seconds": cpu,
        "best_cpu_seconds": min(cpu),
        "parquet_rows": rows,
        "max_mass_balance_error": body["max_mass_balance_error"],
        "load_average_1min": os.getloadavg()[0],
    }


def large(subjects: int, backend: str) -> dict:
    from pharmakon.nano.delivery.pbpk import output_times
    from pharmakon.nano.delivery.pbpk_spec import load_spec
    from pharmakon.nano.delivery.population import simulate_population

    spec, _ = load_spec("nanoparticle-mouse")
    start = time.perf_counter()
    traj = simulate_population(spec, output_times(168, 1), subjects=subjects, backend=backend, batch_size=1000)
    pct = traj.percentiles()
    seconds = time.perf_counter() - start
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "backend": backend,
        "subjects": subjects,
        "seconds": seconds,
        "peak_rss_mib_parent": self_rss,
        "peak_rss_mib_largest_worker": child_rss,
        "trajectory_array_mib": (traj.amounts.nbytes + traj.excreted.nbytes) / 2**20,
        "max_mass_balance_error": traj.max_mass_balance_error,
        "tumor_p50_24h_pct_dose": float(100 * pct["p50"][24, traj.compartments.index("tumor")] / traj.dose),
    }


def published_equations(times: np.ndarray) -> dict[str, np.ndarray]:
    """The Lin lab mouse model's ODEs (UFPBPK/Nano-AI-PBPK-G2 PBPK/NanoPBPK.R), default parameters; % of dose."""
    from scipy.integrate import solve_ivp

    bw, qc = 0.02, 16.5 * 0.02**0.75
    fq = {"L": 0.02, "K": 0.091, "Br": 0.033, "S": 0.011, "M": 0.159, "T": 0.01}
    fq["R"] = 1 - sum(fq.values())
    fv = {"L": 0.055, "Lu": 0.007, "K": 0.017, "Br": 0.017, "S": 0.005, "M": 0.384, "T": 0.024}
    vplas = 0.0355 * bw
    fv["R"] = 1 - sum(fv.values()) - 0.0355
    bv = {"L": 0.31, "Br": 0.03, "K": 0.24, "S": 0.17, "Lu": 0.5, "M": 0.04, "R": 0.04, "T": 0.01}
    part = {"L": 0.08, "K": 0.15, "Br": 0.15, "S": 0.15, "Lu": 0.15, "M": 0.15, "R": 0.15, "T": 0.00377}
    pac = {"L": 0.001, "Br": 1e-6, "K": 0.01, "S": 0.15, "Lu": 0.001, "M": 5e-5, "R": 5e-5, "T": 0.00377}
    res = {  # max, t50, n, release
        "L": (0.3, 48, 5, 0.0015),
        "S": (5, 36, 5, 0.001),
        "K": (0.12, 48, 5, 0.001),
        "Lu": (0.085, 48, 5, 0.003),
        "M": (0.4, 48, 5, 0.005),
        "R": (0.4, 48, 5, 0.005),
        "T": (0.00198, 0.00002, 0.61, 0.0071),
    }
    q = {k: qc * f for k, f in fq.items()} | {"Lu": qc}
    v = {k: bw * f for k, f in fv.items()}
    vb = {k: v[k] * bv[k] for k in v}
    vt = {k: v[k] - vb[k] for k in v}
    pa = {k: pac[k] * q[k] for k in v}
    kbile, kurine = 0.00003 * bw**0.75, 0.000003 * bw**0.75
    organs = ["L", "Lu", "K", "Br", "S", "M", "T", "R"]
    idx = {"A": 0, "V": 1}
    for o in organs:
        for part_name in ("b", "t", "pc"):
            idx[o + part_name] = len(idx)
    idx["urine"], idx["bile"] = len(idx), len(idx) + 1

    def hill(o: str, t: float) -> float:
        if o not in res:
            return 0.0
        m, t50, n, _ = res[o]
        return m * t**n / (t50**n + t**n)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        d = np.zeros_like(y)
        ca, cv = y[0] / (vplas * 0.2), y[1] / (vplas * 0.8)
        cvb = {o: y[idx[o + "b"]] / vb[o] for o in organs}
        ct = {o: y[idx[o + "t"]] / vt[o] for o in organs}
        d[0] = qc * cvb["Lu"] - qc * ca
        d[1] = sum(q[o] * cvb[o] for o in ("L", "Br", "K", "M", "R", "T")) - qc * cv
        for o in organs:
            inflow = qc * cv if o == "Lu" else q[o] * ca
            flux = pa[o] * cvb[o] - pa[o] * ct[o] / part[o]
            d[idx[o + "b"]] += inflow - q[o] * cvb[o] - flux
            d[idx[o + "t"]] += flux
            site = o + ("b" if o == "L" else "t")  # Kupffer cells take up from liver capillary blood
            up = hill(o, t) * y[idx[site]]
            rel = res[o][3] * y[idx[o + "pc"]] if o in res else 0.0
            d[idx[site]] += rel - up
            d[idx[o + "pc"]] += up - rel
        d[idx["Lb"]] += q["S"] * cvb["S"]  # the published code: spleen outflow into the liver ...
        d[idx["Kb"]] -= kurine * cvb["K"]
        d[idx["urine"]] += kurine * cvb["K"]
        d[idx["Lt"]] -= kbile * ct["L"]
        d[idx["bile"]] += kbile * ct["L"]
        return d  # ... while the liver returns only QL*CVL (as published)

    y0 = np.zeros(len(idx))
    y0[1] = 0.02  # i.v. bolus into venous blood
    sol = solve_ivp(rhs, (0, float(times[-1])), y0, method="LSODA", t_eval=times, rtol=1e-8, atol=1e-14)
    y = sol.y
    organ_names = {"L": "liver", "Lu": "lung", "K": "kidney", "Br": "brain", "S": "spleen", "M": "muscle",
                   "T": "tumor", "R": "rest"}  # fmt: skip
    out = {"plasma": 100 * (y[0] + y[1]) / 0.02}
    for o, name in organ_names.items():
        out[name] = 100 * (y[idx[o + "b"]] + y[idx[o + "t"]] + y[idx[o + "pc"]]) / 0.02
    return out


def reference() -> dict:
    from pharmakon.nano.delivery.pbpk import output_times, simulate
    from pharmakon.nano.delivery.pbpk_spec import load_spec

    times = output_times(168, 1)
    spec, _ = load_spec("nanoparticle-mouse")
    ours = simulate(spec, times)
    theirs = published_equations(times)
    rows = {}
    for c in ("plasma", "lung", "liver", "spleen", "kidney", "tumor"):
        k = ours.compartments.index(c)
        for h in (1, 24, 168):
            a, b = 100 * ours.typical[h, k] / ours.dose, float(theirs[c][h])
            rows[f"{c}@{h}h"] = {"ours_pct": float(a), "published_equations_pct": b, "ratio": float(a / b)}
    return rows


def qsar(repeats: int) -> dict:
    import pandas as pd
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split

    from pharmakon.core.lifecycle import train_model
    from pharmakon.datasets import load
    from pharmakon.nano.delivery.tumor_db import FEATURES, clean_particles

    clean, qc = clean_particles(load("nano_tumor_db", "delivery"))
    out: dict = {"rows": len(clean), "repeats": repeats, "model": "xgboost, trials=0, log10 target", "targets": {}}
    for target in ("DE_24", "DE_168", "DE_Max"):
        frame = clean[list(FEATURES)].copy()
        frame["y"] = np.log10(np.maximum(clean[target], 1e-3))
        r2_pct, r2_log, cover = [], [], []
        for rep in range(repeats):
            tr, te = train_test_split(frame, test_size=0.2, random_state=rep)
            model = train_model(tr, "y", task="regression", trials=0, seed=rep, models=["xgboost"])
            pred = model.predict(te.drop(columns="y")).table
            y, p = te["y"].to_numpy(), pred["prediction"].to_numpy()
            r2_log.append(r2_score(y, p))
            r2_pct.append(r2_score(10**y, 10**p))
            cover.append(float(np.mean((y >= pred["pred_lower"]) & (y <= pred["pred_upper"]))))
        out["targets"][target] = {
            "r2_pct_mean": float(np.mean(r2_pct)),
            "r2_pct_sd": float(np.std(r2_pct, ddof=1)),
            "r2_log_mean": float(np.mean(r2_log)),
            "r2_log_sd": float(np.std(r2_log, ddof=1)),
            "coverage_90_mean": float(np.mean(cover)),
        }
    out["qc"] = {k: qc[k] for k in ("zp_missing", "categories_merged", "de_max_ge_50")}
    _ = pd
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000, help="subjects of the executor run")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--ray", type=int, default=0, help="also this many subjects on the ray backend")
    parser.add_argument("--skip-qsar", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--merge", action="store_true", help="keep the sections of the last results not rerun")
    args = parser.parse_args()
    if "PHARMAKON_DATA_MIRROR" not in os.environ:
        os.environ["PHARMAKON_DATA_MIRROR"] = str(_common.REPO_ROOT.parent / "shared" / "data")
    payload: dict = {}
    last = _common.RESULTS_DIR / "nano_delivery.json"
    if args.merge and last.exists():
        old = json.loads(last.read_text())
        payload = {k: v for k, v in old.items() if k not in ("benchmark", "finished_at", "command", "merged_from")}
        payload["merged_from"] = f"{old.get('command')} (finished {old.get('finished_at')})"
    payload["machine"] = _common.machine_info()
    payload["correctness"] = correctness()
    if not args.skip_cli:
        payload["cli_1000"] = cli_speed(1000)
    payload["reference"] = reference()
    if not args.skip_large:
        payload["large"] = [large(args.large, "local")]
        if args.ray:
            payload["large"].append(large(args.ray, "ray"))
    if not args.skip_qsar:
        payload["qsar"] = qsar(args.repeats)
    _common.write_result("nano_delivery", payload)
    c = payload["correctness"]
    _common.print_table(
        "PBPK engine correctness",
        ["check", "value", "floor"],
        [
            ["one compartment, max rel. error", f"{c['one_compartment_max_rel_error']:.2e}", "1e-6"],
            [
                f"{c['linear_specs']} linear specs vs expm, max rel. error",
                f"{c['linear_vs_expm_max_rel_error']:.2e}",
                "1e-6",
            ],
            [
                "built-in, 1,000 subjects, mass balance",
                f"{c['builtin_1000_subjects_max_mass_balance_error']:.2e}",
                "1e-6",
            ],
        ],
    )
    s = payload["cli_1000"]
    rows = [
        [
            "CLI, 1,000 subjects x 168 h hourly (best of 3)",
            f"{s['best_seconds']:.2f} s wall, {s['best_cpu_seconds']:.2f} s CPU (load {s['load_average_1min']:.1f})",
            "-",
            "< 10 s",
        ]
    ]
    for big in payload.get("large", []):
        rows.append([f"{big['backend']}, {big['subjects']:,} subjects", f"{big['seconds']:.1f} s",
                     f"{big['peak_rss_mib_parent']:.0f} MiB parent, {big['peak_rss_mib_largest_worker']:.0f} MiB worker",
                     "-"])  # fmt: skip
    _common.print_table("PBPK speed", ["run", "wall", "peak memory", "floor"], rows)
    _common.print_table(
        "Built-in spec vs the published model's equations (% of dose)",
        ["organ@time", "ours", "published eqs", "ratio"],
        [
            [k, f"{v['ours_pct']:.3f}", f"{v['published_equations_pct']:.3f}", f"{v['ratio']:.2f}"]
            for k, v in payload["reference"].items()
        ],  # fmt: skip
    )
    if "qsar" in payload:
        q = payload["qsar"]
        _common.print_table(
            f"Delivery QSAR, {q['repeats']} repeated 80/20 splits of {q['rows']} rows ({q['model']})",
            ["target", "R2 (%ID)", "R2 (log10 %ID)", "90% interval coverage"],
            [
                [
                    t,
                    f"{v['r2_pct_mean']:.3f} +- {v['r2_pct_sd']:.3f}",
                    f"{v['r2_log_mean']:.3f} +- {v['r2_log_sd']:.3f}",
                    f"{v['coverage_90_mean']:.3f}",
                ]
                for t, v in q["targets"].items()
            ],  # fmt: skip
        )


if __name__ == "__main__":
    main()
