"""The safety service on its own: specs, typed results, the Python channel, the pages it feeds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.server import create_app
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events
from pharmakon.trials.safety import service
from pharmakon.trials.safety.figures import trend_svg
from pharmakon.trials.safety.ingest import read_long, read_rows, reports_sha256
from pharmakon.trials.safety.simulate import simulate_trial_stream
from pharmakon.trials.safety.specs import (
    IngestSpec,
    MonitorRunSpec,
    SignalsFileSpec,
    SignalsRowsSpec,
    SimulateSpec,
    StartMonitorSpec,
    TableQuery,
)
from pharmakon.trials.safety.synthetic import make_reports


@pytest.fixture(scope="module")
def reports() -> pd.DataFrame:
    synth = make_reports(5_000, n_drugs=50, n_events=25, n_signals=2, rr_choices=(6.0,), seed=9)
    return synth.rows[["report", "drug", "event", "sex", "quarter"]].astype(str)


def test_rows_are_read_as_a_long_file_is(reports: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    reports.assign(drug=reports["drug"].str.lower() + " hydrochloride").to_csv(path, index=False)
    from_file, _ = read_long(path)
    rows = reports.assign(drug=reports["drug"].str.lower() + " hydrochloride").to_dict("records")
    from_rows, report = read_rows(rows)
    assert from_rows.equals(from_file) and reports_sha256(from_rows) == reports_sha256(from_file)
    assert from_rows["drug"][0] == reports["drug"].iloc[0]  # normalised: upper case, salt removed
    with pytest.raises(InputError, match="missing column"):
        read_rows([{"report": "1", "drug": "A"}])


def test_specs_hold_the_defaults_and_name_bad_fields() -> None:
    spec = build_spec(SignalsFileSpec, input="x.csv", methods=["prr", "prr", "ic"], normalise=None)
    assert spec.methods == ["prr", "ic"] and spec.format == "long" and spec.roles == ["PS", "SS"]
    assert spec.normalise is None and spec.strict is False and spec.squash is None
    with pytest.raises(InputError, match="field 'name'"):
        build_spec(SignalsRowsSpec, name="bad name", rows=[{"report": "1", "drug": "A", "event": "X"}])
    with pytest.raises(InputError, match="unknown methods 'xyz'"):
        build_spec(SignalsFileSpec, input="x.csv", methods=["xyz"])
    with pytest.raises(InputError, match="field 'n_sims'"):
        build_spec(SimulateSpec, rules=[{"name": "a"}], n_sims=0)
    with pytest.raises(InputError, match="field 'limit'"):
        build_spec(TableQuery, name="t", limit=10_000)
    assert SimulateSpec(rules=[{"name": "a"}]).rr == [1.0, 2.0, 3.0]


def test_python_channel_signals_ingest_and_typed_results(store: Store, reports: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "r.csv"
    reports.to_csv(path, index=False)
    caller = Caller("ann", "python")
    got = service.ingest_reports(store, IngestSpec(input=path, output=tmp_path / "long.parquet"), caller)
    assert got.rows_kept == len(reports) and (tmp_path / "long.parquet").exists() and "->" in got.summary()
    result = service.compute_signals(
        store, SignalsFileSpec(input=tmp_path / "long.parquet", strata=["sex"], name="py"), caller
    )
    frame = result.to_frame()
    assert len(frame) == result.pairs and list(frame.columns[:4]) == ["drug", "event", "n", "expected"]
    assert result.version == 1 and "MGPS prior" in result.summary() and "<pre>" in result._repr_html_()
    assert json.loads(result.hyper_json())["alpha1"] == pytest.approx(result.hyper.alpha1)
    with store.read_session() as session:
        events, _ = list_events(session, action="safety.*", newest_first=False)
    assert [(e.action, e.params["channel"]) for e in events] == [
        ("safety.ingest", "python"),
        ("safety.signals", "python"),
    ]
    assert events[1].object_id == "py@1" and events[1].params["strata"] == ["sex"]
    page = service.signal_table_page(store, TableQuery(name="py", limit=3))
    assert page.total == int(frame.filter(like="signal_").any(axis=1).sum()) and len(page.items) <= 3
    assert list(page.to_frame()["review_status"]) == ["open"] * len(page.items)
    assert [t.name for t in service.list_signal_tables(store)] == ["py"]
    first = page.items[0]
    pair = service.signal_pair(store, "py", first.drug, first.event)
    assert pair.two_by_two.a == first.n and not pair.to_frame().empty and pair.trend[0]["quarter"]


def test_trend_svg_is_drawn_by_the_domain() -> None:
    trend = [
        {"quarter": "2020Q1", "n": 2, "expected": 1.0, "ebgm": 1.5, "eb05": 0.8, "eb95": 3.0},
        {"quarter": "2020Q2", "n": 5, "expected": 1.5, "ebgm": 2.5, "eb05": 1.2, "eb95": None},
    ]
    svg = trend_svg(trend)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert trend_svg([]) == ""
    assert trend_svg([{"quarter": "2020Q1", "n": 1, "expected": 0.5}]).startswith("<svg")  # no MGPS fit stored


def test_monitor_services_and_simulation(store: Store) -> None:
    rules = [{"name": "hep", "event": "HEPATOTOXICITY", "model": "gamma_poisson", "cutoff": 0.95}]
    records = simulate_trial_stream(30, 0.004, 4.0, seed=3)
    seen = []
    run = service.monitor_stream(
        store,
        MonitorRunSpec(rules=rules, trial="m1", report=True),
        Caller("ann"),
        enumerate(records, 1),
        on_alert=seen.append,
    )
    assert seen == run.alerts and run.version == 1 and run.report_html().startswith("<!doctype html>")
    assert "ALERT hep" in run.summary()
    state = service.monitor_state(store, "m1")
    assert state.records == len(records) and state.rules[0].name == "hep" and not state.to_frame().empty
    assert [p.title.split(" ")[0] for p in service.monitor_figures(store, "m1")] == ["Cumulative", "Monitoring"]
    assert service.monitor_report(store, "m1").count("data:image/png;base64,") == 2
    started = service.start_monitor(store, StartMonitorSpec(trial="m2", rules=rules), Caller("ann"))
    assert started.version == 1 and service.monitor_figures(store, "m2") == []
    assert {m.trial: m.alerts for m in service.list_monitors(store)} == {"m1": len(run.alerts), "m2": 0}
    with pytest.raises(InputError, match="before enrolment"):
        service.monitor_stream(
            store,
            MonitorRunSpec(rules=rules, trial="m3", source="s.jsonl"),
            Caller("ann"),
            [(1, {"type": "ae", "subject": "Z", "event": "X", "time": 1})],
        )
    oc = service.simulate_monitoring(SimulateSpec(rules=rules, rr=[1.0, 4.0], n_sims=4, n_per_arm=20))
    assert len(oc.rows) == 2 and list(oc.to_frame()["rr"]) == [1.0, 4.0] and "alert_rate" in oc.summary()


def test_workbench_pages_render_from_the_service(store: Store, make_user, reports: pd.DataFrame) -> None:
    service.compute_signals(store, SignalsRowsSpec(name="wb", rows=reports.to_dict("records")), Caller("ann"))
    rules = [{"name": "hep", "event": "HEPATOTOXICITY", "cutoff": 0.95}]
    records = simulate_trial_stream(30, 0.004, 4.0, seed=3)
    service.monitor_stream(store, MonitorRunSpec(rules=rules, trial="wb-t"), Caller("ann"), enumerate(records, 1))
    make_user("vic", "viewer")
    client = TestClient(create_app())
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "vic", "password": "vic-password", "csrf": csrf, "next": "/"})
    home = client.get("/safety").text
    assert 'href="/safety/tables/wb"' in home and 'href="/safety/monitors/wb-t"' in home
    bad = client.get("/safety/tables/wb", params={"method": "ebgm", "min_n": "x"})
    assert bad.status_code == 422 and "min_n" in bad.text  # a typo is named, never silently ignored
    table = client.get("/safety/tables/wb", params={"method": "ebgm", "min_n": "1"})
    assert table.status_code == 200 and 'data-testid="safety-signal-table"' in table.text
    link = re.search(r'href="(/safety/tables/wb/pair\?[^"]+)"', table.text).group(1).replace("&amp;", "&")
    pair = client.get(link).text
    assert re.search(r'data-testid="safety-trend"><svg', pair)
    board = client.get("/safety/monitors/wb-t").text
    assert 'img alt="Cumulative incidence' in board and "hep" in board
    assert client.get("/safety/monitors/wb-t/report").text.startswith("<!doctype html>")
