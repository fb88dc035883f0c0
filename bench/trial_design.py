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
(c) whole process, what a user waits for (issue 20): ``pharmakon trial simulate rates --kmax 3
    --spending OF --pi1 0.4 --pi2 0.25 --planned 150,300,450 --sims 1000000 --json`` (start-up,
    design, simulation, storing and auditing the result) against ``Rscript`` running rpact's
    ``getSimulationRates`` on the same design with 100,000 iterations, alternated ``--reps``
    times in the same run; trials per second of each whole process, their ratio, and power
    agreement in Monte Carlo SEs. Beside it, in this process, the pure-NumPy lower bound for
    the same design: ``numpy_reference`` (cumulative binomial draws per stage and arm, Z
    statistics, first crossing: the plain loop-free version) and ``rng_floor`` (only the
    uniforms the kernel consumes, two per stage and trial), against pharmakon's kernel.
Floors: (a) pharmakon at least as fast, agreement <= 1e-6; (b) >= 20x rpact's trials per
second; (c) >= 20x rpact's whole-process rate. The numbers are measured, not asserted.

    .venv/bin/python bench/trial_design.py --only whole [--reps 3]   # (c) alone
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


# -- (c) whole process ------------------------------------------------------------------------
WHOLE_DESIGN = {"pi1": 0.4, "pi2": 0.25, "planned": [150, 300, 450]}
WHOLE_CLI = [
    "trial", "simulate", "rates", "--kmax", "3", "--spending", "OF", "--pi1", "0.4", "--pi2", "0.25",
    "--planned", "150,300,450", "--json",
]  # fmt: skip
WHOLE_R = (
    "suppressMessages(library(rpact)); library(jsonlite); "
    'd <- getDesignGroupSequential(kMax=3, alpha=0.025, typeOfDesign="OF"); '
    "s <- getSimulationRates(d, groups=2, pi1=0.4, pi2=0.25, plannedSubjects=c(150,300,450), "
    "maxNumberOfIterations={iters}, seed=12345); "
    "cat(toJSON(list(power=s$overallReject), digits=NA, auto_unbox=TRUE))"
)


