"""Benchmark: group-sequential boundaries and trial simulation, pharmakon vs R rpact.

Run side by side in one job (needs the Debian packages ``r-base-core r-cran-rpact r-cran-jsonlite``):

    .venv/bin/python bench/trial_design.py [--designs 200] [--rpact-iterations 10000] [--sims 1000000]

(a) boundaries of N designs (kMax 2-5, OF/P/asOF/asP/asKD/asHSD, one/two-sided,
    several alphas, some with beta-spending futility): wall time of the whole loop in
    rpact (``getDesignGroupSequential``) and in pharmakon, and the largest absolute
    difference of the critical values (and futility bounds).
(b) a 3-stage asOF design simulated with rpact ``getSimulationRates`` /
    ``getSimulationMeans`` at 10,000 iterations and with pharmakon at 1,000,000:
    simulated trials per second, ratio, and power agreement in Monte Carlo SEs.
Floors (issue 4): (a) pharmakon at least as fast, agreement <= 1e-6; (b) >= 20x rpact's
trials per second. The numbers are measured, not asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import _common

_common.add_repo_root_to_path()

from pharmakon.trials.design import design_group_sequential, simulate_means, simulate_rates  # noqa: E402


def design_grid(n: int) -> list[dict]:
    """A deterministic list of ``n`` designs as our kwargs."""
    out = []
    types = [
        ("OF", None),
        ("P", None),
        ("asOF", None),
        ("asP", None),
        ("asKD", 1.0),
        ("asKD", 2.0),
        ("asKD", 3.0),
        ("asHSD", -4.0),
        ("asHSD", -2.0),
        ("asHSD", 1.0),
    ]
    for kmax, (tod, g), sided, alpha in itertools.product((2, 3, 4, 5), types, (1, 2), (0.025, 0.01)):
        out.append(
            {
                "kmax": kmax,
                "alpha": alpha if sided == 1 else 2 * alpha,
                "sided": sided,
                "type_of_design": tod,
                "gamma_a": g,
            }
        )
    for kmax, (tod, bs), binding in itertools.product((2, 3, 4, 5), (("asOF", "bsOF"), ("asP", "bsP")), (False, True)):
        rates = list(np.round(np.linspace(0, 1, kmax + 1)[1:] ** 0.8, 4))
        rates[-1] = 1.0
        out.append(
            {
                "kmax": kmax,
                "alpha": 0.025,
                "beta": 0.2,
                "sided": 1,
                "type_of_design": tod,
                "type_beta_spending": bs,
                "binding_futility": binding,
                "information_rates": rates,
            }
        )
    reps = itertools.cycle(out)
    return [dict(next(reps)) for _ in range(n)]


def r_call(d: dict) -> str:
    parts = [f"kMax={d['kmax']}", f"alpha={d['alpha']}", f"sided={d['sided']}", f'typeOfDesign="{d["type_of_design"]}"']
    if d.get("gamma_a") is not None:
        parts.append(f"gammaA={d['gamma_a']}")
    if d.get("type_beta_spending"):
        parts += [
            f"beta={d['beta']}",
            f'typeBetaSpending="{d["type_beta_spending"]}"',
            f"bindingFutility={'TRUE' if d['binding_futility'] else 'FALSE'}",
            f"informationRates=c({','.join(str(x) for x in d['information_rates'])})",
        ]
    return f"getDesignGroupSequential({', '.join(parts)})"


R_TEMPLATE = """
suppressMessages(library(rpact)); library(jsonlite)
calls <- list({calls})
t0 <- proc.time()[["elapsed"]]
res <- lapply(calls, function(f) f())
t_design <- proc.time()[["elapsed"]] - t0
crit <- lapply(res, function(d) list(cv=d$criticalValues, fb=d$futilityBounds))
design <- getDesignGroupSequential(kMax=3, alpha=0.025, typeOfDesign="asOF")
t0 <- proc.time()[["elapsed"]]
sr <- getSimulationRates(design, groups=2, pi1=0.5, pi2=0.3, plannedSubjects=c(60,120,180),
                         maxNumberOfIterations={iters}, seed=12345)
t_rates <- proc.time()[["elapsed"]] - t0
t0 <- proc.time()[["elapsed"]]
sm <- getSimulationMeans(design, groups=2, alternative=0.5, stDev=1, plannedSubjects=c(60,120,180),
                         maxNumberOfIterations={iters}, seed=12345)
t_means <- proc.time()[["elapsed"]] - t0
cat(toJSON(list(version=as.character(packageVersion("rpact")), t_design=t_design, crit=crit,
  t_rates=t_rates, rates_power=sr$overallReject, rates_reject=as.vector(sr$rejectPerStage),
  rates_en=sr$expectedNumberOfSubjects, t_means=t_means, means_power=sm$overallReject,
  means_reject=as.vector(sm$rejectPerStage), means_en=sm$expectedNumberOfSubjects), digits=NA, auto_unbox=TRUE))
