"""The chart service on the store (SQLite and PostgreSQL): audit, output file, phase I, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.process.service_charts import ChartSpec, ChartValuesSpec, control_chart
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events
from tests.process.test_charts import MONTGOMERY_9_1

WHO = Caller("ann", "python")


@pytest.fixture
def series_csv(tmp_path: Path) -> Path:
    path = tmp_path / "cqa.csv"
    pd.DataFrame({"batch": range(1, 31), "size_nm": MONTGOMERY_9_1}).to_csv(path, index=False)
    return path


def _events(store: Store) -> list:
    with store.read_session() as session:
        return list_events(session, action="process.chart", newest_first=False, limit=100)[0]


def test_cusum_chart_is_audited_and_written(store: Store, series_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "chart.csv"
    spec = build_spec(ChartSpec, data=series_csv, column="size_nm", kind="cusum", target=10, sigma=1, out=out)
    res = control_chart(store, spec, WHO)
    assert (res.alarms, res.first_alarm, res.alarm_indices) == (2, 29, [29, 30])
    assert res.arl["in_control"] == pytest.approx(469, abs=1) and res.estimated == []
    table = pd.read_csv(out)
    assert list(table.columns) == ["index", "value", "cusum_upper", "cusum_lower", "limit", "alarm"]
    assert len(table) == len(res.points) == 30 and table["cusum_upper"].iloc[28] == pytest.approx(5.28, abs=0.005)
    (ev,) = _events(store)
    assert ev.params["channel"] == "python" and ev.params["kind"] == "cusum" and ev.params["alarms"] == 2
    assert ev.object_id == "size_nm" and set(ev.outputs) == {"chart"}


def test_phase1_estimates_and_values_from_a_body_match_the_file(store: Store, series_csv: Path) -> None:
    by_file = control_chart(store, build_spec(ChartSpec, data=series_csv, column="size_nm", phase1=20), WHO)
    body = build_spec(ChartValuesSpec, values=MONTGOMERY_9_1.tolist(), column="size_nm", phase1=20)
    by_body = control_chart(store, body, WHO)
    assert by_file.estimated == ["target", "sigma"] and by_file.target == pytest.approx(MONTGOMERY_9_1[:20].mean())
    assert by_file.to_dict() == by_body.to_dict()
    a, b = _events(store)
    assert (a.inputs, a.outputs, a.params) == (b.inputs, b.outputs, b.params)
    # a given target keeps its value; only sigma is estimated
    half = control_chart(store, build_spec(ChartSpec, data=series_csv, column="size_nm", phase1=20, target=10), WHO)
    assert half.target == 10 and half.estimated == ["sigma"] and half.sigma == by_file.sigma


def test_bad_input_names_file_row_and_field(store: Store, tmp_path: Path, series_csv: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("batch,size_nm\n1,10.1\n2,abc\n3,9.9\n")
    out = tmp_path / "never.csv"
    with pytest.raises(InputError, match=r"bad.csv, row 3, field 'size_nm': not a number: 'abc'"):
        control_chart(store, build_spec(ChartSpec, data=bad, column="size_nm", target=10, sigma=1, out=out), WHO)
    assert not out.exists()
    bad.write_text("batch,size_nm\n1,10.1\n2,\n")
    with pytest.raises(InputError, match=r"row 3, field 'size_nm': missing value"):
        control_chart(store, build_spec(ChartSpec, data=bad, column="size_nm", target=10, sigma=1), WHO)
    with pytest.raises(InputError, match="field 'weight': column not found"):
        control_chart(store, build_spec(ChartSpec, data=series_csv, column="weight", target=10, sigma=1), WHO)
    with pytest.raises(InputError, match="phase1"):
        control_chart(store, build_spec(ChartSpec, data=series_csv, column="size_nm"), WHO)
    with pytest.raises(InputError, match="phase I of 40 samples but the series has 30"):
        control_chart(store, build_spec(ChartSpec, data=series_csv, column="size_nm", phase1=40), WHO)
    flat = tmp_path / "flat.csv"
    flat.write_text("x\n1\n1\n1\n2\n")
    with pytest.raises(InputError, match="do not vary"):
        control_chart(store, build_spec(ChartSpec, data=flat, column="x", phase1=3), WHO)
    for wrong in ({"lam": 0}, {"lam": 1.5}, {"sigma": -1}, {"kind": "xbar"}, {"h": 0}):
        with pytest.raises(InputError, match=next(iter(wrong))):
            build_spec(ChartSpec, data=series_csv, column="size_nm", target=10, **{"sigma": 1, **wrong})
    assert _events(store) == []


def test_values_that_overflow_are_an_error_not_a_crash(store: Store) -> None:
    huge = [1.7e308, -1.7e308, 1.7e308]
    with pytest.raises(InputError, match="overflow"):
        control_chart(store, build_spec(ChartValuesSpec, values=huge, column="x", phase1=3), WHO)
    with pytest.raises(InputError, match="overflows"):
        spec = build_spec(ChartValuesSpec, values=[1.7e308] * 3, column="x", kind="cusum", target=0, sigma=1)
        control_chart(store, spec, WHO)
    assert _events(store) == []
