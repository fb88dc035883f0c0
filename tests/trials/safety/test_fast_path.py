"""The vectorised pipeline (packed-key counts, MGPS on the frequency table) reproduces the previous results.

``data/fastpath_reports.parquet`` is a small FAERS-shaped long table (synthetic, with
messy drug names, duplicate rows and two bad rows); ``data/fastpath_reference.parquet``
holds the signal tables the previous implementation (commit 30fdb96: string-keyed
Polars joins, one likelihood term per pair) computed from it, stratified by sex, with
squashing forced, and crude; ``fastpath_reference.json`` its MGPS fits and flag counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

from pharmakon.trials.safety import detect_signals, pair_counts, read_long
from pharmakon.trials.safety.csv_out import csv_bytes

DATA = Path(__file__).parent / "data"
CASES = {"strata": {"strata": ["sex"]}, "squashed": {"strata": ["sex"], "squash": True}, "crude": {}}
COUNTS = ["n", "n_drug", "n_event", "n_total"]
EXACT_FLOATS = ["expected", "prr", "ror", "ror_lower", "ror_upper", "ic", "ic025", "ic975", "chi2"]
FIT_FLOATS = ["ebgm", "eb05", "eb95"]  # depend on the fitted prior: equal to the optimiser's tolerance


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    table, report = read_long(DATA / "fastpath_reports.parquet")
    assert report.bad_count == 2
    return table


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, dict]:
    return (
        pd.read_parquet(DATA / "fastpath_reference.parquet"),
        json.loads((DATA / "fastpath_reference.json").read_text()),
    )


def _compare(new: pd.DataFrame, old: pd.DataFrame) -> None:
    new = new.sort_values(["drug", "event"]).reset_index(drop=True)
    old = old.sort_values(["drug", "event"]).reset_index(drop=True)
    assert new[["drug", "event"]].equals(old[["drug", "event"]])
    for column in COUNTS:
        np.testing.assert_array_equal(new[column].to_numpy(), old[column].to_numpy(), err_msg=column)
    for column in EXACT_FLOATS:
        np.testing.assert_allclose(new[column], old[column], rtol=1e-12, atol=1e-12, err_msg=column)
    for column in FIT_FLOATS:
        np.testing.assert_allclose(new[column], old[column], rtol=1e-6, err_msg=column)
    for column in [c for c in old if c.startswith("signal_") or c == "ror_corrected"]:
        assert (new[column] == old[column]).all(), column


@pytest.mark.parametrize("case", list(CASES))
def test_the_signal_table_equals_the_previous_implementation(table, reference, case: str) -> None:
    frames, fits = reference
    result = detect_signals(table, methods="ebgm,prr,ror,ic", **CASES[case])
    _compare(result.contract_frame(), frames[frames["case"] == case].drop(columns="case"))
    old = fits[case]
    assert result.summary()["flagged"] == old["flagged"] and len(result.table) == old["pairs"]
    assert result.hyper.squashed == old["hyper"]["squashed"] and result.hyper.converged == old["hyper"]["converged"]
    for key in ("alpha1", "beta1", "alpha2", "beta2", "p", "neg_log_lik"):
        assert getattr(result.hyper, key) == pytest.approx(old["hyper"][key], rel=1e-6), key


def test_report_ids_that_are_not_integers_count_the_same(table) -> None:
    """Ids such as "C12" (numbered by rank) and "007" vs "7" (two reports, not one) are kept apart."""
    as_int = pair_counts(table, ["sex"])
    renamed = pair_counts(table.with_columns(("C" + pl.col("report")).alias("report")), ["sex"])
    pd.testing.assert_frame_equal(as_int, renamed)
    twins = pd.DataFrame({"report": ["7", "007", "7"], "drug": ["A"] * 3, "event": ["X"] * 3})
    assert pair_counts(twins)["n"].tolist() == [2]


def _variant(table: pl.DataFrame, variant: str) -> tuple[pl.DataFrame, list[str]]:
    if variant == "categorical":
        return table.with_columns(pl.col("sex").cast(pl.Categorical)), ["sex"]
    if variant == "report in two strata":  # every 7th row's sex flipped: those reports count in both
        flipped = pl.when(pl.col("sex") == "F").then(pl.lit("M")).otherwise(pl.lit("F"))
        mixed = table.with_row_index("i").with_columns(
            pl.when(pl.col("i") % 7 == 0).then(flipped).otherwise(pl.col("sex")).alias("sex")
        )
        return mixed.drop("i"), ["sex"]
    if variant == "two columns":
        return table, ["sex", "quarter"]
    return table, ["sex"]


@pytest.mark.parametrize("variant", ["text", "categorical", "report in two strata", "two columns"])
def test_counts_equal_an_independent_sql_count(table, variant: str) -> None:
    """Every pair's n and stratified E as DuckDB computes them with DISTINCT and joins."""
    data, strata = _variant(table, variant)
    con = duckdb.connect()
    con.register("src", data.with_columns(pl.col(strata).cast(pl.Utf8)).to_arrow())
    key = " || '|' || ".join(strata)
    sql = f"""WITH u AS (SELECT DISTINCT report, drug, event, {key} AS s FROM src),
        pairs AS (SELECT drug, event, count(DISTINCT report) AS n FROM u GROUP BY ALL),
        ds AS (SELECT drug, s, count(DISTINCT report) AS nd FROM u GROUP BY ALL),
        es AS (SELECT event, s, count(DISTINCT report) AS ne FROM u GROUP BY ALL),
        ts AS (SELECT s, count(DISTINCT report) AS nt FROM u GROUP BY ALL)
        SELECT p.drug, p.event, any_value(p.n) AS n, sum(nd * ne / nt) AS expected
        FROM pairs p JOIN ds USING (drug) JOIN es ON es.event = p.event AND es.s = ds.s
        JOIN ts ON ts.s = ds.s GROUP BY ALL ORDER BY 1, 2"""
    ref = con.execute(sql).df()
    ours = pair_counts(data, strata)
    assert ours["drug"].tolist() == ref["drug"].tolist() and ours["event"].tolist() == ref["event"].tolist()
    np.testing.assert_array_equal(ours["n"], ref["n"])
    np.testing.assert_allclose(ours["expected"], ref["expected"], rtol=1e-12)


