"""Benchmark of trial data on CDISC standards (issue 18): TLF reproduction, review recall and speed, retention.

* TLFs: every number of ``reference_outputs/reference_numbers.json`` (demographics,
  primary ANCOVA, KM numbers at risk and events) compared at its printed precision.
* Review recall: anomalies of every type injected with a seed into a copy of the pilot
  SDTM/ADSL (:func:`pharmakon.trials.cdisc.inject.inject_anomalies`, ``--per-type`` each,
  ``--seeds`` seeds); recall per type = share with a query of an expected rule on the
  changed record. Floor 0.9 per type.
* Queries on the clean pilot data, per domain and rule (reviewed in docs/trialdata.md),
  with checks that support the review: ADAE's TRTEMFL of the AEs before first dose, the
  subject-visits behind the LB visit-window queries.
* Speed: reading the full pilot SDTM (+ADSL) and reviewing it, wall clock. Floor 30 s.
* Retention: AUROC and calibration slope overall and per arm (site-grouped out-of-fold)
  of the lifecycle's model against an arm-only logistic baseline, in the same run.

Usage::

    python bench/trialdata.py              # 20 anomalies per type, 3 seeds, retention with logistic + rf
    python bench/trialdata.py --quick      # 10 per type, 1 seed, no retention

Writes ``bench/results/trialdata.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import _common

NAME = "trialdata"
PILOT = _common.REPO_ROOT.parent / "shared" / "data" / "cdisc_pilot01"
RECALL_FLOOR, SPEED_FLOOR_S = 0.9, 30.0


def tlf_check() -> dict:
    from pharmakon.trials.cdisc.analysis_spec import builtin_analysis
    from pharmakon.trials.cdisc.study import load_study
    from pharmakon.trials.cdisc.tlf import run_analysis

    reference = json.loads((PILOT / "reference_outputs" / "reference_numbers.json").read_text())
    data = load_study(PILOT / "sdtm", PILOT / "adam", sdtm_names=("qs",))
    out = {}
    for table in ("demographics", "primary", "km"):
        spec = builtin_analysis(table)
        numbers = run_analysis(spec, data).numbers
        expected = {k: v for k, v in reference[spec.reference_key].items() if k != "model"}
        leaves = _leaves(expected)
        got = _leaves({k: numbers.get(k) for k in expected})
        matched = sum(got.get(path) == value for path, value in leaves.items())
        out[table] = {
            "numbers": len(leaves),
            "matched": matched,
            "mismatches": [p for p in leaves if got.get(p) != leaves[p]],
        }
    return out


def _leaves(obj, prefix: str = "") -> dict:
    if isinstance(obj, dict):
        return {k: v for key, val in obj.items() for k, v in _leaves(val, f"{prefix}/{key}").items()}
    if isinstance(obj, list):
        return {k: v for i, val in enumerate(obj) for k, v in _leaves(val, f"{prefix}[{i}]").items()}
    return {prefix: obj}


def recall(domains: dict, per_type: int, seeds: list[int]) -> dict:
    import pandas as pd

    from pharmakon.trials.cdisc.inject import EXPECTED_RULES, inject_anomalies
    from pharmakon.trials.cdisc.review import review_domains

    hits: dict[str, list[int]] = {}
    for seed in seeds:
        changed, truth = inject_anomalies(domains, n_per_type=per_type, seed=seed)
        q = review_domains(changed)
        for row in truth.itertuples():
            m = q[
                (q["domain"] == row.domain) & (q["usubjid"] == row.usubjid) & q["rule"].isin(EXPECTED_RULES[row.type])
            ]
            if pd.notna(row.seq):
                m = m[m["seq"] == row.seq]
            hits.setdefault(row.type, []).append(int(len(m) > 0))
    return {k: {"injected": len(v), "found": sum(v), "recall": sum(v) / len(v)} for k, v in hits.items()}


def clean_review(domains: dict) -> dict:
    from pharmakon.trials.cdisc.review import review_domains

    q = review_domains(domains)
    counts = q.groupby(["domain", "rule"]).size()
    notes = {}
    before = q[q["rule"] == "ae_before_first_dose"]
    adae = domains.get("ADAE")
    if adae is not None:
        flag = adae.set_index(["USUBJID", "AESEQ"])["TRTEMFL"]
        keys = list(zip(before["usubjid"], before["seq"], strict=True))
        trtem = [flag.get(k) for k in keys]
        notes["ae_before_first_dose_TRTEMFL"] = {str(v): trtem.count(v) for v in set(trtem)}
    lbw = q[(q["rule"] == "visit_out_of_window") & (q["domain"] == "LB")]
    notes["lb_visit_window_subject_visits"] = int(
        lbw.assign(v=[e["VISIT"] for e in lbw["evidence"]]).drop_duplicates(["usubjid", "v"]).shape[0]
    )
    notes["lb_visit_window_subjects"] = int(lbw["usubjid"].nunique())
    return {
        "queries": int(len(q)),
        "by_domain_rule": {f"{d}/{r}": int(n) for (d, r), n in counts.items()},
        "notes": notes,
    }


def speed() -> dict:
    from pharmakon.trials.cdisc.review import review_domains
    from pharmakon.trials.cdisc.study import load_study

    start = time.perf_counter()
    data = load_study(PILOT / "sdtm", PILOT / "adam")
    loaded = time.perf_counter()
    q = review_domains(data)
    end = time.perf_counter()
    records = sum(len(v) for k, v in data.items() if not k.startswith("AD"))
    return {
        "records": records,
        "read_s": round(loaded - start, 2),
        "review_s": round(end - loaded, 2),
        "total_s": round(end - start, 2),
        "queries": int(len(q)),
    }


def retention() -> dict:
    os.environ["PHARMAKON_HOME"] = tempfile.mkdtemp(prefix="bench-trialdata-")
    from pharmakon.caller import Caller
    from pharmakon.store import open_store
    from pharmakon.trials.cdisc.service import RetentionSpec, predict_retention

    spec = RetentionSpec(adam=PILOT / "adam", sdtm=PILOT / "sdtm", name="retention-bench")
    result = predict_retention(open_store(), spec, Caller("bench", "python"))
    return {
        "best": result.best,
        "n": result.n,
        "day": result.day,
        "metrics": [m.model_dump() for m in [result.overall, *result.per_arm]],
        "fairness_disparities": (result.fairness or {}).get("disparities"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--per-type", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None)
    args = parser.parse_args()
    per_type = args.per_type or (10 if args.quick else 20)
    seeds = list(range(args.seeds or (1 if args.quick else 3)))
    from pharmakon.trials.cdisc.study import load_study

    domains = load_study(PILOT / "sdtm", PILOT / "adam")
    payload = {
        "machine": _common.machine_info(),
        "tlf": tlf_check(),
        "speed": speed(),
        "recall": recall(domains, per_type, seeds),
        "clean": clean_review(domains),
    }
    if not args.quick:
        payload["retention"] = retention()
    _common.write_result(NAME, payload)
    rows = [[t, v["numbers"], v["matched"]] for t, v in payload["tlf"].items()]
    _common.print_table(
        "TLF numbers vs reference_numbers.json", ["table", "numbers", "matched"], rows, numeric=["numbers", "matched"]
    )
    rows = [
        [k, v["injected"], v["found"], f"{v['recall']:.3f}", "yes" if v["recall"] >= RECALL_FLOOR else "NO"]
        for k, v in payload["recall"].items()
    ]
    _common.print_table(
        f"Review recall ({per_type}/type, seeds {seeds})",
        ["type", "injected", "found", "recall", ">= 0.9"],
        rows,
        numeric=["injected", "found", "recall"],
    )
    rows = [[k, n] for k, n in payload["clean"]["by_domain_rule"].items()]
    _common.print_table(
        "Queries on the clean pilot",
        ["domain/rule", "queries"],
        rows,
        numeric=["queries"],
        caption=json.dumps(payload["clean"]["notes"]),
    )
    s = payload["speed"]
    _common.print_table(
        "Full pilot review",
        ["records", "read s", "review s", "total s", "< 30 s"],
        [[s["records"], s["read_s"], s["review_s"], s["total_s"], "yes" if s["total_s"] < SPEED_FLOOR_S else "NO"]],
    )
    if "retention" in payload:
        f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        rows = [
            [
                m["arm"],
                m["n"],
                m["events"],
                f(m["auroc"]),
                f(m["calibration_slope"]),
                f(m["baseline_auroc"]),
                f(m["baseline_calibration_slope"]),
            ]
            for m in payload["retention"]["metrics"]
        ]
        _common.print_table(
            f"Retention (day {payload['retention']['day']}, {payload['retention']['best']})",
            ["arm", "n", "events", "AUROC", "slope", "arm-only AUROC", "arm-only slope"],
            rows,
        )


if __name__ == "__main__":
    sys.exit(main())
