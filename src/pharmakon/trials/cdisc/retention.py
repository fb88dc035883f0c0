"""Retention risk: who will discontinue, from what is known at a landmark day of the trial.

:func:`retention_frame` builds one row per randomised subject still on study at the
landmark day ``day`` (study days from RFSTDTC), shape ``(n_subjects, n_columns)``:

* baseline (ADSL): AGE, SEX, BMIBL, MMSETOT, EDUCLVL, DURDIS, the planned arm TRT01P;
* so far (SDTM up to ``day``): adverse events (count, any serious, any severe, any
  application-site), EX records and the planned dose, SV visits attended;
* identifiers and attributes kept out of the features: USUBJID, SITEID (fold groups),
  RACE and AGEBAND (fairness report only);
* the target ``DISCONT``: 1 when the subject discontinued after ``day`` (DS disposition
  event other than COMPLETED, or ADSL's DISCONFL = Y), else 0.

:func:`grouped_oof_baseline` is the comparator: a logistic regression on the arm alone
with the same site-grouped folds. :func:`auroc_and_slope` gives AUROC and the
calibration slope (the coefficient of a logistic regression of the outcome on the
logit of the predicted risk; 1 is ideal, < 1 over-confident).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pharmakon.errors import InputError
from pharmakon.trials.cdisc.review_checks import day as to_day

__all__ = ["FEATURES", "retention_frame", "grouped_oof_baseline", "auroc_and_slope", "age_band"]

FEATURES = [
    "AGE",
    "SEX",
    "BMIBL",
    "MMSETOT",
    "EDUCLVL",
    "DURDIS",
    "TRT01P",
    "ae_n",
    "ae_serious",
    "ae_severe",
    "ae_site",
    "ex_n",
    "dose_mg",
    "visits",
]


def age_band(age: pd.Series) -> pd.Series:
    """<65, 65-80, >80 (years), as the pilot's AGEGR1."""
    return pd.cut(age, [-np.inf, 64.999, 80, np.inf], labels=["<65", "65-80", ">80"]).astype(str)


def _study_day(dates: pd.Series, start: pd.Series) -> pd.Series:
    delta = (to_day(dates) - start).dt.days
    return delta + (delta >= 0)


def retention_frame(data: dict[str, pd.DataFrame], *, day: float = 28.0) -> pd.DataFrame:
    """One row per subject on study at ``day`` with features, attributes and ``DISCONT`` (see module notes)."""
    for name in ("ADSL", "DM", "DS"):
        if name not in data:
            raise InputError(f"retention needs the {name} dataset", field=name.lower())
    adsl, dm, ds = data["ADSL"], data["DM"], data["DS"]
    start = dm.set_index("USUBJID")["RFSTDTC"].pipe(to_day)
    base = adsl[adsl.get("ITTFL", pd.Series("Y", index=adsl.index)) == "Y"].copy()
    base["start"] = base["USUBJID"].map(start)
    events = ds[ds["DSCAT"] == "DISPOSITION EVENT"].assign(
        dy=lambda f: _study_day(f["DSSTDTC"], f["USUBJID"].map(start))
    )
    last = events.sort_values("dy").groupby("USUBJID").tail(1).set_index("USUBJID")
    stop_day = base["USUBJID"].map(last["dy"])
    decod = base["USUBJID"].map(last["DSDECOD"])
    discont = decod.notna() & (decod != "COMPLETED")
    if "DISCONFL" in base:
        discont |= base["DISCONFL"] == "Y"
    base = base[~(discont & (stop_day <= day))]  # already gone at the landmark
    out = base[["USUBJID", "SITEID", "RACE", "AGE", "SEX", "BMIBL", "MMSETOT", "EDUCLVL", "DURDIS", "TRT01P"]].copy()
    out["AGEBAND"] = age_band(out["AGE"])
    out = out.join(_so_far(data, start, day), on="USUBJID").fillna({c: 0 for c in FEATURES[7:]})
    out["DISCONT"] = discont[base.index].astype(int).to_numpy()
    return out.reset_index(drop=True)


def _so_far(data: dict[str, pd.DataFrame], start: pd.Series, day: float) -> pd.DataFrame:
    """Per-subject counts of AE, EX and SV records up to ``day``."""
    parts = {}
    ae = data.get("AE")
    if ae is not None:
        a = ae.assign(dy=_study_day(ae["AESTDTC"], ae["USUBJID"].map(start)))
        a = a[a["dy"] <= day]
        g = a.groupby("USUBJID")
        parts["ae_n"] = g.size()
        parts["ae_serious"] = g["AESER"].agg(lambda s: int((s == "Y").any()))
        parts["ae_severe"] = g["AESEV"].agg(lambda s: int((s == "SEVERE").any()))
        parts["ae_site"] = g["AEDECOD"].agg(lambda s: int(s.astype(str).str.startswith("APPLICATION SITE").any()))
    ex = data.get("EX")
    if ex is not None:
        e = ex.assign(dy=_study_day(ex["EXSTDTC"], ex["USUBJID"].map(start)))
        e = e[e["dy"] <= day]
        parts["ex_n"] = e.groupby("USUBJID").size()
        parts["dose_mg"] = e.groupby("USUBJID")["EXDOSE"].max()
    sv = data.get("SV")
    if sv is not None:
        v = sv.assign(dy=_study_day(sv["SVSTDTC"], sv["USUBJID"].map(start)))
        parts["visits"] = v[v["dy"] <= day].groupby("USUBJID").size()
    return pd.DataFrame(parts)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def auroc_and_slope(y: np.ndarray, p: np.ndarray) -> dict[str, float | None]:
    """AUROC and calibration slope/intercept of risks ``p`` (shape (n,)) for outcomes ``y`` (0/1)."""
    import statsmodels.api as sm
    from sklearn.metrics import roc_auc_score

    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if len(np.unique(y)) < 2:
        return {"n": int(len(y)), "auroc": None, "calibration_slope": None, "calibration_intercept": None}
    auroc = float(roc_auc_score(y, p))
    x = _logit(p)
    if np.ptp(x) < 1e-9:
        slope, intercept = None, None
    else:
        fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit()
        intercept, slope = (float(v) for v in fit.params)
    return {"n": int(len(y)), "auroc": auroc, "calibration_slope": slope, "calibration_intercept": intercept}


def grouped_oof_baseline(frame: pd.DataFrame, *, n_splits: int = 3) -> np.ndarray:
    """Out-of-fold risks of a logistic regression on the arm alone, folds grouped by SITEID, shape (n,)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    X = pd.get_dummies(frame["TRT01P"]).to_numpy(dtype=float)
    y = frame["DISCONT"].to_numpy()
    oof = np.zeros(len(frame))
    for tr, te in GroupKFold(n_splits=n_splits).split(X, y, groups=frame["SITEID"]):
        oof[te] = LogisticRegression().fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
    return oof
