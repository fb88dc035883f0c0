"""Benchmark of process monitoring, the soft sensor and the twin (issue 16).

* **Tennessee Eastman** (``shared/data/tep_braatz``): static PCA (9 components, 99 % limits)
  per fault and statistic against ``pca_baseline_ours.csv``; then each candidate monitor is
  run through the streaming monitor (:class:`pharmakon.process.stream.StreamMonitor`, the
  code path ``process monitor`` uses), one test run at a time with its ``faulty`` label
  dropped. Detection rate = share of samples 161-960 in alarm; false alarms pooled over
  samples 1-160 of all 22 runs plus samples 161-960 of run 0; delay = first alarm at or
  after sample 161, in samples (3 min each). The best candidate (highest mean detection over
  the 18 faults other than 3, 9, 15 with pooled false alarms <= 5 %) is the recommended method.
* **Peers** (``pyphi-mvda``, ``bibmon``, where they install): static PCA with 9 components at
  99 % fitted by each package on the same normal data, scored with its own statistics and
  limits on the same 22 runs, beside ours (detection/false-alarm rates per fault and pooled).
* **Soft sensor** (chemotools fermentation data): SNV + PLS with CV-chosen components
  (scikit-learn pipeline, the whole spectrum) against our soft sensor (chemotools baseline
  + Savitzky-Golay 1st derivative + SNV on 950-1550 cm-1, 10 PCA scores, PLS/LightGBM
  selected by core's CV, conformal 90 % intervals), both scored on the 34 HPLC points
  aligned by the stated rule.
* **Twin** (PLGA-PEG): held-out RMSE/R² of the mechanistic twin and of twin + ML correction;
  set-point correction on simulated drifts.
* **Stream throughput**: 100,000 samples of a 52-variable PCA monitor posted in batches to a
  running ``pharmakon serve`` (uvicorn, one worker), with injected NaNs, missing variables,
  duplicates and out-of-order samples; end-to-end samples/s, output count and flagged set
  (the client parses the answers with pydantic-core's JSON parser, as a fast client would).

Usage::

    python bench/process.py               # everything (about 2-3 minutes on 2 cores)
    python bench/process.py --skip-stream
    python bench/process.py --stream-samples 20000

Writes ``bench/results/process.json``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import _common

_common.add_repo_root_to_path()

NAME = "process"
MIRROR = _common.REPO_ROOT.parent / "shared" / "data"
TEP = MIRROR / "tep_braatz"
HARD = (3, 9, 15)
FLOOR_DETECTION, FLOOR_FAR, FLOOR_RATE = 79.2 + 3.0, 5.0, 5_000.0

#: Candidate monitors: (label, method, estimator kwargs, persistence k, n).
CANDIDATES = [
    ("pca A=9 a=.99 1/1", "pca", {"n_components": 9, "alpha": 0.99}, 1, 1),
    ("pca A=9 a=.99 4/6", "pca", {"n_components": 9, "alpha": 0.99}, 4, 6),
    ("dpca L=1 A=21 a=.99 4/6", "dpca", {"n_components": 21, "lags": 1, "alpha": 0.99}, 4, 6),
    ("dpca L=2 A=17 a=.99 4/6", "dpca", {"n_components": 17, "lags": 2, "alpha": 0.99}, 4, 6),
    ("dpca L=2 A=21 a=.995 4/6", "dpca", {"n_components": 21, "lags": 2, "alpha": 0.995}, 4, 6),
    ("kpca A=20 c=10 a=.999 3/5", "kpca", {"n_components": 20, "width": 10.0, "alpha": 0.999}, 3, 5),
]


def tep_static(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    from pharmakon.process.mspc import PCAMonitor

    mon = PCAMonitor(9, 0.99).fit(train.to_numpy())
    ref = pd.read_csv(TEP / "pca_baseline_ours.csv")
    ref = ref[ref["n_pc"] == 9].set_index("fault")
    rows, worst = [], 0.0
    for fault, run in test.groupby("fault"):
        t2, spe = mon.statistics(run[list(train.columns)].to_numpy())
        a, b = t2 > mon.t2_limit_, spe > mon.spe_limit_
        ours = [100 * a[160:].mean(), 100 * b[160:].mean(), 100 * a[:160].mean(), 100 * b[:160].mean()]
        theirs = ref.loc[fault, ["FDR_T2", "FDR_SPE", "FAR_T2_pre", "FAR_SPE_pre"]].to_numpy(float)
        worst = max(worst, float(np.abs(np.array(ours) - theirs).max()))
        rows.append({"fault": int(fault), "FDR_T2": ours[0], "FDR_SPE": ours[1], "FAR_T2": ours[2], "FAR_SPE": ours[3]})
    keep = [r for r in rows if r["fault"] not in (0, *HARD)]
    return {
        "per_fault": rows,
        "max_abs_deviation_points": worst,
        "mean_FDR_SPE_18": float(np.mean([r["FDR_SPE"] for r in keep])),
        "mean_FDR_T2_18": float(np.mean([r["FDR_T2"] for r in keep])),
    }


def run_candidate(train: pd.DataFrame, test: pd.DataFrame, method: str, kw: dict, k: int, n: int) -> dict[str, Any]:
    from pharmakon.process.mspc import MONITORS
    from pharmakon.process.stream import StreamMonitor

    est = MONITORS[method](**kw).fit(train.to_numpy())
    variables = list(train.columns)
    per, false_alarms = [], []
    t0 = time.perf_counter()
    for fault, run in test.groupby("fault"):
        samples = run.drop(columns=["faulty", "fault"]).to_dict("records")
        mon = StreamMonitor(est, variables, lags=kw.get("lags", 0), k=k, n=n)
        out, _ = mon.score(samples)
        alarm = np.array([r["alarm"] for r in out])
        false_alarms.append(alarm[:160])
        if fault == 0:
            false_alarms.append(alarm[160:])
            continue
        hits = np.flatnonzero(alarm[160:])
        per.append(
            {
                "fault": int(fault),
                "detection": 100 * alarm[160:].mean(),
                "delay": int(hits[0]) + 1 if len(hits) else None,
            }
        )
    seconds = time.perf_counter() - t0
    keep = [p for p in per if p["fault"] not in HARD]
    return {
        "per_fault": per,
        "mean_detection_18": float(np.mean([p["detection"] for p in keep])),
        "far_pooled": float(100 * np.concatenate(false_alarms).mean()),
        "median_delay_18": float(np.median([p["delay"] for p in keep if p["delay"] is not None])),
        "samples_per_s_in_process": len(test) / seconds,
    }


def bench_tep() -> dict[str, Any]:
    train = pd.read_csv(TEP / "d00_train_normal.csv")
    test = pd.read_csv(TEP / "test_d00-d21.csv")
    static = tep_static(train, test)
    cands = {}
    for label, method, kw, k, n in CANDIDATES:
        cands[label] = {
            "method": method,
            "settings": kw,
            "persistence": [k, n],
            **run_candidate(train, test, method, kw, k, n),
        }
    # Selection keeps a margin of one point under the 5 % ceiling: the pooled rate comes from
    # 4,320 serially correlated samples, so a candidate at 4.98 % could be above 5 % on another run.
    ok = {lab: c for lab, c in cands.items() if c["far_pooled"] <= FLOOR_FAR - 1.0}
    best = max(ok, key=lambda lab: ok[lab]["mean_detection_18"])
    return {"static_pca": static, "candidates": cands, "best": best}


def _rates(t2: np.ndarray, spe: np.ndarray, t2_lim: float | None, spe_lim: float) -> dict[str, float | None]:
    """Detection (samples 161-960) and false-alarm (1-160) rates, %, of T² and SPE against their limits."""
    a = t2 > t2_lim if t2_lim is not None else None
    b = spe > spe_lim
    return {
        "FDR_T2": None if a is None else 100 * a[160:].mean(),
        "FDR_SPE": 100 * b[160:].mean(),
        "FAR_T2": None if a is None else 100 * a[:160].mean(),
        "FAR_SPE": 100 * b[:160].mean(),
    }


def _peer_models(X: np.ndarray, cols: list[str]) -> dict[str, Any]:
    """Fitted PCA monitors (9 components, 99 %) of each package that installs: name -> (limits, scorer) or error."""
    import warnings

    from pharmakon.process.mspc import PCAMonitor

    ours = PCAMonitor(9, 0.99).fit(X)
    models: dict[str, Any] = {
        "pharmakon": (ours.t2_limit_, ours.spe_limit_, ours.statistics, "F limit; SPE Jackson-Mudholkar"),
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pyphi.calc as phi  # pyphi-mvda

            m = phi.pca(X, 9, mcs=True, shush=True)

        def phi_stats(Z: np.ndarray, m: dict = m) -> tuple[np.ndarray, np.ndarray]:
            p = phi.pca_pred(Z, m)
            return np.asarray(p["T2"]).ravel(), np.asarray(p["speX"]).ravel()

        models["pyphi-mvda"] = (m["T2_lim99"], m["speX_lim99"], phi_stats, "F limit; SPE Box g·chi² from training SPE")
    except Exception as exc:  # noqa: BLE001 - a peer that fails is reported, not fatal
        models["pyphi-mvda"] = f"{type(exc).__name__}: {exc}"
    try:
        import bibmon

        b = bibmon.PCA(ncomp=9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b.fit(pd.DataFrame(X, columns=cols), f_pp=["normalize"], f_pp_test=["normalize"], lim_conf=0.99)

        def bib_stats(Z: np.ndarray, b: Any = b) -> tuple[np.ndarray, np.ndarray]:
            b.predict(pd.DataFrame(Z, columns=cols))
            return np.full(len(Z), np.nan), np.asarray(b.SPE_test, float)

        models["bibmon"] = (None, float(b.limSPE), bib_stats, "SPE only; limit = empirical 99 % of training SPE")
    except Exception as exc:  # noqa: BLE001
        models["bibmon"] = f"{type(exc).__name__}: {exc}"
    return models


def _mean_of(rows: list[dict[str, Any]], key: str) -> float | None:
    """Mean of ``key`` over rows (None for a statistic the package does not have)."""
    return None if rows[0][key] is None else float(np.mean([r[key] for r in rows]))


def bench_peers() -> dict[str, Any]:
    """Static PCA (9 components, 99 %) of pyphi-mvda and bibmon beside ours on the same 22 TEP runs.

    Each package fits on the same 500 normal samples and scores with its own statistics
    and limits; detection on samples 161-960, false alarms on 1-160, per fault.
    """
    train = pd.read_csv(TEP / "d00_train_normal.csv")
    test = pd.read_csv(TEP / "test_d00-d21.csv")
    cols = list(train.columns)
    models = _peer_models(train.to_numpy(float), cols)
    out: dict[str, Any] = {}
    for name, model in models.items():
        if isinstance(model, str):
            out[name] = {"error": model}
            continue
        t2_lim, spe_lim, stats, note = model
        per = []
        t0 = time.perf_counter()
        for fault, run in test.groupby("fault"):
            t2, spe = stats(run[cols].to_numpy(float))
            per.append({"fault": int(fault), **_rates(t2, spe, t2_lim, spe_lim)})
        keep = [r for r in per if r["fault"] not in (0, *HARD)]
        out[name] = {
            "limits": {"t2": None if t2_lim is None else float(t2_lim), "spe": float(spe_lim)},
            "note": note,
            "mean_FDR_T2_18": _mean_of(keep, "FDR_T2"),
            "mean_FDR_SPE_18": _mean_of(keep, "FDR_SPE"),
            "FAR_T2_pooled_1_160": _mean_of(per, "FAR_T2"),
            "FAR_SPE_pooled_1_160": _mean_of(per, "FAR_SPE"),
            "seconds": time.perf_counter() - t0,
            "per_fault": per,
        }
    return out


def bench_softsensor(tmp: Path) -> dict[str, Any]:
    from chemotools.datasets import load_fermentation_test, load_fermentation_train
    from chemotools.scatter import StandardNormalVariate
    from sklearn.pipeline import make_pipeline

    from pharmakon.caller import Caller
    from pharmakon.process import service_models as sm
    from pharmakon.process.softsensor import PLSCV, align_reference
    from pharmakon.store import open_store

    X, y = load_fermentation_train()
    Xt, yt = load_fermentation_test()
    usable = Xt.std(axis=1).to_numpy() > 0
    idx = align_reference(len(Xt), yt["time"].to_numpy(), 1.25, usable=usable)
    truth = yt["glucose"].to_numpy()

    def scores(pred: np.ndarray) -> dict[str, float]:
        e = truth - pred
        return {
            "rmsep": float(np.sqrt(np.mean(e**2))),
            "r2": float(1 - np.sum(e**2) / np.sum((truth - truth.mean()) ** 2)),
        }

    base = make_pipeline(StandardNormalVariate(), PLSCV()).fit(X.to_numpy(), y["glucose"].to_numpy())
    out = {"baseline_snv_pls": {**scores(base.predict(Xt.to_numpy()[idx])), "components": base[-1].n_components_}}
    X.to_csv(tmp / "spectra.csv", index=False)
    y.to_csv(tmp / "reference.csv", index=False)
    Xt.to_csv(tmp / "online.csv", index=False)
    store, who = open_store(), Caller("bench", "python")
    t0 = time.perf_counter()
    fit = sm.softsensor_fit(
        store, sm.SoftSensorFitSpec(spectra=tmp / "spectra.csv", reference=tmp / "reference.csv", name="glucose"), who
    )
    sm.softsensor_predict(
        store, sm.SoftSensorPredictSpec(name="glucose", spectra=tmp / "online.csv", out=tmp / "pred.csv"), who
    )
    pred = pd.read_csv(tmp / "pred.csv").iloc[idx]
    cover = float(np.mean((truth >= pred["pred_lower"].to_numpy()) & (truth <= pred["pred_upper"].to_numpy())))
    out["ours"] = {
        **scores(pred["prediction"].to_numpy()),
        "model": fit.best.get("model"),
        "cv_metrics": fit.cv_metrics,
        "coverage_90": cover,
        "mean_interval_width": float((pred["pred_upper"] - pred["pred_lower"]).mean()),
        "seconds": time.perf_counter() - t0,
    }
    out["n_points"] = int(len(idx))
    return out


def bench_twin() -> dict[str, Any]:
    from pharmakon.caller import Caller
    from pharmakon.process import service_models as sm
    from pharmakon.process.twin import POLYMERS, RATIO, TwinFit, correct_setpoint, twin_log_size
    from pharmakon.store import open_store

    store = open_store()
    fit = sm.twin_fit(
        store, sm.TwinFitSpec(data=MIRROR / "plga_peg_microfluidics" / "all_samples.csv"), Caller("bench")
    )
    twin = TwinFit(fit.params, fit.stderr, fit.correlation_p_s, fit.rmse_log, fit.n_train)
    data = pd.read_csv(MIRROR / "plga_peg_microfluidics" / "all_samples.csv")
    rng = np.random.default_rng(7)
    # Simulated plant = the fitted twin with its ML correction, times a drift exp(delta), delta ~ U(-0.25, 0.25);
    # the controller sees 3 noisy measurements (2 % CV, DLS repeatability) at the old set-point and
    # moves S/AS with (a) the mechanistic twin alone, (b) twin + ML correction (what `twin correct` uses).
    n_sims, tol = 200, 0.08
    rows = data.sample(n_sims, replace=True, random_state=7).reset_index(drop=True)
    fr = rows[list(POLYMERS)].to_numpy(float)

    def corr_of(f: np.ndarray):
        def correction(ratios: np.ndarray) -> np.ndarray:
            d = pd.DataFrame([dict(zip([*POLYMERS, RATIO], [*f, r], strict=True)) for r in ratios])
            return sm.residual_correction(store, fit.residual_model, d)

        return correction

    def log_twin(f: np.ndarray, r: float) -> float:
        return float(twin_log_size(twin.params, np.array([r]), f.reshape(1, -1))[0])

    ok = {"twin": 0, "hybrid": 0}
    bounded = {"twin": 0, "hybrid": 0}
    small, n_small = {"twin": 0, "hybrid": 0}, 0  # drifts within ±10 %
    for i in range(n_sims):
        f, r0 = fr[i], float(rows.loc[i, RATIO])
        corr = corr_of(f)

        def plant(r: float, f: np.ndarray = f, corr=corr) -> float:
            return log_twin(f, r) + float(corr(np.array([r]))[0])

        target = float(np.exp(plant(r0)))
        delta = rng.uniform(-0.25, 0.25)
        observed = np.exp(plant(r0) + delta) * np.exp(rng.normal(0, 0.02, 3))
        for kind, c in (("twin", None), ("hybrid", corr)):
            model0 = log_twin(f, r0) + (float(c(np.array([r0]))[0]) if c else 0.0)
            drift = float(np.mean(np.log(observed)) - model0)
            r1 = correct_setpoint(twin, f, target, drift, correction=c)
            bounded[kind] += int(r1 <= 0.1 + 1e-6 or r1 >= 0.25 - 1e-6)
            good = abs(np.exp(plant(r1) + delta) / target - 1) <= tol
            ok[kind] += int(good)
            small[kind] += int(good and abs(delta) <= 0.1)
        n_small += int(abs(delta) <= 0.1)
    return {
        "params": fit.params,
        "stderr": fit.stderr,
        "correlation_p_s": fit.correlation_p_s,
        "holdout": fit.holdout,
        "n_holdout": fit.n_holdout,
        "setpoint": {
            "simulations": n_sims,
            "tolerance": tol,
            "success_rate_twin_only": ok["twin"] / n_sims,
            "success_rate_hybrid": ok["hybrid"] / n_sims,
            "at_bound_twin_only": bounded["twin"],
            "at_bound_hybrid": bounded["hybrid"],
            "drifts_within_10pct": n_small,
            "success_within_10pct_hybrid": small["hybrid"] / max(n_small, 1),
            "success_within_10pct_twin_only": small["twin"] / max(n_small, 1),
        },
        "not_identifiable": fit.not_identifiable,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_stream(n_samples: int, batch: int, home: Path) -> dict[str, Any]:
    import httpx
    from pydantic_core import from_json

    from pharmakon.caller import Caller
    from pharmakon.process import service
    from pharmakon.specs import build_spec
    from pharmakon.store import create_user, issue_token, open_store

    store = open_store()
    train = pd.read_csv(TEP / "d00_train_normal.csv")
    train.to_csv(home / "normal.csv", index=False)
    service.fit_monitor(
        store,
        build_spec(service.FitSpec, data=home / "normal.csv", name="tep52", method="pca", components=9),
        Caller("bench"),
    )
    with store.session() as session:
        create_user(session, username="bench", password="bench-password-1", role="scientist", actor="bench")
        token = issue_token(session, username="bench", name="bench", actor="bench")
    test = pd.read_csv(TEP / "test_d00-d21.csv").drop(columns=["faulty", "fault", "sample"])
    reps = int(np.ceil(n_samples / len(test)))
    values = np.tile(test.to_numpy(), (reps, 1))[:n_samples]
    cols = list(test.columns)
    samples = [dict(zip(cols, row, strict=True), index=i) for i, row in enumerate(values.tolist(), 1)]
    rng = np.random.default_rng(0)
    picks = rng.choice(np.arange(10, n_samples), size=400, replace=False)
    injected = set()
    for kind, pos in zip(["nan", "missing", "duplicate", "late"] * 100, picks, strict=True):
        if kind == "nan":
            samples[pos]["xmeas_7"] = "NaN"  # JSON has no NaN literal (the API refuses one): the text form
        elif kind == "missing":
            samples[pos].pop("xmv_2")
        elif kind == "duplicate":
            samples[pos]["index"] = samples[pos - 1]["index"]
        else:
            samples[pos]["index"] = samples[pos - 5]["index"] - 1  # earlier than samples already scored
        injected.add(int(pos))
    port = _free_port()
    env = {**os.environ, "PHARMAKON_HOME": str(home)}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "pharmakon"), "serve", "--port", str(port), "--no-seed"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/process/monitors/tep52/samples"
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=120) as client:
            deadline = time.monotonic() + 180  # a loaded machine starts the server slowly
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"the server exited: {server.stderr.read().decode()[-2000:]}")
                try:
                    if client.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start in 180 s")
                time.sleep(0.2)
            import json as _json

            bodies = [
                _json.dumps({"samples": samples[s : s + batch], "restart": s == 0}).encode()
                for s in range(0, n_samples, batch)
            ]
            records: list[dict[str, Any]] = []
            server_cpu0, client_cpu0 = _cpu_seconds(server.pid), time.process_time()
            t0 = time.perf_counter()
            for body in bodies:
                r = client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code}: {r.text[:500]}")
                records += from_json(r.content)["records"]  # a client's fast parser (pydantic-core)
            seconds = time.perf_counter() - t0
            server_cpu = _cpu_seconds(server.pid) - server_cpu0
            client_cpu = time.process_time() - client_cpu0
    finally:
        server.terminate()
        server.wait(timeout=30)
    flagged = {i for i, r in enumerate(records) if r["flag"] is not None}
    return {
        "samples": n_samples,
        "batch": batch,
        "seconds": seconds,
        "samples_per_s": n_samples / seconds,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
        # load-independent: samples per CPU-second of server + client (what a quiet machine would approach)
        "samples_per_cpu_s": n_samples / (server_cpu + client_cpu),
        "records": len(records),
        "injected": len(injected),
        "flagged": len(flagged),
        "flagged_exactly_injected": flagged == injected,
        "alarm_samples": int(sum(r["alarm"] for r in records)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--stream-samples", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument(
        "--only-stream",
        action="store_true",
        help="Rerun only the stream part and update it in an existing bench/results/process.json.",
    )
    args = parser.parse_args()
    if args.only_stream:
        rerun_stream(args)
        return
    os.environ.setdefault("PHARMAKON_DATA_MIRROR", str(MIRROR))
    # The machine is shared: the load average says how much else was running.
    result: dict[str, Any] = {"machine": _common.machine_info(), "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        os.environ["PHARMAKON_HOME"] = str(home)
        result["tep"] = bench_tep()
        result["peers"] = bench_peers()
        result["softsensor"] = bench_softsensor(home)
        result["twin"] = bench_twin()
        if not args.skip_stream:
            result["stream"] = bench_stream(args.stream_samples, args.batch, home)
    result["load_average_end"] = os.getloadavg()
    tep = result["tep"]
    best = tep["candidates"][tep["best"]]
    result["floors"] = {
        "pca_anchor_within_0.5": tep["static_pca"]["max_abs_deviation_points"] <= 0.5,
        "best_detection_ge_82.2": best["mean_detection_18"] >= FLOOR_DETECTION,
        "best_far_le_5": best["far_pooled"] <= FLOOR_FAR,
        "stream_ge_5000_per_s": result.get("stream", {}).get("samples_per_s", 0) >= FLOOR_RATE
        if not args.skip_stream
        else None,
    }
    out = _common.write_result(NAME, result)
    report(result)
    print(f"wrote {out}")


def rerun_stream(args: argparse.Namespace) -> None:
    """The stream part alone (e.g. when the machine is quieter), merged into the last full result."""
    import json

    previous = json.loads((_common.RESULTS_DIR / f"{NAME}.json").read_text())
    previous["load_average_stream_start"] = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PHARMAKON_HOME"] = folder
        previous["stream"] = bench_stream(args.stream_samples, args.batch, Path(folder))
    previous["load_average_stream_end"] = os.getloadavg()
    previous["floors"]["stream_ge_5000_per_s"] = previous["stream"]["samples_per_s"] >= FLOOR_RATE
    previous.pop("benchmark", None), previous.pop("finished_at", None), previous.pop("command", None)
    out = _common.write_result(NAME, previous)
    report(previous)
    print(f"wrote {out}")


def report(result: dict[str, Any]) -> None:
    tep = result["tep"]
    st = tep["static_pca"]
    _common.print_table(
        "TEP static PCA (9 PCs, 99%) per fault, %",
        ["fault", "FDR T²", "FDR SPE", "FAR T² (1-160)", "FAR SPE (1-160)"],
        [
            [r["fault"], f"{r['FDR_T2']:.2f}", f"{r['FDR_SPE']:.2f}", f"{r['FAR_T2']:.2f}", f"{r['FAR_SPE']:.2f}"]
            for r in st["per_fault"]
        ],
        caption=f"max |ours - pca_baseline_ours.csv| = {st['max_abs_deviation_points']:.3f} points; "
        f"mean FDR SPE over 18 faults {st['mean_FDR_SPE_18']:.2f}%",
        numeric=["FDR T²", "FDR SPE", "FAR T² (1-160)", "FAR SPE (1-160)"],
    )
    cands = tep["candidates"]
    _common.print_table(
        "TEP candidate monitors (alarm = T² or SPE above its limit, k of n persistence)",
        ["candidate", "mean detection (18) %", "pooled FAR %", "median delay (samples)", "samples/s"],
        [
            [
                lab,
                f"{c['mean_detection_18']:.2f}",
                f"{c['far_pooled']:.2f}",
                c["median_delay_18"],
                f"{c['samples_per_s_in_process']:.0f}",
            ]
            for lab, c in cands.items()
        ],
        caption=f"best (FAR <= 5%): {tep['best']}",
        numeric=["mean detection (18) %", "pooled FAR %", "median delay (samples)", "samples/s"],
    )
    best = cands[tep["best"]]
    _common.print_table(
        f"TEP per fault, best = {tep['best']}",
        ["fault", "detection %", "delay (samples of 3 min)"],
        [[p["fault"], f"{p['detection']:.2f}", p["delay"]] for p in best["per_fault"]],
        numeric=["detection %", "delay (samples of 3 min)"],
    )
    if "peers" in result:
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        _common.print_table(
            "TEP static PCA (9 PCs, 99%): peers in the same run, each with its own statistics and limits",
            ["package", "T² limit", "SPE limit", "FDR T² (18)", "FDR SPE (18)", "FAR T² (1-160)", "FAR SPE (1-160)"],
            [
                [name, "error", p["error"][:60], "", "", "", ""]
                if "error" in p
                else [
                    name,
                    fmt(p["limits"]["t2"]),
                    fmt(p["limits"]["spe"]),
                    fmt(p["mean_FDR_T2_18"]),
                    fmt(p["mean_FDR_SPE_18"]),
                    fmt(p["FAR_T2_pooled_1_160"]),
                    fmt(p["FAR_SPE_pooled_1_160"]),
                ]
                for name, p in result["peers"].items()
            ],
        )
    ss = result["softsensor"]
    _common.print_table(
        f"Soft sensor: glucose on the {ss['n_points']} aligned HPLC points",
        ["model", "RMSEP g/L", "R²", "90% coverage"],
        [
            [
                f"SNV + PLS (CV comps {ss['baseline_snv_pls']['components']})",
                f"{ss['baseline_snv_pls']['rmsep']:.2f}",
                f"{ss['baseline_snv_pls']['r2']:.3f}",
                "",
            ],
            [
                f"ours ({ss['ours']['model']})",
                f"{ss['ours']['rmsep']:.2f}",
                f"{ss['ours']['r2']:.3f}",
                f"{ss['ours']['coverage_90']:.2f}",
            ],
        ],
        numeric=["RMSEP g/L", "R²", "90% coverage"],
    )
    tw = result["twin"]
    h = tw["holdout"]
    _common.print_table(
        f"Twin on PLGA-PEG ({tw['n_holdout']} held-out formulations)",
        ["model", "RMSE nm", "R²"],
        [
            ["mechanistic twin", f"{h['twin_rmse']:.2f}", f"{h['twin_r2']:.3f}"],
            ["twin + ML correction", f"{h.get('hybrid_rmse') or 0:.2f}", f"{h.get('hybrid_r2') or 0:.3f}"],
        ],
        caption=f"set-point correction, {tw['setpoint']['simulations']} simulated drifts back within ±8%: "
        f"twin only {100 * tw['setpoint']['success_rate_twin_only']:.1f}%, twin + ML "
        f"{100 * tw['setpoint']['success_rate_hybrid']:.1f}% ({tw['setpoint']['at_bound_hybrid']} at an S/AS bound); "
        f"drifts within ±10%: twin + ML {100 * tw['setpoint']['success_within_10pct_hybrid']:.1f}%",
        numeric=["RMSE nm", "R²"],
    )
    if "stream" in result:
        s = result["stream"]
        _common.print_table(
            "Stream through the running server",
            ["samples", "batch", "seconds", "samples/s", "per CPU-s", "records", "injected", "flagged", "exact"],
            [
                [
                    s["samples"],
                    s["batch"],
                    f"{s['seconds']:.1f}",
                    f"{s['samples_per_s']:.0f}",
                    f"{s['samples_per_cpu_s']:.0f}",
                    s["records"],
                    s["injected"],
                    s["flagged"],
                    s["flagged_exactly_injected"],
                ]
            ],
        )
    print("floors:", result["floors"])
    print("load average at start / end:", result["load_average_start"], result["load_average_end"])


if __name__ == "__main__":
    main()
