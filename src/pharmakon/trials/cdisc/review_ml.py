"""Statistical and ML anomaly detection of a data review: robust z-scores and an isolation forest.

* ``robust_z_subject`` (LB): on the log scale, a result's distance from the subject's
  own median for the test, in units of the test's pooled within-subject MAD (x 1.4826,
  floored at ``MIN_SCALE``); raised when |z| >= ``z`` and the result is at least
  ``fold`` times (or 1/``fold`` of) the subject's median, so that a x10 value or a
  wrong-unit value stands out of the subject's trajectory. A subject with fewer than 4
  results of the test is compared with all subjects' results of the test instead.
* ``robust_z_site`` (LB): a subject's median for a test against the other subjects of
  the same site (median and MAD within the site): a subject whose whole trajectory sits
  apart from its site (subject-level, ``seq`` null).
* ``isolation_forest``: per-subject lab-trajectory features (median and spread of each
  test's log result) scored by scikit-learn's ``IsolationForest`` with a fixed seed;
  the ``contamination`` share of subjects with the lowest scores raise subject-level
  queries whose evidence names the most unusual features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pharmakon.trials.cdisc.review_checks import QUERY_COLUMNS

__all__ = ["MIN_SCALE", "robust_z_subject", "robust_z_site", "isolation_forest_subjects"]

#: Smallest scale (log units) of a robust z: tests with many identical results have a MAD of 0.
MIN_SCALE = 0.05


def _log_lab(lb: pd.DataFrame) -> pd.DataFrame:
    need = {"USUBJID", "LBTESTCD", "LBSTRESN", "LBSEQ"}
    if not need <= set(lb):
        return pd.DataFrame(columns=[*need, "log"])
    pos = lb[lb["LBSTRESN"] > 0]
    return pos.assign(log=np.log(pos["LBSTRESN"]))


def robust_z_subject(lb: pd.DataFrame, *, z: float = 3.5, fold: float = 4.0, min_own: int = 4) -> pd.DataFrame:
    """Record-level queries: results far from the subject's own median for the test.

    A subject with fewer than ``min_own`` results of the test has no trajectory to speak
    of: its results are compared with every subject's results of the test instead
    (median and MAD over the study), with the same thresholds.
    """
    x = _log_lab(lb)
    if x.empty:
        return pd.DataFrame(columns=QUERY_COLUMNS)
    own = x.groupby(["USUBJID", "LBTESTCD"])["log"]
    few = own.transform("count") < min_own
    med = own.transform("median").where(~few, x.groupby("LBTESTCD")["log"].transform("median"))
    dev = x["log"] - med
    within = dev.where(~few).abs().groupby(x["LBTESTCD"]).transform("median")
    across = dev.where(few).abs().groupby(x["LBTESTCD"]).transform("median")
    scale = (within.where(~few, across) * 1.4826).clip(lower=MIN_SCALE)
    scale = scale.fillna(MIN_SCALE)
    score = dev / scale
    hit = (score.abs() >= z) & (dev.abs() >= np.log(fold))
    rows = x[hit]
    return pd.DataFrame(
        {
            "domain": "LB",
            "usubjid": rows["USUBJID"].astype(str),
            "seq": rows["LBSEQ"].astype(float),
            "variable": "LBSTRESN",
            "rule": "robust_z_subject",
            "evidence": [
                {
                    "LBTESTCD": r.LBTESTCD,
                    "LBSTRESN": float(r.LBSTRESN),
                    "LBSTRESU": r.LBSTRESU if isinstance(getattr(r, "LBSTRESU", None), str) else None,
                    "VISIT": getattr(r, "VISIT", None),
                    "compared_with": "all subjects" if f else "own results",
                    "median": round(float(np.exp(m)), 4),
                    "robust_z": round(float(sc), 2),
                }
                for r, m, sc, f in zip(rows.itertuples(index=False), med[hit], score[hit], few[hit], strict=True)
            ],
        }
    )


def robust_z_site(lb: pd.DataFrame, dm: pd.DataFrame, *, z: float = 6.0, min_subjects: int = 5) -> pd.DataFrame:
    """Subject-level queries: a subject's median for a test far from the subjects of the same site."""
    x = _log_lab(lb)
    if x.empty or not {"USUBJID", "SITEID"} <= set(dm):
        return pd.DataFrame(columns=QUERY_COLUMNS)
    subj = x.groupby(["USUBJID", "LBTESTCD"])["log"].median().reset_index()
    subj["SITEID"] = subj["USUBJID"].map(dm.set_index("USUBJID")["SITEID"])
    grp = subj.groupby(["SITEID", "LBTESTCD"])["log"]
    med, n = grp.transform("median"), grp.transform("size")
    dev = subj["log"] - med
    scale = (dev.abs().groupby([subj["SITEID"], subj["LBTESTCD"]]).transform("median") * 1.4826).clip(lower=MIN_SCALE)
    score = dev / scale
    hit = (score.abs() >= z) & (n >= min_subjects)
    rows = subj[hit]
    return pd.DataFrame(
        {
            "domain": "LB",
            "usubjid": rows["USUBJID"].astype(str),
            "seq": np.nan,
            "variable": "LBSTRESN",
            "rule": "robust_z_site",
            "evidence": [
                {
                    "LBTESTCD": t,
                    "SITEID": s,
                    "subject_median": round(float(np.exp(v)), 4),
                    "site_median": round(float(np.exp(m)), 4),
                    "robust_z": round(float(sc), 2),
                }
                for t, s, v, m, sc in zip(
                    rows["LBTESTCD"], rows["SITEID"], rows["log"], med[hit], score[hit], strict=True
                )
            ],
        }
    )


