"""Patient-trial matching benchmark: ranking quality, criterion-level accuracy, speed.

Sections (each can be skipped with --skip NAME):

* ``rank``: TREC Clinical Trials 2021 re-rank of the judged trials per topic (the mirror's
  ``trec_ct_2021_trials``), and the SIGIR 2016 sample; the matcher and BM25 (same
  tokenisation) in the same run: NDCG@10, P@10, MRR, AUROC eligible vs excluded.
  Floor: matcher NDCG@10 >= 1.25 x BM25 on TREC 2021.
* ``retrievers``: TREC 2021 with each first stage (bm25, dense WordLlama, hybrid RRF
  k=60), in rerank and retrieve modes: the matcher on it and the first stage alone
  (skipped without the deep extra).
* ``lexicon``: the core concept lexicon alone vs widened with the generated diagnoses
  (:mod:`pharmakon.trials.matching.diagnoses`): criteria items of the mirror's trials
  with a computable / a diagnosis check, and the matcher's TREC 2021 ranking.
* ``criteria``: the CDISC pilot subjects converted SDTM -> FHIR
  (:func:`pharmakon.patients.records.sdtm.sdtm_to_fhir`), read back with the FHIR reader,
  de-identified, and assessed on the computable criteria of ``sdtm/ti.csv``; labels are
  computed independently from the SDTM/ADaM tables with pandas (MMSE from ADSL.MMSETOT,
  not from the converter's derived total). Perturbed copies must flip (inclusions to "not
  met", exclusions to "met"), and a patient meeting a computable exclusion must never
  be eligible. Floor: accuracy >= 0.95.
* ``speed``: 10,000 trials built by varying the mirror's trial texts (TREC 2021 sample,
  TREC 2021 judged sample, SIGIR sample); TREC 2021/2022 and SIGIR notes matched in
  retrieve mode (BM25 top 50 assessed), end to end per patient. Floor: 10 patients/s.

Usage: ``.venv/bin/python bench/matching.py [--skip speed] [--trials 10000] [--patients 100]``
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from datetime import date, timedelta
from typing import Any

import pandas as pd

import _common

MIRROR = _common.REPO_ROOT.parent / "shared" / "data"
CDISC = MIRROR / "cdisc_pilot01"
# criterion id -> kind (for the "not about age or sex" count)
CRITERIA = {
    "INCL01": "age",
    "INCL02": "diagnosis",
    "INCL03": "score",
    "INCL04": "score",
    "EXCL15": "diagnosis",
    "EXCL23": "diagnosis",
    "EXCL27": "lab",
    "EXCL28": "lab",
}


def deidentified(coll: Any) -> list[Any]:
    """The collection's patients de-identified as the matcher receives them, keeping their ids (for the qrels)."""
    from pharmakon.patients.records.deid import deidentify

    records = []
    for rec in coll.patients:
        clean, _ = deidentify(rec, "bench")
        clean.patient_id = rec.patient_id
        records.append(clean)
    return records


def bench_rank() -> dict[str, Any]:
    from pharmakon.trials.matching.evaluation import load_collection, rerank_runs, topic_metrics

    out = {}
    for name in ("trec2021", "sigir2016"):
        coll = load_collection(name, MIRROR)
        records = deidentified(coll)
        with _common.timed() as t:
            m_runs, b_runs = rerank_runs(coll, records)
        m, b = topic_metrics(m_runs, coll.labels), topic_metrics(b_runs, coll.labels)
        out[name] = {"matcher": m, "bm25": b, "ndcg_ratio": m["ndcg@10"] / b["ndcg@10"], "seconds": round(t.seconds, 2)}
    out["floor_trec2021_ndcg_ratio"] = 1.25
    out["floor_met"] = out["trec2021"]["ndcg_ratio"] >= 1.25
    return out


