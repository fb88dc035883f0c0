"""Report-level counting of drug-event pairs and (stratified) expected counts, in Polars.

Counting follows openEBGM's ``processRaw``: a report counts once per drug, per event
and per (drug, event) pair however many rows repeat it. For a pair, ``n`` is the
number of reports naming both; ``n_drug``/``n_event`` the reports naming the drug /
the event; ``n_total`` all reports. The expected count under independence is

``expected = sum_s n_drug_s * n_event_s / n_total_s``

over strata ``s`` (one stratum when no strata are given). A report's strata are taken
from its rows; a report with conflicting strata values is counted in each (as
openEBGM does, since it counts unique (id, stratum) rows). No Python loop touches pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from pharmakon.errors import InputError

__all__ = ["pair_counts", "pair_serious", "LONG_COLUMNS"]

#: Columns of the generic long table every reader produces.
LONG_COLUMNS = ("report", "drug", "event")


def _lazy(table: Any) -> pl.LazyFrame:
    if isinstance(table, (str, Path)):
        return pl.scan_parquet(table)
    if isinstance(table, pl.LazyFrame):
        return table
    if isinstance(table, pl.DataFrame):
        return table.lazy()
    if isinstance(table, pd.DataFrame):
        return pl.from_pandas(table).lazy()
    return pl.from_arrow(table).lazy()  # pyarrow.Table


def pair_counts(table: Any, strata: Sequence[str] = (), *, min_count: int = 1) -> pd.DataFrame:
    """Count reports per (drug, event) pair and their expected counts (Polars, no Python loops).

    Parameters
    ----------
    table : pandas.DataFrame, polars.DataFrame/LazyFrame, pyarrow.Table or path
        Long table with columns ``report``, ``drug``, ``event`` and every column in
        ``strata``; a path is scanned as Parquet.
    strata : sequence of str
        Columns whose combinations define strata for the expected count (e.g. sex, age band).
    min_count : int, default 1
        Keep pairs with at least this many reports.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``drug, event, n, expected, n_drug, n_event, n_total`` (the
        last three unstratified, for the 2x2 table), sorted by drug then event.

    Raises
    ------
    InputError
        A required column is missing, a stratum value is empty, or the table is empty.
    """
    lf = _lazy(table)
    cols = lf.collect_schema().names()
    missing = [c for c in (*LONG_COLUMNS, *strata) if c not in cols]
    if missing:
        raise InputError(f"missing column(s) {missing}; have {cols}", field=missing[0])
    strata = list(strata)
    lf = lf.select(*LONG_COLUMNS, *strata).with_columns(pl.col("drug", "event").cast(pl.Utf8))
    if strata:
        empty = (
            lf.select(
                pl.any_horizontal(
                    [pl.col(c).is_null() | (pl.col(c).cast(pl.Utf8).str.strip_chars() == "") for c in strata]
                ).sum()
            )
            .collect()
            .item()
        )
        if empty:
            raise InputError(
                f"{empty} row(s) have an empty stratum value in {strata}; fill or drop them "
                "(e.g. label them 'unknown') before stratifying",
                field=strata[0],
            )
    u = lf.drop_nulls(list(LONG_COLUMNS)).unique([*LONG_COLUMNS, *strata]).collect()
    if u.height == 0:
        raise InputError("the table has no (report, drug, event) rows", field="report")
    pairs = u.unique(list(LONG_COLUMNS)).group_by("drug", "event").len("n").filter(pl.col("n") >= min_count)
    n_drug = u.select("report", "drug").unique().group_by("drug").len("n_drug")
    n_event = u.select("report", "event").unique().group_by("event").len("n_event")
    n_total = u.select(pl.col("report").n_unique()).item()
    out = pairs.join(n_drug, on="drug").join(n_event, on="event").with_columns(pl.lit(n_total).alias("n_total"))
    if strata:
        ds = u.select("report", "drug", *strata).unique().group_by("drug", *strata).len("nd")
        es = u.select("report", "event", *strata).unique().group_by("event", *strata).len("ne")
        ts = u.select("report", *strata).unique().group_by(*strata).len("nt")
        # every stratum in which both the drug and the event occur contributes (openEBGM's rule)
        pe = (
            pairs.select("drug", "event")
            .join(ds, on="drug")
            .join(es, on=["event", *strata])
            .join(ts, on=strata)
            .group_by("drug", "event")
            .agg((pl.col("nd") * pl.col("ne") / pl.col("nt")).sum().alias("expected"))
        )
        out = out.join(pe, on=["drug", "event"], how="left")
    else:
        out = out.with_columns((pl.col("n_drug") * pl.col("n_event") / pl.col("n_total")).alias("expected"))
    out = out.select(
        "drug",
        "event",
        pl.col("n").cast(pl.Int64),
        pl.col("expected").cast(pl.Float64),
        *[pl.col(c).cast(pl.Int64) for c in ("n_drug", "n_event", "n_total")],
    ).sort("drug", "event")
    return out.to_pandas()


def pair_serious(table: Any) -> pd.DataFrame | None:
    """Serious reports per pair from a ``serious`` (Y/N) column, e.g. FAERS OUTC; None without one.

    Returns
    -------
    pandas.DataFrame or None
        ``drug, event, n_serious`` (reports of the pair with ``serious == "Y"``) and
        ``serious`` (True when ``n_serious > 0``); None when the table has no ``serious``
        column or it holds only ``unknown``.
    """
    if hasattr(table, "columns") and "serious" not in list(table.columns):
        return None  # cheap exit without converting the table
    lf = _lazy(table)
    if "serious" not in lf.collect_schema().names():
        return None
    u = lf.select(*LONG_COLUMNS, pl.col("serious").cast(pl.Utf8)).drop_nulls(list(LONG_COLUMNS)).collect()
    if not u["serious"].is_in(["Y", "N"]).any():
        return None
    per = u.group_by(*LONG_COLUMNS).agg((pl.col("serious") == "Y").any().alias("s"))
    out = per.group_by("drug", "event").agg(pl.col("s").sum().cast(pl.Int64).alias("n_serious"))
    return out.with_columns((pl.col("n_serious") > 0).alias("serious")).to_pandas()
