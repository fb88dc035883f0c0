"""One request, every channel: the same result and the same audit event through CLI, REST and workbench.

The three front ends build the specs of :mod:`pharmakon.trials.safety.service` and call
it; these tests send the same request through each and compare what comes back and
what the audit trail holds (action, object, input/output hashes, params; only the
actor and ``params["channel"]`` may differ). Signals are computed by the CLI and the
REST API (the workbench shows and reviews stored tables); reviews go through all three;
monitoring through the CLI (one stream file) and the REST API (the stream in batches).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.server import create_app
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events, read_artifact
from pharmakon.trials.safety.service import compute_signals, review_signal
from pharmakon.trials.safety.simulate import simulate_trial_stream
from pharmakon.trials.safety.specs import ReviewSpec, SignalsRowsSpec
from pharmakon.trials.safety.synthetic import make_reports

#: Result keys that name where a result went, not what it is.
PLACE = {"name", "version", "created_by", "created_at", "output"}


@pytest.fixture(scope="module")
def reports() -> pd.DataFrame:
    synth = make_reports(6_000, n_drugs=60, n_events=30, n_signals=3, rr_choices=(6.0,), seed=5)
    return synth.rows[["report", "drug", "event", "sex", "quarter"]].astype(str)


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _events(store: Store, action: str) -> list[dict[str, Any]]:
    with store.read_session() as session:
        events, _ = list_events(session, action=action, newest_first=False, limit=1000)
    return [e.to_dict() for e in events]


def _comparable(event: dict[str, Any], *, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    """What must agree across channels: action, object, hashes (``keys`` of them), params without the channel."""
    pick = (lambda d: {k: d[k] for k in keys if k in d}) if keys else (lambda d: d)
    return {
        "action": event["action"],
        "object_type": event["object_type"],
        "inputs": pick(event["inputs"] or {}),
        "outputs": pick(event["outputs"] or {}),
        "params": {k: v for k, v in (event["params"] or {}).items() if k != "channel"},
        "reason": event["reason"],
    }


def _login(client: TestClient, username: str, form_page: str) -> str:
    """Log in; the CSRF token of the new session, read from ``form_page``."""
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get(form_page).text).group(1)


def test_signals_cli_and_rest_agree(
    cli, client: TestClient, make_user, store: Store, reports: pd.DataFrame, tmp_path: Path
) -> None:
    data, out, hyper = tmp_path / "reports.csv", tmp_path / "signals.csv", tmp_path / "hyper.json"
    reports.to_csv(data, index=False)
    args = f"--stratify sex -o {out} --hyper-json {hyper} --save par --json".split()
    res = cli("safety", "signals", str(data), *args)
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    body = {"name": "par", "rows": reports.to_dict("records"), "strata": ["sex"]}
    made = client.post(f"{API_PREFIX}/safety/tables", json=body, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201, made.text
    by_api = made.json()
    # the same result (where it was stored differs: version 1 from the CLI, 2 from the API)
    assert {k: v for k, v in by_cli.items() if k not in PLACE} == {k: v for k, v in by_api.items() if k not in PLACE}
    assert (by_cli["version"], by_api["version"]) == (1, 2) and by_cli["flagged"]["ebgm"] >= 1
    # the same audit event
    cli_event, api_event = _events(store, "safety.signals")
    assert cli_event["params"]["channel"] == "cli" and api_event["params"]["channel"] == "api"
    assert (cli_event["object_id"], api_event["object_id"]) == ("par@1", "par@2")
    shared = ("reports", "signals.csv", "hyper.json")
    assert _comparable(cli_event, keys=shared) == _comparable(api_event, keys=shared)
    assert set(api_event["inputs"]) == {"reports"} and set(api_event["outputs"]) == {"signals.csv", "hyper.json"}
    # the CLI's files are the stored artifacts, byte for byte, and the audit trail holds their hashes
    with store.read_session() as session:
        from pharmakon.store import object_versions

        v1, v2 = object_versions(session, "signal_table", "par")
    for v in (v1, v2):
        assert read_artifact(v.artifacts["signals.csv"]) == out.read_bytes()
        assert read_artifact(v.artifacts["hyper.json"]) == hyper.read_bytes()
    assert cli_event["outputs"][str(out)] == cli_event["outputs"]["signals.csv"] == v1.artifacts["signals.csv"]
    assert json.loads(hyper.read_text())["alpha1"] == pytest.approx(by_api["hyper"]["alpha1"])


def test_strict_bad_rows_same_policy_on_cli_and_rest(
    cli, client: TestClient, make_user, store: Store, reports: pd.DataFrame, tmp_path: Path
) -> None:
    rows = reports.head(500).to_dict("records")
    rows[4] = {**rows[4], "drug": " "}
    data = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    _, _, token = make_user("sam", "scientist")
    auth = {"Authorization": f"Bearer {token}"}
    # lenient: the bad row is listed (file or request body, its line) and skipped, the rest is scored
    res = cli("safety", "signals", str(data), "-m", "prr", "-o", str(tmp_path / "s.csv"), "--json")
    assert res.exit_code == 0, res.stderr
    lenient = client.post(
        f"{API_PREFIX}/safety/tables", json={"name": "bad", "rows": rows, "methods": ["prr"]}, headers=auth
    )
    assert lenient.status_code == 201, lenient.text
    cli_ingest, api_ingest = json.loads(res.stdout)["ingest"], lenient.json()["ingest"]
    assert cli_ingest["bad_count"] == api_ingest["bad_count"] == 1
    assert cli_ingest["bad_rows"] == [{"file": "bad.csv", "line": 6, "reason": "empty drug"}]  # line 1 is the header
    assert api_ingest["bad_rows"] == [{"file": "request body", "line": 5, "reason": "empty drug"}]
    assert json.loads(res.stdout)["pairs"] == lenient.json()["pairs"]
    # strict: refused on both channels, nothing stored or written
    res = cli("safety", "signals", str(data), "-m", "prr", "-o", str(tmp_path / "t.csv"), "--strict")
    assert res.exit_code == 2 and "strict was given" in " ".join(res.stderr.split())
    assert not (tmp_path / "t.csv").exists()
    strict = client.post(
        f"{API_PREFIX}/safety/tables",
        json={"name": "bad", "rows": rows, "methods": ["prr"], "strict": True},
        headers=auth,
    )
    assert strict.status_code == 422 and "strict was given" in strict.json()["detail"]
    assert client.get(f"{API_PREFIX}/safety/tables/bad", headers=auth).json()["version"] == 1


def test_review_same_event_from_cli_rest_and_workbench(
    cli, client: TestClient, make_user, store: Store, reports: pd.DataFrame, tmp_path: Path
) -> None:
    spec = SignalsRowsSpec(name="rev", rows=reports.to_dict("records"), methods=["prr", "ror"])
    table = compute_signals(store, spec, Caller("ann", "python"))
    top = table.to_frame().iloc[0]
    drug, event, reason = str(top["drug"]), str(top["event"]), "case series requested"
    _, _, token = make_user("sam", "scientist")
    # CLI
    res = cli(
        "safety",
        "review",
        "rev",
        "--drug",
        drug,
        "--event",
        event,
        "--status",
        "reviewed",
        "--reason",
        reason,
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    # REST
    api = client.post(
        f"{API_PREFIX}/safety/tables/rev/reviews",
        json={"drug": drug, "event": event, "status": "reviewed", "reason": reason},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 201, api.text
    # workbench
    csrf = _login(client, "sam", f"/safety/tables/rev/pair?{urlencode({'drug': drug, 'event': event})}")
    page = client.post(
        "/safety/tables/rev/review",
        data={"drug": drug, "event": event, "status": "reviewed", "reason": reason, "csrf": csrf},
        follow_redirects=False,
    )
    assert page.status_code == 303 and "error" not in page.headers["location"]
    # Python
    spec = ReviewSpec(table="rev", drug=drug, event=event, status="reviewed", reason=reason)
    python = review_signal(store, spec, Caller("ann", "python"))
    results = [json.loads(res.stdout), api.json(), None, python.to_dict()]
    same = [{k: v for k, v in r.items() if k not in ("version", "by", "at")} for r in results if r is not None]
    assert all(s == same[0] for s in same) and same[0]["status"] == "reviewed"
    events = _events(store, "safety.signal.reviewed")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web", "python"]
    # each decision is a new version of the pair's review object: params["review"] ends with it
    versions = [e["params"].pop("review").rsplit("@", 1) for e in events]
    assert [v for _, v in versions] == ["1", "2", "3", "4"] and len({k for k, _ in versions}) == 1
    assert all(_comparable(e) == _comparable(events[0]) for e in events)
    assert {e["object_id"] for e in events} == {"rev@1"}


def test_review_refusals_name_the_problem_on_every_channel(
    cli, client: TestClient, make_user, store: Store, reports: pd.DataFrame
) -> None:
    compute_signals(
        store, SignalsRowsSpec(name="rev", rows=reports.head(2000).to_dict("records"), methods=["prr"]), Caller("ann")
    )
    _, _, token = make_user("sam", "scientist")
    res = cli("safety", "review", "rev", "--drug", "X", "--event", "Y", "--status", "maybe", "--reason", "r")
    assert res.exit_code == 2 and "unknown status 'maybe'" in res.stderr
    res = cli("safety", "review", "rev", "--drug", "X", "--event", "Y", "--status", "reviewed", "--reason", "  ")
    assert res.exit_code == 2 and "a reason is required" in res.stderr
    api = client.post(
        f"{API_PREFIX}/safety/tables/rev/reviews",
        json={"drug": "X", "event": "Y", "status": "reviewed", "reason": "r"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 422 and "not in signal table" in api.json()["detail"]
    top = client.get(f"{API_PREFIX}/safety/tables/rev", headers={"Authorization": f"Bearer {token}"}).json()["items"][0]
    csrf = _login(client, "sam", f"/safety/tables/rev/pair?{urlencode({'drug': top['drug'], 'event': top['event']})}")
    page = client.post(
        "/safety/tables/rev/review",
        data={"drug": "X", "event": "Y", "status": "reviewed", "reason": " ", "csrf": csrf},
        follow_redirects=False,
    )
    assert page.status_code == 303 and "a+reason+is+required" in page.headers["location"]
    with pytest.raises(InputError, match="unknown status"):
        build_spec(ReviewSpec, table="rev", drug="X", event="Y", status="maybe", reason="r")
    assert _events(store, "safety.signal.*") == []


def test_monitoring_cli_stream_and_rest_batches_agree(cli, client: TestClient, make_user, store: Store, tmp_path):
    records = simulate_trial_stream(50, 0.004, 4.0, seed=1)
    rules = [{"name": "hep", "event": "HEPATOTOXICITY", "model": "gamma_poisson", "cutoff": 0.95}]
    stream, rules_file = tmp_path / "s.jsonl", tmp_path / "rules.yaml"
    stream.write_text("".join(json.dumps(r) + "\n" for r in records))
    rules_file.write_text(json.dumps({"rules": rules}))  # JSON is YAML
    res = cli("safety", "monitor", "--stream", str(stream), "--rules", str(rules_file), "--trial", "t9", "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.put(f"{API_PREFIX}/safety/monitors/t9", json={"rules": rules}, headers=auth).status_code == 201
    alerts = []
    for start in range(0, len(records), 70):
        posted = client.post(
            f"{API_PREFIX}/safety/monitors/t9/events", json={"records": records[start : start + 70]}, headers=auth
        )
        assert posted.status_code == 200, posted.text
        alerts += posted.json()["alerts"]
    assert alerts == by_cli["alerts"] and len(alerts) == 1
    state = client.get(f"{API_PREFIX}/safety/monitors/t9", headers=auth).json()
    assert (state["records"], state["data_cut_day"], state["alerts"]) == (
        by_cli["records"],
        by_cli["data_cut_day"],
        by_cli["alerts"],
    )
    cli_event, api_event = _events(store, "safety.alert")
    assert (cli_event["params"]["channel"], api_event["params"]["channel"]) == ("cli", "api")
    assert _comparable(cli_event) == _comparable(api_event) and cli_event["object_id"] == api_event["object_id"]
