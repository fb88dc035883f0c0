"""The monitoring service on the store (SQLite and PostgreSQL): fit, stream runs, posted batches, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pharmakon.caller import Caller
from pharmakon.errors import InputError, NotFoundError
from pharmakon.process import service
from pharmakon.process.live import get_live
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events, list_objects

WHO = Caller("ann", "python")


def _events(store: Store, action: str) -> list:
    with store.read_session() as session:
        return list_events(session, action=action, newest_first=False, limit=1000)[0]


def test_fit_stores_a_versioned_monitor_and_audits_it(store: Store, normal_csv: Path) -> None:
    spec = build_spec(service.FitSpec, data=normal_csv, name="tep", method="pca", components=9)
    first = service.fit_monitor(store, spec, WHO)
    again = service.fit_monitor(store, spec, WHO)
    assert (first.version, again.version) == (1, 2)
    assert first.method == "pca" and first.settings["components"] == 9 and len(first.variables) == 52
    assert first.t2_limit == pytest.approx(22.3948, rel=1e-4) and first.persistence == {"k": 4, "n": 6}
    ev = _events(store, "process.fit")
    assert len(ev) == 2 and ev[0].object_id == "tep@1" and ev[0].params["channel"] == "python"
    assert ev[0].outputs == ev[1].outputs  # the same fit gives the same artifact
    rec = service.fit_monitor(store, build_spec(service.FitSpec, data=normal_csv, name="rec"), WHO)
    assert rec.recommended and rec.method == "dpca" and rec.settings == {
        "components": 21, "lags": 2, "alpha": 0.995, "width": None,
    }  # fmt: skip


def test_bad_training_data_is_refused_and_nothing_stored(store: Store, tep_train, tmp_path: Path) -> None:
    bad = tep_train.head(50).astype(object)
    bad.loc[7, "xmeas_3"] = "n/a"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        service.fit_monitor(store, build_spec(service.FitSpec, data=path, name="bad", method="pca"), WHO)
    assert "bad.csv" in str(err.value) and "row 9" in str(err.value) and "xmeas_3" in str(err.value)
    with pytest.raises(InputError, match="nope"):
        service.fit_monitor(
            store, build_spec(service.FitSpec, data=path, name="bad", columns=["nope"], method="pca"), WHO
        )
    clean = tmp_path / "clean.csv"
    tep_train.head(50).to_csv(clean, index=False)
    with pytest.raises(InputError, match="components"):
        service.fit_monitor(
            store, build_spec(service.FitSpec, data=clean, name="bad", method="pca", components=60), WHO
        )
    with pytest.raises(InputError, match="components"):
        build_spec(service.FitSpec, data=path, name="bad", components=0)
    with store.read_session() as session:
        assert list_objects(session, "process_monitor") == []
    assert _events(store, "process.fit") == []


def test_a_file_stream_is_scored_sample_by_sample(store: Store, normal_csv: Path, fault1_csv: Path, tmp_path) -> None:
    service.fit_monitor(
        store, build_spec(service.FitSpec, data=normal_csv, name="tep", method="pca", components=9), WHO
    )
    out = tmp_path / "out.jsonl"
    res = service.run_monitor(
        store, build_spec(service.MonitorSpec, model="tep", stream=str(fault1_csv), jsonl=out), WHO
    )
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == res.samples == 960 and [r["index"] for r in lines] == list(range(1, 961))
    after = [r["alarm"] for r in lines[160:]]
    assert sum(after) / len(after) > 0.95 and sum(r["alarm"] for r in lines[:160]) <= 8
    first = next(r for r in lines[160:] if r["alarm"])
    assert first["contributions"] and abs(sum(first["contributions"].values()) - 1) < 1e-2
    alarms = _events(store, "process.alarm")
    assert len(alarms) == len(res.alarms) >= 1 and alarms[-1].params["index"] == res.alarms[-1].index
    (run,) = _events(store, "process.monitor")
    assert run.params["samples"] == 960 and run.outputs[str(out)]
    with pytest.raises(InputError, match="no such file"):
        service.run_monitor(store, build_spec(service.MonitorSpec, model="tep", stream="nope.csv", jsonl=out), WHO)
    with pytest.raises(NotFoundError):
        service.run_monitor(
            store, build_spec(service.MonitorSpec, model="nope", stream=str(fault1_csv), jsonl=out), WHO
        )


def test_posted_batches_keep_the_window_and_flag_bad_samples(store: Store, normal_csv: Path, tep_test) -> None:
    service.fit_monitor(
        store, build_spec(service.FitSpec, data=normal_csv, name="live", method="pca", components=9), WHO
    )
    run = tep_test[tep_test["fault"] == 6].drop(columns=["faulty", "fault"]).to_dict("records")
    run[5]["xmeas_1"] = float("nan")
    run[6].pop("xmv_3")
    run.insert(8, dict(run[7]))  # a duplicate
    got = []
    for start in range(0, len(run), 250):
        batch = service.SamplesSpec(name="live", samples=run[start : start + 250], restart=start == 0)
        got.append(service.feed_samples(store, batch, WHO))
    records = [r for g in got for r in g.records]
    assert len(records) == len(run) == 961
    flagged = [i for i, r in enumerate(records) if r["flag"]]
    assert flagged == [5, 6, 8] and records[8]["flag"] == "duplicate index 8"
    assert get_live("live").monitor.counts["samples"] == 961
    assert sum(g.scored for g in got) == 958 and any(g.alarms for g in got)
    batches = _events(store, "process.samples")
    assert [e.params["accepted"] for e in batches] == [250, 250, 250, 211]
    view = service.monitor_view(store, "live")
    assert view.source == "live" and len(view.records) == 961 and view.alarms
    version = service.save_snapshot(store, "live", WHO)
    assert version == 1
