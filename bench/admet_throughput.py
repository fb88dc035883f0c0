"""ADMET panel throughput: parse -> standardise -> featurize -> all endpoints -> write, side by side with ADMET-AI.

Trains the chosen endpoints (default: all 36, ``--budget`` s each, at most
``--max-rows`` training rows each) or loads a panel saved by an earlier run
(``--panel``), registers it in a scratch store (untimed), writes mirror molecules
(PharmaBench and MoleculeNet SMILES, unique first, then cycled for sizes beyond the
pool; nothing is cached between chunks, so repeats cost the same as new molecules) to
CSV files, and times the user's command, ``pharmakon admet predict IN -o OUT``, per
size: process start, model loading and writing included. Memory is sampled every
0.2 s over the command and its workers (psutil): the peak of their summed RSS and the
peak of the largest single process. ADMET-AI (``--admet-ai PYTHON``: a venv with
``admet_ai``, which ships its weights) predicts the same first file in the same run;
the speed ratio uses those two rows.

``--profile screen`` (issue 20) trains the screening panel instead (Morgan counts only,
ridge/logistic and LightGBM, the same lifecycle) and times ``pharmakon admet predict
--profile screen`` (alerts on demand: off); the floor is 20x ADMET-AI's molecules/s on the
same 10,000 molecules in the same run, whole command, with memory flat in the input size.
``--accuracy`` also trains both profiles on the same training rows and scores them on
held-out molecules -- PharmaBench's scaffold test split where the catalogue has one, else
a seeded 20% of the training rows -- so each endpoint's accuracy loss of ``screen`` against
``full`` is reported (r2/RMSE or AUROC), for users choosing between them.

``--steps N`` (with ``--panel``) only profiles one chunk of N molecules in this process
(cProfile) through both prediction paths of the same panel -- the general
:class:`~pharmakon.chem.panel_io.Panel` and the screening
:class:`~pharmakon.chem.screen.ScreenPanel` (``--profile screen``) -- and reports the
seconds of each step (standardise + parse, fingerprints, domain, models, CSV), so each
step's before and after are measured on the same molecules and models.

Run: ``python bench/admet_throughput.py [--sizes 10000,100000,1000000] [--panel PATH] [--profile screen]``.
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

MIRROR = _common.REPO_ROOT.parent / "shared" / "data"
ADMET_AI = """
import sys, time, pandas as pd
from admet_ai import ADMETModel
smiles = pd.read_csv(sys.argv[1])["smiles"].tolist()
t = time.perf_counter(); m = ADMETModel(num_workers=0); out = m.predict(smiles=smiles)
out.to_csv(sys.argv[2]); print(time.perf_counter() - t)
"""
POOL = [
    ("pharmabench/logd_reg_final_data.csv", "Smiles_unify"),
    ("pharmabench/water_sol_reg_final_data.csv", "Smiles_unify"),
    ("pharmabench/ames_cls_final_data.csv", "Smiles_unify"),
    ("pharmabench/bbb_cls_final_data.csv", "Smiles_unify"),
    ("moleculenet/hiv.csv", "smiles"),
]


def molecules(n: int) -> list[str]:
    import pandas as pd

    pool: list[str] = []
    for file, col in POOL:
        pool += pd.read_csv(MIRROR / file)[col].dropna().astype(str).tolist()
    pool = list(dict.fromkeys(pool))
    return [pool[i % len(pool)] for i in range(n)]


def measure(cmd: list[str]) -> tuple[str, float, float, float]:
    """Run ``cmd``; return stdout, wall seconds, peak summed RSS and peak single-process RSS of its tree (MiB)."""
    import psutil

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_sum = peak_one = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_sum, peak_one
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                rss = [p.memory_info().rss for p in [root, *root.children(recursive=True)]]
            except psutil.Error:
                rss = []
            if rss:
                peak_sum, peak_one = max(peak_sum, sum(rss) / 2**20), max(peak_one, max(rss) / 2**20)
            stop.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    t0 = time.perf_counter()
    thread.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    stop.set()
    thread.join()
    if proc.returncode:
        raise RuntimeError(f"{cmd[:3]} failed:\n{err[-2000:]}")
    return out, seconds, round(peak_sum, 1), round(peak_one, 1)


def train(args: argparse.Namespace, path: Path) -> dict:
    import joblib

    from pharmakon.chem.admet import ENDPOINTS, resolve_endpoints, train_endpoint

    names = [e.name for e in resolve_endpoints(args.endpoints.split(",") if args.endpoints else None)]
    models = {}
    for k, name in enumerate(names, 1):
        t0 = time.monotonic()
        models[name] = train_endpoint(
            ENDPOINTS[name], budget_s=args.budget, max_rows=args.max_rows or None, **profile_kwargs(args.profile)
        )
        print(
            f"[{k}/{len(names)}] {name}: {models[name].selection['best']['model']} in {time.monotonic() - t0:.0f} s",
            flush=True,
        )
    joblib.dump(models, path)
    return models


def profile_kwargs(profile: str) -> dict:
    """``train_endpoint`` arguments of a profile (what ``admet train --profile`` uses)."""
    from pharmakon.chem.admet import SCREEN_FEATURIZER, SCREEN_MODELS

    return {"featurizer": SCREEN_FEATURIZER, "models": list(SCREEN_MODELS)} if profile == "screen" else {}


def held_out(endpoint, max_rows: int | None, seed: int = 0):
    """``(train, test)`` frames: PharmaBench's scaffold test rows where there are some, else a seeded 20%."""
    import pandas as pd

    from pharmakon.chem.admet import endpoint_frame
    from pharmakon.datasets import load

    train = endpoint_frame(endpoint, max_rows=max_rows or None, seed=seed)
    if endpoint.split == "scaffold_train":
        raw = load(endpoint.dataset, endpoint.table)
        raw = raw[raw["scaffold_train_test_label"].astype(str).str.strip().eq("test")]
        test = pd.DataFrame({"smiles": raw[endpoint.smiles_col].astype(object), "y": raw[endpoint.target]}).dropna()
        return train, test.reset_index(drop=True), "scaffold test split"
    test = train.sample(frac=0.2, random_state=seed)
    return train.drop(test.index).reset_index(drop=True), test.reset_index(drop=True), "seeded 20% hold-out"


