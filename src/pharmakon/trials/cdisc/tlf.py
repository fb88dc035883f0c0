"""Analysis outputs (TLFs) computed from ADaM/SDTM tables as an analysis spec describes them.

:func:`run_analysis` returns a :class:`TlfOutput`: ``numbers`` at the precision the
submission prints (keys as in the pilot's ``reference_numbers.json``), ``exact`` the
same numbers unrounded, and ``sources`` (datasets, filters and, per arm, the subjects
each number came from) so that every number can be traced to its rows.

Methods: means and sample SDs (ddof 1); the ANCOVA is ordinary least squares
(statsmodels) of change ~ treatment + covariates + baseline, the dose-response test
replacing treatment by the numeric dose; pairwise differences are contrasts of the
treatment coefficients (LS-mean differences) with their SE, t-test p-value and 95 % CI.
Kaplan-Meier by arm with lifelines; numbers at risk at day t count subjects whose time
is >= t (as R's survfit summary prints them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError
from pharmakon.trials.cdisc.analysis_spec import AncovaTable, KmTable, SummaryTable

__all__ = ["TlfOutput", "run_analysis", "population", "windowed_change", "km_fits"]


@dataclass
class TlfOutput:
    """One table's numbers (printed precision), unrounded numbers and provenance."""

    table: str
    title: str
    reference_key: str | None
    numbers: dict[str, Any]
    exact: dict[str, Any]
    sources: dict[str, Any] = field(default_factory=dict)


def _r(value: float, digits: int) -> float:
    """Round half away from zero at ``digits`` decimals (as SAS/R table formats print)."""
    if value is None or not np.isfinite(value):
        return float("nan")
    q = 10.0**digits
    return float(np.sign(value) * np.floor(abs(value) * q + 0.5 + 1e-9) / q)


def _need(frame: pd.DataFrame, columns: list[str], dataset: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"dataset {dataset.upper()} lacks variable(s) {', '.join(missing)}", field=missing[0])


def population(frame: pd.DataFrame, spec: SummaryTable | AncovaTable | KmTable) -> pd.DataFrame:
    """Rows of the spec's population with an arm among ``spec.arms``."""
    _need(frame, [spec.by, *spec.population], spec.dataset)
    keep = frame[spec.by].isin(spec.arms)
    for var, value in spec.population.items():
        keep &= frame[var].astype(str) == value
    return frame[keep]


def _subjects(frame: pd.DataFrame, by: str, arms: list[str]) -> dict[str, list[str]]:
    if "USUBJID" not in frame:
        return {}
    return {a: sorted(frame.loc[frame[by] == a, "USUBJID"].astype(str)) for a in arms}


def _summary(spec: SummaryTable, data: dict[str, pd.DataFrame]) -> TlfOutput:
    frame = population(data[spec.dataset.upper()], spec)
    numbers: dict[str, Any] = {}
    exact: dict[str, Any] = {}
    for row in spec.rows:
        if row.var:
            _need(frame, [row.var], spec.dataset)
        numbers[row.key], exact[row.key] = {}, {}
        for arm in spec.arms:
            part = frame[frame[spec.by] == arm]
            if row.stat == "n":
                exact[row.key][arm] = numbers[row.key][arm] = int(len(part))
            elif row.stat == "counts":
                counts = [int((part[row.var] == level).sum()) for level in row.levels or []]
                exact[row.key][arm] = numbers[row.key][arm] = counts
            else:
                values = pd.to_numeric(part[row.var], errors="coerce").dropna()
                mean, sd = float(values.mean()), float(values.std(ddof=1))
                exact[row.key][arm] = [mean, sd]
                numbers[row.key][arm] = [_r(mean, row.digits[0]), _r(sd, row.digits[1])]
    sources = {
        "datasets": [spec.dataset],
        "population": spec.population,
        "subjects": _subjects(frame, spec.by, spec.arms),
    }
    return TlfOutput(spec.table, spec.title, spec.reference_key, numbers, exact, sources)


