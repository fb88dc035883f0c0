"""Power of a group-sequential test for rates at a given maximum N (rpact ``getPowerRates``).

The test statistic uses the variance under H0 (pooled for a zero difference,
Farrington-Manning restricted MLEs otherwise); under H1 its variance differs. As
rpact does, this is folded into an adjusted drift per ``sqrt(N)``:

``theta = gap / s1 + sign(gap) z_{1-alpha/sided} (1 - s0 / s1) / sqrt(N)``

with ``s0``, ``s1`` the per-subject standard deviations of the effect estimate under
H0 and H1 (one group: ``sqrt(theta0 (1 - theta0))`` and ``sqrt(pi1 (1 - pi1))``; two
groups with ``r = n1/n2``: ``sqrt((1 + r) (v1 + r v2)) / sqrt(r)`` scaled consistently),
so the correction is exact at the final look of a fixed design and approximate at
interim looks. The stage probabilities then come from the design's recursive
integration with drift ``theta sqrt(N)`` (negated for ``direction_upper=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

from pharmakon.errors import InputError
from pharmakon.trials.design._fm import restricted_difference, restricted_ratio
from pharmakon.trials.design.characteristics import stage_probabilities
from pharmakon.trials.design.groupsequential import GroupSequentialDesign

__all__ = ["power_rates"]


def power_rates(
    design: GroupSequentialDesign,
    pi1: float,
    max_number_of_subjects: float,
    *,
    pi2: float = 0.2,
    groups: int = 2,
    theta_h0: float | None = None,
    risk_ratio: bool = False,
    allocation_ratio: float = 1.0,
    direction_upper: bool = True,
) -> dict[str, Any]:
    """Power, stage-wise rejection/futility and expected N for rates (normal approximation).

    Parameters
    ----------
    pi1, pi2 : float
        Response probabilities (treatment, control) in (0, 1); one group: ``pi1`` vs ``theta_h0``.
    max_number_of_subjects : float
        Total N at the last look (both groups).
    theta_h0 : float, optional
        H0 difference (default 0), risk ratio (default 1) or, for one group, H0 rate.
    direction_upper : bool
        Reject for large (True) or small (False) effects.

    Returns
    -------
    dict
        ``effect``, ``overall_reject``, ``reject_per_stage``, ``futility_per_stage``,
        ``futility_stop``, ``early_stop``, ``expected_number_of_subjects``, ``assumptions``.
    """
    for name, p in (("pi1", pi1), ("pi2", pi2)):
        if not 0 < p < 1:
            raise InputError(f"{name} must be in (0, 1), got {p}", field=name)
    n = float(max_number_of_subjects)
    if not n > 0:
        raise InputError(f"max_number_of_subjects must be > 0, got {n}", field="max_number_of_subjects")
    r = allocation_ratio
    if not r > 0:
        raise InputError(f"allocation_ratio must be > 0, got {r}", field="allocation_ratio")
    z = float(ndtri(1 - design.alpha / design.sided))
    if groups == 1:
        th0 = 0.5 if theta_h0 is None else theta_h0
        if not 0 < th0 < 1:
            raise InputError(f"one-group rates need theta_h0 in (0, 1), got {th0}", field="theta_h0")
        gap = effect = pi1 - th0
        s0, s1, scale = np.sqrt(th0 * (1 - th0)), np.sqrt(pi1 * (1 - pi1)), 1.0
    elif groups == 2:
        th0 = (1.0 if risk_ratio else 0.0) if theta_h0 is None else theta_h0
        if risk_ratio:
            if not th0 > 0:
                raise InputError(f"risk-ratio tests need theta_h0 > 0, got {th0}", field="theta_h0")
            q1, q2 = restricted_ratio(pi1, pi2, th0, 1.0 / r)
            gap, effect, w = pi1 - th0 * pi2, pi1 / pi2 - th0, th0**2
        else:
            q1, q2 = restricted_difference(pi1, pi2, th0, 1.0 / r)
            gap = effect = pi1 - pi2 - th0
            w = 1.0
        s0 = np.sqrt(q1 * (1 - q1) + r * w * q2 * (1 - q2))
        s1 = np.sqrt(pi1 * (1 - pi1) + r * w * pi2 * (1 - pi2))
        scale = np.sqrt(r) / (1 + r) * np.sqrt(1 + r)
    else:
        raise InputError(f"groups must be 1 or 2, got {groups}", field="groups")
    theta = scale * gap / s1 + np.sign(gap) * z * (1 - s0 / s1) / np.sqrt(n)
    if not direction_upper:
        theta = -theta
    p = stage_probabilities(design, float(theta * np.sqrt(n)), two_sided_power=design.sided == 2)
    return {
        "effect": float(effect),
        "overall_reject": float(p["reject"].sum()),
        "reject_per_stage": [float(x) for x in p["reject"]],
        "futility_per_stage": [float(x) for x in p["futility"][:-1]],
        "futility_stop": float(p["futility"][:-1].sum()),
        "early_stop": float(p["stop"][:-1].sum()),
        "expected_number_of_subjects": float(p["expected_information_rate"]) * n,
        "assumptions": [
            "normal approximation; H0-variance statistic folded into the drift as in rpact "
            "getPowerRates (exact at the final look of a fixed design)"
        ],
    }
