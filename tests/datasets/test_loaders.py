"""Every data set has loaders; every table loads non-empty with its declared dtypes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pharmakon.config import Settings
from pharmakon.datasets import dataset_names, is_cached, load, table_schema, tables
from pharmakon.datasets._tables import DTYPES, apply_schema, csv_table
from pharmakon.errors import InputError, NotFoundError
from tests.datasets.conftest import needs_mirror

ALL_TABLES = [(name, table) for name in dataset_names() for table in tables(name)]


def test_every_dataset_has_a_loader() -> None:
    for name in dataset_names():
        assert tables(name), name


@needs_mirror
@pytest.mark.parametrize(("name", "table"), ALL_TABLES, ids=[f"{n}/{t}" for n, t in ALL_TABLES])
def test_table_loads_with_declared_dtypes(name: str, table: str, filled_cache: Settings) -> None:
    df = load(name, table, settings=filled_cache)
    assert isinstance(df, pd.DataFrame) and len(df) > 0 and df.shape[1] > 0
    assert isinstance(df.index, pd.RangeIndex)
    for column, dtype in table_schema(name, table).items():
        assert str(df[column].dtype) == dtype, f"{name}/{table}.{column}: {df[column].dtype} != {dtype}"
    other = {c: str(t) for c, t in df.dtypes.items() if str(t) not in DTYPES}
    assert not other, f"columns outside {DTYPES}: {other}"


@needs_mirror
def test_default_table_and_known_counts(filled_cache: Settings) -> None:
    esol = load("moleculenet", settings=filled_cache)  # default table
    assert list(esol.columns) == ["smiles", "log_solubility"] and len(esol) == 1128
    tox21 = load("moleculenet", "tox21", settings=filled_cache)
    assert tox21["NR-AR"].isna().any()  # blank = not tested stays missing
    qrels = load("trec_ct_2021", "qrels", settings=filled_cache)
    assert len(qrels) == 35832 and set(qrels["score"].unique()) == {0, 1, 2}
    tep = load("tep_braatz", "test", settings=filled_cache)
    assert (tep["faulty"] == ((tep["fault"] > 0) & (tep["sample"] > 160))).all()
    beats = load("ecg_wfdb", settings=filled_cache)
    assert beats["symbol"].isin(["N", "A", "V"]).sum() == 2273


@needs_mirror
def test_mitdb_signal_matches_header(filled_cache: Settings) -> None:
    sig = load("ecg_wfdb", "mitdb_100_signal", settings=filled_cache)
    assert len(sig) == 650000
    # header: MLII initial value 995, V5 1011, gain 200 adu/mV, baseline 1024
    assert sig["MLII"].iloc[0] == pytest.approx((995 - 1024) / 200)
    assert sig["V5"].iloc[0] == pytest.approx((1011 - 1024) / 200)


@needs_mirror
def test_load_fetches_when_not_cached(mirror_settings: Settings) -> None:
    assert not is_cached("agile_lipids", settings=mirror_settings)
    df = load("agile_lipids", settings=mirror_settings)
    assert len(df) == 1200
    assert is_cached("agile_lipids", settings=mirror_settings)


def test_unknown_table_and_dataset() -> None:
    with pytest.raises(NotFoundError, match=r"did you mean 'tox21'"):
        table_schema("moleculenet", "tox2")
    with pytest.raises(NotFoundError, match="unknown data set"):
        tables("no_such_set")


def test_malformed_csv_names_file_row_and_field(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("smiles,value\nCCO,1.5\nCCN,abc\n")
    spec = csv_table("t", "t.csv", {"smiles": "string", "value": "float64"})
    with pytest.raises(InputError) as err:
        spec.reader(tmp_path)
    assert (err.value.file, err.value.row, err.value.field) == ("t.csv", 2, "value")
    assert "'abc' is not a number" in str(err.value)


def test_missing_column_and_bad_integer(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("smiles,label\nCCO,1\nCCN,0.5\n")
    with pytest.raises(InputError, match="missing column") as err:
        csv_table("t", "t.csv", {"smiles": "string", "y": "float64"}).reader(tmp_path)
    assert err.value.field == "y"
    with pytest.raises(InputError, match="not an integer") as err:
        csv_table("t", "t.csv", {"smiles": "string", "label": "Int64"}).reader(tmp_path)
    assert err.value.row == 2


def test_ragged_csv_is_input_error(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(InputError, match="cannot parse") as err:
        csv_table("t", "t.csv", {"a": "Int64"}).reader(tmp_path)
    assert err.value.file == "t.csv" and err.value.row == 3


def test_apply_schema_types_and_flags() -> None:
    raw = pd.DataFrame(
        {"id": [1.0, 2.0, np.nan], "flag": ["Y", "N", None], "x": ["1", "2.5", ""], "t": ["a", "b", "c"]}
    )
    df = apply_schema(raw, {"id": "string", "flag": "boolean"}, file="f")
    assert df["id"].tolist()[:2] == ["1", "2"] and df["id"].isna().iloc[2]
    assert df["flag"].tolist()[:2] == [True, False]
    assert str(df["x"].dtype) == "float64" and str(df["t"].dtype) == "string"
    with pytest.raises(InputError, match="yes/no flag"):
        apply_schema(pd.DataFrame({"f": ["maybe"]}), {"f": "boolean"}, file="f")


def test_loader_does_not_mutate_input() -> None:
    raw = pd.DataFrame({"a": ["1", "2"]})
    apply_schema(raw, {"a": "Int64"}, file="f")
    assert raw["a"].tolist() == ["1", "2"]
