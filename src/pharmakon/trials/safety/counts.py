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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
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
    """Count reports per (drug, event) pair and their expected counts (no Python loops over rows or pairs).

    Parameters
    ----------
    table : pandas.DataFrame, polars.DataFrame/LazyFrame, pyarrow.Table or path
        Long table with columns ``report``, ``drug``, ``event`` and every column in
        ``strata``; a path is scanned as Parquet (only these columns are read).
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

    Notes
    -----
    Every key is first replaced by a dense integer code (drugs and events numbered in
    sorted order, so sorting codes sorts names); the codes of a row are packed into one
    64-bit integer, and each de-duplication the counts need (report-drug-event-stratum,
    report-drug-event, report-drug, ...) is one hash ``unique`` of a 64-bit column, each
    count a ``bincount``. Keys too many to pack (more than 2**63 combinations) take the
    same steps on the code columns instead.
    """
    strata = list(strata)
    rows = _rows(table, strata)
    keys = _encode(rows, strata)
    del rows
    counts = _packed_counts(keys, min_count) if keys.packable else _column_counts(keys, min_count)
    return pd.DataFrame(
        {
            "drug": keys.drugs.gather(counts["d"]).to_numpy(),
            "event": keys.events.gather(counts["e"]).to_numpy(),
            "n": counts["n"].astype(np.int64),
            "expected": counts["expected"].astype(np.float64),
            "n_drug": counts["n_drug"].astype(np.int64),
            "n_event": counts["n_event"].astype(np.int64),
            "n_total": np.full(len(counts["n"]), counts["n_total"], dtype=np.int64),
        }
    )


def _rows(table: Any, strata: list[str]) -> pl.DataFrame:
    """The ``report, drug, event`` + strata columns, rows with a null key dropped; checks columns and strata."""
    lf = _lazy(table)
    cols = lf.collect_schema().names()
    missing = [c for c in (*LONG_COLUMNS, *strata) if c not in cols]
    if missing:
        raise InputError(f"missing column(s) {missing}; have {cols}", field=missing[0])
    rows = lf.select(*LONG_COLUMNS, *strata).drop_nulls(list(LONG_COLUMNS)).collect()
    if strata:
        empty = sum(_blank(rows[c]) for c in strata)
        if empty:
            raise InputError(
                f"{empty} row(s) have an empty stratum value in {strata}; fill or drop them "
                "(e.g. label them 'unknown') before stratifying",
                field=strata[0],
            )
    if rows.height == 0:
        raise InputError("the table has no (report, drug, event) rows", field="report")
    return rows


def _blank(column: pl.Series) -> int:
    """Rows whose value is null or only whitespace (checked on the distinct values, then counted)."""
    values = column.cast(pl.Utf8)
    distinct = values.unique()
    blank = distinct.filter(distinct.is_null() | (distinct.str.strip_chars() == ""))
    return int(values.is_in(blank.implode(), nulls_equal=True).sum()) if blank.len() else 0


@dataclass
class _Keys:
    """Dense integer codes of every row's report, drug, event and stratum (numpy arrays of shape ``(rows,)``)."""

    report: np.ndarray
    drug: np.ndarray
    event: np.ndarray
    stratum: np.ndarray
    drugs: pl.Series  # code -> name (sorted)
    events: pl.Series
    n_reports: int  # report codes lie in [0, n_reports)
    n_strata: int

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        return self.n_reports, len(self.drugs), len(self.events), self.n_strata

    @property
    def packable(self) -> bool:
        r, d, e, s = self.sizes
        return r * d * e * s < 2**63


