"""The signal table: counts, all four disproportionality methods, thresholds and ranking.

:func:`detect_signals` takes the long table (``report, drug, event`` + strata) made by
:mod:`pharmakon.trials.safety.ingest`, counts pairs in DuckDB, fits MGPS (squashing
like openEBGM's ``autoSquash`` when there are more than ``squash_above`` pairs) and
returns a :class:`SignalTable`. Default signal criteria (each a boolean column):

* ``signal_ebgm``: EB05 >= 2 (Szarfman et al. 2002);
* ``signal_prr``: PRR >= 2, chi2 >= 4 and N >= 3 (Evans et al. 2001);
* ``signal_ror``: lower 95 % bound of ROR > 1 and N >= 3;
* ``signal_ic``: IC025 > 0 (Norén et al. 2013).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError
from pharmakon.files import atomic_open
from pharmakon.trials.safety.counts import pair_counts, pair_serious
from pharmakon.trials.safety.csv_out import csv_bytes
from pharmakon.trials.safety.disproportionality import disproportionality, two_by_two
from pharmakon.trials.safety.mgps import ConvergenceWarning, MGPSHyper, auto_squash, fit_mgps, mgps_posterior

__all__ = [
    "METHODS",
    "SIGNAL_COLUMNS",
    "SignalTable",
    "detect_signals",
    "parse_methods",
    "pair_detail",
    "write_csv_atomic",
]

METHODS = ("ebgm", "prr", "ror", "ic")
#: Columns the ``safety signals`` contract guarantees, in this order.
SIGNAL_COLUMNS = [
    "drug",
    "event",
    "n",
    "expected",
    "prr",
    "ror",
    "ror_lower",
    "ror_upper",
    "ic",
    "ic025",
    "ebgm",
    "eb05",
    "eb95",
]


def parse_methods(methods: str | Sequence[str]) -> tuple[str, ...]:
    """``"ebgm,prr"`` or a list -> validated tuple; unknown names list the allowed ones."""
    items = [m.strip().lower() for m in (methods.split(",") if isinstance(methods, str) else methods) if m.strip()]
    unknown = [m for m in items if m not in METHODS]
    if unknown or not items:
        raise InputError(f"unknown method(s) {unknown or items}; choose from {list(METHODS)}", field="method")
    return tuple(dict.fromkeys(items))


@dataclass
class SignalTable:
    """Result of :func:`detect_signals`: one row per (drug, event) pair plus the fit's provenance."""

    table: pd.DataFrame
    methods: tuple[str, ...]
    strata: tuple[str, ...] = ()
    hyper: MGPSHyper | None = None
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        flagged = int(self.table.filter(like="signal_").any(axis=1).sum())
        return (
            f"SignalTable({len(self.table)} pairs, methods={','.join(self.methods)}, "
            f"strata={list(self.strata)}, {flagged} flagged by any method)"
        )

    def signals(self, method: str | None = None) -> pd.DataFrame:
        """Rows flagged by ``method`` (or by any method), ranked by EB05 / IC025 / PRR."""
        cols = [f"signal_{method}"] if method else [c for c in self.table if c.startswith("signal_")]
        flagged = self.table[self.table[cols].any(axis=1)]
        return flagged.sort_values(_rank_column(self.methods), ascending=False)

    def summary(self) -> dict[str, Any]:
        """Counts of pairs and flagged pairs per method, and the MGPS fit (JSON-ready)."""
        out: dict[str, Any] = {
            "pairs": len(self.table),
            "reports": int(self.table["n_total"].iloc[0]) if len(self.table) else 0,
            "methods": list(self.methods),
            "strata": list(self.strata),
            "flagged": {m: int(self.table[f"signal_{m}"].sum()) for m in self.methods},
            "notes": self.notes,
        }
        if self.hyper is not None:
            out["hyper"] = {k: v for k, v in self.hyper.to_dict().items() if k != "starts"}
        return out

    def contract_frame(self) -> pd.DataFrame:
        """The table with the contract columns (:data:`SIGNAL_COLUMNS`) first, then the rest."""
        front = [c for c in SIGNAL_COLUMNS if c in self.table]
        rest = [c for c in self.table if c not in front]
        return self.table[front + rest]

    def to_csv(self, path: str | Path) -> Path:
        """Write the contract columns (then the rest) atomically; returns the path.

        The file's bytes are those of :meth:`to_csv_bytes`.
        """
        return write_csv_atomic(self.contract_frame(), path)

    def to_csv_bytes(self) -> bytes:
        """The CSV :meth:`to_csv` writes, in memory (UTF-8, ``\\n`` line ends)."""
        return csv_bytes(self.contract_frame())