def accuracy(args: argparse.Namespace) -> list[dict]:
    """Both profiles trained on the same rows with fixed work (every family screened, no tuning), scored alike."""
    import numpy as np
    from sklearn.metrics import mean_squared_error, r2_score, roc_auc_score

    from pharmakon.chem.admet import ENDPOINTS, resolve_endpoints, train_endpoint

    out = []
    for endpoint in resolve_endpoints(args.endpoints.split(",") if args.endpoints else None):
        train, test, how = held_out(endpoint, args.max_rows)
        row = {"endpoint": endpoint.name, "task": endpoint.task, "test": how, "n_test": len(test)}
        for profile in ("full", "screen"):
            model = train_endpoint(ENDPOINTS[endpoint.name], frame=train, trials=0, **profile_kwargs(profile))
            table = model.predict(test[["smiles"]]).table
            ok = table["prediction"].notna().to_numpy()
            y = test["y"].to_numpy()[ok]
            if endpoint.task == "regression":
                pred = table["prediction"].to_numpy(float)[ok]
                row[f"{profile}_r2"] = float(r2_score(y, pred))
                row[f"{profile}_rmse"] = float(np.sqrt(mean_squared_error(y, pred)))
            else:
                proba = table[f"proba_{model.classes[-1]}"].to_numpy(float)[ok]
                row[f"{profile}_auroc"] = float(roc_auc_score(y.astype(int), proba)) if len(set(y)) > 1 else None
        metric = "r2" if endpoint.task == "regression" else "auroc"
        full, screen = row.get(f"full_{metric}"), row.get(f"screen_{metric}")
        row["loss"] = None if full is None or screen is None else full - screen
        print(row, flush=True)
        out.append(row)
    return out


