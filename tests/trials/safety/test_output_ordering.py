"""Files written by the safety service appear only after their audit event exists.

A kill between writing an output and recording its event must leave either nothing
visible or an output whose event exists (issue 13, probe finding 9). The rename step is
made to fail after the event: no output (nor temporary) may appear, and the event
comes first.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from pharmakon import files
from pharmakon.caller import Caller
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events
from pharmakon.trials.safety import service
from pharmakon.trials.safety.specs import IngestSpec, SignalsFileSpec


@pytest.fixture
def reports_csv(tmp_path: Path) -> Path:
    drugs, events = ["DRUGA", "DRUGB", "DRUGC"], ["NAUSEA", "RASH", "HEADACHE", "FEVER"]
    rows = [(f"r{i}", drugs[i % 3], events[(i * 7 + i // 5) % 4]) for i in range(240)]
    path = tmp_path / "reports.csv"
    pd.DataFrame(rows, columns=["report", "drug", "event"]).to_csv(path, index=False)
    return path


def _watch(monkeypatch: pytest.MonkeyPatch, targets: list[Path], *, fail: bool) -> list[str]:
    """Log event and rename steps; at the event, no target may exist yet. ``fail``: the rename fails."""
    order: list[str] = []
    record_event = service.record_event

    def event(session, **kwargs):
        assert not any(t.exists() for t in targets), "an output appeared before its event"
        order.append("event")
        return record_event(session, **kwargs)

    publish = files.StagedFiles.publish

    def rename(self):
        order.append("rename")
        if fail:
            raise RuntimeError("killed between the event and the rename")
        return publish(self)

    monkeypatch.setattr(service, "record_event", event)
    monkeypatch.setattr(files.StagedFiles, "publish", rename)
    return order


def _events(store: Store, action: str) -> list:
    with store.read_session() as session:
        return list_events(session, action=action)[0]


@pytest.mark.parametrize("save", [None, "ordering"])
def test_signals_event_then_rename(store: Store, reports_csv: Path, tmp_path: Path, monkeypatch, save) -> None:
    out, hyper = tmp_path / "out" / "signals.csv", tmp_path / "out" / "hyper.json"
    order = _watch(monkeypatch, [out, hyper], fail=False)
    spec = build_spec(SignalsFileSpec, input=reports_csv, output=out, name=save)
    service.compute_signals(store, spec, Caller("tester"), hyper_output=hyper)
    assert order == ["event", "rename"]
    (event,) = _events(store, "safety.signals")
    assert event.outputs[str(out)] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert event.outputs[str(hyper)] == hashlib.sha256(hyper.read_bytes()).hexdigest()
    assert sorted(p.name for p in out.parent.iterdir()) == ["hyper.json", "signals.csv"]  # no temporaries


def test_signals_failing_rename_leaves_no_output(store: Store, reports_csv: Path, tmp_path: Path, monkeypatch) -> None:
    out, hyper = tmp_path / "out" / "signals.csv", tmp_path / "out" / "hyper.json"
    order = _watch(monkeypatch, [out, hyper], fail=True)
    spec = build_spec(SignalsFileSpec, input=reports_csv, output=out)
    with pytest.raises(RuntimeError, match="killed"):
        service.compute_signals(store, spec, Caller("tester"), hyper_output=hyper)
    assert order == ["event", "rename"]
    assert not out.exists() and not hyper.exists()
    assert list(out.parent.iterdir()) == []  # temporaries removed too
    assert len(_events(store, "safety.signals")) == 1  # what a kill at that point leaves: the event, no file


def test_ingest_event_then_rename(store: Store, reports_csv: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out" / "long.parquet"
    order = _watch(monkeypatch, [out], fail=True)
    spec = build_spec(IngestSpec, input=reports_csv, output=out, format="long")
    with pytest.raises(RuntimeError, match="killed"):
        service.ingest_reports(store, spec, Caller("tester"))
    assert order == ["event", "rename"] and not out.exists()
    assert list(out.parent.iterdir()) == []
    monkeypatch.undo()
    service.ingest_reports(store, spec, Caller("tester"))
    event = _events(store, "safety.ingest")[0]
    assert event.outputs[str(out)] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_cli_hyper_json_is_in_the_event(cli, reports_csv: Path, tmp_path: Path, pharmakon_home) -> None:
    out, hyper = tmp_path / "s.csv", tmp_path / "hyper.json"
    res = cli("safety", "signals", str(reports_csv), "-o", str(out), "--hyper-json", str(hyper), "--json")
    assert res.exit_code == 0, res.stderr
    from pharmakon.store import open_store

    (event,) = _events(open_store(), "safety.signals")
    assert event.outputs[str(hyper)] == hashlib.sha256(hyper.read_bytes()).hexdigest()
    res = cli("safety", "signals", str(reports_csv), "-o", str(out), "-m", "prr", "--hyper-json", str(hyper))
    assert res.exit_code == 2 and "ebgm" in res.stderr
