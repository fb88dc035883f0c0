"""FAERS OUTC and THER files: outcome codes per case, therapy dates per drug and time to onset.

* OUTC (``primaryid$caseid$outc_cod``): one row per outcome code of a case version.
  :func:`read_outcomes` returns, per ``primaryid``, the sorted, comma-joined codes
  (``DE`` death, ``LT`` life-threatening, ``HO`` hospitalisation, ``DS`` disability,
  ``CA`` congenital anomaly, ``RI`` required intervention, ``OT`` other serious) and
  ``serious`` = ``Y`` when any valid code is present (FDA: every OUTC code is a
  seriousness criterion), ``N`` otherwise. Unknown codes are bad rows.
* THER (``primaryid$caseid$dsg_drug_seq$start_dt$end_dt$dur$dur_cod``): therapy
  periods of one drug sequence (``drug_seq`` in DRUG). :func:`read_therapy` returns the
  earliest start and latest end per ``(primaryid, drug_seq)``. FAERS dates are
  ``YYYYMMDD`` or partial (``YYYYMM``, ``YYYY``); only full dates are used for time to
  onset, partial ones are kept as missing (a note counts them); an unparseable value is
  a bad row.
* :func:`time_to_onset` - days from therapy start (THER) to the event date (DEMO
  ``event_dt``; standard REAC files carry no date). Negative values (event before
  therapy start, a data-entry problem) are set missing and counted in a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["OUTCOME_CODES", "read_outcomes", "read_therapy", "parse_faers_date", "time_to_onset"]

OUTCOME_CODES = ("DE", "LT", "HO", "DS", "CA", "RI", "OT")


def parse_faers_date(col: str) -> tuple[pl.Expr, pl.Expr]:
    """(full date or null, is-bad flag) for a FAERS date column (``YYYYMMDD``; partial dates -> null, not bad)."""
    s = pl.col(col).cast(pl.Utf8).str.strip_chars()
    full = pl.when(s.str.len_chars() == 8).then(s.str.strptime(pl.Date, "%Y%m%d", strict=False))
    partial_ok = s.str.contains(r"^\d{4}(\d{2})?$")
    bad = (s != "") & s.is_not_null() & ~partial_ok & full.is_null()
    return full, bad


def _report_bad(df: pl.DataFrame, cond: pl.Expr, rep: Any, reason: str) -> pl.DataFrame:
    """Report rows matching ``cond`` (file + line) and return the others."""
    cond = cond.fill_null(False)
    hit = df.filter(cond)
    for (fname,), g in hit.group_by(["file"]):
        rep.add_bad(fname, g["lineno"].to_list(), reason)
    return df.filter(~cond)


def read_outcomes(files: list[Path], rep: Any, read: Any, require: Any) -> pl.DataFrame:
    """``primaryid, outcomes, serious`` from OUTC files (``read``/``require`` are the ingest helpers)."""
    frames = []
    for f in files:
        df = read(f, rep)
        require(df, ["primaryid", "outc_cod"], str(f))
        frames.append(df.select("lineno", "primaryid", "outc_cod").with_columns(pl.lit(f.name).alias("file")))
    outc = pl.concat(frames).with_columns(pl.col("outc_cod").str.strip_chars().str.to_uppercase())
    outc = _report_bad(
        outc,
        ~pl.col("outc_cod").is_in(list(OUTCOME_CODES)),
        rep,
        f"OUTC row with an unknown outc_cod (allowed {list(OUTCOME_CODES)})",
    )
    return (
        outc.select("primaryid", "outc_cod")
        .unique()
        .sort("outc_cod")
        .group_by("primaryid")
        .agg(pl.col("outc_cod").str.join(",").alias("outcomes"))
        .with_columns(pl.lit("Y").alias("serious"))
    )


def read_therapy(files: list[Path], rep: Any, read: Any, require: Any) -> pl.DataFrame:
    """``primaryid, drug_seq, start_dt, end_dt`` (dates; earliest start / latest end per drug sequence)."""
    frames = []
    for f in files:
        df = read(f, rep)
        require(df, ["primaryid", "dsg_drug_seq", "start_dt"], str(f))
        end = pl.col("end_dt") if "end_dt" in df.columns else pl.lit("", pl.Utf8)
        frames.append(
            df.select(
                "lineno",
                "primaryid",
                pl.col("dsg_drug_seq").str.strip_chars().alias("drug_seq"),
                "start_dt",
                end.alias("end_dt"),
            ).with_columns(pl.lit(f.name).alias("file"))
        )
    ther = pl.concat(frames)
    ther = _report_bad(
        ther,
        (pl.col("primaryid").str.strip_chars() == "") | ~pl.col("drug_seq").str.contains(r"^\d+$"),
        rep,
        "THER row without primaryid or a numeric dsg_drug_seq",
    )
    start, bad_start = parse_faers_date("start_dt")
    end, bad_end = parse_faers_date("end_dt")
    ther = ther.with_columns(bad_start.alias("_bs"), bad_end.alias("_be"), start.alias("_s"), end.alias("_e"))
    ther = _report_bad(
        ther, pl.col("_bs") | pl.col("_be"), rep, "THER row with a start_dt/end_dt that is not YYYYMMDD, YYYYMM or YYYY"
    )
    ther = _report_bad(ther, pl.col("_e") < pl.col("_s"), rep, "THER row with end_dt before start_dt")
    partial = ther.filter(pl.col("_s").is_null() & (pl.col("start_dt").str.strip_chars() != "")).height
    if partial:
        rep.notes.append(f"{partial} THER start date(s) are partial (YYYY or YYYYMM): no time to onset for them")
    return ther.group_by("primaryid", "drug_seq").agg(
        pl.col("_s").min().alias("start_dt"), pl.col("_e").max().alias("end_dt")
    )


def time_to_onset(table: pl.DataFrame, ther: pl.DataFrame, rep: Any) -> pl.DataFrame:
    """Add ``therapy_start`` and ``onset_days`` (event date minus therapy start, days) to the joined table.

    ``table`` has ``primaryid``, ``drug_seq`` and ``event_dt`` (a date or null).
    """
    out = table.join(
        ther.select("primaryid", "drug_seq", pl.col("start_dt").alias("therapy_start")),
        on=["primaryid", "drug_seq"],
        how="left",
    )
    onset = (pl.col("event_dt") - pl.col("therapy_start")).dt.total_days()
    out = out.with_columns(onset.alias("onset_days"))
    negative = out.filter(pl.col("onset_days") < 0).select("primaryid", "drug_seq").unique().height
    if negative:
        rep.notes.append(f"{negative} drug sequence(s) have an event date before therapy start: onset set missing")
    return out.with_columns(pl.when(pl.col("onset_days") >= 0).then(pl.col("onset_days")).alias("onset_days"))