def register(models: dict, home: Path, profile: str = "full") -> None:
    """Register ``models`` as the profile's panel (``admet.*`` / ``admet-screen.*``) of a fresh store in ``home``."""
    from pharmakon.chem.admet import model_prefix
    from pharmakon.config import get_settings
    from pharmakon.core.registry import register_model
    from pharmakon.store import open_store

    os.environ["PHARMAKON_HOME"] = str(home)
    get_settings.cache_clear()
    with open_store().session() as session:
        for name, model in models.items():
            register_model(session, model, name=model_prefix(profile) + name, actor="bench")


def panel_quality(models: dict) -> list[dict]:
    """Per endpoint: chosen model, its members, training rows and inner-CV metrics (what the panel predicts with)."""
    rows = []
    for name, model in models.items():
        best = model.selection["best"]
        members = sorted({m["model"] for m in best.get("params", {}).get("members", [])}) or [best["model"]]
        rows.append(
            {
                "endpoint": name,
                "task": model.task,
                "rows": int(model.qc["n_rows_out"]),
                "best": best["model"],
                "members": members,
                "cv": model.selection["cv_metrics"],
            }
        )
    return rows


#: Step -> alternatives, each ``function:module`` terms joined by ``+``, whose summed cumulative cProfile
#: time is that step; the first alternative that ran counts (the general path's ``standardize_smiles``
#: calls ``standardize_mols``; its re-parse of the canonical SMILES is the list comprehension in panel_io).
STEPS = {
    "standardise + parse": ["standardize_smiles:standardize+<listcomp>:panel_io", "standardize_mols:standardize"],
    "fingerprints": ["transform_mols:featurizers", "morgan_counts:screen"],
    "applicability domain": ["max_similarity:nearest", "scores:screen"],
    "models": ["_endpoint_columns:panel_io", "_rows:screen"],
    "CSV text": ["to_csv:generic"],
}


def steps(args: argparse.Namespace) -> list[dict]:
    """Seconds per step of one chunk of ``args.steps`` molecules, general path vs screening path (cProfile)."""
    import cProfile
    import pstats

    import joblib

    from pharmakon.chem.panel_io import Panel, smiles_frame

    try:
        from pharmakon.chem.screen import ScreenPanel
    except ImportError:  # a checkout from before the screening path (to profile "before")
        ScreenPanel = None  # noqa: N806

    models = joblib.load(args.panel)
    chunk = smiles_frame(molecules(args.steps))
    paths = [("general (Panel)", Panel(models))]
    if ScreenPanel is not None and args.profile == "screen":
        paths.append(("screen (ScreenPanel)", ScreenPanel(models)))
    out = []
    for label, panel in paths:
        panel.predict_chunk(chunk.head(20), alerts=False)  # warm: lazy imports and caches
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        panel.predict_chunk(chunk, alerts=False).to_csv(index=False, lineterminator="\n")
        profile.disable()
        total = time.perf_counter() - t0
        stats = pstats.Stats(profile).stats  # (file, line, name) -> (calls, ncalls, tottime, cumtime, callers)
        row = {"path": label, "molecules": len(chunk), "total_s": round(total, 3)}
        for step, names in STEPS.items():
            times = (sum(_cumulative(stats, term) for term in alternative.split("+")) for alternative in names)
            row[step] = round(next((t for t in times if t > 0), 0.0), 3)
        row["rest"] = round(total - sum(row[k] for k in STEPS), 3)
        out.append(row)
        print(row, flush=True)
    return out


