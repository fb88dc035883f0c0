"""Pampallona-Tsiatis designs (rpact ``typeOfDesign = "PT"``), one-sided.

Boundaries of the power family (Pampallona and Tsiatis 1994), with information rates
``t_k`` and drift ``delta`` (the H1 mean of ``Z_k`` is ``delta sqrt(t_k)``):

* efficacy ``u_k = c_U t_k^(Delta1 - 1/2)``;
* futility ``l_k = delta sqrt(t_k) - c_L t_k^(Delta0 - 1/2)``, with ``delta = c_U + c_L``
  so the bounds meet at the last look (``l_K = u_K``).

``c_U`` and ``c_L`` solve ``P_0(reject) = alpha`` and ``P_delta(reject) = 1 - beta``; the
type I error counts the futility bounds only when they are binding (non-binding: ``c_U``
follows from alpha alone). Probabilities come from the same recursive integration as
every other design; the two equations are solved by nested Brent root searches.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from pharmakon.errors import InputError
from pharmakon.trials.design._integration import exit_probabilities
from pharmakon.trials.design.groupsequential import GroupSequentialDesign

__all__ = ["design_pampallona_tsiatis"]


def design_pampallona_tsiatis(
    kmax: int = 3,
    alpha: float = 0.025,
    beta: float = 0.2,
    information_rates: Sequence[float] | None = None,
    *,
    delta_pt1: float = 0.0,
    delta_pt0: float = 0.0,
    binding_futility: bool = False,
) -> GroupSequentialDesign:
    """One-sided Pampallona-Tsiatis design with efficacy and futility bounds.

    Parameters
    ----------
    delta_pt1, delta_pt0 : float
        Shape parameters of the efficacy and futility bounds, each in [-0.5, 1]
        (0: O'Brien-Fleming-like, 0.5: Pocock-like).
    binding_futility : bool
        Whether the futility bounds are binding (counted in the type I error).

    Examples
    --------
    >>> d = design_pampallona_tsiatis(3, 0.035, 0.1, [0.3, 0.8, 1], delta_pt1=0.2, delta_pt0=0.3,
    ...                               binding_futility=True)
    >>> [round(c, 4) for c in d.critical_values]
    [2.6664, 1.9867, 1.8581]
    """
    if not 2 <= kmax <= 20:
        raise InputError(f"kmax must be in [2, 20] for a PT design, got {kmax}", field="kmax")
    if not 0 < alpha < 0.5 or not 0 < beta < 1 - alpha:
        raise InputError(f"need 0 < alpha < 0.5 and 0 < beta < 1 - alpha, got {alpha}, {beta}", field="alpha")
    for name, d in (("delta_pt1", delta_pt1), ("delta_pt0", delta_pt0)):
        if not -0.5 <= d <= 1:
            raise InputError(f"{name} must be in [-0.5, 1], got {d}", field=name)
    t = np.arange(1, kmax + 1) / kmax if information_rates is None else np.asarray(information_rates, dtype=float)
    if t.size != kmax or np.any(np.diff(t) <= 0) or t[0] <= 0 or abs(t[-1] - 1) > 1e-12:
        raise InputError(f"information_rates must increase to 1 with {kmax} values", field="information_rates")
    a1, a0, st = t ** (delta_pt1 - 0.5), t ** (delta_pt0 - 0.5), np.sqrt(t)
    none = np.full(kmax, -np.inf)

    def bounds(cu: float, cl: float) -> tuple[np.ndarray, np.ndarray, float]:
        delta = cu + cl
        return cu * a1, delta * st - cl * a0, delta

    def power_gap(cl: float, cu: float) -> float:
        u, lo, delta = bounds(cu, cl)
        return float(exit_probabilities(t, u, lo, delta)[0].sum()) - (1 - beta)

    def solve_cl(cu: float) -> float:
        return brentq(power_gap, -cu + 1e-9, 50.0, args=(cu,), xtol=1e-13, maxiter=200)

    def alpha_gap(cu: float) -> float:
        if binding_futility:
            u, lo, _ = bounds(cu, solve_cl(cu))
        else:
            u, lo = cu * a1, none
        return float(exit_probabilities(t, u, lo, 0.0)[0].sum()) - alpha

    def alpha_free(cu: float) -> float:
        return float(exit_probabilities(t, cu * a1, none, 0.0)[0].sum()) - alpha

    cu = brentq(alpha_free, 0.1, 12.0, xtol=1e-13, maxiter=200)  # non-binding: alpha alone fixes c_U
    if binding_futility:  # binding futility spends less alpha: c_U moves down from the non-binding value
        lo_cu = cu
        while alpha_gap(lo_cu) < 0:
            lo_cu -= 0.05
            if lo_cu <= 0.05:
                raise InputError("no binding PT design for these parameters", field="delta_pt0")
        cu = brentq(alpha_gap, lo_cu, cu, xtol=1e-13, maxiter=200)
    cl = solve_cl(cu)
    u, lo, delta = bounds(cu, cl)
    up0 = exit_probabilities(t, u, lo if binding_futility else none, 0.0)[0]
    up1, down1 = exit_probabilities(t, u, lo, delta)
    design = GroupSequentialDesign(
        kmax=kmax,
        alpha=alpha,
        beta=beta,
        sided=1,
        type_of_design="PT",
        information_rates=[float(x) for x in t],
        critical_values=[float(x) for x in u],
        alpha_spent=[float(x) for x in np.cumsum(up0)],
        stage_levels=[float(x) for x in 1 - ndtr(u)],
        binding_futility=binding_futility,
        futility_bounds=[float(x) for x in lo[:-1]],
        beta_spent=[float(x) for x in np.cumsum(down1)],
        power=[float(x) for x in np.cumsum(up1)],
        drift=float(delta),
    )
    design.assumptions = [
        f"Pampallona-Tsiatis boundaries, Delta1 = {delta_pt1:g}, Delta0 = {delta_pt0:g}",
        "test statistics multivariate normal with independent increments (canonical joint distribution)",
        "boundaries by recursive numerical integration, not simulation",
    ]
    return design
