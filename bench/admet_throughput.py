"""ADMET panel throughput: parse -> standardise -> featurize -> all endpoints -> write, on N molecules.

Trains the chosen endpoints (``--budget`` s each, ``--max-rows`` rows) into a temporary
store, writes ``--n`` molecules (mirror SMILES from PharmaBench/MoleculeNet, cycled when
more are asked for) to a CSV, and times ``predict_file`` in a child process per size so
that peak RSS (``ru_maxrss`` of the child and its workers) is measured per run.
ADMET-AI runs, if ``--admet-ai PYTHON`` points at a venv with ``admet_ai``, on the same
molecules in the same run.

Run: ``python bench/admet_throughput.py [--n 10000] [--big 100000] [--endpoints ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import _common

MIRROR = _common.REPO_ROOT.parent / "shared" / "data"
CHILD = """
import json, sys, time, joblib
from pathlib import Path
from pharmakon.chem.panel_io import predict_file
models = joblib.load(sys.argv[1])
s = predict_file(models, Path(sys.argv[2]), Path(sys.argv[3]), chunk_size=5000, alerts=sys.argv[4] == "1")
print(json.dumps(s))
"""
ADMET_AI = """
import sys, time, pandas as pd
from admet_ai import ADMETModel
smiles = pd.read_csv(sys.argv[1])["smiles"].tolist()
t = time.perf_counter(); m = ADMETModel(num_workers=0); m.predict(smiles=smiles); print(time.perf_counter() - t)
"""


def molecules(n: int) -> list[str]:
    import pandas as pd

    pool: list[str] = []
    for f in ("pharmabench/logd_reg_final_data.csv", "pharmabench/water_sol_reg_final_data.csv"):
        pool += pd.read_csv(MIRROR / f)["Smiles_unify"].dropna().tolist()
    pool = list(dict.fromkeys(pool))
    return [pool[i % len(pool)] for i in range(n)]


def run_child(panel: str, inp: Path, alerts: bool) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, "-c", CHILD, panel, str(inp), str(inp.with_suffix(".out.csv")),
                           "1" if alerts else "0"], capture_output=True, text=True, check=True)  # fmt: skip
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["peak_rss_mib"] = round(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--endpoints", default="biogen_hlm,biogen_solubility,lipophilicity,bbbp,pb_ames,pb_ppb")
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--max-rows", type=int, default=1000)
    parser.add_argument("--admet-ai", default="/tmp/admetai_venv/bin/python")
    args = parser.parse_args()
    os.environ.setdefault("PHARMAKON_DATA_MIRROR", str(MIRROR))
    import joblib
    import pandas as pd

    from pharmakon.chem.admet import ENDPOINTS, train_endpoint

    work = Path(tempfile.mkdtemp(prefix="admet-bench-"))
    names = args.endpoints.split(",")
    models = {n: train_endpoint(ENDPOINTS[n], budget_s=args.budget, max_rows=args.max_rows) for n in names}
    panel = str(work / "panel.joblib")
    joblib.dump(models, panel)
    rows = []
    for n, alerts in ((args.n, True), (args.n, False), (args.big, True)):
        if n <= 0:
            continue
        inp = work / f"in_{n}.csv"
        if not inp.exists():
            pd.DataFrame({"smiles": molecules(n)}).to_csv(inp, index=False)
        r = run_child(panel, inp, alerts)
        rows.append({"tool": "pharmakon", "molecules": n, "alerts": alerts, "endpoints": len(names),
                     "seconds": r["seconds"], "molecules_per_s": r["molecules_per_s"], "peak_rss_mib": r["peak_rss_mib"]})  # fmt: skip
        print(rows[-1], flush=True)
    note = None
    if Path(args.admet_ai).exists():
        try:
            proc = subprocess.run([args.admet_ai, "-c", ADMET_AI, str(work / f"in_{args.n}.csv")], capture_output=True,
                                  text=True, check=True, timeout=3600)  # fmt: skip
            sec = float(proc.stdout.strip().splitlines()[-1])
            rows.append({"tool": "admet-ai", "molecules": args.n, "alerts": True, "endpoints": 41, "seconds": round(sec, 2),
                         "molecules_per_s": round(args.n / sec, 1), "peak_rss_mib": None})  # fmt: skip
        except (subprocess.SubprocessError, ValueError) as exc:
            note = f"ADMET-AI failed: {exc}"
    else:
        note = f"ADMET-AI not run: {args.admet_ai} not found"
    ratio = None
    ai = [r for r in rows if r["tool"] == "admet-ai"]
    if ai:
        ratio = round(rows[0]["molecules_per_s"] / ai[0]["molecules_per_s"], 1)
    _common.write_result("admet_throughput", {"machine": _common.machine_info(), "rows": rows, "ratio_vs_admet_ai": ratio,
                                              "note": note, "endpoints": names, "budget_s": args.budget})  # fmt: skip
    _common.print_table("ADMET panel throughput", ["tool", "molecules", "alerts", "endpoints", "seconds", "mol/s", "peak MiB"],
                        [[r["tool"], r["molecules"], r["alerts"], r["endpoints"], r["seconds"], r["molecules_per_s"],
                          r["peak_rss_mib"]] for r in rows], caption=note or f"ratio vs ADMET-AI: {ratio}",
                        numeric=["molecules", "seconds", "mol/s", "peak MiB"])  # fmt: skip


if __name__ == "__main__":
    main()
