"""Files written by the PGx service appear only after their audit event exists.

``pgx call -o``, ``pgx batch -o`` and ``pgx warfarin -o`` stage their files, commit the
event (with the staged files' hashes) and only then rename them into place (issue 13,
probe finding 9). The rename step is made to fail after the event: no output (nor
temporary) may appear, and the event comes first.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pharmakon import files
from pharmakon.caller import Caller
from pharmakon.hashing import sha256_json
from pharmakon.patients.pgx import service, write_synthetic_vcf
from pharmakon.patients.pgx.service import (
    BatchSpec,
    CallSpec,
    WarfarinCohortSpec,
    batch_call_file,
    call_vcf_file,
    dose_warfarin_cohort,
)
from pharmakon.store import Store, list_events
from tests.conftest import MIRROR

ANA = Caller("ana", "python")
VCF = MIRROR / "pharmcat" / "example_report" / "pharmcat.example2.vcf"
COHORT = MIRROR / "iwpc_warfarin" / "warfarin.csv"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _watch(monkeypatch: pytest.MonkeyPatch, folder: Path, *, fail: bool) -> list[str]:
    """Log event and rename steps; at the event ``folder`` holds no visible file. ``fail``: the rename fails."""
    import pharmakon.store as store_module

    order: list[str] = []
    record_event = store_module.record_event

    def event(session, **kwargs):
        visible = [p.name for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
        assert visible == [], f"outputs appeared before their event: {visible}"
        order.append("event")
        return record_event(session, **kwargs)

    publish = files.StagedFiles.publish

    def rename(self):
        order.append("rename")
        if fail:
            raise RuntimeError("killed between the event and the rename")
        return publish(self)

    monkeypatch.setattr(store_module, "record_event", event)  # the service imports it at call time
    monkeypatch.setattr(files.StagedFiles, "publish", rename)
    return order


def _events(store: Store, action: str) -> list:
    with store.read_session() as session:
        return list_events(session, action=action, newest_first=False)[0]


@pytest.fixture
def small_cohort(tmp_path: Path) -> Path:
    if not COHORT.is_file():
        pytest.skip(f"data mirror lacks {COHORT}")
    path = tmp_path / "cohort.csv"
    path.write_text("".join(COHORT.read_text().splitlines(keepends=True)[:21]))
    return path


def _run(kind: str, store: Store, tmp_path: Path, out: Path, small_cohort: Path):
    if kind == "call":
        return call_vcf_file(store, CallSpec(vcf=VCF, out=out), ANA)
    if kind == "batch":
        vcf = write_synthetic_vcf(tmp_path / "cohort.vcf", 4, seed=3)
        return batch_call_file(store, BatchSpec(vcf=vcf, out=out / "calls.tsv", backend="serial"), ANA)
    return dose_warfarin_cohort(store, WarfarinCohortSpec(cohort=small_cohort, out=out / "doses.csv"), ANA)


@pytest.mark.parametrize(
    ("kind", "action"), [("call", "pgx.call"), ("batch", "pgx.batch"), ("warfarin", "pgx.warfarin")]
)
def test_event_then_rename_and_no_output_when_the_rename_fails(
    store: Store, tmp_path: Path, monkeypatch, small_cohort: Path, kind: str, action: str
) -> None:
    out = tmp_path / "out"
    order = _watch(monkeypatch, out, fail=True)
    with pytest.raises(RuntimeError, match="killed"):
        _run(kind, store, tmp_path, out, small_cohort)
    assert order == ["event", "rename"]
    assert not out.exists() or list(out.rglob("*")) == []  # no output, no temporary
    assert len(_events(store, action)) == 1  # what a kill at that point leaves: the event, no file

    monkeypatch.undo()
    order = _watch(monkeypatch, out, fail=False)
    _run(kind, store, tmp_path, out, small_cohort)
    assert order == ["event", "rename"]
    event = _events(store, action)[-1]
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert written and not any(p.name.startswith(".") for p in written)  # no temporaries left
    if kind == "call":
        names = event.outputs["files"].split(",")
        assert sorted(names) == sorted(p.name for p in written) and "summary.tsv" in names
        assert event.outputs["files_sha256"] == sha256_json({name: _sha(out / name) for name in names})
    elif kind == "batch":
        assert event.outputs["calls"] == _sha(out / "calls.tsv")
    else:
        assert event.outputs["csv"] == _sha(out / "doses.csv")


def test_service_module_keeps_no_direct_writer() -> None:
    """The PGx service writes files only through staged_files (no atomic write before the event)."""
    source = Path(service.__file__).read_text()
    assert "atomic_" not in source
