"""Seeded injection of known anomalies into a copy of SDTM (and ADSL), to measure a review's recall.

Each injected anomaly is recorded with the record it changed (domain, usubjid, seq)
and the rules that should catch it. Types:

``ae_before_first_dose``  an AE's start moved to 3-30 days before the first dose;
``lab_x10``               a lab result multiplied by 10;
``lab_wrong_unit``        a lab result's standard unit replaced by another test's unit;
``duplicate_record``      a VS/LB record copied with a new --SEQ;
``impossible_date``       an AE start date made impossible (day 30 of February, month 13);
``weight_jump``           one weight changed by 15-30 %;
``disposition_mismatch``  a DS disposition term that differs from ADSL's DCDECOD;
``dose_off_protocol``     an EX dose not planned for the arm (e.g. 81 mg in the low-dose arm);
``visit_out_of_window``   a visit date (SV) moved 30-60 days.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["ANOMALY_TYPES", "EXPECTED_RULES", "inject_anomalies"]

EXPECTED_RULES: dict[str, set[str]] = {
    "ae_before_first_dose": {"ae_before_first_dose"},
    "lab_x10": {"robust_z_subject", "impossible_value"},
    "lab_wrong_unit": {"unit_mismatch"},
    "duplicate_record": {"duplicate_record"},
    "impossible_date": {"invalid_date"},
    "weight_jump": {"weight_jump"},
    "disposition_mismatch": {"disposition_mismatch"},
    "dose_off_protocol": {"dose_off_protocol"},
    "visit_out_of_window": {"visit_out_of_window"},
}
ANOMALY_TYPES = tuple(EXPECTED_RULES)
Injector = Callable[[dict[str, pd.DataFrame], np.random.Generator, int], list[tuple[str, str, float | None]]]


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d")


def _ae_before_dose(
    d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int
) -> list[tuple[str, str, float | None]]:
    ae, ex = d["AE"], d["EX"]
    first = ex.assign(_d=pd.to_datetime(ex["EXSTDTC"].str.slice(0, 10), errors="coerce")).groupby("USUBJID")["_d"].min()
    onset = pd.to_datetime(ae["AESTDTC"].str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
    ok = ae.index[(onset >= ae["USUBJID"].map(first)) & ae["USUBJID"].isin(first.index)]
    out = []
    for i in rng.choice(ok, size=min(n, len(ok)), replace=False):
        new = first[ae.at[i, "USUBJID"]] - pd.Timedelta(days=int(rng.integers(3, 31)))
        ae.at[i, "AESTDTC"] = _iso(new)
        if "AEENDTC" in ae and isinstance(ae.at[i, "AEENDTC"], str) and ae.at[i, "AEENDTC"][:10] < _iso(new):
            ae.at[i, "AEENDTC"] = None
        out.append(("AE", ae.at[i, "USUBJID"], float(ae.at[i, "AESEQ"])))
    return out


def _lab_rows(lb: pd.DataFrame) -> pd.Index:
    # Tests measured repeatedly in the subject (a trajectory to compare against), positive results.
    n = lb.groupby(["USUBJID", "LBTESTCD"])["LBSTRESN"].transform("count")
    return lb.index[(lb["LBSTRESN"] > 0) & (n >= 5) & (lb["LBCAT"] != "URINALYSIS")]


def _lab_x10(d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int) -> list[tuple[str, str, float | None]]:
    lb = d["LB"]
    out = []
    for i in rng.choice(_lab_rows(lb), size=n, replace=False):
        lb.at[i, "LBSTRESN"] = lb.at[i, "LBSTRESN"] * 10
        lb.at[i, "LBSTRESC"] = f"{lb.at[i, 'LBSTRESN']:g}"
        out.append(("LB", lb.at[i, "USUBJID"], float(lb.at[i, "LBSEQ"])))
    return out


def _lab_unit(d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int) -> list[tuple[str, str, float | None]]:
    lb = d["LB"]
    units = sorted(set(lb["LBSTRESU"].dropna()))
    out = []
    for i in rng.choice(lb.index[lb["LBSTRESU"].notna()], size=n, replace=False):
        lb.at[i, "LBSTRESU"] = rng.choice([u for u in units if u != lb.at[i, "LBSTRESU"]])
        out.append(("LB", lb.at[i, "USUBJID"], float(lb.at[i, "LBSEQ"])))
    return out


def _duplicate(d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int) -> list[tuple[str, str, float | None]]:
    out = []
    for k in range(n):
        name = ("VS", "LB")[k % 2]
        frame = d[name]
        i = rng.choice(frame.index)
        row = frame.loc[[i]].copy()
        seq = float(frame.loc[frame["USUBJID"] == row.iloc[0]["USUBJID"], f"{name}SEQ"].max()) + 1
        row[f"{name}SEQ"] = seq
        d[name] = pd.concat([frame, row], ignore_index=True)
        out.append((name, row.iloc[0]["USUBJID"], seq))
    return out


def _impossible_date(
    d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int
) -> list[tuple[str, str, float | None]]:
    ae = d["AE"]
    out = []
    for k, i in enumerate(rng.choice(ae.index[ae["AESTDTC"].notna()], size=n, replace=False)):
        year = str(ae.at[i, "AESTDTC"])[:4]
        ae.at[i, "AESTDTC"] = f"{year}-02-30" if k % 2 == 0 else f"{year}-13-{rng.integers(1, 28):02d}"
        out.append(("AE", ae.at[i, "USUBJID"], float(ae.at[i, "AESEQ"])))
    return out


def _weight_jump(d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int) -> list[tuple[str, str, float | None]]:
    vs = d["VS"]
    w = vs.index[(vs["VSTESTCD"] == "WEIGHT") & vs["VSSTRESN"].notna()]
    subjects = vs.loc[w, "USUBJID"]
    pick = rng.choice(subjects.drop_duplicates().index, size=n, replace=False)  # one per subject
    out = []
    for i in pick:
        factor = 1 + rng.choice([-1, 1]) * rng.uniform(0.15, 0.30)
        vs.at[i, "VSSTRESN"] = round(vs.at[i, "VSSTRESN"] * factor, 2)
        out.append(("VS", vs.at[i, "USUBJID"], float(vs.at[i, "VSSEQ"])))
    return out


def _disposition(d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int) -> list[tuple[str, str, float | None]]:
    ds, adsl = d["DS"], d["ADSL"]
    events = ds[(ds["DSCAT"] == "DISPOSITION EVENT") & ds["USUBJID"].isin(adsl["USUBJID"])]
    last = events.sort_values(["USUBJID", "DSSEQ"]).groupby("USUBJID").tail(1)
    terms = sorted(set(adsl["DCDECOD"].dropna()))
    out = []
    for i in rng.choice(last.index, size=n, replace=False):
        ds.at[i, "DSDECOD"] = rng.choice([t for t in terms if t != ds.at[i, "DSDECOD"]])
        out.append(("DS", ds.at[i, "USUBJID"], float(ds.at[i, "DSSEQ"])))
    return out


def _dose(d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int) -> list[tuple[str, str, float | None]]:
    ex, dm = d["EX"], d["DM"]
    arm = ex["USUBJID"].map(dm.set_index("USUBJID")["ARM"])
    wrong = {"Placebo": [54.0, 81.0], "Xanomeline Low Dose": [81.0, 108.0], "Xanomeline High Dose": [108.0, 27.0]}
    out = []
    for i in rng.choice(ex.index[arm.isin(wrong)], size=n, replace=False):
        ex.at[i, "EXDOSE"] = float(rng.choice(wrong[arm[i]]))
        out.append(("EX", ex.at[i, "USUBJID"], float(ex.at[i, "EXSEQ"])))
    return out


def _visit(d: dict[str, pd.DataFrame], rng: np.random.Generator, n: int) -> list[tuple[str, str, float | None]]:
    sv = d["SV"]
    ok = sv.index[sv["VISITDY"].notna() & sv["SVSTDTC"].notna() & (sv["VISITNUM"] < 100)]
    out = []
    for i in rng.choice(ok, size=n, replace=False):
        shift = int(rng.integers(30, 61)) * int(rng.choice([-1, 1]))
        new = pd.Timestamp(str(sv.at[i, "SVSTDTC"])[:10]) + pd.Timedelta(days=shift)
        sv.at[i, "SVSTDTC"] = _iso(new)
        out.append(("SV", sv.at[i, "USUBJID"], None))
    return out


_INJECTORS: dict[str, Injector] = {
    "ae_before_first_dose": _ae_before_dose,
    "lab_x10": _lab_x10,
    "lab_wrong_unit": _lab_unit,
    "duplicate_record": _duplicate,
    "impossible_date": _impossible_date,
    "weight_jump": _weight_jump,
    "disposition_mismatch": _disposition,
    "dose_off_protocol": _dose,
    "visit_out_of_window": _visit,
}


def inject_anomalies(
    domains: dict[str, pd.DataFrame], *, n_per_type: int = 20, seed: int = 0
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """A changed copy of ``domains`` and the truth table ``(type, domain, usubjid, seq)``, one row per anomaly.

    Each type changes distinct records (drawn without replacement within a type); the
    input frames are not modified.
    """
    rng = np.random.default_rng(seed)
    d = {k: v.copy() for k, v in domains.items()}
    rows = []
    for kind, inject in _INJECTORS.items():
        for domain, usubjid, seq in inject(d, rng, n_per_type):
            rows.append({"type": kind, "domain": domain, "usubjid": str(usubjid), "seq": seq})
    return d, pd.DataFrame(rows)