def subject_features(lb: pd.DataFrame) -> pd.DataFrame:
    """Per-subject trajectory features, shape ``(n_subjects, 2 * n_tests)``: median and IQR of each test's log result.

    Tests measured in fewer than 80 % of the subjects are left out; missing values are
    the test's median over subjects (an imputed value is never unusual).
    """
    x = _log_lab(lb)
    if x.empty:
        return pd.DataFrame()
    g = x.groupby(["USUBJID", "LBTESTCD"])["log"]
    feats = pd.concat({"median": g.median().unstack(), "iqr": (g.quantile(0.75) - g.quantile(0.25)).unstack()}, axis=1)
    feats.columns = [f"{test}:{stat}" for stat, test in feats.columns]
    feats = feats.loc[:, feats.notna().mean() >= 0.8]
    return feats.fillna(feats.median())


def isolation_forest_subjects(lb: pd.DataFrame, *, contamination: float = 0.01, seed: int = 0) -> pd.DataFrame:
    """Subject-level queries for the most isolated lab trajectories (scikit-learn ``IsolationForest``)."""
    from sklearn.ensemble import IsolationForest

    feats = subject_features(lb)
    if len(feats) < 10 or feats.shape[1] == 0:
        return pd.DataFrame(columns=QUERY_COLUMNS)
    forest = IsolationForest(n_estimators=200, contamination=contamination, random_state=seed).fit(feats.to_numpy())
    flagged = forest.predict(feats.to_numpy()) == -1
    score = forest.score_samples(feats.to_numpy())
    z = (feats - feats.median()) / (1.4826 * (feats - feats.median()).abs().median()).clip(lower=MIN_SCALE)
    rows = []
    for i in np.flatnonzero(flagged):
        top = z.iloc[i].abs().sort_values(ascending=False).head(3)
        rows.append(
            {
                "domain": "LB",
                "usubjid": str(feats.index[i]),
                "seq": np.nan,
                "variable": "LBSTRESN",
                "rule": "isolation_forest",
                "evidence": {
                    "anomaly_score": round(float(-score[i]), 4),
                    "unusual_features": {k: round(float(z.iloc[i][k]), 2) for k in top.index},
                },
            }
        )
    return pd.DataFrame(rows, columns=QUERY_COLUMNS)
