"""Nano formulation benchmark: PLGA-PEG out-of-fold floor, closed-loop regret, proposal speed.

1. PLGA-PEG microfluidics (cycle-2 table, 50 rows): out-of-fold R² of size (Z_ave) and
   PDI from ``nano fit --targets Z_ave,PDI --cv 5 --repeats 3`` (the service, form miso,
   fixed trials 0); floor: the published XGBoost's 0.888 and 0.230.
2. Closed loop on synthetic surfaces (stated below): an 8-run LHS, then 6 rounds of 8
   proposals; simple regret (best possible - best found, in units of the surface's range
   over 4,096 feasible Sobol points), median over 5 seeds; against random feasible
   proposals and a one-shot LHS of the same 56 runs.
3. Speed: one batch of 8 over a 6-factor mixture space with 100 observations.

Run: ``python bench/nano.py [--seeds 5] [--skip-plga]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import _common

_common.add_repo_root_to_path()

NAME = "nano"
MIRROR = _common.REPO_ROOT.parent / "shared" / "data" / "plga_peg_microfluidics"

#: Surface A: a 4-component LNP mixture (bounded, with two linear constraints) x flow-rate ratio x buffer;
#: potency with a curved ionizable-lipid optimum and a helper-lipid x FRR interaction.
SPACE_A = {
    "factors": [
        {"name": "IL", "low": 0.2, "high": 0.6},
        {"name": "HL", "low": 0.05, "high": 0.3},
        {"name": "CHL", "low": 0.2, "high": 0.5},
        {"name": "PEG", "low": 0.005, "high": 0.05},
        {"name": "FRR", "low": 1.0, "high": 5.0},
        {"name": "buffer", "type": "categorical", "levels": ["citrate", "acetate"]},
    ],
    "mixture": {"components": ["IL", "HL", "CHL", "PEG"], "total": 1.0},
    "constraints": ["IL + HL <= 0.75", "CHL - 2*HL >= -0.2"],
}
#: Surface B: three free process factors, a Branin-like response with a ridge interaction; constraint x + y <= 1.5.
SPACE_B = {
    "factors": [
        {"name": "x", "low": 0.0, "high": 1.0},
        {"name": "y", "low": 0.0, "high": 1.0},
        {"name": "z", "low": 0.0, "high": 1.0},
    ],
    "constraints": ["x + y <= 1.5"],
}


def surface_a(t: pd.DataFrame) -> np.ndarray:
    il, hl, frr, peg = (t[c].to_numpy(float) for c in ["IL", "HL", "FRR", "PEG"])
    buf = (t["buffer"] == "citrate").to_numpy(float)
    return 3 * il - 8 * (il - 0.45) ** 2 + 2 * hl * frr / 5 + 0.3 * buf - 20 * (peg - 0.02) ** 2


def surface_b(t: pd.DataFrame) -> np.ndarray:
    x, y, z = (t[c].to_numpy(float) for c in ["x", "y", "z"])
    u, v = 15 * x - 5, 15 * y
    branin = (v - 5.1 / (4 * np.pi**2) * u**2 + 5 / np.pi * u - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(u) + 10
    return -branin / 50 + 0.5 * np.sin(3 * z) * x


def plga_floor() -> dict[str, Any]:
    from pharmakon.caller import Caller
    from pharmakon.nano.formulation.service import fit_formulation
    from pharmakon.nano.formulation.specs import FitSpec
    from pharmakon.store import open_store

    with tempfile.TemporaryDirectory() as home:
        os.environ["PHARMAKON_HOME"] = home
        from pharmakon.config import get_settings

        get_settings.cache_clear()
        store = open_store()
        oof = Path(home) / "oof.csv"
        spec = FitSpec(
            data=MIRROR / "Uptake_data_cycle_2.csv",
            targets=["Z_ave", "PDI"],
            name="plga",
            cv=5,
            repeats=3,
            oof_out=oof,
            form="auto",
        )
        start = time.monotonic()
        res = fit_formulation(store, spec, Caller("bench", "python"))
        seconds = time.monotonic() - start
    return {"oof_r2": res.oof_r2, "comparison": res.comparison, "form": res.form, "seconds": round(seconds, 1)}


PLGA_SPACE = {
    "factors": [
        {"name": "PLGA", "low": 0.0, "high": 1.0},
        {"name": "PP-L", "low": 0.0, "high": 1.0},
        {"name": "PP-COOH", "low": 0.0, "high": 1.0},
        {"name": "PP-NH2", "low": 0.0, "high": 1.0},
        {"name": "S/AS", "low": 0.1, "high": 0.25},
    ],
    "mixture": {"components": ["PLGA", "PP-L", "PP-COOH", "PP-NH2"], "total": 1.0},
}
_MIX = ["PLGA", "PP-L", "PP-COOH", "PP-NH2"]


def _plga_cycle(k: int) -> pd.DataFrame:
    table = pd.read_csv(MIRROR / f"Uptake_data_cycle_{k}.csv", encoding="utf-8-sig")
    # published fractions are rounded to 2 digits (sums 0.99-1.01): rescaled to sum to 1
    table[_MIX] = table[_MIX].div(table[_MIX].sum(axis=1), axis=0)
    return table


def campaign(seeds: int) -> dict[str, Any]:
    """Replay the PLGA-PEG campaign: from cycle 0, pick 3 rounds of 10 from the 30 later measured formulations."""
    from pharmakon.nano.formulation.propose import parse_objective, propose_batch
    from pharmakon.nano.formulation.space import Space

    space = Space.parse(PLGA_SPACE)
    start, full = _plga_cycle(0), _plga_cycle(3)
    pool = full[~full["ID"].isin(start["ID"])].dropna(subset=["Uptake"]).reset_index(drop=True)
    order = {"published": [], "tpe": [], "random": []}
    published = [start] + [_plga_cycle(k)[~_plga_cycle(k)["ID"].isin(_plga_cycle(k - 1)["ID"])] for k in (1, 2, 3)]
    curve = lambda tables: list(pd.concat(tables)["Uptake"].cummax().iloc[len(start) - 1 :: 10])  # noqa: E731
    order["published"] = curve(published)
    observed = start.dropna(subset=["Uptake"])
    picked: list[pd.DataFrame] = []
    for r in range(3):
        obs = pd.concat([observed, *picked], ignore_index=True)
        remaining = pool[~pool["ID"].isin(obs["ID"])]
        prop = propose_batch(
            space,
            obs,
            [parse_objective("maximize:Uptake")],
            k=min(10, len(remaining)),
            candidates=remaining,
            id_col="ID",
            seed=r,
        )
        picked.append(pool[pool["ID"].isin(prop.table["ID"])])
    order["tpe"] = curve([start, *picked])
    runs = []
    for s in range(seeds):
        shuffled = pool.sample(frac=1.0, random_state=s)
        runs.append(curve([start, shuffled.iloc[:10], shuffled.iloc[10:20], shuffled.iloc[20:30]]))
    order["random"] = [float(v) for v in np.median(np.array(runs), axis=0)]
    return {"best_uptake_after_n": {"n": [len(start) + 10 * i for i in range(4)], **order}}


AGILE = _common.REPO_ROOT.parent / "shared" / "data" / "agile_lipids" / "AGILE_smiles_with_value_group.csv"


def agile() -> dict[str, Any]:
    """AGILE HeLa transfection: R² under 5-fold CV grouped by amine head (A_smiles), best model vs baseline.

    Baseline: Morgan counts (2048) + an MLP. Best: Morgan counts + RDKit 2D descriptors + the
    lipid-structure descriptors of :mod:`pharmakon.chem.lipids`, zoo screen (fixed, no trials).
    """
    from pharmakon.chem.featurizers import make_featurizer
    from pharmakon.chem.lipids import LIPID_COLUMNS, lipid_descriptors
    from pharmakon.core.lifecycle import train_model

    data = pd.read_csv(AGILE)
    frame = data[["combined_mol_SMILES", "expt_Hela"]].copy()
    groups = data["A_smiles"].tolist()
    out: dict[str, Any] = {"rows": len(frame), "heads": int(data["A_smiles"].nunique())}
    runs = {
        "baseline: Morgan counts + MLP": (frame, "morgan", ["mlp"]),
        "best: Morgan + RDKit2D + lipid descriptors, zoo": (
            pd.concat([frame, lipid_descriptors(frame["combined_mol_SMILES"])[list(LIPID_COLUMNS)]], axis=1),
            "morgan+rdkit2d",
            ["ridge", "rf", "lightgbm", "xgboost", "mlp"],
        ),
    }
    for label, (table, feats, models) in runs.items():
        start = time.monotonic()
        model = train_model(
            table,
            "expt_Hela",
            task="regression",
            smiles_col="combined_mol_SMILES",
            featurizer=make_featurizer(feats),
            groups=groups,
            n_splits=5,
            trials=0,
            models=models,
        )
        out[label] = {
            "r2": model.selection["cv_metrics"]["r2"],
            "best": model.selection["best"]["model"],
            "seconds": round(time.monotonic() - start, 1),
        }
        print(label, out[label], flush=True)
    return out


def _closed_loop(space_dict, fn, strategy: str, seed: int, rounds: int = 6, k: int = 8) -> float:
    from pharmakon.nano.formulation.designs import make_design, sample_feasible
    from pharmakon.nano.formulation.propose import parse_objective, propose_batch
    from pharmakon.nano.formulation.space import Space

    space = Space.parse(space_dict)
    ref = sample_feasible(space, 4096, seed=999)
    ref_y = fn(ref)
    best, span = ref_y.max(), ref_y.max() - ref_y.min()
    if strategy == "lhs-oneshot":
        table = make_design(space, "lhs", runs=k * (rounds + 1), seed=seed).table
        return float((best - fn(table).max()) / span)
    table = make_design(space, "lhs", runs=k, seed=seed).table
    rng = np.random.default_rng(seed)
    for r in range(rounds):
        obs = table.assign(response=fn(table))
        if strategy == "random":
            pool = sample_feasible(space, 4096, seed=1000 + seed * 10 + r)
            new = pool.iloc[rng.choice(len(pool), k, replace=False)].reset_index(drop=True)
        else:
            prop = propose_batch(
                space, obs, [parse_objective("maximize:response")], k=k, seed=seed * 100 + r, sampler=strategy
            )
            new = prop.table[space.names]
        table = pd.concat([table, new], ignore_index=True)
    return float((best - fn(table).max()) / span)


def regret(seeds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, space, fn in (
        ("A: LNP mixture + FRR + buffer", SPACE_A, surface_a),
        ("B: Branin-like 3D", SPACE_B, surface_b),
    ):
        out[label] = {}
        for strategy in ("tpe", "random", "lhs-oneshot"):
            values = [_closed_loop(space, fn, strategy, s) for s in range(seeds)]
            out[label][strategy] = {"median": float(np.median(values)), "per_seed": values}
            print(label, strategy, round(float(np.median(values)), 4), flush=True)
    return out


def speed() -> dict[str, Any]:
    from pharmakon.nano.formulation.designs import sample_feasible
    from pharmakon.nano.formulation.propose import parse_objective, parse_output_constraint, propose_batch
    from pharmakon.nano.formulation.space import Space

    space = Space.parse(SPACE_A)
    obs = sample_feasible(space, 100, seed=3)
    obs = obs.assign(potency=surface_a(obs), PDI=0.1 + 0.05 * obs["HL"])
    propose_batch(space, obs.head(10), [parse_objective("maximize:potency")], k=2)  # imports, warm-up
    start = time.monotonic()
    p = propose_batch(
        space, obs, [parse_objective("maximize:potency")], k=8, constraints=[parse_output_constraint("PDI<0.12")]
    )
    return {"seconds": round(time.monotonic() - start, 2), "rows": len(p.table), "asks": p.asks, "filled": p.filled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-plga", action="store_true")
    parser.add_argument("--agile", action="store_true", help="Also run AGILE head-grouped CV (minutes).")
    args = parser.parse_args()
    result: dict[str, Any] = {"machine": _common.machine_info(), "load_average_start": os.getloadavg()}
    result["speed"] = speed()
    print("speed", result["speed"], flush=True)
    if not args.skip_plga:
        result["plga_peg"] = plga_floor()
        print("plga", result["plga_peg"], flush=True)
    result["campaign"] = campaign(args.seeds)
    print("campaign", result["campaign"], flush=True)
    result["regret"] = regret(args.seeds)
    if args.agile:
        result["agile"] = agile()
    out = _common.write_result(NAME, result)
    rows = []
    if "plga_peg" in result:
        r2 = result["plga_peg"]["oof_r2"]
        rows += [
            ["PLGA-PEG OOF R² size (floor 0.888)", f"{r2['Z_ave']:.3f}"],
            ["PLGA-PEG OOF R² PDI (floor 0.230)", f"{r2['PDI']:.3f}"],
        ]
    for label, by in result["regret"].items():
        rows += [[f"regret {label}: {s}", f"{v['median']:.4f}"] for s, v in by.items()]
    rows.append(["propose 8 / 6 factors / 100 obs (s)", str(result["speed"]["seconds"])])
    for label, v in result.get("agile", {}).items():
        if isinstance(v, dict):
            rows.append([f"AGILE head-grouped CV R² {label}", f"{v['r2']:.3f} ({v['best']})"])
    camp = result["campaign"]["best_uptake_after_n"]
    for key in ("published", "tpe", "random"):
        rows.append([f"PLGA campaign best uptake after {camp['n']} ({key})", ", ".join(f"{v:.2f}" for v in camp[key])])
    _common.print_table("nano formulation", ["measure", "value"], rows, numeric=["value"], caption=str(out))


if __name__ == "__main__":
    main()
