"""Seed example: TREC topics against the mirror's trials; Synthea patients against one trial.

Deterministic (no randomness, no wall-clock budget). Needs the data mirror
(``PHARMAKON_DATA_MIRROR`` or ``../shared/data`` beside the checkout); without it the
example says so and stores nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pharmakon.caller import Caller
from pharmakon.store import Store
from pharmakon.trials.matching.documents import ctgov_document, read_trials

__all__ = ["seed_example", "SEED_TOPICS", "SEED_TRIAL"]

#: TREC 2021 topics matched in the example (Parkinson's, hepatitis C, depression).
SEED_TOPICS = ("trec-202141", "trec-202127", "trec-202134")
#: The trial the Synthea patients are screened against (depression; Synthea records depression and its drugs).
SEED_TRIAL = "NCT00088699"


def _mirror(settings: Any) -> Path | None:
    for cand in (
        getattr(settings, "data_mirror", None),
        Path(__file__).resolve().parents[4].parent / "shared" / "data",
    ):
        if cand is not None and (Path(cand) / "trec_ct_2021_trials").is_dir():
            return Path(cand)
    return None


def seed_example(store: Store, settings: Any) -> str:
    """Store the mirror's TREC trials, match three topics against them, screen Synthea patients; one line back."""
    from pharmakon.specs import build_spec
    from pharmakon.trials.matching.service import match_patients, match_trials, save_trials
    from pharmakon.trials.matching.specs import MatchPatientsSpec, MatchTrialsSpec, PatientNote, SaveTrialsSpec

    mirror = _mirror(settings)
    if mirror is None:
        return "matching: no data mirror (PHARMAKON_DATA_MIRROR); example skipped"
    caller = Caller("seed", "python")
    trials_file = mirror / "trec_ct_2021_trials" / "trials.jsonl"
    saved = save_trials(store, build_spec(SaveTrialsSpec, trials_file=trials_file, name="trec2021-sample"), caller)
    queries = {}
    for line in (mirror / "trec_ct_2021" / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            queries[row["_id"]] = row["text"]
    notes = [PatientNote(_id=t, text=queries[t]) for t in SEED_TOPICS if t in queries]
    spec = build_spec(
        MatchTrialsSpec, patients=notes, collection="trec2021-sample", mode="rerank", top=10, name="trec-topics"
    )
    ranked = match_trials(store, spec, caller)
    trial = next(t for t in read_trials(trials_file) if t.nct_id == SEED_TRIAL)
    cohort = match_patients(
        store,
        build_spec(
            MatchPatientsSpec,
            trial=ctgov_document(trial),
            patients_path=mirror / "synthea_fhir_r4" / "bulk_ndjson_10_patients",
            name="synthea-depression",
        ),
        caller,
    )
    return (
        f"matching: {saved.trials} trials stored; {len(ranked.results)} TREC topics ranked ({ranked.stored}); "
        f"{cohort.n_patients} Synthea patients screened for {cohort.nct_id}: {len(cohort.eligible)} eligible, "
        f"{len(cohort.not_enough_information)} undetermined ({cohort.stored})"
    )