def _cumulative(stats: dict, wanted: str) -> float:
    """Cumulative seconds of ``function:module`` (module = the file's stem) in cProfile ``stats``."""
    name, module = wanted.split(":")
    return sum(v[3] for (file, _, fn), v in stats.items() if fn == name and Path(file).stem == module)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="Comma-separated molecule counts (first: also ADMET-AI)."
    )
    parser.add_argument("--endpoints", default=None, help="Comma-separated endpoints or groups (default: all 36).")
    parser.add_argument("--budget", type=float, default=5.0)
    parser.add_argument("--max-rows", type=int, default=2000, help="Training rows per endpoint (0: all).")
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--panel", default=None, help="A panel saved by an earlier run (skips training).")
    parser.add_argument("--save-panel", default=None, help="Where to keep the panel this run trains.")
    parser.add_argument("--admet-ai", default="/tmp/admetai_venv/bin/python")
    parser.add_argument("--name", default=None, help="Result file bench/results/NAME.json.")
    parser.add_argument("--profile", choices=["full", "screen"], default="full", help="Which panel to time.")
    parser.add_argument("--accuracy", action="store_true", help="Also each endpoint's accuracy, full vs screen.")
    parser.add_argument("--only-accuracy", action="store_true", help="Only the accuracy comparison (no timing).")
    parser.add_argument(
        "--steps", type=int, default=0, help="Only profile one chunk of N molecules per step, both paths (--panel)."
    )
    args = parser.parse_args()
    named = args.name
    args.name = args.name or ("admet_throughput" if args.profile == "full" else f"admet_throughput_{args.profile}")
    os.environ.setdefault("PHARMAKON_DATA_MIRROR", str(MIRROR))
    import joblib
    import pandas as pd

    if args.steps:
        if not args.panel:
            parser.error("--steps needs --panel (a panel saved by an earlier run)")
        rows = steps(args)
        _common.write_result(
            named or f"admet_steps_{args.profile}",
            {"machine": _common.machine_info(), "panel": args.panel, "rows": rows},
        )
        _common.print_table(
            f"one chunk of {args.steps:,} molecules, seconds per step (cProfile, cumulative)",
            ["path", "total", *STEPS, "rest"],
            [[r["path"], r["total_s"], *(r[k] for k in STEPS), r["rest"]] for r in rows],
            numeric=["total", *STEPS, "rest"],
        )
        return
    if args.only_accuracy:
        rows = accuracy(args)
        _common.write_result("admet_screen_accuracy", {"machine": _common.machine_info(), "rows": rows})
        _common.print_table(
            "ADMET held-out accuracy, full vs screen profile (same training rows)",
            ["endpoint", "test", "n", "full", "screen", "loss"],
            [
                [
                    r["endpoint"],
                    r["test"],
                    r["n_test"],
                    *(
                        f"{r.get(f'{p}_r2', r.get(f'{p}_auroc')):.3f}"
                        if r.get(f"{p}_r2", r.get(f"{p}_auroc")) is not None
                        else "-"
                        for p in ("full", "screen")
                    ),
                    "-" if r["loss"] is None else f"{r['loss']:+.3f}",
                ]
                for r in rows
            ],
            caption="r² for regression, AUROC for classification; loss = full - screen",
        )
        return
    work = Path(tempfile.mkdtemp(prefix="admet-bench-"))
    panel = Path(args.panel or args.save_panel or work / "panel.joblib")
    models = joblib.load(panel) if args.panel else train(args, panel)
    names, quality = list(models), panel_quality(models)
    register(models, work / "home", args.profile)  # the timed command loads the models from this store itself
    del models
    print(f"panel: {len(names)} endpoints in {panel}", flush=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    default_alerts = args.profile == "full"  # the screening profile adds alerts only on demand
    runs = [(sizes[0], default_alerts), (sizes[0], not default_alerts), *((n, default_alerts) for n in sizes[1:])]
    rows = []
    for n, alerts in runs:
        inp = work / f"in_{n}.csv"
        if not inp.exists():
            pd.DataFrame({"smiles": molecules(n)}).to_csv(inp, index=False)
        cmd = [
            str(Path(sys.executable).parent / "pharmakon"),
            "admet",
            "predict",
            str(inp),
            "-o",
            str(work / "out.csv"),
            "--alerts" if alerts else "--no-alerts",
            "--profile",
            args.profile,
            "--chunk-size",
            str(args.chunk_size),
            "--json",
        ]
        out, seconds, peak_sum, peak_one = measure(cmd)
        summary = json.loads(out)
        rows.append(
            {
                "tool": "pharmakon",
                "molecules": n,
                "alerts": alerts,
                "endpoints": len(names),
                "seconds": round(seconds, 2),
                "molecules_per_s": round(n / seconds, 1),
                "peak_rss_total_mib": peak_sum,
                "peak_rss_process_mib": peak_one,
                "invalid": summary["invalid"],
            }
        )
        print(rows[-1], flush=True)
    note = None
    if Path(args.admet_ai).exists():
        try:
            out, seconds, peak_sum, peak_one = measure(
                [args.admet_ai, "-c", ADMET_AI, str(work / f"in_{sizes[0]}.csv"), str(work / "admet_ai.csv")]
            )
            rows.append(
                {
                    "tool": "admet-ai",
                    "molecules": sizes[0],
                    "alerts": False,
                    "endpoints": 41,
                    "seconds": round(seconds, 2),
                    "molecules_per_s": round(sizes[0] / seconds, 1),
                    "peak_rss_total_mib": peak_sum,
                    "peak_rss_process_mib": peak_one,
                    "invalid": None,
                }
            )
            print(rows[-1], flush=True)
        except RuntimeError as exc:
            note = f"ADMET-AI failed: {exc}"
    else:
        note = f"ADMET-AI not run: {args.admet_ai} not found"
    ai = [r for r in rows if r["tool"] == "admet-ai"]
    ratio = round(rows[0]["molecules_per_s"] / ai[0]["molecules_per_s"], 1) if ai else None
    _common.write_result(
        args.name,
        {
            "machine": _common.machine_info(),
            "rows": rows,
            "ratio_vs_admet_ai": ratio,
            "note": note,
            "endpoints": names,
            "budget_s": args.budget,
            "max_rows": args.max_rows,
            "chunk_size": args.chunk_size,
            "panel": quality,
            "profile": args.profile,
            "accuracy_full_vs_screen": accuracy(args) if args.accuracy else None,
        },
    )
    _common.print_table(
        "ADMET panel throughput (wall time, including process start and model loading)",
        ["tool", "molecules", "alerts", "endpoints", "seconds", "mol/s", "peak MiB (sum)", "peak MiB (1 proc)"],
        [
            [
                r["tool"],
                r["molecules"],
                r["alerts"],
                r["endpoints"],
                r["seconds"],
                r["molecules_per_s"],
                r["peak_rss_total_mib"],
                r["peak_rss_process_mib"],
            ]
            for r in rows
        ],
        caption=note or f"pharmakon (first row) / ADMET-AI, same molecules, same run: {ratio}x",
        numeric=["molecules", "seconds", "mol/s", "peak MiB (sum)", "peak MiB (1 proc)"],
    )

    _common.print_table(
        "the panel that was timed (inner cross-validation of each endpoint's chosen model)",
        ["endpoint", "task", "rows", "model", "members", "CV metric"],
        [
            [q["endpoint"], q["task"], q["rows"], q["best"], "+".join(q["members"]), _primary(q["task"], q["cv"])]
            for q in quality
        ],
        numeric=["rows"],
    )


def _primary(task: str, cv: dict) -> str:
    key = "pearson" if task == "regression" else "auroc"
    value = cv.get(key)
    return f"{key} {value:.3f}" if isinstance(value, float) else ""


if __name__ == "__main__":
    main()