def _awkward_frame(rows: int = 5000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "drug": rng.choice(["A,B", 'Q"X', "PLAIN", "δ漢", " LEAD", "X;Y"], rows),
            "n": rng.integers(0, 100, rows),
            "x": 10 ** rng.uniform(-330, 308, rows) * rng.choice([-1, 1], rows),
            "y": np.where(rng.random(rows) < 0.1, np.nan, rng.random(rows)),
            "z": np.where(rng.random(rows) < 0.05, np.inf, rng.standard_normal(rows) * 1e-5),
            "flag": rng.random(rows) < 0.5,
        }
    )
    frame.loc[:3, "x"] = [0.0, -0.0, 1e-4, 9.999999999999999e-05]
    return frame


def test_csv_bytes_equal_pandas_to_csv(table) -> None:
    """Polars writes the signal table with pandas' exact bytes (floats by repr below 1e-4, True/False)."""
    frame = _awkward_frame()
    assert csv_bytes(frame) == frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    signals = detect_signals(table, strata=["sex"]).contract_frame()
    assert csv_bytes(signals) == signals.to_csv(index=False, lineterminator="\n").encode("utf-8")


@pytest.mark.parametrize("odd", ["", "CR\rX"])
def test_csv_text_the_writers_quote_differently_goes_to_pandas(odd: str) -> None:
    frame = _awkward_frame(50)
    frame.loc[7, "drug"] = odd
    assert csv_bytes(frame) == frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
