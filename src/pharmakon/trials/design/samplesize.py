"""Sample size and power for means, rates and survival, fixed or group-sequential.

The group-sequential maximum sample size is the fixed-design size times the design's
inflation factor (rpact's approach), so every formula below is the fixed-design one:

* means: z-test (``normal_approximation=True``) or the exact non-central t power of
  the fixed design (``False``), one group (vs ``theta_h0``) or two groups with
  allocation ratio ``r = n1 / n2``;
* rates: normal approximation; one group vs ``theta_h0`` (variance under H0 and H1),
  two groups difference vs 0 with pooled variance under H0 and unpooled under H1;
* survival: see :mod:`pharmakon.trials.design.survival`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtri

from pharmakon.errors import InputError
from pharmakon.trials.design.characteristics import design_characteristics, stage_probabilities
from pharmakon.trials.design.groupsequential import GroupSequentialDesign

__all__ = ["SampleSizeResult", "sample_size_means", "sample_size_rates", "power_means"]


@dataclass
class SampleSizeResult:
    """Sample size of a (group-sequential) trial.

    Attributes
    ----------
    endpoint : str
        ``means``, ``rates`` or ``survival``.
    max_number_of_subjects : float
        Total subjects over both groups (not rounded up).
    number_of_subjects : list of float, length K
        Cumulative subjects at each look (survival: accrued by the end).
    max_number_of_events, events_per_stage : float, list of float
        Survival only: events needed in total and cumulatively per look.
    expected_number_h0, expected_number_h01, expected_number_h1 : float
        Expected subjects (survival: events) under H0, half the H1 effect and H1.
    reject_per_stage, early_stop : list of float, float
        Under H1: upper-boundary rejections per look, and the probability of stopping
        before the last look through the upper or the futility boundary (rpact's
        ``earlyStop``; lower crossings of two-sided designs are not counted).
    critical_values_effect_scale : list of float, length K
        Boundaries on the treatment-effect scale (mean difference, rate difference or
        hazard ratio).
    """

    endpoint: str
    groups: int
    allocation_ratio: float
    max_number_of_subjects: float
    number_of_subjects: list[float]
    expected_number_h0: float
    expected_number_h01: float
    expected_number_h1: float
    reject_per_stage: list[float]
    early_stop: float
    critical_values_effect_scale: list[float]
    max_number_of_events: float | None = None
    events_per_stage: list[float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def _check_positive(name: str, value: float, upper: float | None = None) -> None:
    if not (value > 0 and (upper is None or value < upper)):
        rng = f"(0, {upper})" if upper is not None else "> 0"
        raise InputError(f"{name} must be {rng}, got {value}", field=name)


def _z(design: GroupSequentialDesign) -> float:
    return float(ndtri(1.0 - design.alpha / design.sided) + ndtri(1.0 - design.beta))


def _result(
    design: GroupSequentialDesign,
    endpoint: str,
    groups: int,
    r: float,
    n_fixed_total: float,
    scale: float,
    theta_h0: float,
    sign: float,
    assumptions: list[str],
    log_scale: bool = False,
) -> SampleSizeResult:
    """Common GS bookkeeping: ``n_fixed_total`` -> max N, expectations, effect-scale bounds.

    ``scale`` is the standard error of the effect estimate at N = 1 (so SE_k = scale / sqrt(N_k)).
    """
    ch = design_characteristics(design)
    n_max = n_fixed_total * ch.inflation_factor
    t = np.asarray(design.information_rates)
    drift = np.sqrt(ch.shift)
    exp = [float(stage_probabilities(design, d)["expected_information_rate"]) * n_max for d in (0.0, drift / 2, drift)]
    h1 = stage_probabilities(design, drift)
    se = scale / np.sqrt(n_max * t)
    c = np.asarray(design.critical_values)
    eff = theta_h0 + sign * c * se
    if log_scale:
        eff = np.exp(np.log(theta_h0) + sign * c * se)
    return SampleSizeResult(
        endpoint=endpoint,
        groups=groups,
        allocation_ratio=r,
        max_number_of_subjects=float(n_max),
        number_of_subjects=[float(x) for x in n_max * t],
        expected_number_h0=exp[0],
        expected_number_h01=exp[1],
        expected_number_h1=exp[2],
        reject_per_stage=[float(x) for x in h1["reject"]],
        early_stop=float((h1["reject"] + h1["futility"])[:-1].sum()),
        critical_values_effect_scale=[float(x) for x in eff],
        assumptions=assumptions
        + [f"maximum sample size = fixed-design size x inflation factor {ch.inflation_factor:.6f}"],
    )


def sample_size_means(
    design: GroupSequentialDesign,
    alternative: float,
    stdev: float = 1.0,
    *,
    groups: int = 2,
    theta_h0: float = 0.0,
    allocation_ratio: float = 1.0,
    normal_approximation: bool = True,
    mean_ratio: bool = False,
) -> SampleSizeResult:
    """Sample size for a continuous endpoint (rpact ``getSampleSizeMeans`` analogue).

    Parameters
    ----------
    design : GroupSequentialDesign
    alternative : float
        Mean (one group) or mean difference (two groups) under H1, in endpoint units.
    stdev : float
        Common standard deviation, endpoint units.
    groups : {1, 2}
    theta_h0 : float
        Mean or mean difference under H0.
    allocation_ratio : float
        ``n1 / n2`` for two groups.
    normal_approximation : bool
        z-test if True; otherwise the fixed-design size solves the exact non-central
        t power (df = N - groups) before inflation.
    mean_ratio : bool
        Two groups, H0 ``mu1 / mu2 = theta_h0`` (> 0) tested with ``mean1 - theta_h0 mean2``,
        whose variance is ``sd^2 (1 + r)(1 + r theta_h0^2) / (r N)``.

    Examples
    --------
    >>> from pharmakon.trials.design import design_group_sequential
    >>> d = design_group_sequential(kmax=1, alpha=0.025, beta=0.2)
    >>> round(sample_size_means(d, 0.5, 1.0).max_number_of_subjects, 4)
    125.5821
    """
    _check_positive("stdev", stdev)
    _check_positive("allocation_ratio", allocation_ratio)
    if groups not in (1, 2):
        raise InputError(f"groups must be 1 or 2, got {groups}", field="groups")
    effect = (alternative - theta_h0) / stdev
    if effect == 0:
        raise InputError("alternative equals theta_h0: no sample size gives power > alpha", field="alternative")
    r = allocation_ratio
    factor = 1.0 if groups == 1 else (1.0 + r) ** 2 / r
    if mean_ratio:
        if groups != 2 or not theta_h0 > 0:
            raise InputError(f"ratio-of-means tests need groups=2 and theta_h0 > 0, got {theta_h0}", field="theta_h0")
        factor = (1.0 + r) * (1.0 + r * theta_h0**2) / r
    n_fixed = _z(design) ** 2 * factor / effect**2
    if not normal_approximation:
        from scipy.stats import nct  # scipy.stats costs start-up: only the exact t-test needs it
        from scipy.stats import t as student_t

        crit_p = 1.0 - design.alpha / design.sided

        def gap(n: float) -> float:
            df = n - groups
            return float(nct.sf(student_t.ppf(crit_p, df), df, abs(effect) / np.sqrt(factor / n))) - (1 - design.beta)

        n_fixed = brentq(gap, groups + 1.0 + 1e-9, max(10 * n_fixed, 50.0), xtol=1e-10)
    sign = 1.0 if alternative >= theta_h0 else -1.0
    approx = "normal approximation (z-test)" if normal_approximation else "exact t-test power of the fixed design"
    res = _result(
        design,
        "means",
        groups,
        r,
        n_fixed,
        stdev * np.sqrt(factor),
        theta_h0,
        sign,
        [f"normally distributed endpoint, common SD {stdev:g}", approx],
    )
    if not normal_approximation:  # effect-scale bounds from t quantiles at each look's df
        from scipy.stats import t as student_t

        n_k = np.asarray(res.number_of_subjects)
        c_t = student_t.isf(np.asarray(design.stage_levels), n_k - groups)
        res.critical_values_effect_scale = [float(x) for x in theta_h0 + sign * c_t * stdev * np.sqrt(factor / n_k)]
    return res


def power_means(
    design: GroupSequentialDesign,
    alternative: float,
    stdev: float,
    max_number_of_subjects: float,
    *,
    groups: int = 2,
    theta_h0: float = 0.0,
    allocation_ratio: float = 1.0,
    direction_upper: bool = True,
    normal_approximation: bool = True,
    mean_ratio: bool = False,
) -> dict[str, Any]:
    """Power, stage-wise rejection and expected N at a given maximum N (rpact ``getPowerMeans``).

    Parameters
    ----------
    direction_upper : bool
        Reject for large (True) or small (False) effects; futility bounds act on the
        correspondingly signed z statistic. Two-sided designs count both directions.
    normal_approximation : bool
        False: t-test, as rpact: the drift per ``sqrt(N)`` is replaced by
        ``(sign z_{1-a} - Phi^-1(F_t(sign t_{1-a,df}; df, ncp = theta sqrt(N)))) / sqrt(N)``,
        which reproduces the exact non-central-t power of the fixed design and carries
        the same correction to interim looks (``df = N - 1`` or ``N - 2``).
    mean_ratio : bool
        Two groups: H0 ``mu1 / mu2 = theta_h0`` (the statistic ``mean1 - theta_h0 mean2``).

    Returns
    -------
    dict
        ``overall_reject``, ``reject_per_stage``, ``futility_per_stage``, ``futility_stop``,
        ``early_stop``, ``expected_number_of_subjects``.
    """
    _check_positive("max_number_of_subjects", max_number_of_subjects)
    _check_positive("stdev", stdev)
    n, r = float(max_number_of_subjects), allocation_ratio
    if groups == 1:
        theta = (alternative - theta_h0) / stdev
    elif mean_ratio:
        if not theta_h0 > 0:
            raise InputError(f"ratio-of-means tests need theta_h0 > 0, got {theta_h0}", field="theta_h0")
        theta = np.sqrt(r) / np.sqrt((stdev**2 + r * stdev**2 * theta_h0**2) * (1 + r)) * (alternative - theta_h0)
    else:
        theta = np.sqrt(r) / (1 + r) / stdev * (alternative - theta_h0)
    if not direction_upper:
        theta = -theta
    if not normal_approximation:
        from scipy.stats import nct
        from scipy.stats import t as student_t

        df = n - (1 if groups == 1 else 2)
        q = float(student_t.ppf(1 - design.alpha / design.sided, df))
        z = float(ndtri(1 - design.alpha / design.sided))
        s = float(np.sign(theta))
        theta = (s * z - float(ndtri(nct.cdf(s * q, df, theta * np.sqrt(n))))) / np.sqrt(n)
    p = stage_probabilities(design, float(theta * np.sqrt(n)), two_sided_power=design.sided == 2)
    return {
        "overall_reject": float(p["reject"].sum()),
        "reject_per_stage": [float(x) for x in p["reject"]],
        "futility_per_stage": [float(x) for x in p["futility"][:-1]],
        "futility_stop": float(p["futility"][:-1].sum()),
        "early_stop": float(p["stop"][:-1].sum()),
        "expected_number_of_subjects": float(p["expected_information_rate"]) * n,
    }


def _two_group_rates(p1: float, p2: float, r: float, theta_h0: float, risk_ratio: bool) -> tuple[float, float, float]:
    """Per-subject variances under H0 and H1 and the effect gap, for ``N = (z_a s0 + z_b s1)^2 / gap^2``.

    Difference vs 0: pooled variance under H0. Difference vs ``theta_h0 != 0`` and risk
    ratio vs ``theta_h0``: Farrington-Manning restricted MLEs under H0.
    """
    from pharmakon.trials.design._fm import restricted_difference, restricted_ratio

    if risk_ratio:
        if not theta_h0 > 0:
            raise InputError(f"risk-ratio tests need theta_h0 > 0, got {theta_h0}", field="theta_h0")
        gap = p1 - theta_h0 * p2
        q1, q2 = restricted_ratio(p1, p2, theta_h0, 1.0 / r)
        v0 = (1 + r) * (q1 * (1 - q1) / r + theta_h0**2 * q2 * (1 - q2))
        v1 = (1 + r) * (p1 * (1 - p1) / r + theta_h0**2 * p2 * (1 - p2))
    else:
        gap = p1 - p2 - theta_h0
        if theta_h0 == 0.0:
            pbar = (r * p1 + p2) / (1 + r)
            v0 = pbar * (1 - pbar) * (1 + r) ** 2 / r
        else:
            q1, q2 = restricted_difference(p1, p2, theta_h0, 1.0 / r)
            v0 = (1 + r) * (q1 * (1 - q1) / r + q2 * (1 - q2))
        v1 = (1 + r) * (p1 * (1 - p1) / r + p2 * (1 - p2))
    if gap == 0:
        raise InputError("pi1 and pi2 satisfy H0 exactly: no sample size gives power > alpha", field="pi1")
    return v0, v1, gap


def sample_size_rates(
    design: GroupSequentialDesign,
    pi1: float,
    pi2: float | None = None,
    *,
    groups: int = 2,
    theta_h0: float = 0.0,
    allocation_ratio: float = 1.0,
    risk_ratio: bool = False,
) -> SampleSizeResult:
    """Sample size for a binary endpoint, normal approximation (rpact ``getSampleSizeRates``).

    Parameters
    ----------
    pi1 : float
        Response rate (group 1 / the single group) under H1, in (0, 1).
    pi2 : float, optional
        Control response rate (two groups), in (0, 1).
    groups : {1, 2}
    theta_h0 : float
        One group: the H0 rate; two groups: the H0 difference (or ratio with
        ``risk_ratio``); margins use Farrington-Manning restricted MLEs.

    Examples
    --------
    >>> from pharmakon.trials.design import design_group_sequential
    >>> d = design_group_sequential(kmax=1, alpha=0.025, beta=0.2)
    >>> round(sample_size_rates(d, 0.4, 0.25).max_number_of_subjects, 3)
    303.738
    """
    _check_positive("pi1", pi1, 1.0)
    z_a = ndtri(1.0 - design.alpha / design.sided)
    z_b = ndtri(1.0 - design.beta)
    r = allocation_ratio
    if groups == 1:
        _check_positive("theta_h0", theta_h0, 1.0)
        if pi1 == theta_h0:
            raise InputError("pi1 equals theta_h0: no sample size gives power > alpha", field="pi1")
        n_fixed = (z_a * np.sqrt(theta_h0 * (1 - theta_h0)) + z_b * np.sqrt(pi1 * (1 - pi1))) ** 2 / (
            pi1 - theta_h0
        ) ** 2
        scale, h0, sign = np.sqrt(theta_h0 * (1 - theta_h0)), theta_h0, np.sign(pi1 - theta_h0)
    elif groups == 2:
        if pi2 is None:
            raise InputError("two groups need pi2 (control rate)", field="pi2")
        _check_positive("pi2", pi2, 1.0)
        _check_positive("allocation_ratio", r)
        v0, v1, gap = _two_group_rates(pi1, pi2, r, theta_h0, risk_ratio)
        n_fixed = (z_a * np.sqrt(v0) + z_b * np.sqrt(v1)) ** 2 / gap**2
        scale, h0, sign = np.sqrt(v0), 0.0 if risk_ratio else theta_h0, np.sign(gap)
    else:
        raise InputError(f"groups must be 1 or 2, got {groups}", field="groups")
    res = _result(
        design,
        "rates",
        groups,
        r,
        n_fixed,
        scale,
        h0,
        sign,
        ["normal approximation; variance under H0 for the test, under H1 for power"],
    )
    return res