def _rank_column(methods: Sequence[str]) -> str:
    return {"ebgm": "eb05", "ic": "ic025", "prr": "prr", "ror": "ror_lower"}[methods[0]]


def write_csv_atomic(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` to ``path`` all or nothing (:func:`pharmakon.files.atomic_open`; ``\\n`` line ends).

    The bytes are pandas' ``to_csv`` (:func:`~pharmakon.trials.safety.csv_out.csv_bytes`).
    """
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        fh.write(csv_bytes(df))
    return path


def detect_signals(
    table: Any,
    *,
    methods: str | Sequence[str] = METHODS,
    strata: Sequence[str] = (),
    hyper: MGPSHyper | None = None,
    squash: bool | None = None,
    squash_above: int = 20_000,
) -> SignalTable:
    """Count pairs and score them with the requested methods.

    Parameters
    ----------
    table : pandas/polars DataFrame, pyarrow Table or Parquet path
        Long table ``report, drug, event`` and the ``strata`` columns, or pre-aggregated
        counts ``drug, event, n, expected, n_drug, n_event, n_total`` (:func:`read_counts`).
    methods : str or sequence of {"ebgm", "prr", "ror", "ic"}
    strata : sequence of str
        Stratify expected counts (MGPS and IC) by these columns; PRR/ROR use the crude 2x2 table.
    hyper : MGPSHyper, optional
        Use these hyper-parameters instead of fitting.
    squash : bool, optional
        Fit on squashed data (openEBGM ``autoSquash`` rules); default: when pairs > ``squash_above``.

    Returns
    -------
    SignalTable

    Examples
    --------
    >>> from pharmakon.trials.safety.synthetic import make_reports
    >>> synth = make_reports(20_000, n_drugs=100, n_events=50, n_signals=3, seed=1)
    >>> result = detect_signals(synth.rows, methods="ebgm,prr", strata=["sex"])
    >>> list(result.table.columns[:4])
    ['drug', 'event', 'n', 'expected']
    """
    methods = parse_methods(methods)
    cols = table.columns if hasattr(table, "columns") else []
    if "n" in cols and "n_total" in cols and "report" not in cols:  # pre-aggregated (read_counts)
        if strata:
            raise InputError("pre-aggregated counts cannot be stratified; give the report-level table", field="strata")
        counts = pd.DataFrame(table.to_pandas() if hasattr(table, "to_pandas") else table)
    else:
        counts = pair_counts(table, strata)
        serious = pair_serious(table)
        if serious is not None:
            counts = counts.merge(serious, on=["drug", "event"], how="left")
    notes: list[str] = []
    out = disproportionality(counts, tuple(m for m in methods if m != "ebgm"))
    fitted = None
    if "ebgm" in methods:
        n, e = out["n"].to_numpy(), out["expected"].to_numpy()
        if hyper is None:
            use_squash = len(out) > squash_above if squash is None else squash
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                if use_squash:
                    fitted = fit_mgps(*auto_squash(n, e), squashed=True)
                else:
                    fitted = fit_mgps(n, e)
            notes += [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
        else:
            fitted = hyper
        post = mgps_posterior(n, e, fitted)
        out["ebgm"], out["eb05"], out["eb95"] = post["ebgm"], post["eb05"], post["eb95"]
        out["signal_ebgm"] = out["eb05"] >= 2
    if "prr" in methods:
        out["signal_prr"] = (out["prr"] >= 2) & (out["chi2"] >= 4) & (out["n"] >= 3)
    if "ror" in methods:
        out["signal_ror"] = (out["ror_lower"] > 1) & (out["n"] >= 3)
    if "ic" in methods:
        out["signal_ic"] = out["ic025"] > 0
    out = out.sort_values(_rank_column(methods), ascending=False, kind="stable").reset_index(drop=True)
    return SignalTable(out, methods, tuple(strata), fitted, notes)


def pair_detail(
    table: Any, drug: str, event: str, *, hyper: MGPSHyper | None = None, strata: Sequence[str] = ()
) -> dict[str, Any]:
    """Drill-down for one pair: the 2x2 table, counts by stratum and the trend by quarter.

    The trend (when the table has a ``quarter`` column) is cumulative: at each quarter
    the pair count, the crude expected count and, with ``hyper``, EBGM/EB05/EB95 computed
    from all reports up to and including that quarter.

    With an ``onset_days`` column (FAERS THER + DEMO ``event_dt``) the time to onset of
    the pair's reports (one value per report: its shortest onset) is summarised as
    ``onset`` (count, missing, median, quartiles, range, histogram by day bands); with an
    ``outcomes`` column (FAERS OUTC codes) ``outcomes`` counts the pair's reports per code.

    Returns
    -------
    dict
        ``two_by_two`` (a, b, c, d), ``strata`` (list of rows), ``trend`` (list of rows),
        and ``onset`` / ``outcomes`` when the table carries them.
    """
    import duckdb

    con = duckdb.connect()
    con.register("src", table)
    cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM src").fetchall()]
    params = [drug, event]
    base = """SELECT report, max(CASE WHEN drug = ? THEN 1 ELSE 0 END) AS hd,
                     max(CASE WHEN event = ? THEN 1 ELSE 0 END) AS he {extra}
              FROM src GROUP BY report{group}"""
    one = con.execute(
        f"SELECT sum(hd*he), sum(hd), sum(he), count(*) FROM ({base.format(extra='', group='')})", params
    ).fetchone()
    if not one[1] or not one[2]:
        raise InputError(f"no report names drug {drug!r} and event {event!r}", field="drug")
    a, b, c, d = (float(x[0]) for x in two_by_two(*[np.array([v]) for v in one]))
    detail: dict[str, Any] = {
        "drug": drug,
        "event": event,
        "two_by_two": {"a": a, "b": b, "c": c, "d": d},
        "strata": [],
        "trend": [],
    }
    for col in [s for s in strata if s in cols]:
        rows = con.execute(
            f"""SELECT "{col}" AS value, sum(hd*he) AS n, sum(hd) * sum(he) / count(*) AS expected,
                   count(*) AS reports FROM ({base.format(extra=f', any_value("{col}") AS "{col}"', group="")})
                   GROUP BY 1 ORDER BY 1""",
            params,
        ).df()
        detail["strata"] += [{"stratum": col, **r} for r in json.loads(rows.to_json(orient="records"))]
    if "onset_days" in cols:
        detail["onset"] = _onset_summary(con, drug, event)
    if "outcomes" in cols:
        oc = con.execute(
            """SELECT code, count(DISTINCT report) AS reports FROM (SELECT report,
                   unnest(string_split(outcomes, ',')) AS code FROM src WHERE drug = ? AND event = ?
                   AND outcomes IS NOT NULL) WHERE code <> '' GROUP BY 1 ORDER BY 2 DESC, 1""",
            params,
        ).fetchall()
        detail["outcomes"] = [{"code": c, "reports": int(k)} for c, k in oc]
    if "quarter" in cols:
        q = con.execute(
            f"""SELECT quarter, sum(hd*he) AS n, sum(hd) AS nd, sum(he) AS ne, count(*) AS nt FROM
                 ({base.format(extra=", min(quarter) AS quarter", group="")}) GROUP BY 1 ORDER BY 1""",
            params,
        ).df()
        cum = q[["n", "nd", "ne", "nt"]].cumsum()
        trend = pd.DataFrame({"quarter": q["quarter"], "n": cum["n"], "expected": cum["nd"] * cum["ne"] / cum["nt"]})
        if hyper is not None:
            ok = trend["expected"] > 0
            post = mgps_posterior(trend["n"].to_numpy(), trend["expected"].where(ok, np.nan).to_numpy(), hyper)
            for k in ("ebgm", "eb05", "eb95"):
                trend[k] = np.where(ok, post[k], np.nan)
        detail["trend"] = json.loads(trend.to_json(orient="records"))
    con.close()
    return detail


#: Day bands of the time-to-onset histogram (lower bound inclusive, upper exclusive).
ONSET_BANDS = (
    (0, 8, "0-7 d"),
    (8, 31, "8-30 d"),
    (31, 91, "31-90 d"),
    (91, 181, "91-180 d"),
    (181, 366, "181-365 d"),
    (366, None, "> 365 d"),
)


def _onset_summary(con: Any, drug: str, event: str) -> dict[str, Any]:
    """Time to onset (days) of one pair's reports: per report the shortest non-missing onset."""
    per = con.execute(
        """SELECT report, min(onset_days) AS d FROM src WHERE drug = ? AND event = ?
                         GROUP BY report""",
        [drug, event],
    ).df()
    d = per["d"].dropna().to_numpy(dtype=float)
    out: dict[str, Any] = {"reports": len(per), "with_onset": int(d.size), "missing": int(len(per) - d.size)}
    if d.size:
        q = np.quantile(d, [0.0, 0.25, 0.5, 0.75, 1.0])
        out.update(min=q[0], q1=q[1], median=q[2], q3=q[3], max=q[4])
        out["histogram"] = [
            {"band": label, "reports": int(((d >= lo) & (d < (hi if hi else np.inf))).sum())}
            for lo, hi, label in ONSET_BANDS
        ]
    return out
