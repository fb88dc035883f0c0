"""Signal table: stratified expected counts, criteria, drill-down, the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.safety import SIGNAL_COLUMNS, detect_signals, pair_counts, pair_detail, parse_methods
from pharmakon.trials.safety.synthetic import make_reports


def _toy() -> pd.DataFrame:
    rows = [
        ("r1", "A", "X", "F"),
        ("r1", "A", "X", "F"),
        ("r1", "B", "Y", "F"),
        ("r2", "A", "X", "M"),
        ("r3", "A", "Y", "M"),
        ("r4", "B", "X", "F"),
        ("r5", "C", "Z", "F"),
        ("r6", "A", "Z", "M"),
    ]
    return pd.DataFrame(rows, columns=["report", "drug", "event", "sex"])


def test_stratified_expected_counts_by_hand():
    counts = pair_counts(_toy(), ["sex"]).set_index(["drug", "event"])
    # pair A/X: F stratum (r1, r4, r5): nd=1 (r1), ne=2 (r1, r4), nt=3 -> 2/3;
    #           M stratum (r2, r3, r6): nd=3, ne=1 (r2), nt=3 -> 1;   E = 5/3
    assert counts.loc[("A", "X"), "n"] == 2
    assert counts.loc[("A", "X"), "expected"] == pytest.approx(5 / 3)
    # pair B/Y: only F has B (r1, r4) and Y (r1): 2 * 1 / 3; M has Y (r3) but no B
    assert counts.loc[("B", "Y"), "expected"] == pytest.approx(2 / 3)
    crude = pair_counts(_toy()).set_index(["drug", "event"])
    assert crude.loc[("A", "X"), "expected"] == pytest.approx(4 * 3 / 6)  # duplicate row r1/A/X counted once
    assert (crude.loc[("A", "X"), ["n_drug", "n_event", "n_total"]] == [4, 3, 6]).all()


def test_bad_strata_and_columns():
    bad = _toy()
    bad.loc[2, "sex"] = " "
    with pytest.raises(InputError, match="empty stratum"):
        pair_counts(bad, ["sex"])
    with pytest.raises(InputError, match="missing column"):
        pair_counts(_toy().drop(columns="event"))
    with pytest.raises(InputError, match="choose from"):
        parse_methods("ebgm,bogus")


def test_detect_signals_on_synthetic_finds_injected_pairs():
    synth = make_reports(150_000, n_drugs=400, n_events=200, n_signals=20, rr_choices=(5.0,), seed=4)
    result = detect_signals(synth.rows, strata=["sex"])
    assert result.hyper is not None and result.hyper.converged
    table = result.table.merge(synth.truth.assign(label=1), on=["drug", "event"], how="left").fillna({"label": 0})
    top = table.sort_values("eb05", ascending=False).head(40)
    assert top["label"].sum() >= 10  # most injected RR=5 pairs rank at the top by EB05
    assert set(SIGNAL_COLUMNS) <= set(result.table.columns)
    flagged = result.signals("ebgm")
    assert (flagged["eb05"] >= 2).all() and flagged["eb05"].is_monotonic_decreasing
    summary = result.summary()
    json.dumps(summary)
    assert summary["flagged"]["ebgm"] == len(flagged)


def test_pair_detail_trend_and_strata():
    synth = make_reports(60_000, n_drugs=200, n_events=100, n_signals=5, seed=2)
    result = detect_signals(synth.rows, methods="ebgm")
    row = result.table.iloc[0]
    detail = pair_detail(synth.rows, row["drug"], row["event"], hyper=result.hyper, strata=["sex"])
    assert detail["two_by_two"]["a"] == row["n"]
    assert sum(detail["two_by_two"].values()) == row["n_total"]
    trend = pd.DataFrame(detail["trend"])
    assert trend["quarter"].is_monotonic_increasing and trend["n"].is_monotonic_increasing
    assert trend["n"].iloc[-1] == row["n"]
    assert trend["ebgm"].iloc[-1] == pytest.approx(row["ebgm"], rel=1e-9)  # the last quarter is the whole data
    assert sum(r["n"] for r in detail["strata"]) == row["n"]
    with pytest.raises(InputError, match="no report"):
        pair_detail(synth.rows, "NOPE", "X")


@pytest.mark.usefixtures("pharmakon_home")
def test_cli_signals_contract_on_caers(cli, tmp_path: Path, caers_expected):
    from tests.trials.safety.conftest import CAERS_DIR

    out, hyper = tmp_path / "signals.csv", tmp_path / "hyper.json"
    res = cli(
        "safety",
        "signals",
        str(CAERS_DIR / "caers.csv"),
        "--format",
        "caers",
        "--method",
        "ebgm,prr,ror,ic",
        "-o",
        str(out),
        "--hyper-json",
        str(hyper),
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    table = pd.read_csv(out)
    assert list(table.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS
    assert len(table) == 17189 and int((table["eb05"] >= 2).sum()) == 131
    theta = json.loads(hyper.read_text())
    ref = caers_expected["hyperparameters_full_data_nlminb"]
    for key in ("alpha1", "beta1", "alpha2", "beta2"):
        assert theta[key] == pytest.approx(ref[key], rel=1e-3)
    assert theta["p"] == pytest.approx(ref["P"], rel=1e-3)
    row = table[(table.drug == "REUMOFAN PLUS") & (table.event == "WEIGHT INCREASED")].iloc[0]
    assert row["n"] == 16 and row["expected"] == pytest.approx(0.40643623, rel=1e-7)
    # stratified by gender: runs and changes E
    res = cli(
        "safety",
        "signals",
        str(CAERS_DIR / "caers.csv"),
        "--format",
        "caers",
        "--method",
        "prr,ic",
        "--stratify",
        "strat1",
        "-o",
        str(out),
    )
    assert res.exit_code == 0, res.stderr
    strat = pd.read_csv(out)
    assert np.isnan(strat.get("ebgm", pd.Series([np.nan]))).all()
    assert not np.allclose(
        strat.sort_values(["drug", "event"])["expected"].to_numpy(),
        table.sort_values(["drug", "event"])["expected"].to_numpy(),
    )


@pytest.mark.usefixtures("pharmakon_home")
def test_cli_signals_bad_input(cli, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("report,drug\n1,a\n")
    res = cli("safety", "signals", str(bad), "--format", "long", "-o", str(tmp_path / "o.csv"))
    assert res.exit_code == 2 and "missing column" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o.csv").exists()
    res = cli("safety", "signals", str(bad), "--format", "xml", "-o", str(tmp_path / "o.csv"))
    assert res.exit_code == 2 and "unknown format" in res.stderr


@pytest.mark.usefixtures("pharmakon_home")
def test_cli_non_converging_fit_is_reported(cli, tmp_path: Path):
    # no heterogeneity at all: the ML prior is a point mass at 1 (parameters on their bounds)
    synth = make_reports(100_000, n_drugs=300, n_events=150, class_sd=0.0, n_signals=1, rr_choices=(1.0,), seed=1)
    data = tmp_path / "flat.parquet"
    synth.rows.to_parquet(data)
    hyper = tmp_path / "h.json"
    res = cli(
        "safety", "signals", str(data), "--method", "ebgm", "-o", str(tmp_path / "s.csv"), "--hyper-json", str(hyper)
    )
    assert res.exit_code == 0, res.stderr
    assert "warning:" in res.stderr and "not converged" in " ".join(res.stderr.split())
    fit = json.loads(hyper.read_text())
    assert fit["converged"] is False and "bounds" in fit["message"]
    table = pd.read_csv(tmp_path / "s.csv")
    assert table["ebgm"].between(0.9, 1.1).all()  # the stated fallback: shrink everything to the point mass


@pytest.mark.usefixtures("pharmakon_home")
def test_cli_save_and_review(cli, tmp_path: Path):
    synth = make_reports(30_000, n_drugs=100, n_events=50, n_signals=3, rr_choices=(6.0,), seed=6)
    data = tmp_path / "r.parquet"
    synth.rows.to_parquet(data)
    res = cli("safety", "signals", str(data), "-o", str(tmp_path / "s.csv"), "--save", "cli-table")
    assert res.exit_code == 0, res.stderr
    top = pd.read_csv(tmp_path / "s.csv").iloc[0]
    res = cli(
        "safety",
        "review",
        "cli-table",
        "--drug",
        top["drug"],
        "--event",
        top["event"],
        "--status",
        "reviewed",
        "--reason",
        "labelled",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["status"] == "reviewed"
    res = cli("safety", "review", "cli-table", "--drug", "X", "--event", "Y", "--status", "reviewed", "--reason", "r")
    assert res.exit_code == 2 and "not in signal table" in " ".join(res.stderr.split())
    log = cli("audit", "log", "--json")
    assert "safety.signal.reviewed" in log.stdout and "safety.signals" in log.stdout