def bench_retrievers(candidates: int = 25) -> dict[str, Any]:
    """TREC 2021: the matcher on each first stage (bm25, dense, hybrid RRF k=60), and each alone.

    ``rerank``: each topic's judged pool; ``retrieve``: the first stage ranks the mirror's
    whole TREC 2021 trial sample (69 trials), the matcher assesses its ``candidates`` best;
    trials not judged for a topic count as not relevant.
    """
    import importlib.util

    from pharmakon.trials.matching.evaluation import load_collection, retrieval_runs, topic_metrics

    if importlib.util.find_spec("wordllama") is None:
        return {"skipped": "the deep extra (wordllama) is not installed"}
    coll = load_collection("trec2021", MIRROR)
    records = deidentified(coll)
    out: dict[str, Any] = {"collection": "trec2021", "candidates_retrieve": candidates, "trials": len(coll.trials)}
    for mode in ("rerank", "retrieve"):
        for name in ("bm25", "dense", "hybrid"):
            with _common.timed() as t:
                runs = retrieval_runs(coll, records, retriever=name, mode=mode, candidates=candidates)
            out[f"{mode}/{name}"] = {
                "matcher": topic_metrics(runs["matcher"], coll.labels),
                "alone": topic_metrics(runs["retriever"], coll.labels),
                "seconds": round(t.seconds, 2),
            }
    return out


_LEXICON_PROBE = """
import json, sys
import pharmakon.trials.matching.diagnoses as d
if sys.argv[1] == "core":  # the hand-curated core alone: the generated file is not merged
    d.load = lambda path=None: {"sources": {}, "extend": {}, "concepts": {}}
from pathlib import Path
from pharmakon.patients.records.deid import deidentify
from pharmakon.trials.matching.documents import read_trials
from pharmakon.trials.matching.evaluation import load_collection, rerank_runs, topic_metrics
from pharmakon.trials.matching.lexicon import CONCEPTS
from pharmakon.trials.matching.matcher import parse_trial
mirror = Path(sys.argv[2])
items = concept = checked = 0
for f in ("trec_ct_2021_trials/trials.jsonl", "sigir_2016/judged_trial_sample/trials.jsonl"):
    for t in read_trials(mirror / f):
        for c in parse_trial(t).criteria:
            items += 1
            checked += bool(c.checks)
            concept += any(k.kind == "concept" for k in c.checks)
coll = load_collection("trec2021", mirror)
records = []
for rec in coll.patients:
    clean, _ = deidentify(rec, "bench")
    clean.patient_id = rec.patient_id
    records.append(clean)
m, _ = rerank_runs(coll, records)
print(json.dumps({"concepts": len(CONCEPTS), "criteria_items": items, "with_a_check": checked,
                  "with_a_diagnosis_check": concept, "trec2021_rerank": topic_metrics(m, coll.labels)}))
"""


def bench_lexicon() -> dict[str, Any]:
    """The core lexicon alone vs widened with the generated diagnoses (each in a fresh process).

    Coverage: criteria items of the mirror's trials (TREC 2021 sample, SIGIR sample) with a
    computable check and with a diagnosis check; ranking: the matcher on TREC 2021 (rerank, BM25).
    """
    import subprocess

    out = {}
    for which in ("core", "widened"):
        run = subprocess.run(
            [sys.executable, "-c", _LEXICON_PROBE, which, str(MIRROR)], capture_output=True, text=True, check=True
        )
        out[which] = json.loads(run.stdout.strip().splitlines()[-1])
    return out


# ---------------------------------------------------------------------------- criteria


def _sdtm(domain: str) -> pd.DataFrame:
    from pharmakon.patients.records.sdtm import read_sdtm

    return read_sdtm(CDISC / "sdtm", domain)