def _codes(column: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Codes ``0..k-1`` numbering the distinct values in sorted order, and those values (as text)."""
    values = column.cast(pl.Utf8)
    names = values.unique().sort()
    return values.cast(pl.Enum(names)).to_physical().to_numpy().astype(np.int64), names


def _report_codes(column: pl.Series) -> tuple[np.ndarray, int]:
    """Codes of report ids and their range: the id itself when every id is an integer in canonical text."""
    if column.dtype.is_integer():
        ids = column.cast(pl.Int64)
    else:
        text = column.cast(pl.Utf8)
        ids = text.cast(pl.Int64, strict=False)
        if ids.null_count() or not (ids.cast(pl.Utf8) == text).all():  # "007" and "7" are two reports
            codes = text.rank("dense").to_numpy().astype(np.int64) - 1
            return codes, int(codes.max()) + 1
    codes = ids.to_numpy() - ids.min()
    return codes, int(codes.max()) + 1


def _encode(rows: pl.DataFrame, strata: list[str]) -> _Keys:
    report, n_reports = _report_codes(rows["report"])
    drug, drugs = _codes(rows["drug"])
    event, events = _codes(rows["event"])
    stratum, n_strata = np.zeros(rows.height, dtype=np.int64), 1
    for column in strata:  # mixed radix over the strata columns, then numbered densely
        code, size = _dense(_raw_codes(rows[column]))
        stratum, n_strata = _dense(stratum * size + code)
    return _Keys(report, drug, event, stratum, drugs, events, n_reports, n_strata)


def _raw_codes(column: pl.Series) -> np.ndarray:
    """Non-negative integer codes of a stratum column's values, in no particular order."""
    if column.dtype in (pl.Categorical, pl.Enum) or isinstance(column.dtype, (pl.Categorical, pl.Enum)):
        return column.to_physical().to_numpy().astype(np.int64)
    return _codes(column)[0]


def _dense(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber non-negative codes ``0..k-1`` keeping their order (only the codes that occur)."""
    top = int(codes.max()) if codes.size else 0
    if top < 4 * codes.size + 1024:  # small range: a lookup table
        present = np.flatnonzero(np.bincount(codes, minlength=top + 1))
        lookup = np.zeros(top + 1, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        return lookup[codes], int(present.size)
    present = np.sort(_unique(codes))
    return np.searchsorted(present, codes), int(present.size)


def _value_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values in ascending order and how often each occurs (hash group-by, then a sort of the groups)."""
    counted = pl.DataFrame({"v": values}).group_by("v").len("n").sort("v")
    return counted["v"].to_numpy(), counted["n"].to_numpy()


def _unique(values: np.ndarray) -> np.ndarray:
    """Distinct values of a 64-bit integer array (Polars' parallel hash unique; order not kept)."""
    return pl.Series(values).unique().to_numpy()


def _packed_counts(keys: _Keys, min_count: int) -> dict[str, Any]:
    """Counts from one packed 64-bit key per row: ``((report * D + drug) * E + event) * S + stratum``."""
    _, n_d, n_e, n_s = keys.sizes
    full = _unique(((keys.report * n_d + keys.drug) * n_e + keys.event) * n_s + keys.stratum)
    rde = _unique(full // n_s) if n_s > 1 else full  # one row per (report, drug, event)
    report, de = rde // (n_d * n_e), rde % (n_d * n_e)
    drug, event = de // n_e, de % n_e
    pairs, n = _value_counts(de)  # sorted: by drug code, then event code
    keep = n >= min_count
    pairs, n = pairs[keep], n[keep]
    pd_, pe = pairs // n_e, pairs % n_e
    rd, re_ = _unique(report * n_d + drug), _unique(report * n_e + event)
    n_drug = np.bincount(rd % n_d, minlength=n_d)
    n_event = np.bincount(re_ % n_e, minlength=n_e)
    reports = _unique(report)
    n_total = len(reports)
    if n_s == 1:
        expected = n_drug[pd_] * n_event[pe] / n_total
    else:
        rs = _unique(full // (n_d * n_e * n_s) * n_s + full % n_s)  # (report, stratum)
        by_stratum = np.bincount(rs % n_s, minlength=n_s)
        if len(rs) == n_total:  # each report in one stratum: the crude de-duplications serve
            of_report = np.zeros(keys.n_reports, dtype=np.int64)
            of_report[rs // n_s] = rs % n_s
            by_drug = np.bincount((rd % n_d) * n_s + of_report[rd // n_d], minlength=n_d * n_s)
            by_event = np.bincount((re_ % n_e) * n_s + of_report[re_ // n_e], minlength=n_e * n_s)
        else:  # a report in several strata counts in each
            stratum, r_full, de_full = full % n_s, full // (n_s * n_d * n_e), (full // n_s) % (n_d * n_e)
            d_full, e_full = de_full // n_e, de_full % n_e
            by_drug = np.bincount(_unique((r_full * n_d + d_full) * n_s + stratum) % (n_d * n_s), minlength=n_d * n_s)
            by_event = np.bincount(_unique((r_full * n_e + e_full) * n_s + stratum) % (n_e * n_s), minlength=n_e * n_s)
        expected = _stratified_expected(pd_, pe, by_drug.reshape(n_d, n_s), by_event.reshape(n_e, n_s), by_stratum)
    return {
        "d": pd_,
        "e": pe,
        "n": n,
        "expected": expected,
        "n_drug": n_drug[pd_],
        "n_event": n_event[pe],
        "n_total": n_total,
    }


def _stratified_expected(
    drug: np.ndarray, event: np.ndarray, by_drug: np.ndarray, by_event: np.ndarray, by_stratum: np.ndarray
) -> np.ndarray:
    """``sum_s n_drug[d, s] * n_event[e, s] / n_total[s]`` per pair, in blocks of pairs (shape ``(pairs,)``).

    A stratum without the drug or the event adds 0: the sum runs over the strata where
    both occur (openEBGM's rule).
    """
    inverse = 1.0 / by_stratum.astype(float)
    out = np.empty(len(drug))
    block = max(1, 4_000_000 // by_stratum.size)
    for start in range(0, len(drug), block):  # loop over blocks of pairs, for memory
        d, e = drug[start : start + block], event[start : start + block]
        out[start : start + block] = (by_drug[d] * by_event[e]) @ inverse
    return out


def _column_counts(keys: _Keys, min_count: int) -> dict[str, Any]:
    """The same counts as :func:`_packed_counts` with the codes as separate Polars columns (any key range)."""
    u = pl.DataFrame({"r": keys.report, "d": keys.drug, "e": keys.event, "s": keys.stratum}).unique()
    p = u.select("r", "d", "e").unique()
    pairs = p.group_by("d", "e").len("n").filter(pl.col("n") >= min_count).sort("d", "e")
    n_drug = np.bincount(p.select("r", "d").unique()["d"].to_numpy(), minlength=len(keys.drugs))
    n_event = np.bincount(p.select("r", "e").unique()["e"].to_numpy(), minlength=len(keys.events))
    n_total = p["r"].n_unique()
    d, e = pairs["d"].to_numpy(), pairs["e"].to_numpy()
    if keys.n_strata > 1:
        ds = u.select("r", "d", "s").unique()
        es = u.select("r", "e", "s").unique()
        rs = u.select("r", "s").unique()
        n_s = keys.n_strata
        by_drug = np.bincount(ds["d"].to_numpy() * n_s + ds["s"].to_numpy(), minlength=len(keys.drugs) * n_s)
        by_event = np.bincount(es["e"].to_numpy() * n_s + es["s"].to_numpy(), minlength=len(keys.events) * n_s)
        by_stratum = np.bincount(rs["s"].to_numpy(), minlength=n_s)
        expected = _stratified_expected(d, e, by_drug.reshape(-1, n_s), by_event.reshape(-1, n_s), by_stratum)
    else:
        expected = n_drug[d] * n_event[e] / n_total
    return {
        "d": d,
        "e": e,
        "n": pairs["n"].to_numpy(),
        "expected": expected,
        "n_drug": n_drug[d],
        "n_event": n_event[e],
        "n_total": n_total,
    }


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
