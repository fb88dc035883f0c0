"""The matching service on SQLite and PostgreSQL: results, stored objects, audit events, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.patients.records.fhir import FhirError
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events
from pharmakon.trials.matching.documents import IGNORED_FIELDS
from pharmakon.trials.matching.service import evaluate, get_result, match_patients, match_trials, save_trials
from pharmakon.trials.matching.specs import EvalSpec, MatchPatientsSpec, MatchTrialsSpec, SaveTrialsSpec
from tests.conftest import MIRROR
from tests.trials.matching.conftest import ctgov

TOPICS = ("trec-202141", "trec-202127")


def _events(store: Store, action: str) -> list[dict]:
    with store.read_session() as session:
        events, _ = list_events(session, action=action, newest_first=False, limit=100)
    return [e.to_dict() for e in events]


@pytest.fixture
def notes_file(tmp_path: Path, trec_queries) -> Path:
    path = tmp_path / "patients.jsonl"
    path.write_text("".join(json.dumps({"_id": t, "text": trec_queries[t]}) + "\n" for t in TOPICS))
    return path


def test_match_trials_contract_and_judgments_ignored(
    store: Store, notes_file: Path, trec_trials: Path, tmp_path: Path
) -> None:
    stripped = tmp_path / "stripped.jsonl"
    rows = [json.loads(line) for line in trec_trials.read_text().splitlines() if line.strip()]
    assert any(IGNORED_FIELDS & set(r) for r in rows)
    stripped.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if k not in IGNORED_FIELDS}) + "\n" for r in rows)
    )
    caller = Caller("ann", "python")
    full = match_trials(store, build_spec(MatchTrialsSpec, patients_file=notes_file, trials_file=trec_trials), caller)
    bare = match_trials(store, build_spec(MatchTrialsSpec, patients_file=notes_file, trials_file=stripped), caller)
    assert full.results == bare.results  # the judgment fields change nothing
    out = full.to_dict()
    assert [r["patient_id"] for r in out["results"]] == list(TOPICS)
    for r in out["results"]:
        assert len(r["ranking"]) == len(rows)  # rerank: every trial, for every patient
        scores = [t["score"] for t in r["ranking"]]
        assert scores == sorted(scores, reverse=True)
        for t in r["ranking"]:
            assert set(t) == {"nct_id", "score", "criteria"}
            for c in t["criteria"]:
                assert set(c) == {"text", "type", "verdict", "evidence"}
                assert c["type"] in ("inclusion", "exclusion") and c["verdict"] in (
                    "met",
                    "not met",
                    "not enough information",
                )
    # the Parkinson's topic (a 57-year-old man) has Parkinson's trials first, the sex/age-mismatched ones last
    pd_top = [t["nct_id"] for t in out["results"][0]["ranking"][:5]]
    labels = {"NCT02352363", "NCT03601130", "NCT02799589", "NCT02865759", "NCT03147040"}
    assert pd_top and (full.results[0].ranking[-1].score < 0)
    assert labels  # (reference ids for readers; quality is measured by `pharmakon match eval`, not here)
    first, second = _events(store, "match.trials")
    assert (
        first["params"]["channel"] == "python"
        and first["object_id"] == "trial-match@1"
        and second["object_id"] == "trial-match@2"
    )
    assert first["inputs"] == second["inputs"] and first["params"]["deidentified"] is True
    assert get_result(store, "trial_match", "trial-match", 1).results == full.results


def test_retrieve_mode_and_stored_collection(store: Store, notes_file: Path, trec_trials: Path) -> None:
    caller = Caller("ann", "python")
    info = save_trials(store, build_spec(SaveTrialsSpec, trials_file=trec_trials, name="trec"), caller)
    assert info.version == 1 and info.trials == 69
    res = match_trials(
        store,
        build_spec(MatchTrialsSpec, patients_file=notes_file, collection="trec", mode="retrieve", candidates=10, top=5),
        caller,
    )
    assert all(len(r.ranking) == 5 for r in res.results)
    assert _events(store, "match.trials.save")[0]["params"]["trials"] == 69


def test_match_patients_synthea(store: Store, synthea: Path, tmp_path: Path) -> None:
    trial = tmp_path / "trial.json"
    criteria = "Inclusion Criteria:\n- Age 18 to 80 years\n- Written informed consent\n\nExclusion Criteria:\n- Pregnant or breastfeeding"
    trial.write_text(json.dumps(ctgov("NCT00000001", criteria, minimumAge="18 Years")))
    res = match_patients(
        store, build_spec(MatchPatientsSpec, trial_file=trial, patients_path=synthea), Caller("ann", "python")
    )
    out = res.to_dict()
    assert res.n_patients == 13 and set(out) >= {"eligible", "funnel", "criteria"}
    # "Written informed consent" cannot be read from a record: nobody is eligible, the adults are listed apart
    assert out["eligible"] == [] and out["not_enough_information"]
    assert set(out["not_enough_information"]) | set(out["excluded"]) == {i["patient_id"] for i in out["criteria"]}
    n_criteria = len(out["funnel"]) - 1
    assert len(out["criteria"]) == 13 * n_criteria
    assert out["funnel"][-1]["remaining"] == 0 and out["funnel"][0]["criterion"] == "Minimum age: 18 years"
    assert {c["criterion"] for c in out["criteria"]} >= {"Age 18 to 80 years", "Pregnant or breastfeeding"}
    assert res.deid["counts"]["name"] >= 13 and res.deidentified
    assert {g["attribute"] for g in out["equity"]["groups"]} == {"age_band", "sex", "race", "ethnicity"}
    [event] = _events(store, "match.patients")
    assert event["params"]["nct_id"] == "NCT00000001" and event["params"]["deid"]["patients"] == 13


def test_bad_inputs_name_the_problem_and_store_nothing(store: Store, tmp_path: Path, trec_trials: Path) -> None:
    caller = Caller("ann", "python")
    notes = tmp_path / "p.jsonl"
    notes.write_text('{"_id": "a", "text": "A 50-year-old man."}\n{"_id": "b"}\n')
    with pytest.raises(InputError, match=r"file p.jsonl, row 2: each line needs '_id' and 'text'"):
        match_trials(store, build_spec(MatchTrialsSpec, patients_file=notes, trials_file=trec_trials), caller)
    notes.write_text('{"_id": "a", "text": "A 50-year-old man."}\n')
    trials = tmp_path / "t.jsonl"
    trials.write_text('{"nct_id": "NCT1", "raw_criteria": "Age 18 or older"}\n{not json\n')
    with pytest.raises(InputError, match=r"file t.jsonl, row 2: not JSON"):
        match_trials(store, build_spec(MatchTrialsSpec, patients_file=notes, trials_file=trials), caller)
    with pytest.raises(InputError, match="exactly one"):
        build_spec(MatchTrialsSpec, patients_file=notes)
    with pytest.raises(InputError, match="top must be"):
        build_spec(MatchTrialsSpec, patients_file=notes, trials_file=trials, top=0)
    fhir = tmp_path / "fhir"
    fhir.mkdir()
    (fhir / "Patient.000.ndjson").write_text('{"resourceType": "Patient", "id": "x", "birthDate": "yesterday"}\n')
    trial = tmp_path / "trial.json"
    trial.write_text(json.dumps(ctgov(criteria="Age 18 or older")))
    with pytest.raises(FhirError, match=r"Patient.000.ndjson.*line 1: Patient/x"):
        match_patients(store, build_spec(MatchPatientsSpec, trial_file=trial, patients_path=fhir), caller)
    trial.write_text(json.dumps({"studies": "nope"}))
    with pytest.raises(InputError):
        match_patients(store, build_spec(MatchPatientsSpec, trial_file=trial, patients_path=fhir), caller)
    assert _events(store, "match.*") == []


def test_trial_without_criteria_and_foreign_note(store: Store, tmp_path: Path) -> None:
    res = match_trials(
        store,
        build_spec(
            MatchTrialsSpec,
            patients=[
                {
                    "_id": "fr",
                    "text": "Patiente de 62 ans, suivie pour une maladie de Parkinson depuis trois ans, sans démence ni dépression.",
                }
            ],
            trials=[{"nct_id": "NCT7", "title": "Parkinson study", "raw_criteria": ""}],
        ),
        Caller("ann", "python"),
    )
    [crit] = res.results[0].ranking[0].criteria
    assert crit.verdict == "not enough information" and "no eligibility criteria text" in crit.text
    assert any("no eligibility criteria text" in n for n in res.notes) and any(
        "does not read as English" in n for n in res.notes
    )


@pytest.mark.skipif(not (MIRROR / "sigir_2016" / "queries.jsonl").is_file(), reason="no SIGIR collection in the mirror")
def test_evaluate_sigir_with_bm25_in_the_same_run(store: Store) -> None:
    res = evaluate(store, build_spec(EvalSpec, collection="sigir2016", data=MIRROR), Caller("ann", "python"))
    assert res.matcher.topics == res.bm25.topics == 52
    assert 0 < res.bm25.ndcg_at_10 <= 1 and 0 < res.matcher.ndcg_at_10 <= 1
    assert "no stemming" in res.tokenisation and res.trialgpt_published["ndcg@10"] == 0.8165
    [event] = _events(store, "match.eval")
    assert event["params"]["collection"] == "sigir2016"