def _truth() -> pd.DataFrame:
    """Expected verdict per (subject, criterion), from the SDTM/ADaM tables directly."""
    dm, mh, qs, lb = _sdtm("dm"), _sdtm("mh"), _sdtm("qs"), _sdtm("lb")
    adsl = pd.read_csv(CDISC / "adam" / "adsl.csv", dtype=str).set_index("USUBJID")
    screen = {r.USUBJID: date.fromisoformat(r.DMDTC) for r in dm.itertuples()}
    has_mh = set(mh["USUBJID"])
    rows = []

    def onset(text: str) -> date | None:
        if not text:
            return None
        return date(int(text[:4]), int(text[5:7]) if len(text) >= 7 else 1, int(text[8:10]) if len(text) >= 10 else 1)

    def history(sid: str, pattern: str, years: float) -> str:
        if sid not in has_mh:
            return "not enough information"
        sub = mh[
            (mh.USUBJID == sid)
            & (mh.MHDECOD.str.contains(pattern, case=False) | mh.MHTERM.str.contains(pattern, case=False))
        ]
        since = screen[sid] - timedelta(days=years * 365.25)
        for r in sub.itertuples():
            start, ongoing = onset(r.MHSTDTC), "ONGOING" in (r.MHENRTPT.upper(), r.MHENRF.upper())
            end = onset(r.MHENDTC)
            if ongoing or (start and start >= since) or (end and end >= since):
                return "met"
        return "not met"

    hach = qs[qs.QSCAT == "MODIFIED HACHINSKI ISCHEMIC SCORE"].copy()
    hach["v"] = pd.to_numeric(hach.QSSTRESN)
    hach_total = hach[hach.VISIT.str.startswith("SCREENING")].groupby("USUBJID")["v"].sum()
    lbs = lb[lb.VISIT.str.startswith("SCREENING")].drop_duplicates(["USUBJID", "LBTESTCD"])

    def lab_flag(sid: str, tests: list[str], want: str) -> list[bool | None]:
        out = []
        for t in tests:
            r = lbs[(lbs.USUBJID == sid) & (lbs.LBTESTCD == t)]
            if r.empty or r.iloc[0].LBSTRESN == "":
                out.append(None)
                continue
            ind = r.iloc[0].LBNRIND.upper()
            out.append({"above": ind == "HIGH", "below": ind == "LOW", "outside": ind in ("HIGH", "LOW")}[want])
        return out

    for sid in dm.USUBJID:
        age = float(dm.loc[dm.USUBJID == sid, "AGE"].iloc[0])
        rows.append((sid, "INCL01", "met" if age >= 50 else "not met"))
        if sid in has_mh:
            ad = mh[(mh.USUBJID == sid) & (mh.MHCAT == "PRIMARY DIAGNOSIS") & mh.MHTERM.str.contains("ALZHEIMER")]
            rows.append((sid, "INCL02", "met" if len(ad) else "not met"))
        else:
            rows.append((sid, "INCL02", "not enough information"))
        mmse = adsl.MMSETOT.get(sid)
        rows.append(
            (
                sid,
                "INCL03",
                "not enough information" if mmse is None else ("met" if 10 <= float(mmse) <= 23 else "not met"),
            )
        )
        h = hach_total.get(sid)
        rows.append((sid, "INCL04", "not enough information" if h is None else ("met" if h <= 4 else "not met")))
        rows.append((sid, "EXCL15", history(sid, "SYNCOPE", 5)))
        rows.append((sid, "EXCL23", history(sid, "HIV|HUMAN IMMUNODEFICIENCY", 5)))
        flags = lab_flag(sid, ["CREAT", "BILI", "AST", "ALT"], "above")
        rows.append(
            (
                sid,
                "EXCL27",
                "met" if any(flags) else ("not met" if all(f is False for f in flags) else "not enough information"),
            )
        )
        # folate is not measured in the pilot: met only through B12 or TSH, else undecidable
        flags = (
            lab_flag(sid, ["FOLATE"], "below") + lab_flag(sid, ["VITB12"], "below") + lab_flag(sid, ["TSH"], "outside")
        )
        rows.append(
            (
                sid,
                "EXCL28",
                "met" if any(flags) else ("not met" if all(f is False for f in flags) else "not enough information"),
            )
        )
    return pd.DataFrame(rows, columns=["patient_id", "id", "expected"])


def _perturb(rec: Any, crit: str) -> tuple[Any, str]:
    """A copy of ``rec`` changed so that ``crit`` must flip; (copy, expected verdict)."""
    from pharmakon.patients.records.model import Coded, Measurement

    ref = rec.as_of()
    obs = list(rec.observations)
    if crit == "INCL01":
        return rec.copy(age_years=45.0, birth_date=None), "not met"
    if crit == "INCL02":
        # the primary diagnosis becomes another dementia: the record still holds a diagnosis, not AD
        other = Coded(
            "VASCULAR DEMENTIA", date=ref - timedelta(days=400), category="PRIMARY DIAGNOSIS", source="perturbed"
        )
        return rec.copy(
            conditions=[c for c in rec.conditions if "ALZHEIMER" not in c.display.upper()] + [other]
        ), "not met"
    if crit in ("INCL03", "INCL04"):
        code, value = ("MMTOT", 28.0) if crit == "INCL03" else ("MHTOT", 9.0)
        obs = [o for o in obs if o.code != code] + [Measurement(code, value, code=code, date=ref, source="perturbed")]
        return rec.copy(observations=obs), "not met"
    if crit in ("EXCL15", "EXCL23"):
        name = "SYNCOPE" if crit == "EXCL15" else "HIV INFECTION"
        return rec.copy(
            conditions=[*rec.conditions, Coded(name, date=ref - timedelta(days=365), source="perturbed")]
        ), "met"
    if crit == "EXCL27":
        creat = next((o for o in obs if o.code == "CREAT"), None)
        if creat is None or creat.high is None:
            return None, ""
        obs = [o for o in obs if o.code != "CREAT"] + [
            Measurement(
                creat.display,
                creat.high * 3,
                creat.unit,
                code="CREAT",
                date=ref,
                low=creat.low,
                high=creat.high,
                interpretation="H",
            )
        ]
        return rec.copy(observations=obs), "met"
    if crit == "EXCL28":
        b12 = next((o for o in obs if o.code == "VITB12"), None)
        if b12 is None or b12.low is None:
            return None, ""
        obs = [o for o in obs if o.code != "VITB12"] + [
            Measurement(
                b12.display,
                b12.low / 2,
                b12.unit,
                code="VITB12",
                date=ref,
                low=b12.low,
                high=b12.high,
                interpretation="L",
            )
        ]
        return rec.copy(observations=obs), "met"
    return None, ""


