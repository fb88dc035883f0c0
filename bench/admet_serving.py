"""ADMET panel request latency, as the REST API and the workbench serve it: models kept loaded vs loaded per request.

Registers a saved panel (``--panel``, e.g. from ``bench/admet_throughput.py
--save-panel``) in a scratch store, then times ``predict_molecules`` (what ``POST
/admet/predict`` and the workbench page run, audit event included) on ``--molecules``
mirror molecules, ``--repeats`` times each way:

* ``kept loaded``: the registry's model cache and the shared panel (what the server does);
  the first request (which loads) is reported apart;
* ``loaded per request``: the cache emptied before every request (what it did before).

Run: ``python bench/admet_serving.py --panel PANEL.joblib [--molecules 10] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import _common

MIRROR = _common.REPO_ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", required=True, help="A panel saved by bench/admet_throughput.py --save-panel.")
    parser.add_argument("--molecules", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--name", default="admet_serving", help="Result file bench/results/NAME.json.")
    args = parser.parse_args()
    os.environ.setdefault("PHARMAKON_DATA_MIRROR", str(MIRROR))
    import joblib

    from admet_throughput import molecules, register
    from pharmakon.caller import Caller
    from pharmakon.chem import panel_io
    from pharmakon.chem.service import PanelPredictSpec, predict_molecules
    from pharmakon.core import registry
    from pharmakon.store import open_store

    models = joblib.load(args.panel)
    n_endpoints = len(models)
    register(models, Path(tempfile.mkdtemp(prefix="admet-serving-")) / "home")
    del models
    store, smiles = open_store(), molecules(args.molecules)

    def request() -> float:
        t0 = time.perf_counter()
        predict_molecules(store, PanelPredictSpec(smiles=smiles), Caller("bench", "api"))
        return time.perf_counter() - t0

    def forget() -> None:
        registry.clear_model_cache()
        panel_io.clear_shared_panels()

    forget()
    first = request()
    kept = [request() for _ in range(args.repeats)]
    per_request = []
    for _ in range(args.repeats):
        forget()
        per_request.append(request())
    rows = [
        {"mode": "kept loaded (first request)", "seconds": round(first, 3)},
        {"mode": "kept loaded", "seconds": round(statistics.median(kept), 3)},
        {"mode": "loaded per request", "seconds": round(statistics.median(per_request), 3)},
    ]
    ratio = round(rows[2]["seconds"] / rows[1]["seconds"], 1)
    _common.write_result(
        args.name,
        {
            "machine": _common.machine_info(),
            "endpoints": n_endpoints,
            "molecules": args.molecules,
            "repeats": args.repeats,
            "rows": rows,
            "kept": kept,
            "per_request": per_request,
            "speedup": ratio,
        },
    )
    _common.print_table(
        f"panel request latency: {args.molecules} molecules x {n_endpoints} endpoints (median of {args.repeats})",
        ["mode", "seconds"],
        [[r["mode"], r["seconds"]] for r in rows],
        caption=f"kept loaded is {ratio}x faster than loading per request",
        numeric=["seconds"],
    )


if __name__ == "__main__":
    main()