"""


def run_rpact(designs: list[dict], iters: int) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    calls = ",\n".join(f"function() {r_call(d)}" for d in designs)
    script = R_TEMPLATE.replace("{calls}", calls).replace("{iters}", str(iters))
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
    proc = subprocess.run(["Rscript", fh.name], capture_output=True, text=True, check=False)
    Path(fh.name).unlink()
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--designs", type=int, default=200)
    ap.add_argument("--rpact-iterations", type=int, default=10_000)
    ap.add_argument("--sims", type=int, default=1_000_000)
    ap.add_argument("--backend", default="serial", help="executor backend for pharmakon's simulation")
    args = ap.parse_args()
    designs = design_grid(args.designs)
    design_group_sequential(3, 0.025, type_of_design="asOF")  # import/JIT warm-up of numpy paths
    t0 = time.perf_counter()
    ours = [design_group_sequential(**d) for d in designs]
    t_ours = time.perf_counter() - t0
    ref = run_rpact(designs, args.rpact_iterations)
    d3 = design_group_sequential(3, 0.025, type_of_design="asOF")
    sim_r = simulate_rates(d3, 0.5, 0.3, [60, 120, 180], sims=args.sims, seed=12345, backend=args.backend)
    sim_m = simulate_means(d3, 0.5, 1.0, [60, 120, 180], sims=args.sims, seed=12345, backend=args.backend)
    result: dict = {
        "designs": len(designs),
        "pharmakon_design_seconds": t_ours,
        "sims": args.sims,
        "pharmakon_rates_sims_per_second": sim_r.sims_per_second,
        "pharmakon_rates_power": sim_r.power,
        "pharmakon_rates_mc_se": sim_r.mc_se,
        "pharmakon_means_sims_per_second": sim_m.sims_per_second,
        "pharmakon_means_power": sim_m.power,
        "pharmakon_means_mc_se": sim_m.mc_se,
    }
    rows = [
        ["boundaries: designs", len(designs), len(designs), ""],
        ["boundaries: total seconds", f"{t_ours:.3f}", "-", ""],
    ]
    if ref is not None:
        diffs = []
        for d, r in zip(ours, ref["crit"], strict=True):
            diffs.append(np.max(np.abs(np.asarray(d.critical_values) - np.asarray(r["cv"], dtype=float))))
            if d.futility_bounds is not None and r.get("fb"):
                diffs.append(np.max(np.abs(np.asarray(d.futility_bounds) - np.asarray(r["fb"], dtype=float))))
        it = args.rpact_iterations
        r_rates, r_means = it / ref["t_rates"], it / ref["t_means"]
        se_r = np.sqrt(sim_r.mc_se**2 + ref["rates_power"] * (1 - ref["rates_power"]) / it)
        se_m = np.sqrt(sim_m.mc_se**2 + ref["means_power"] * (1 - ref["means_power"]) / it)
        result.update(
            {
                "rpact_version": ref["version"],
                "rpact_design_seconds": ref["t_design"],
                "design_speed_ratio": ref["t_design"] / t_ours,
                "max_abs_boundary_diff": float(max(diffs)),
                "rpact_iterations": it,
                "rpact_rates_sims_per_second": r_rates,
                "rpact_rates_power": ref["rates_power"],
                "rates_speed_ratio": sim_r.sims_per_second / r_rates,
                "rates_power_diff_in_se": abs(sim_r.power - ref["rates_power"]) / se_r,
                "rpact_means_sims_per_second": r_means,
                "rpact_means_power": ref["means_power"],
                "means_speed_ratio": sim_m.sims_per_second / r_means,
                "means_power_diff_in_se": abs(sim_m.power - ref["means_power"]) / se_m,
            }
        )
        rows = [
            ["boundaries: designs", len(designs), len(designs), ""],
            [
                "boundaries: total seconds",
                f"{t_ours:.3f}",
                f"{ref['t_design']:.3f}",
                f"{result['design_speed_ratio']:.1f}x faster",
            ],
            ["boundaries: max |diff|", f"{result['max_abs_boundary_diff']:.1e}", "", "floor 1e-6"],
            [
                "rates sim: trials/s",
                f"{sim_r.sims_per_second:,.0f}",
                f"{r_rates:,.0f}",
                f"{result['rates_speed_ratio']:.0f}x (floor 20x)",
            ],
            [
                "rates sim: power",
                f"{sim_r.power:.4f}",
                f"{ref['rates_power']:.4f}",
                f"{result['rates_power_diff_in_se']:.2f} SE",
            ],
            [
                "means sim: trials/s",
                f"{sim_m.sims_per_second:,.0f}",
                f"{r_means:,.0f}",
                f"{result['means_speed_ratio']:.0f}x (floor 20x)",
            ],
            [
                "means sim: power",
                f"{sim_m.power:.4f}",
                f"{ref['means_power']:.4f}",
                f"{result['means_power_diff_in_se']:.2f} SE",
            ],
        ]
    _common.write_result(
        "trial_design", {"result": result, "machine": _common.machine_info(rpact=(ref or {}).get("version"))}
    )
    _common.print_table("trial design: pharmakon vs rpact", ["metric", "pharmakon", "rpact", "ratio / note"], rows)


if __name__ == "__main__":
    main()