def bench_criteria() -> dict[str, Any]:
    from pharmakon.patients.records.deid import deidentify
    from pharmakon.patients.records.fhir import read_fhir
    from pharmakon.patients.records.sdtm import sdtm_to_fhir, write_ndjson
    from pharmakon.trials.matching.documents import Trial
    from pharmakon.trials.matching.funnel import decisive, screen_patients
    from pharmakon.trials.matching.matcher import parse_trial

    ti = pd.read_csv(CDISC / "sdtm" / "ti.csv", dtype=str)
    inc = "\n".join(f"- {t}" for t in ti[ti.IECAT == "INCLUSION"].IETEST)
    exc = "\n".join(f"- {t}" for t in ti[ti.IECAT == "EXCLUSION"].IETEST)
    trial = Trial(
        "CDISCPILOT01",
        title="Xanomeline TTS in mild to moderate Alzheimer's disease",
        criteria_text=f"Inclusion Criteria:\n{inc}\n\nExclusion Criteria:\n{exc}",
    )
    parsed = parse_trial(trial)
    index_of = {c.criterion.text: i for i, c in enumerate(parsed.criteria)}
    crit_index = {row.IETESTCD: index_of[row.IETEST] for row in ti.itertuples()}
    with tempfile.TemporaryDirectory() as tmp, _common.timed() as t_conv:
        write_ndjson(sdtm_to_fhir(CDISC / "sdtm"), tmp)
        records = read_fhir(tmp)
    clean = []
    for rec in records:
        c, _ = deidentify(rec, "bench")
        c.patient_id = rec.patient_id
        clean.append(c)
    truth = _truth()
    with _common.timed() as t_assess:
        cohort = screen_patients(parsed, clean)
    rows = []
    for r in truth.itertuples():
        got = cohort.assessments[r.patient_id][crit_index[r.id]]
        rows.append(
            {
                "patient_id": r.patient_id,
                "id": r.id,
                "kind": CRITERIA[r.id],
                "expected": r.expected,
                "got": got.verdict,
                "perturbed": False,
            }
        )
    # perturbed copies
    by_id = {c.patient_id: c for c in clean}
    perturbed, expect = [], {}
    for sid, rec in by_id.items():
        for crit in CRITERIA:
            if truth[(truth.patient_id == sid) & (truth.id == crit)].expected.iloc[0] == "not enough information":
                continue
            copy, want = _perturb(rec, crit)
            if copy is None:
                continue
            copy.patient_id = f"{sid}~{crit}"
            perturbed.append(copy)
            expect[copy.patient_id] = (crit, want)
    pcohort = screen_patients(parsed, perturbed)
    for pid, (crit, want) in expect.items():
        got = pcohort.assessments[pid][crit_index[crit]]
        rows.append(
            {
                "patient_id": pid,
                "id": crit,
                "kind": CRITERIA[crit],
                "expected": want,
                "got": got.verdict,
                "perturbed": True,
            }
        )
    table = pd.DataFrame(rows)
    table["correct"] = table.expected == table.got
    # never eligible with a computable exclusion met (expected, by the labels)
    excl_met = set(table[(table.id.str.startswith("EXCL")) & (table.expected == "met")].patient_id)
    eligible = set(cohort.eligible) | set(pcohort.eligible)
    violations = sorted(excl_met & eligible)
    decisive_ok = all(
        any(decisive(a) for a in (pcohort.assessments.get(p) or cohort.assessments.get(p))) for p in excl_met
    )
    per = table.groupby("id").agg(pairs=("correct", "size"), accuracy=("correct", "mean")).reset_index()
    return {
        "subjects": len(records),
        "pairs": int(len(table)),
        "pairs_not_age_sex": int((table.kind != "age").sum()),
        "accuracy": float(table.correct.mean()),
        "accuracy_original": float(table[~table.perturbed].correct.mean()),
        "perturbed_pairs": int(table.perturbed.sum()),
        "perturbed_flip_rate": float(table[table.perturbed].correct.mean()),
        "label_counts": table.expected.value_counts().to_dict(),
        "per_criterion": per.to_dict(orient="records"),
        "eligible_with_exclusion_met": violations,
        "exclusion_met_patients": len(excl_met),
        "all_excluded_patients_ruled_out": decisive_ok,
        "floor_accuracy": 0.95,
        "floor_met": float(table.correct.mean()) >= 0.95 and not violations,
        "seconds_convert_and_read": round(t_conv.seconds, 2),
        "seconds_assess": round(t_assess.seconds, 2),
        "errors": table[~table.correct].head(20).to_dict(orient="records"),
    }


