"""FAERS THER (therapy dates, time to onset) and OUTC (outcome codes, serious per pair)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pharmakon.store import Store
from pharmakon.trials.safety import detect_signals, pair_detail, read_faers
from pharmakon.trials.safety.persist import pair_view, save_signal_table

DEMO = """primaryid$caseid$caseversion$fda_dt$event_dt$sex$age$age_cod
1001$100$1$20230105$20230110$F$54$YR
2001$200$1$20230115$202301$M$40$YR
3001$300$1$20230120$20230301$F$60$YR
"""
DRUG = """primaryid$caseid$drug_seq$role_cod$drugname
1001$100$1$PS$DRUGA
1001$100$2$SS$DRUGB
2001$200$1$PS$DRUGA
3001$300$1$PS$DRUGA
"""
REAC = "primaryid$caseid$pt\n1001$100$Nausea\n2001$200$Nausea\n3001$300$Nausea\n"
THER = """primaryid$caseid$dsg_drug_seq$start_dt$end_dt$dur$dur_cod
1001$100$1$20230101$20230201$$
1001$100$1$20221225$$$
1001$100$2$20230115$$$
2001$200$1$20230101$$$
3001$300$1$2023XX01$$$
3001$300$x$20230101$$$
3001$300$1$20230201$20230101$$
3001$300$1$20230215$$$
"""
OUTC = "primaryid$caseid$outc_cod\n1001$100$HO\n1001$100$DE\n3001$300$ZZ\n"


@pytest.fixture
def faers_ther(tmp_path: Path) -> Path:
    for name, text in (
        ("DEMO23Q1.txt", DEMO),
        ("DRUG23Q1.txt", DRUG),
        ("REAC23Q1.txt", REAC),
        ("THER23Q1.txt", THER),
        ("OUTC23Q1.txt", OUTC),
    ):
        (tmp_path / name).write_text(text)
    return tmp_path


def test_therapy_dates_give_time_to_onset(faers_ther: Path) -> None:
    table, rep = read_faers(faers_ther)
    rows = {(r["report"], r["drug"]): r for r in table.iter_rows(named=True)}
    # case 100 / DRUGA: two therapy periods, earliest start 2022-12-25 -> event 2023-01-10 = 16 days
    assert rows[("100", "DRUGA")]["onset_days"] == 16
    assert rows[("100", "DRUGB")]["onset_days"] is None  # event before therapy start: set missing, noted
    assert rows[("200", "DRUGA")]["onset_days"] is None  # partial event date (YYYYMM)
    assert rows[("300", "DRUGA")]["onset_days"] == 14  # only the valid period 2023-02-15 counts
    bad = {(b.file, b.line): b.reason for b in rep.bad_rows}
    assert "YYYYMMDD" in bad[("THER23Q1.txt", 6)] and "dsg_drug_seq" in bad[("THER23Q1.txt", 7)]
    assert "end_dt before start_dt" in bad[("THER23Q1.txt", 8)]
    assert "outc_cod" in bad[("OUTC23Q1.txt", 4)] and rep.bad_count == 4
    assert any("before therapy start" in n for n in rep.notes)
    # OUTC: codes per case, serious only with a valid code
    assert rows[("100", "DRUGA")]["outcomes"] == "DE,HO" and rows[("100", "DRUGA")]["serious"] == "Y"
    assert rows[("300", "DRUGA")]["serious"] == "N" and rows[("200", "DRUGA")]["outcomes"] == ""


def test_serious_per_pair_and_onset_drill_down(faers_ther: Path, store: Store) -> None:
    table, _ = read_faers(faers_ther)
    result = detect_signals(table, methods="prr")
    by = result.table.set_index(["drug", "event"])
    assert by.loc[("DRUGA", "NAUSEA"), "n"] == 3 and by.loc[("DRUGA", "NAUSEA"), "n_serious"] == 1
    assert bool(by.loc[("DRUGB", "NAUSEA"), "serious"])
    detail = pair_detail(table, "DRUGA", "NAUSEA")
    onset = detail["onset"]
    assert (onset["reports"], onset["with_onset"], onset["missing"]) == (3, 2, 1)
    assert onset["median"] == pytest.approx(15.0) and onset["min"] == 14 and onset["max"] == 16
    assert {h["band"]: h["reports"] for h in onset["histogram"]}["8-30 d"] == 2
    assert detail["outcomes"] == [{"code": "DE", "reports": 1}, {"code": "HO", "reports": 1}]
    # stored with the table (flagged pairs' drill-down) and shown in the pair view
    other = pl.DataFrame({"report": [f"9{i}" for i in range(30)], "drug": "DRUGC", "event": "HEADACHE"})
    reports = pl.concat([table, other], how="diagonal")
    result = detect_signals(reports, methods="prr")
    with store.session() as session:
        save_signal_table(session, name="ther", result=result, actor="ann", reports=reports)
    with store.read_session() as session:
        view = pair_view(session, "ther", "DRUGA", "NAUSEA")
    assert view["row"]["n_serious"] == 1 and view["onset"]["with_onset"] == 2 and len(view["outcomes"]) == 2


def test_faers_without_ther_or_outc(faers_ther: Path) -> None:
    (faers_ther / "THER23Q1.txt").unlink()
    (faers_ther / "OUTC23Q1.txt").unlink()
    table, _ = read_faers(faers_ther)
    assert table["onset_days"].null_count() == table.height and set(table["serious"]) == {"unknown"}
    assert "n_serious" not in detect_signals(table, methods="prr").table
    assert "onset" in pair_detail(table, "DRUGA", "NAUSEA") and pl.Series(table["drug_seq"]).n_unique() == 2
