"""Edit checks of a data review: rules over SDTM (and ADSL) that each raise queries with evidence.

Every check takes the domains (upper-case name -> table, as :mod:`.io` reads them) and
returns a frame with the query columns ``domain, usubjid, seq, variable, rule,
evidence`` (``seq`` the record's --SEQ, NaN for a subject-level query; ``evidence`` a
dict of the values that raised it). Dates are compared at day precision; partial dates
are left to the ISO 8601 check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.trials.cdisc.validate import iso8601_valid

__all__ = ["QUERY_COLUMNS", "CHECKS", "PHYSIOLOGIC_RANGES", "ReviewParams", "run_checks", "day"]

QUERY_COLUMNS = ["domain", "usubjid", "seq", "variable", "rule", "evidence"]
#: Plausible standardised values (low, high) of vital signs; outside is an impossible value.
PHYSIOLOGIC_RANGES: dict[str, tuple[float, float]] = {
    "SYSBP": (50, 300),
    "DIABP": (20, 200),
    "PULSE": (20, 250),
    "RESP": (4, 80),
    "TEMP": (30, 45),
    "WEIGHT": (20, 300),
    "HEIGHT": (100, 230),
}
#: Topic and timing variables that identify one observation (duplicates share them all).
_IDENTITY = (
    "TESTCD",
    "TERM",
    "TRT",
    "DTC",
    "STDTC",
    "ENDTC",
    "POS",
    "LOC",
    "TPTNUM",
    "CAT",
    "SCAT",
    "SPID",
    "SEV",
    "DOSE",
)


class ReviewParams:
    """Thresholds of the checks (see ``ReviewSpec`` for their bounds and meaning)."""

    def __init__(
        self,
        *,
        visit_window_days: float = 14.0,
        weight_change: float = 0.10,
        protocol_doses: dict[str, list[float]] | None = None,
        dose_min_share: float = 0.20,
        rare_unit_share: float = 0.02,
    ) -> None:
        self.visit_window_days = visit_window_days
        self.weight_change = weight_change
        self.protocol_doses = protocol_doses
        self.dose_min_share = dose_min_share
        self.rare_unit_share = rare_unit_share


def day(values: pd.Series) -> pd.Series:
    """Complete dates (the first 10 characters of ISO 8601 text) as timestamps; others NaT."""
    text = values.astype(object).where(values.notna(), None).astype(str).str.slice(0, 10)
    return pd.to_datetime(text.where(text.str.len() == 10, None), errors="coerce", format="%Y-%m-%d")


def _queries(
    frame: pd.DataFrame, domain: str, variable: str, rule: str, evidence: Callable[[pd.Series], dict[str, Any]]
) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=QUERY_COLUMNS)
    seq = frame[f"{domain}SEQ"] if f"{domain}SEQ" in frame else pd.Series(np.nan, index=frame.index)
    return pd.DataFrame(
        {
            "domain": domain,
            "usubjid": frame["USUBJID"].astype(str),
            "seq": seq.astype(float),
            "variable": variable,
            "rule": rule,
            "evidence": [evidence(r) for _, r in frame.iterrows()],
        }
    )


def _plain(value: Any) -> Any:
    """A JSON-ready scalar."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def _ev(row: pd.Series, *names: str, **extra: Any) -> dict[str, Any]:
    return {**{n: _plain(row.get(n)) for n in names}, **{k: _plain(v) for k, v in extra.items()}}