def windowed_change(spec: AncovaTable, data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per subject: arm, dose, covariates, BASE, the analysis-window value and CHG.

    Records of the test are assigned to windows by study day, the one nearest the
    window's target kept; with ``locf`` a missing window takes the last earlier value.
    """
    subjects = population(data[spec.dataset.upper()], spec)
    src = spec.source
    records = data.get(src.domain.upper())
    if records is None:
        raise InputError(f"the {spec.table} table needs the {src.domain.upper()} domain", field=src.domain)
    _need(records, ["USUBJID", src.test_var, src.value, src.day], src.domain)
    rec = records.loc[records[src.test_var] == src.test, ["USUBJID", src.day, src.value]].dropna()
    rec = rec[rec["USUBJID"].isin(subjects["USUBJID"])].rename(columns={src.day: "day", src.value: "value"})
    rec["window"], rec["dist"] = None, np.nan
    for w in spec.windows:
        inside = (rec["day"] >= (w.lo if w.lo is not None else -np.inf)) & (
            rec["day"] <= (w.hi if w.hi is not None else np.inf)
        )
        rec.loc[inside, "window"] = w.name
        rec.loc[inside, "dist"] = (rec.loc[inside, "day"] - w.target).abs()
    rec = rec.dropna(subset=["window"]).sort_values(["USUBJID", "window", "dist", "day"])
    wide = rec.groupby(["USUBJID", "window"])["value"].first().unstack()
    wide = wide.reindex(columns=[w.name for w in spec.windows])
    if spec.locf:
        wide = wide.ffill(axis=1)
    base, target = spec.windows[0].name, spec.analysis_window
    keep = ["USUBJID", spec.by, *spec.covariates, *([spec.dose] if spec.dose else [])]
    _need(subjects, keep, spec.dataset)
    out = subjects[keep].set_index("USUBJID").join(wide[[base, target]].rename(columns={base: "BASE", target: "AVAL"}))
    out = out.dropna(subset=["BASE", "AVAL"])
    out["CHG"] = out["AVAL"] - out["BASE"]
    return out.reset_index()


def _ancova(spec: AncovaTable, data: dict[str, pd.DataFrame]) -> TlfOutput:
    import statsmodels.formula.api as smf

    d = windowed_change(spec, data)
    if d.empty:
        raise InputError(f"no subject of the {spec.table} population has a baseline and {spec.analysis_window} value")
    covs = "".join(f" + C({c})" for c in spec.covariates)
    d["ARM_"] = pd.Categorical(d[spec.by], categories=spec.arms)
    numbers: dict[str, Any] = {"N": {}, "baseline_mean_sd": {}, f"{_wname(spec)}_mean_sd": {}, "change_mean_sd": {}}
    exact: dict[str, Any] = {k: {} for k in numbers}
    for arm in spec.arms:
        part = d[d[spec.by] == arm]
        numbers["N"][arm] = exact["N"][arm] = int(len(part))
        for key, col in (("baseline_mean_sd", "BASE"), (f"{_wname(spec)}_mean_sd", "AVAL"), ("change_mean_sd", "CHG")):
            mean, sd = float(part[col].mean()), float(part[col].std(ddof=1))
            exact[key][arm], numbers[key][arm] = [mean, sd], [_r(mean, 1), _r(sd, 2)]
    if spec.dose:
        dose = smf.ols(f"CHG ~ {spec.dose}{covs} + BASE", data=d).fit()
        exact["p_dose_response"] = float(dose.pvalues[spec.dose])
        numbers["p_dose_response"] = _r(exact["p_dose_response"], 3)
    model = smf.ols(f"CHG ~ C(ARM_, Treatment({spec.reference_arm!r})){covs} + BASE", data=d).fit()
    names = list(model.params.index)
    for comp in spec.comparisons:
        contrast = np.zeros(len(names))
        for arm, sign in ((comp.arm, 1.0), (comp.versus, -1.0)):
            if arm != spec.reference_arm:
                contrast[names.index(f"C(ARM_, Treatment({spec.reference_arm!r}))[T.{arm}]")] += sign
        t = model.t_test(contrast)
        diff, se, p = float(np.ravel(t.effect)[0]), float(np.ravel(t.sd)[0]), float(np.ravel(t.pvalue)[0])
        lo, hi = (float(v) for v in np.ravel(t.conf_int(alpha=0.05)))
        exact[comp.key] = {"p": p, "diff_ls_means": diff, "se": se, "ci95": [lo, hi]}
        numbers[comp.key] = {
            "p": _r(p, 3),
            "diff_ls_means": _r(diff, 1),
            "se": _r(se, 2),
            "ci95": [_r(lo, 1), _r(hi, 1)],
        }
    sources = {
        "datasets": [spec.dataset, spec.source.domain],
        "population": spec.population,
        "records": f"{spec.source.test_var} = {spec.source.test}",
        "model": f"OLS: CHG ~ {spec.by}{covs.replace('C(', '').replace(')', '')} + BASE",
        "rows": d[["USUBJID", spec.by, "BASE", "AVAL", "CHG"]].to_dict("records"),
    }
    return TlfOutput(spec.table, spec.title, spec.reference_key, numbers, exact, sources)


def _wname(spec: AncovaTable) -> str:
    return spec.analysis_window


def km_fits(spec: KmTable, data: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """lifelines ``KaplanMeierFitter`` per arm (time AVAL, event CNSR == 0)."""
    from lifelines import KaplanMeierFitter

    frame = population(data[spec.dataset.upper()], spec)
    _need(frame, ["PARAMCD", "AVAL", "CNSR"], spec.dataset)
    frame = frame[frame["PARAMCD"] == spec.param]
    fits = {}
    for arm in spec.arms:
        part = frame[frame[spec.by] == arm]
        fits[arm] = KaplanMeierFitter(label=arm).fit(part["AVAL"], event_observed=part["CNSR"] == 0)
    return fits


def _km(spec: KmTable, data: dict[str, pd.DataFrame]) -> TlfOutput:
    fits = km_fits(spec, data)
    days = [int(d) if float(d).is_integer() else d for d in spec.days]
    numbers: dict[str, Any] = {"days": days}
    events: dict[str, int] = {}
    medians: dict[str, float | None] = {}
    for arm, kmf in fits.items():
        durations = np.asarray(kmf.durations)
        numbers[arm] = [int((durations >= d).sum()) for d in spec.days]
        events[arm] = int(np.asarray(kmf.event_observed).sum())
        med = float(kmf.median_survival_time_)
        medians[arm] = med if np.isfinite(med) else None
    numbers["events_from_adtte_CNSR0"] = events
    exact = {**numbers, "median_days": medians}
    frame = population(data[spec.dataset.upper()], spec)
    sources = {
        "datasets": [spec.dataset],
        "population": spec.population,
        "param": spec.param,
        "subjects": _subjects(frame[frame["PARAMCD"] == spec.param], spec.by, spec.arms),
    }
    return TlfOutput(spec.table, spec.title, spec.reference_key, numbers, exact, sources)


def run_analysis(spec: SummaryTable | AncovaTable | KmTable, data: dict[str, pd.DataFrame]) -> TlfOutput:
    """The table ``spec`` describes, from ``data`` (upper-case dataset name -> table)."""
    if spec.dataset.upper() not in data:
        raise InputError(f"the {spec.table} table needs the {spec.dataset.upper()} dataset", field=spec.dataset)
    if isinstance(spec, SummaryTable):
        return _summary(spec, data)
    if isinstance(spec, AncovaTable):
        return _ancova(spec, data)
    return _km(spec, data)
