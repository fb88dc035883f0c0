"""XPT and CSV give equal tables (values, types, zeros kept); bad files are clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.cdisc.io import read_csv, read_domain, read_xpt, write_xpt


@pytest.mark.parametrize("name", ["dm", "ae", "ex", "ds", "adtte"])
def test_xpt_written_by_pyreadstat_reads_back_equal(pilot: Path, tmp_path: Path, name: str) -> None:
    folder = pilot / ("adam" if name.startswith("ad") else "sdtm")
    from_csv = read_domain(folder, name)
    raw = pd.read_csv(next(folder.glob(f"{name}.csv*")), dtype=str, keep_default_na=False)
    # pyreadstat itself writes the XPORT file: missing text blank, numbers float
    payload = from_csv.copy()
    for col in payload.columns:
        if payload[col].dtype == object:
            payload[col] = payload[col].fillna("")
    pyreadstat.write_xport(payload, str(tmp_path / f"{name}.xpt"), table_name=name.upper(), file_format_version=5)
    from_xpt = read_xpt(tmp_path / f"{name}.xpt")
    pd.testing.assert_frame_equal(from_xpt, from_csv)  # values and dtypes
    assert list(from_xpt.columns) == list(raw.columns)
    assert from_xpt.shape == raw.shape


def test_zeros_stay_zeros(pilot: Path, tmp_path: Path) -> None:
    adtte = read_domain(pilot / "adam", "adtte")
    assert (adtte["CNSR"] == 0).sum() == 152 and set(adtte["CNSR"].unique()) == {0.0, 1.0}
    write_xpt(adtte, tmp_path / "adtte.xpt", table_name="ADTTE")
    back = read_domain(tmp_path, "adtte")  # the .xpt is found first
    assert back["CNSR"].tolist() == adtte["CNSR"].tolist()
    assert (back["TRTAN"] == 0).sum() == (adtte["TRTAN"] == 0).sum() > 0
    assert np.abs(back["TRTAN"][back["TRTAN"] < 1]).max() == 0.0  # not 5.4e-79


def test_types_numeric_and_text(pilot: Path) -> None:
    dm = read_domain(pilot / "sdtm", "dm")
    assert dm["AGE"].dtype == np.float64
    assert dm["SITEID"].dtype == object and dm["SITEID"].iloc[0] == "701"  # an identifier stays text
    assert dm["RFICDTC"].isna().all() and dm["RFICDTC"].iloc[0] is None  # blank is missing


def test_not_xport_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "dm.xpt"
    bad.write_text("USUBJID,AGE\n1,2\n")
    with pytest.raises(InputError, match=r"dm\.xpt.*not a readable SAS XPORT"):
        read_domain(tmp_path, "dm")


def test_missing_domain_and_bad_csv(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="domain AE not found"):
        read_domain(tmp_path, "ae")
    (tmp_path / "ae.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="ae.csv"):
        read_csv(tmp_path / "ae.csv")