def check_invalid_dates(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``invalid_date``: a --DTC value that is not ISO 8601 or not a calendar date (2014-02-30)."""
    out = []
    for name, frame in d.items():
        if "USUBJID" not in frame:
            continue
        for col in (c for c in frame.columns if c.endswith("DTC")):
            bad = frame[~iso8601_valid(frame[col])]
            out.append(_queries(bad, name, col, "invalid_date", lambda r, c=col: _ev(r, c)))
    return out


def check_dates_in_order(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``end_before_start``: --ENDTC before --STDTC in the same record."""
    out = []
    for name, frame in d.items():
        st, en = f"{name}STDTC", f"{name}ENDTC"
        if {st, en, "USUBJID"} <= set(frame):
            bad = frame[day(frame[en]) < day(frame[st])]
            out.append(_queries(bad, name, en, "end_before_start", lambda r, s=st, e=en: _ev(r, s, e)))
    return out


def _first_dose(d: dict[str, pd.DataFrame]) -> pd.Series | None:
    ex = d.get("EX")
    if ex is not None and {"USUBJID", "EXSTDTC"} <= set(ex):
        return ex.assign(_d=day(ex["EXSTDTC"])).groupby("USUBJID")["_d"].min()
    return None


def check_ae_before_dose(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``ae_before_first_dose``: an AE starting before the subject's first EX dose."""
    ae, first = d.get("AE"), _first_dose(d)
    if ae is None or first is None or "AESTDTC" not in ae:
        return []
    dose = ae["USUBJID"].map(first)
    bad = ae.assign(_dose=dose)[day(ae["AESTDTC"]) < dose]
    return [
        _queries(
            bad, "AE", "AESTDTC", "ae_before_first_dose", lambda r: _ev(r, "AETERM", "AESTDTC", first_dose=r["_dose"])
        )
    ]


def check_impossible_values(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``impossible_value``: vital signs outside physiologic ranges, negative lab results, age outside 0-120."""
    out = []
    vs = d.get("VS")
    if vs is not None and {"VSTESTCD", "VSSTRESN"} <= set(vs):
        lo = vs["VSTESTCD"].map(lambda t: PHYSIOLOGIC_RANGES.get(t, (-np.inf, np.inf))[0])
        hi = vs["VSTESTCD"].map(lambda t: PHYSIOLOGIC_RANGES.get(t, (-np.inf, np.inf))[1])
        bad = vs.assign(_lo=lo, _hi=hi)[(vs["VSSTRESN"] < lo) | (vs["VSSTRESN"] > hi)]
        out.append(
            _queries(
                bad,
                "VS",
                "VSSTRESN",
                "impossible_value",
                lambda r: _ev(r, "VSTESTCD", "VSSTRESN", "VSSTRESU", low=r["_lo"], high=r["_hi"]),
            )
        )
    lb = d.get("LB")
    if lb is not None and "LBSTRESN" in lb:
        out.append(
            _queries(
                lb[lb["LBSTRESN"] < 0],
                "LB",
                "LBSTRESN",
                "impossible_value",
                lambda r: _ev(r, "LBTESTCD", "LBSTRESN", "LBSTRESU"),
            )
        )
    dm = d.get("DM")
    if dm is not None and "AGE" in dm:
        bad = dm[(dm["AGE"] < 0) | (dm["AGE"] > 120)]
        out.append(_queries(bad, "DM", "AGE", "impossible_value", lambda r: _ev(r, "AGE", "BRTHDTC")))
    return out


def check_units(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``unit_mismatch``: a standard unit (--STRESU) other than the test's usual one, or a rare original unit.

    Standard units are one per test by design; original units (--ORRESU) may vary by
    local lab, so only one that fewer than ``rare_unit_share`` of the test's records use
    is queried.
    """
    out = []
    for name in ("LB", "VS"):
        frame = d.get(name)
        tc = f"{name}TESTCD"
        if frame is None or tc not in frame:
            continue
        for unit, rare in ((f"{name}STRESU", None), (f"{name}ORRESU", p.rare_unit_share)):
            if unit not in frame:
                continue
            known = frame.dropna(subset=[unit])
            if rare is None:
                usual = known.groupby(tc)[unit].agg(lambda s: s.value_counts().index[0])
                expected = frame[tc].map(usual)
                bad_mask = frame[unit].notna() & expected.notna() & (frame[unit] != expected)
            else:
                share = known.groupby(tc)[unit].value_counts(normalize=True)
                keys = pd.MultiIndex.from_frame(frame[[tc, unit]].astype(object))
                row_share = pd.Series(share.reindex(keys).to_numpy(), index=frame.index)
                expected = frame[tc].map(known.groupby(tc)[unit].agg(lambda s: s.value_counts().index[0]))
                bad_mask = frame[unit].notna() & (row_share < rare)
            bad = frame.assign(_u=expected)[bad_mask]
            out.append(
                _queries(
                    bad,
                    name,
                    unit,
                    "unit_mismatch",
                    lambda r, n=name, u=unit: _ev(r, f"{n}TESTCD", f"{n}ORRES", f"{n}STRESN", u, usual_unit=r["_u"]),
                )
            )
    return out


def check_duplicates(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``duplicate_record``: records of one subject with the same topic, timing and result (all copies)."""
    out = []
    for name, frame in d.items():
        if f"{name}SEQ" not in frame or "USUBJID" not in frame:
            continue
        ident = ["USUBJID", "VISITNUM"] + [f"{name}{s}" for s in _IDENTITY] + [f"{name}ORRES", f"{name}STRESN"]
        cols = [c for c in dict.fromkeys(ident) if c in frame]
        if len(cols) < 3:
            continue
        dup = frame[frame.duplicated(cols, keep=False)]
        if dup.empty:
            continue
        dup = dup.assign(_of=dup.groupby(cols, dropna=False)[f"{name}SEQ"].transform("min"))
        out.append(
            _queries(
                dup, name, f"{name}SEQ", "duplicate_record", lambda r, c=cols: _ev(r, *c[1:], duplicate_of_seq=r["_of"])
            )
        )
    return out


def check_weight_jump(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``weight_jump``: a weight differing from the subject's median weight by more than ``weight_change``."""
    vs = d.get("VS")
    if vs is None or not {"VSTESTCD", "VSSTRESN"} <= set(vs):
        return []
    w = vs[(vs["VSTESTCD"] == "WEIGHT") & vs["VSSTRESN"].notna()]
    median = w.groupby("USUBJID")["VSSTRESN"].transform("median")
    change = w["VSSTRESN"] / median - 1
    bad = w.assign(_m=median, _c=change)[change.abs() > p.weight_change]
    return [
        _queries(
            bad,
            "VS",
            "VSSTRESN",
            "weight_jump",
            lambda r: _ev(
                r, "VISIT", "VSDTC", "VSSTRESN", subject_median_kg=r["_m"], relative_change=round(r["_c"], 3)
            ),
        )
    ]


def _study_day(dates: pd.Series, start: pd.Series) -> pd.Series:
    """SDTM study day: day 1 is the reference start, no day 0."""
    delta = (dates - start).dt.days
    return delta + (delta >= 0)


def _anchor(sv: pd.DataFrame, planned: pd.Series) -> pd.Series:
    """Day 1 of subjects without RFSTDTC (screen failures): the median of visit date minus planned offset.

    The median over a subject's visits is not moved by one misdated visit.
    """
    plan = sv["VISITNUM"].map(planned)
    offset = plan.where(plan < 0, plan - 1)  # SDTM has no day 0
    implied = day(sv["SVSTDTC"]) - pd.to_timedelta(offset, unit="D")
    return implied.groupby(sv["USUBJID"]).median()


def check_visit_windows(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``visit_out_of_window``: a visit or an assessment dated more than ``visit_window_days`` from where it belongs.

    A visit (SV) belongs at its planned day (TV's VISITDY, else the record's), counted
    as an SDTM study day from DM's RFSTDTC; an assessment (LB, VS) on the date its visit
    took place in SV (or, without SV, at the planned day). Visits without a planned day
    are skipped. Subjects without RFSTDTC (screen failures) are placed by their visits
    (:func:`_anchor`).
    """
    dm, out = d.get("DM"), []
    if dm is None or "RFSTDTC" not in dm:
        return []
    start = day(dm.set_index("USUBJID")["RFSTDTC"])
    tv, sv = d.get("TV"), d.get("SV")
    planned = None
    if tv is not None and "VISITDY" in tv:
        planned = tv.dropna(subset=["VISITDY"]).drop_duplicates("VISITNUM").set_index("VISITNUM")["VISITDY"]
    if sv is not None and planned is not None and {"SVSTDTC", "VISITNUM"} <= set(sv):
        start = start.fillna(_anchor(sv, planned))
    visit_day = None
    if sv is not None and {"SVSTDTC", "VISITNUM"} <= set(sv):
        sv_days = _study_day(day(sv["SVSTDTC"]), sv["USUBJID"].map(start))
        visit_day = pd.Series(sv_days.to_numpy(), index=pd.MultiIndex.from_frame(sv[["USUBJID", "VISITNUM"]]))
        visit_day = visit_day[~visit_day.index.duplicated()]
    for name, date_col in (("SV", "SVSTDTC"), ("LB", "LBDTC"), ("VS", "VSDTC")):
        frame = d.get(name)
        if frame is None or not {date_col, "VISITNUM", "USUBJID"} <= set(frame):
            continue
        plan = frame["VISITNUM"].map(planned) if planned is not None else frame.get("VISITDY")
        if plan is None:
            continue
        if name != "SV" and visit_day is not None:
            keys = pd.MultiIndex.from_frame(frame[["USUBJID", "VISITNUM"]])
            plan = pd.Series(visit_day.reindex(keys).to_numpy(), index=frame.index).where(plan.notna())
        actual = _study_day(day(frame[date_col]), frame["USUBJID"].map(start))
        dev = actual - plan
        bad = frame.assign(_p=plan, _a=actual)[dev.abs() > p.visit_window_days]
        what = "planned_day" if name == "SV" or visit_day is None else "visit_study_day"
        out.append(
            _queries(
                bad,
                name,
                date_col,
                "visit_out_of_window",
                lambda r, c=date_col, w=what: _ev(r, "VISIT", c, **{w: r["_p"]}, study_day=r["_a"]),
            )
        )
    return out


def check_disposition(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``disposition_mismatch``: the last DS disposition event disagrees with ADSL (DCDECOD, or EOSSTT completed/not)."""
    ds, adsl = d.get("DS"), d.get("ADSL")
    if ds is None or adsl is None or not {"DSCAT", "DSDECOD"} <= set(ds) or "USUBJID" not in adsl:
        return []
    events = ds[ds["DSCAT"] == "DISPOSITION EVENT"]
    last = events.sort_values(["USUBJID", "DSSEQ"]).groupby("USUBJID").tail(1)
    ref = adsl.set_index("USUBJID")
    decod = last["USUBJID"].map(ref["DCDECOD"]) if "DCDECOD" in ref else pd.Series(None, index=last.index)
    status = last["USUBJID"].map(ref["EOSSTT"]) if "EOSSTT" in ref else pd.Series(None, index=last.index)
    wrong = decod.notna() & (last["DSDECOD"] != decod)
    wrong |= status.notna() & ((status == "COMPLETED") != (last["DSDECOD"] == "COMPLETED"))
    bad = last.assign(_a=decod, _s=status)[wrong]
    return [
        _queries(
            bad,
            "DS",
            "DSDECOD",
            "disposition_mismatch",
            lambda r: _ev(r, "DSDECOD", "DSSTDTC", ADSL_DCDECOD=r["_a"], ADSL_EOSSTT=r["_s"]),
        )
    ]


def protocol_doses(d: dict[str, pd.DataFrame], p: ReviewParams) -> dict[str, set[float]]:
    """Doses allowed per arm: the spec's, else each dose making up at least ``dose_min_share`` of the arm's EX records.

    Without a protocol table the planned doses are read from the data: the doses most
    exposure records of the arm carry (a titration step too: the high-dose arm of the
    CDISC pilot starts at 54 mg, 61 % of its records); a dose on a few records is off
    protocol.
    """
    if p.protocol_doses is not None:
        return {arm: set(doses) for arm, doses in p.protocol_doses.items()}
    ex, dm = d["EX"], d["DM"]
    arm = ex["USUBJID"].map(dm.set_index("USUBJID")["ARM"])
    share = ex.assign(_arm=arm).dropna(subset=["_arm", "EXDOSE"]).groupby("_arm")["EXDOSE"].value_counts(normalize=True)
    out: dict[str, set[float]] = {}
    for (a, dose), s in share.items():
        if s >= p.dose_min_share:
            out.setdefault(a, set()).add(float(dose))
    return out


def _treatment_checks(ex: pd.DataFrame, arm: pd.Series, p: ReviewParams) -> list[pd.DataFrame]:
    """EX records whose treatment (EXTRT) is not one the arm's records mostly carry (placebo given in a drug arm...)."""
    if "EXTRT" not in ex:
        return []
    share = ex.assign(_arm=arm).dropna(subset=["_arm", "EXTRT"]).groupby("_arm")["EXTRT"].value_counts(normalize=True)
    keys = pd.MultiIndex.from_arrays([arm.astype(object), ex["EXTRT"].astype(object)])
    row_share = pd.Series(share.reindex(keys).to_numpy(), index=ex.index)
    bad = ex.assign(_arm=arm)[arm.notna() & ex["EXTRT"].notna() & ~(row_share >= p.dose_min_share)]
    return [
        _queries(bad, "EX", "EXTRT", "dose_off_protocol", lambda r: _ev(r, "EXTRT", "EXDOSE", "EXSTDTC", arm=r["_arm"]))
    ]


def check_dose(d: dict[str, pd.DataFrame], p: ReviewParams) -> list[pd.DataFrame]:
    """``dose_off_protocol``: an EX dose not among the doses of the subject's arm, or a treatment (EXTRT) not its own."""
    ex, dm = d.get("EX"), d.get("DM")
    if ex is None or dm is None or "EXDOSE" not in ex or "ARM" not in dm:
        return []
    allowed = protocol_doses(d, p)
    arm = ex["USUBJID"].map(dm.set_index("USUBJID")["ARM"])
    out = _treatment_checks(ex, arm, p)
    ok = [a in allowed and dose in allowed[a] for a, dose in zip(arm, ex["EXDOSE"], strict=True)]
    bad = ex.assign(_arm=arm)[~np.asarray(ok, dtype=bool) & ex["EXDOSE"].notna()]
    return out + [
        _queries(
            bad,
            "EX",
            "EXDOSE",
            "dose_off_protocol",
            lambda r: _ev(
                r, "EXTRT", "EXDOSE", "EXDOSU", "EXSTDTC", arm=r["_arm"], allowed=sorted(allowed.get(r["_arm"], ()))
            ),
        )
    ]


CHECKS: dict[str, Callable[[dict[str, pd.DataFrame], ReviewParams], list[pd.DataFrame]]] = {
    "invalid_date": check_invalid_dates,
    "end_before_start": check_dates_in_order,
    "ae_before_first_dose": check_ae_before_dose,
    "impossible_value": check_impossible_values,
    "unit_mismatch": check_units,
    "duplicate_record": check_duplicates,
    "weight_jump": check_weight_jump,
    "visit_out_of_window": check_visit_windows,
    "disposition_mismatch": check_disposition,
    "dose_off_protocol": check_dose,
}


def run_checks(d: dict[str, pd.DataFrame], p: ReviewParams, rules: list[str] | None = None) -> pd.DataFrame:
    """Every edit check (or those named in ``rules``), queries concatenated."""
    parts = [q for name, check in CHECKS.items() if rules is None or name in rules for q in check(d, p)]
    parts = [q for q in parts if len(q)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=QUERY_COLUMNS)