# ---------------------------------------------------------------------------- speed


def _variants(n: int) -> list[Any]:
    from dataclasses import replace

    from pharmakon.trials.matching.documents import read_trials

    base = read_trials(MIRROR / "trec_ct_2021_trials" / "trials.jsonl")
    base += read_trials(MIRROR / "trec_ct_2021" / "judged_trial_sample" / "trials.jsonl")
    base += read_trials(MIRROR / "sigir_2016" / "judged_trial_sample" / "trials.jsonl")
    seen, unique = set(), []
    for t in base:
        if t.nct_id not in seen:
            seen.add(t.nct_id)
            unique.append(t)
    out = []
    for i in range(n):
        t = unique[i % len(unique)]
        lines = t.criteria_text.splitlines()
        k = (i // len(unique)) % max(len(lines), 1)
        # a variant: criteria lines rotated, the age bounds shifted, a numbered title
        text = "\n".join(lines[k:] + lines[:k]) if i >= len(unique) else t.criteria_text
        shift = (i // len(unique)) % 5
        out.append(
            replace(
                t,
                nct_id=f"NCT9{i:07d}",
                title=f"{t.title} (variant {i})",
                criteria_text=text,
                min_age=None if t.min_age is None else t.min_age + shift,
            )
        )
    return out, len(unique)


def bench_speed(n_trials: int, n_patients: int, retriever: str = "bm25") -> dict[str, Any]:
    from pharmakon.patients.records.notes import record_from_note
    from pharmakon.trials.matching.context import note_index
    from pharmakon.trials.matching.matcher import LazyParsed, rank_trials
    from pharmakon.trials.matching.retrieval import make_index

    trials, n_unique = _variants(n_trials)
    notes = []
    for f in ("trec_ct_2021", "trec_ct_2022", "sigir_2016"):
        for line in (MIRROR / f / "queries.jsonl").read_text().splitlines():
            if line.strip():
                q = json.loads(line)
                notes.append((q["_id"], q["text"]))
    notes = notes[:n_patients]
    note_index("warm up the spaCy pipeline.")
    with _common.timed() as t_index:
        index = make_index(trials, retriever)
        parsed = LazyParsed(trials)
    with _common.timed() as t_match:
        for pid, text in notes:
            rank_trials(record_from_note(pid, text), parsed, index, mode="retrieve", candidates=50, top=10)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "retriever": retriever,
        "trials": len(trials),
        "distinct_source_texts": n_unique,
        "patients": len(notes),
        "candidates_assessed": 50,
        "index_seconds": round(t_index.seconds, 2),
        "match_seconds": round(t_match.seconds, 2),
        "patients_per_second": round(_common.rate(len(notes), t_match.seconds), 2),
        "trials_parsed_on_demand": len(parsed._cache),
        "max_rss_mib": round(rss_mib, 1),
        "floor_patients_per_second": 10,
        "floor_met": _common.rate(len(notes), t_match.seconds) >= 10,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--skip", action="append", default=[], choices=["rank", "retrievers", "lexicon", "criteria", "speed"]
    )
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--patients", type=int, default=100)
    ap.add_argument("--speed-retriever", default="bm25", choices=["bm25", "dense", "hybrid"])
    args = ap.parse_args()
    _common.add_repo_root_to_path()
    result: dict[str, Any] = {"machine": _common.machine_info()}
    previous = _common.RESULTS_DIR / "matching.json"
    if previous.is_file():
        # sections skipped this time keep the numbers of the run that measured them
        old = json.loads(previous.read_text())
        result |= {k: old[k] for k in old if k not in ("machine", "benchmark", "finished_at", "command")}
    if "rank" not in args.skip:
        result["rank"] = bench_rank()
        rows = []
        for name in ("trec2021", "sigir2016"):
            r = result["rank"][name]
            for who in ("matcher", "bm25"):
                m = r[who]
                rows.append(
                    [
                        name,
                        who,
                        f"{m['ndcg@10']:.4f}",
                        f"{m['p@10']:.4f}",
                        f"{m['mrr']:.4f}",
                        "-" if m["auroc"] is None else f"{m['auroc']:.4f}",
                        m["topics"],
                    ]
                )
        _common.print_table(
            "Ranking (re-rank of judged trials)",
            ["collection", "system", "NDCG@10", "P@10", "MRR", "AUROC", "topics"],
            rows,
            caption=f"TREC 2021 NDCG@10 ratio {result['rank']['trec2021']['ndcg_ratio']:.3f} (floor 1.25). TrialGPT (GPT-4, pooled SIGIR+TREC21+TREC22): NDCG@10 0.8165, P@10 0.7328",
        )
    if "retrievers" not in args.skip:
        r = result["retrievers"] = bench_retrievers()
        rows = []
        for key, v in r.items():
            if "/" not in key:
                continue
            for who in ("matcher", "alone"):
                m = v[who]
                auroc = "-" if m["auroc"] is None else f"{m['auroc']:.4f}"
                rows.append([key, who, f"{m['ndcg@10']:.4f}", f"{m['p@10']:.4f}", f"{m['mrr']:.4f}", auroc])
        _common.print_table(
            "TREC 2021 by first stage (dense: WordLlama l2_supercat 256-d; hybrid: RRF k=60)",
            ["mode/retriever", "system", "NDCG@10", "P@10", "MRR", "AUROC"],
            rows,
            caption=r.get("skipped")
            or f"retrieve: the matcher assesses the {r['candidates_retrieve']} best of {r['trials']} trials",
        )
    if "lexicon" not in args.skip:
        lx = result["lexicon"] = bench_lexicon()
        rows = [
            [
                k,
                v["concepts"],
                v["criteria_items"],
                v["with_a_check"],
                v["with_a_diagnosis_check"],
                f"{v['trec2021_rerank']['ndcg@10']:.4f}",
                f"{v['trec2021_rerank']['p@10']:.4f}",
            ]
            for k, v in lx.items()
        ]
        _common.print_table(
            "Diagnosis lexicon: core vs widened (generated from DOID, SNOMED CT, MedDRA)",
            ["lexicon", "concepts", "criteria", "computable", "diagnosis check", "TREC21 NDCG@10", "P@10"],
            rows,
        )
    if "criteria" not in args.skip:
        c = result["criteria"] = bench_criteria()
        rows = [[r["id"], r["pairs"], f"{r['accuracy']:.4f}"] for r in c["per_criterion"]]
        rows.append(["all", c["pairs"], f"{c['accuracy']:.4f}"])
        _common.print_table(
            "Criterion level: CDISC pilot SDTM -> FHIR",
            ["criterion", "pairs", "accuracy"],
            rows,
            caption=f"{c['pairs_not_age_sex']} pairs not about age/sex; perturbed flip rate {c['perturbed_flip_rate']:.4f}; eligible with an exclusion met: {len(c['eligible_with_exclusion_met'])}; TrialGPT 0.873 on its own set",
        )
    if "speed" not in args.skip:
        key = "speed" if args.speed_retriever == "bm25" else f"speed_{args.speed_retriever}"
        s = result[key] = bench_speed(args.trials, args.patients, args.speed_retriever)
        _common.print_table(
            f"Speed (retrieve mode, {args.speed_retriever} top 50 assessed)",
            ["trials", "patients", "index s", "match s", "patients/s", "max RSS MiB"],
            [
                [
                    s["trials"],
                    s["patients"],
                    s["index_seconds"],
                    s["match_seconds"],
                    s["patients_per_second"],
                    s["max_rss_mib"],
                ]
            ],
        )
    path = _common.write_result("matching", result)
    print(f"-> {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
