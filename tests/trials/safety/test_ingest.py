"""FAERS / CAERS / long readers: de-duplication, roles, name normalisation, bad rows with file and line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.safety import normalise_drug_names, read_caers, read_faers, read_long

DEMO = """primaryid$caseid$caseversion$i_f_code$fda_dt$age$age_cod$sex
1001$100$1$I$20230105$54$YR$F
1002$100$2$F$20230310$54$YR$F
2001$200$1$I$20230115$7$MON$M
3001$300$1$I$20230120$70$YR$
this line is broken
4001$$1$I$20230121$1$YR$M
"""
DRUG = """primaryid$caseid$drug_seq$role_cod$drugname$prod_ai
1001$100$1$PS$Metformin Hydrochloride$METFORMIN
1002$100$1$PS$METFORMIN HCL$METFORMIN
1002$100$2$C$aspirin$ASPIRIN
2001$200$1$SS$  glucophage $METFORMIN
3001$300$1$XX$WARFARIN SODIUM$WARFARIN
3001$300$2$I$WARFARIN SODIUM$WARFARIN
"""
REAC = """primaryid$caseid$pt
1001$100$Nausea
1002$100$Lactic acidosis
2001$200$lactic  acidosis
3001$300$Haemorrhage
3001$300$
"""


@pytest.fixture
def faers_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ascii"
    folder.mkdir()
    outc = "primaryid$caseid$outc_cod\n1002$100$HO\n"
    for name, text in (("DEMO23Q1.txt", DEMO), ("DRUG23Q1.txt", DRUG), ("REAC23Q1.txt", REAC), ("OUTC23Q1.txt", outc)):
        (folder / name).write_text(text)
    return folder


def test_read_faers_dedup_roles_and_normalisation(faers_dir: Path):
    table, report = read_faers(faers_dir, synonyms={"GLUCOPHAGE": "METFORMIN"})
    rows = set(zip(table["report"].to_list(), table["drug"].to_list(), table["event"].to_list(), strict=True))
    # case 100: only version 2 (primaryid 1002) is kept; its concomitant aspirin is not a suspect drug
    assert rows == {("100", "METFORMIN", "LACTIC ACIDOSIS"), ("200", "METFORMIN", "LACTIC ACIDOSIS")}
    bad = {(b.file, b.line, b.reason.split(" ")[0]) for b in report.bad_rows}
    assert ("DEMO23Q1.txt", 6, "expected") in bad  # wrong field count, 1-based line incl. header
    assert any(b.file == "DEMO23Q1.txt" and b.line == 7 for b in report.bad_rows)  # empty caseid
    assert any(b.file == "DRUG23Q1.txt" and b.line == 6 and "role_cod" in b.reason for b in report.bad_rows)
    assert any(b.file == "REAC23Q1.txt" and b.line == 6 for b in report.bad_rows)
    assert report.bad_count == 4
    assert any("superseded" in n for n in report.notes)
    strata = table.filter(pl.col("report") == "200").row(0, named=True)
    assert strata["age_band"] == "0-17" and strata["sex"] == "M" and strata["quarter"] == "2023Q1"
    assert strata["serious"] == "N" and table.filter(pl.col("report") == "100")["serious"].to_list() == ["Y"]


def test_read_faers_interacting_role_and_missing_column(faers_dir: Path, tmp_path: Path):
    table, _ = read_faers(faers_dir, roles=("I",))
    assert table["drug"].to_list() == ["WARFARIN"] and table["event"].to_list() == ["HAEMORRHAGE"]
    with pytest.raises(InputError, match="role code"):
        read_faers(faers_dir, roles=("XX",))
    (faers_dir / "REAC23Q1.txt").write_text("primaryid$caseid$term\n1$1$x\n")
    with pytest.raises(InputError, match="missing column"):
        read_faers(faers_dir)
    with pytest.raises(InputError, match="no DEMO"):
        read_faers(tmp_path / "nothing.txt")


def test_normalise_drug_names():
    df = pl.DataFrame({"drug": ["  atorvastatin   calcium ", "Metoprolol Succinate.", "IBUPROFEN", "x hcl"]})
    out = normalise_drug_names(df, "drug", {"X": "EX"})["drug"].to_list()
    assert out == ["ATORVASTATIN", "METOPROLOL", "IBUPROFEN", "EX"]


def test_read_caers_and_long(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("id,var1,var2,strat1\n1,Brand X Tablets Sodium,Nausea,F\n2,,Rash,M\n3,Y,Rash,F\n")
    table, report = read_caers(path)
    assert table["drug"].to_list() == ["Brand X Tablets Sodium", "Y"]  # CAERS brand names kept verbatim
    assert report.bad_count == 1 and report.bad_rows[0].line == 3 and "drug" in report.bad_rows[0].reason
    long = tmp_path / "l.parquet"
    pd.DataFrame({"report": [1, 1], "drug": ["a sodium", "b"], "event": ["x", "y"], "sex": ["F", "F"]}).to_parquet(long)
    table, report = read_long(long)
    assert table.columns == ["report", "drug", "event", "sex"] and table["drug"].to_list() == ["A", "B"]
    bad = tmp_path / "bad.csv"
    bad.write_text("report,medicine,event\n1,a,b\n")
    with pytest.raises(InputError, match="missing column"):
        read_long(bad)


@pytest.mark.usefixtures("pharmakon_home")
def test_cli_ingest_then_signals(cli, faers_dir: Path, tmp_path: Path):
    out = tmp_path / "long.parquet"
    res = cli("safety", "ingest", str(faers_dir), "--format", "faers", "-o", str(out), "--json")
    assert res.exit_code == 0, res.stderr
    assert "DEMO23Q1.txt:6" in res.stderr  # bad rows are listed with file and line
    import json

    summary = json.loads(res.stdout)
    assert summary["bad_count"] == 4 and summary["rows_kept"] == 2 and out.exists()
    res = cli("safety", "ingest", str(faers_dir), "--format", "faers", "-o", str(out), "--strict")
    err = " ".join(res.stderr.split())
    assert res.exit_code == 2 and "strict was given" in err and "DEMO23Q1.txt:6" in err  # the first bad rows named
    res = cli(
        "safety", "signals", str(out), "--format", "long", "--method", "prr,ror,ic", "-o", str(tmp_path / "s.csv")
    )
    assert res.exit_code == 0, res.stderr
    assert sorted(pd.read_csv(tmp_path / "s.csv")["drug"]) == ["GLUCOPHAGE", "METFORMIN"]
    syn = tmp_path / "syn.csv"
    syn.write_text("name,canonical\nGlucophage,metformin hydrochloride\n")
    res = cli(
        "safety",
        "signals",
        str(faers_dir),
        "--format",
        "faers",
        "--synonyms",
        str(syn),
        "--method",
        "prr",
        "-o",
        str(tmp_path / "s.csv"),
    )
    assert res.exit_code == 0, res.stderr
    assert pd.read_csv(tmp_path / "s.csv")[["drug", "n"]].values.tolist() == [["METFORMIN", 2]]


def test_read_counts_rejects_bad_rows(tmp_path: Path):
    from pharmakon.trials.safety.ingest import read_counts

    path = tmp_path / "counts.csv"
    path.write_text(
        "drug,event,n,n_drug,n_event,n_total\n"
        "A,X,3,10,20,100\n"
        "B,X,-1,10,20,100\n"
        "C,X,2.5,10,20,100\n"
        "D,X,30,10,20,100\n"
        "E,X,two,10,20,100\n"
        "F,Y,1,5,5,100\n"
    )
    table, report = read_counts(path)
    assert table["drug"].to_list() == ["A", "F"] and table["expected"].to_list() == [2.0, 0.25]
    reasons = {b.line: b.reason for b in report.bad_rows}
    assert reasons[3] == "negative count" and reasons[4] == "non-integer count"
    assert "2x2" in reasons[5] and "non-numeric" in reasons[6] and report.bad_count == 4


def test_counts_format_gives_the_same_scores(caers_counts, caers_expected, tmp_path: Path):
    from pharmakon.trials.safety import MGPSHyper, detect_signals
    from pharmakon.trials.safety.ingest import read_counts

    path = tmp_path / "c.csv"
    caers_counts.to_csv(path, index=False)
    table, report = read_counts(path)
    assert report.bad_count == 0
    with pytest.raises(InputError, match="cannot be stratified"):
        detect_signals(table, methods="prr", strata=["sex"])
    ref = caers_expected["hyperparameters_squashed2_autoHyper"]
    hyper = MGPSHyper(ref["alpha1"], ref["beta1"], ref["alpha2"], ref["beta2"], ref["P"])
    a = detect_signals(table, methods="ebgm,ic", hyper=hyper).table
    assert len(a) == 17189 and int((a["eb05"] >= 2).sum()) == 131  # same pairs and scores as from the reports


@pytest.mark.usefixtures("pharmakon_home")
@pytest.mark.parametrize("content", ["\n", "\n\n\n", "\r\n"])
def test_a_blank_file_is_an_input_error_naming_it(cli, tmp_path: Path, content: str):
    """Only blank lines: exit 2 naming the file, not ``internal error: NoDataError`` (exit 70)."""
    blank = tmp_path / "empty.csv"
    blank.write_text(content)
    res = cli("safety", "signals", str(blank), "--format", "long", "-o", str(tmp_path / "s.csv"))
    assert res.exit_code == 2, res.stderr
    assert f"file {blank}" in res.stderr and "no header line" in res.stderr and "NoDataError" not in res.stderr
    assert not (tmp_path / "s.csv").exists()
    with pytest.raises(InputError, match="no header line"):
        read_long(blank)


@pytest.mark.parametrize(
    ("text", "line", "fields"),
    [
        ("id,var1\n1,A,B\n2,C,D\n", 2, 3),  # a short header: every row has one field more
        ("id,var1,var2\n1,A,B\n2,C,D\n3,E,F,G\n4,H,I\n", 4, 4),  # one long row
    ],
)
def test_a_row_with_more_fields_than_the_header_is_named(tmp_path: Path, text: str, line: int, fields: int):
    path = tmp_path / "caers.csv"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_caers(path)
    message = str(info.value)
    assert f"file {path}, row {line}" in message and f"has {fields} fields" in message
    assert "Schema" not in message  # not the CSV parser's words


def test_a_broken_parquet_file_is_an_input_error(tmp_path: Path):
    path = tmp_path / "reports.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="cannot read as Parquet") as info:
        read_long(path)
    assert str(path) in str(info.value)
