"""The service on SQLite and PostgreSQL: stored results, audit events, eligibility, the seed example."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.caller import Caller
from pharmakon.config import get_settings
from pharmakon.errors import InputError, NotFoundError
from pharmakon.imaging import service
from pharmakon.imaging.service import LesionOut, MeasureSpec, RecistSpec
from pharmakon.store import Store, list_events

CALLER = Caller("ann", "python")


def test_measure_and_recist_are_stored_and_audited(store: Store, radiomics_dir: Path, recist_dir: Path) -> None:
    m = service.measure(
        store, MeasureSpec(image=radiomics_dir / "brain2_image.nrrd", mask=radiomics_dir / "brain2_label.nrrd"), CALLER
    )
    assert (m.name, m.version, [les.voxels for les in m.lesions]) == ("measure:brain2_label", 1, [453])
    r = service.recist(
        store,
        RecistSpec(
            tu=recist_dir / "tu_onco_recist.csv",
            tr=recist_dir / "tr_onco_recist.csv",
            evaluator="RADIOLOGIST 2",
            name="r2",
        ),
        CALLER,
    )
    assert r.evaluator == "RADIOLOGIST 2" and r.kappa is None and len(r.subjects) == 8
    assert service.get_result(store, "imaging_recist", "r2") == r
    assert [(i.kind, i.name) for i in service.list_results(store)] == [
        ("imaging_measure", "measure:brain2_label"),
        ("imaging_recist", "r2"),
    ]
    with store.read_session() as session:
        (measured,), _ = list_events(session, action="imaging.measure")
        (assessed,), _ = list_events(session, action="imaging.recist")
    assert measured.object_id == "measure:brain2_label@1" and measured.params == {
        "label": 1,
        "lesions": 1,
        "channel": "python",
    }
    assert set(assessed.inputs) == {"tu", "tr"} and assessed.params["evaluator"] == "RADIOLOGIST 2"
    with pytest.raises(NotFoundError):
        service.get_result(store, "imaging_recist", "nope")
    # brain2's lesion: 15.57 mm longest, 11.53 mm short axis
    assert service.stored_eligibility(store, "measure:brain2_label").eligible
    assert not service.stored_eligibility(store, "measure:brain2_label", min_diameter_mm=15, node=True).eligible


def test_unknown_evaluator_is_refused(store: Store, recist_dir: Path) -> None:
    spec = RecistSpec(
        tu=recist_dir / "tu_onco_recist.csv", tr=recist_dir / "tr_onco_recist.csv", evaluator="RADIOLOGIST 9"
    )
    with pytest.raises(InputError, match="RADIOLOGIST 9"):
        service.recist(store, spec, CALLER)


def test_eligibility_from_measurements() -> None:
    def les(longest: float, short: float) -> LesionOut:
        return LesionOut(
            voxels=10,
            volume_mm3=1,
            longest_diameter_mm=longest,
            short_axis_mm=short,
            max_3d_diameter_mm=longest,
            slice=0,
        )

    assert service.eligibility([les(9.99, 5), les(12, 8)]).eligible
    assert not service.eligibility([les(9.99, 5)]).eligible
    assert service.eligibility([les(20, 16)], min_diameter_mm=15, node=True).measurable == 1
    assert not service.eligibility([les(12, 8), les(30, 20)], min_lesions=3).eligible


def test_seed_example(store: Store, radiomics_dir: Path, recist_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pharmakon.imaging.examples import SEED_NAMES, seed_example
    from tests.conftest import MIRROR

    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()
    text = seed_example(store, get_settings())
    assert "[3524, 613]" in text and "8 CDISC" in text
    assert service.get_result(store, "imaging_recist", SEED_NAMES["recist"]).agreement.pairs == 22
    from pharmakon.imaging.radiomics import available

    if available():
        assert len(service.get_result(store, "imaging_features", SEED_NAMES["features"]).features) == 107


def test_kappa_undefined_is_null_not_nan(store: Store, tmp_path: Path) -> None:
    import pandas as pd

    pd.DataFrame([{"USUBJID": "S1", "TULNKID": "T01", "TULOC": "LIVER", "TUSTRESC": "TARGET"}]).to_csv(
        tu := tmp_path / "tu.csv", index=False
    )
    rows = [
        {"USUBJID": "S1", "TRLNKID": "T01", "TRTESTCD": "LDIAM", "TRSTRESC": v, "VISITNUM": n, "TRDTC": d}
        for n, v, d in ((1, "20", "2020-01-01"), (2, "19", "2020-02-12"))
    ]
    pd.DataFrame(rows).to_csv(tr := tmp_path / "tr.csv", index=False)
    rs_rows = [
        {
            "USUBJID": "S1",
            "VISITNUM": 2,
            "RSTESTCD": "OVRLRESP",
            "RSSTRESC": "SD",
            "RSEVALID": reader,
            "RSDTC": "2020-02-12",
        }
        for reader in ("RADIOLOGIST 1", "RADIOLOGIST 2")
    ]
    pd.DataFrame(rs_rows).to_csv(rs := tmp_path / "rs.csv", index=False)
    result = service.recist(store, RecistSpec(tu=tu, tr=tr, rs=rs), CALLER)
    assert result.agreement.pairs == 1 and result.kappa is None and result.subjects[0].bor == "SD"