def numpy_reference(sims: int, seed: int = 1) -> float:
    """The plain loop-free NumPy simulation of the (c) design; returns power (1-sided OF, K=3).

    Binomial draws for every stage and arm, cumulated, pooled-variance Z at each look, first
    crossing of the O'Brien-Fleming bounds: what a careful user writes without a library.
    """
    from pharmakon.trials.design import design_group_sequential

    crit = np.asarray(design_group_sequential(3, 0.025, type_of_design="OF").critical_values)
    rng = np.random.default_rng(seed)
    m = np.diff(np.concatenate(([0], WHOLE_DESIGN["planned"]))) // 2
    n = np.cumsum(m).astype(float)
    x1 = rng.binomial(m, WHOLE_DESIGN["pi1"], size=(sims, m.size)).cumsum(axis=1)
    x2 = rng.binomial(m, WHOLE_DESIGN["pi2"], size=(sims, m.size)).cumsum(axis=1)
    pbar = (x1 + x2) / (2 * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.nan_to_num((x1 - x2) / n / np.sqrt(pbar * (1 - pbar) * 2 / n))
    return float((z >= crit).any(axis=1).mean())


def rng_floor(sims: int, seed: int = 1) -> None:
    """Only the randomness the kernel needs: two float64 uniforms per stage and trial."""
    rng = np.random.default_rng(seed)
    for _ in range(0, sims, 1 << 16):
        for _ in range(2 * len(WHOLE_DESIGN["planned"])):
            rng.random(1 << 16)


def _wall(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return seconds, proc.stdout


def whole_process(sims: int, r_iters: int, reps: int) -> tuple[dict, list[list]]:
    """(c): alternate the two whole processes ``reps`` times; best and median of each."""
    import os
    import statistics

    from pharmakon.trials.design import design_group_sequential, simulate_rates

    pharmakon = str(Path(sys.executable).with_name("pharmakon"))
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, PHARMAKON_HOME=home)
        cli = [pharmakon, *WHOLE_CLI, "--sims", str(sims)]
        _wall(cli, env)  # first run creates and migrates the store: not what a user waits for each time
        ours, theirs, out = [], [], ""
        have_r = shutil.which("Rscript") is not None
        for _ in range(reps):
            t, out = _wall(cli, env)
            ours.append(t)
            if have_r:
                t, r_out = _wall(["Rscript", "-e", WHOLE_R.replace("{iters}", str(r_iters))], env)
                theirs.append(t)
    power = json.loads(out)["power"]
    d = design_group_sequential(3, 0.025, type_of_design="OF")
    simulate_rates(d, 0.4, 0.25, WHOLE_DESIGN["planned"], sims=1000, backend="serial")  # warm
    t0 = time.perf_counter()
    kernel = simulate_rates(d, 0.4, 0.25, WHOLE_DESIGN["planned"], sims=sims, seed=1, backend="serial")
    t_kernel = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref_power = numpy_reference(sims)
    t_numpy = time.perf_counter() - t0
    t0 = time.perf_counter()
    rng_floor(sims)
    t_floor = time.perf_counter() - t0
    res = {
        "whole_command": " ".join(["pharmakon", *WHOLE_CLI, "--sims", str(sims)]),
        "whole_sims": sims,
        "whole_pharmakon_seconds": ours,
        "whole_pharmakon_sims_per_second": sims / statistics.median(ours),
        "whole_pharmakon_power": power,
        "kernel_serial_seconds": t_kernel,
        "kernel_serial_sims_per_second": sims / t_kernel,
        "kernel_power": kernel.power,
        "numpy_reference_seconds": t_numpy,
        "numpy_reference_sims_per_second": sims / t_numpy,
        "numpy_reference_power": ref_power,
        "rng_floor_seconds": t_floor,
        "rng_floor_sims_per_second": sims / t_floor,
    }
    rows = [
        [
            "whole: seconds (median)",
            f"{statistics.median(ours):.2f}",
            "",
            f"runs {', '.join(f'{t:.2f}' for t in ours)}",
        ],
        ["whole: trials/s", f"{res['whole_pharmakon_sims_per_second']:,.0f}", "", ""],
        ["kernel (1 core): trials/s", f"{res['kernel_serial_sims_per_second']:,.0f}", "", f"{t_kernel:.3f} s"],
        ["plain NumPy (1 core): trials/s", f"{res['numpy_reference_sims_per_second']:,.0f}", "", f"{t_numpy:.3f} s"],
        ["RNG floor (1 core): trials/s", f"{res['rng_floor_sims_per_second']:,.0f}", "", f"{t_floor:.3f} s"],
    ]
    if theirs:
        r_rate = r_iters / statistics.median(theirs)
        r_power = json.loads(r_out)["power"]
        se = np.sqrt(power * (1 - power) / sims + r_power * (1 - r_power) / r_iters)
        res |= {
            "whole_rpact_iterations": r_iters,
            "whole_rpact_seconds": theirs,
            "whole_rpact_sims_per_second": r_rate,
            "whole_rpact_power": r_power,
            "whole_speed_ratio": res["whole_pharmakon_sims_per_second"] / r_rate,
            "whole_power_diff_in_se": abs(power - r_power) / se,
        }
        rows[0][2] = f"{statistics.median(theirs):.2f}"
        rows[0][3] += f" / rpact {', '.join(f'{t:.2f}' for t in theirs)} ({r_iters:,} iterations)"
        rows[1][2:] = [f"{r_rate:,.0f}", f"{res['whole_speed_ratio']:.1f}x (floor 20x)"]
        rows.append(["whole: power", f"{power:.4f}", f"{r_power:.4f}", f"{res['whole_power_diff_in_se']:.2f} SE"])
    return res, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--designs", type=int, default=200)
    ap.add_argument("--rpact-iterations", type=int, default=10_000)
    ap.add_argument("--sims", type=int, default=1_000_000)
    ap.add_argument("--backend", default="serial", help="executor backend for pharmakon's simulation")
    ap.add_argument("--only", choices=["all", "whole"], default="all", help="whole: only (c), the whole processes")
    ap.add_argument("--reps", type=int, default=3, help="(c): alternated runs of each whole process")
    ap.add_argument("--whole-rpact-iterations", type=int, default=100_000)
    args = ap.parse_args()
    whole, whole_rows = whole_process(args.sims, args.whole_rpact_iterations, args.reps)
    if args.only == "whole":
        _common.write_result("trial_design_whole", {"result": whole, "machine": _common.machine_info()})
        _common.print_table(
            "trial simulate, whole process: pharmakon vs rpact",
            ["metric", "pharmakon", "rpact", "ratio / note"],
            whole_rows,
        )
        return
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
    result |= whole
    rows += whole_rows
    _common.write_result(
        "trial_design", {"result": result, "machine": _common.machine_info(rpact=(ref or {}).get("version"))}
    )
    _common.print_table("trial design: pharmakon vs rpact", ["metric", "pharmakon", "rpact", "ratio / note"], rows)


if __name__ == "__main__":
    main()
