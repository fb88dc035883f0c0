"""Group-sequential designs: efficacy and futility boundaries on the z-scale.

:func:`design_group_sequential` mirrors rpact's ``getDesignGroupSequential``: same
design types, same conventions (one-sided stage levels, two-sided alpha spent as the
total over both tails, beta spending solved jointly with the drift under H1), so its
numbers can be checked one-to-one against rpact.

Assumptions: the test statistics are (asymptotically) multivariate normal with the
canonical joint distribution of Jennison & Turnbull (2000), independent increments,
and information rates known in advance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from pharmakon.errors import InputError
from pharmakon.trials.design._integration import Recursion, exit_probabilities, solve_lower, solve_upper
from pharmakon.trials.design.spending import ALPHA_SPENDING, BETA_SPENDING, CLASSICAL, spend

__all__ = ["GroupSequentialDesign", "design_group_sequential", "DESIGN_TYPES"]

DESIGN_TYPES = CLASSICAL + ALPHA_SPENDING
_INF = 1e9


def _clean(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


@dataclass
class GroupSequentialDesign:
    """A group-sequential design: boundaries and the error spent at each look.

    Attributes
    ----------
    kmax : int
        Number of looks ``K``.
    alpha, beta : float
        Type I error (two-sided total when ``sided == 2``) and type II error.
    sided : int
        1 or 2.
    type_of_design : str
        ``OF``, ``P``, ``WT``, ``HP``, ``asOF``, ``asP``, ``asKD``, ``asHSD``, ``asUser``.
    information_rates : list of float, length K
        Cumulative information fractions, increasing, last = 1.
    critical_values : list of float, length K
        Efficacy boundaries on the z-scale (two-sided: reject when ``|Z_k| >= c_k``).
    alpha_spent : list of float, length K
        Cumulative type I error spent.
    stage_levels : list of float, length K
        One-sided nominal levels ``1 - Phi(c_k)``.
    futility_bounds : list of float or None, length K - 1
        Futility boundaries on the z-scale, if any: stop when ``Z_k <= f_k``
        (one-sided) or ``|Z_k| <= f_k`` (two-sided; None = no futility stop at that look).
    beta_spent, power : list of float or None, length K
        Cumulative beta spent and cumulative power under the drift ``shift``
        (beta-spending designs only).
    """

    kmax: int
    alpha: float
    beta: float
    sided: int
    type_of_design: str
    information_rates: list[float]
    critical_values: list[float]
    alpha_spent: list[float]
    stage_levels: list[float]
    gamma_a: float | None = None
    delta_wt: float | None = None
    type_beta_spending: str = "none"
    gamma_b: float | None = None
    binding_futility: bool = False
    futility_bounds: list[float | None] | None = None
    beta_spent: list[float] | None = None
    power: list[float] | None = None
    drift: float | None = None
    user_alpha_spending: list[float] | None = None
    user_beta_spending: list[float] | None = None
    beta_adjustment: bool = True
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (rebuild with ``GroupSequentialDesign(**d)``)."""
        return asdict(self)

    @property
    def shift(self) -> float | None:
        """Squared drift ``delta**2`` solving the beta-spending problem (rpact ``shift``)."""
        return None if self.drift is None else self.drift**2

    def summary(self) -> str:
        """A report-ready paragraph stating the design and its assumptions."""
        side = "one-sided" if self.sided == 1 else "two-sided"
        text = (
            f"Group-sequential design with {self.kmax} looks at information rates "
            f"{', '.join(f'{x:.3g}' for x in self.information_rates)}; {side} alpha = {self.alpha:g}, "
            f"type {self.type_of_design}"
        )
        if self.gamma_a is not None:
            text += f" (gamma = {self.gamma_a:g})"
        if self.futility_bounds is not None:
            kind = "binding" if self.binding_futility else "non-binding"
            text += f"; {kind} futility bounds"
            if self.type_beta_spending != "none":
                text += f" from beta spending {self.type_beta_spending}, beta = {self.beta:g}"
        return text + ". Boundaries by recursive numerical integration (z-scale, normal test statistics)."

    def table(self) -> list[dict[str, Any]]:
        """Per-stage rows: stage, information rate, critical value, stage level, alpha spent, futility."""
        rows = []
        for k in range(self.kmax):
            row = {
                "stage": k + 1,
                "information_rate": self.information_rates[k],
                "critical_value": self.critical_values[k],
                "stage_level": self.stage_levels[k],
                "alpha_spent": self.alpha_spent[k],
            }
            if self.futility_bounds is not None:
                row["futility_bound"] = self.futility_bounds[k] if k < self.kmax - 1 else None
            if self.power is not None:
                row["power"] = self.power[k]
            rows.append(row)
        return rows


def _check(kmax: int, alpha: float, beta: float, sided: int, t: np.ndarray, tod: str, tbs: str) -> None:
    if not 1 <= kmax <= 20:
        raise InputError(f"kmax must be an integer in [1, 20], got {kmax}", field="kmax")
    if not 0.0 < alpha < 0.5:
        raise InputError(f"alpha must be in (0, 0.5), got {alpha}", field="alpha")
    if not 0.0 < beta < 1.0 - alpha:
        raise InputError(f"beta must be in (0, 1 - alpha) = (0, {1 - alpha:g}), got {beta}", field="beta")
    if sided not in (1, 2):
        raise InputError(f"sided must be 1 or 2, got {sided}", field="sided")
    if tod not in DESIGN_TYPES:
        raise InputError(f"unknown design type {tod!r}; allowed: {', '.join(DESIGN_TYPES)}", field="spending")
    if tbs != "none" and tbs not in BETA_SPENDING:
        raise InputError(f"unknown beta spending {tbs!r}; allowed: none, {', '.join(BETA_SPENDING)}", field="futility")
    if t.size != kmax:
        raise InputError(f"information_rates has {t.size} values but kmax = {kmax}", field="information_rates")
    if np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise InputError(
            f"information_rates must be strictly increasing in (0, 1], got {[float(x) for x in t]}",
            field="information_rates",
        )
    if abs(t[-1] - 1.0) > 1e-12:
        raise InputError(f"information_rates must end at 1, got {t[-1]}", field="information_rates")


def _classical(
    t: np.ndarray, alpha: float, sided: int, tod: str, delta_wt: float | None, lower: np.ndarray, hp_bound: float
) -> np.ndarray:
    k_max = t.size
    if tod == "HP":  # interim bounds fixed: one recursion, then solve the last bound directly
        rec, spent = Recursion(t, 0.0), 0.0
        for k in range(k_max - 1):
            spent += rec.upper_tail(hp_bound) + (rec.lower_tail(-hp_bound) if sided == 2 else 0.0)
            rec.advance(-hp_bound if sided == 2 else lower[k], hp_bound)
        if spent >= alpha:
            raise InputError(
                f"Haybittle-Peto interim bound {hp_bound} spends more than alpha = {alpha}", field="hp_bound"
            )
        return np.concatenate((np.full(k_max - 1, hp_bound), [solve_upper(rec, alpha - spent, sided == 2)]))
    else:
        dwt = {"OF": 0.0, "P": 0.5}.get(tod, delta_wt)
        if dwt is None:
            raise InputError("Wang-Tsiatis designs need delta_wt (0 = O'Brien-Fleming, 0.5 = Pocock)", field="delta_wt")
        shape = t ** (dwt - 0.5)

    def bounds(c: float) -> np.ndarray:
        return c * shape

    def err(c: float) -> float:
        u = bounds(c)
        lo = -u if sided == 2 else lower
        up, down = exit_probabilities(t, u, lo)
        return up.sum() + (down.sum() if sided == 2 else 0.0) - alpha

    c = brentq(err, 0.5, 8.0, xtol=1e-12, rtol=1e-14)
    return bounds(c)


def _spending_upper(t: np.ndarray, cum_alpha: np.ndarray, sided: int, lower: np.ndarray) -> np.ndarray:
    rec = Recursion(t, 0.0)
    prev, u = 0.0, np.empty(t.size)
    for k in range(t.size):
        u[k] = solve_upper(rec, cum_alpha[k] - prev, two_sided=sided == 2)
        prev = cum_alpha[k]
        if k < t.size - 1:
            rec.advance(-u[k] if sided == 2 else lower[k], u[k])
    return u


def _beta_spending(t, cum_alpha, cum_beta, binding, u_fixed, beta):  # type: ignore[no-untyped-def]
    """Solve drift and futility bounds jointly; returns (u, lower, drift)."""
    k_max = t.size

    def run(delta: float) -> tuple[float, np.ndarray, np.ndarray]:
        rec0, rec1 = Recursion(t, 0.0), Recursion(t, delta)
        u, lo = np.empty(k_max), np.full(k_max, -np.inf)
        prev_a = prev_b = 0.0
        for k in range(k_max):
            u[k] = solve_upper(rec0, cum_alpha[k] - prev_a) if binding else u_fixed[k]
            prev_a = cum_alpha[k]
            if k == k_max - 1:
                return prev_b + rec1.lower_tail(u[k]) - beta, u, lo
            lo[k] = solve_lower(rec1, cum_beta[k] - prev_b, cap=u[k])
            prev_b = cum_beta[k]
            rec1.advance(lo[k], u[k])
            if binding:
                rec0.advance(lo[k], u[k])
        raise AssertionError  # pragma: no cover

    delta = brentq(lambda d: run(d)[0], 1e-6, 20.0, xtol=1e-13, rtol=1e-14)
    _, u, lo = run(delta)
    return u, lo, delta


def design_group_sequential(
    kmax: int = 3,
    alpha: float = 0.025,
    beta: float = 0.2,
    sided: int = 1,
    type_of_design: str = "OF",
    information_rates: Sequence[float] | None = None,
    *,
    gamma_a: float | None = None,
    delta_wt: float | None = None,
    type_beta_spending: str = "none",
    gamma_b: float | None = None,
    binding_futility: bool = False,
    futility_bounds: Sequence[float] | None = None,
    user_alpha_spending: Sequence[float] | None = None,
    user_beta_spending: Sequence[float] | None = None,
    hp_bound: float = 3.0,
    beta_adjustment: bool = True,
) -> GroupSequentialDesign:
    """Compute a group-sequential design (rpact ``getDesignGroupSequential`` analogue).

    Parameters
    ----------
    kmax : int, default 3
        Number of looks (1-20).
    alpha : float, default 0.025
        Type I error in (0, 0.5); the two-sided total when ``sided = 2``.
    beta : float, default 0.2
        Type II error, used for beta-spending futility bounds.
    sided : {1, 2}
        One- or two-sided (symmetric) efficacy boundaries.
    type_of_design : str, default "OF"
        ``OF``/``P`` (classical O'Brien-Fleming/Pocock), ``WT`` (Wang-Tsiatis, needs
        ``delta_wt``), ``HP`` (Haybittle-Peto, ``hp_bound`` at interims), ``asOF``,
        ``asP``, ``asKD``/``asHSD`` (need ``gamma_a``), ``asUser``.
    information_rates : sequence of float, shape (kmax,), optional
        Increasing, ending at 1; equally spaced by default.
    type_beta_spending : str, default "none"
        ``bsOF``, ``bsP``, ``bsKD``, ``bsHSD`` (need ``gamma_b``), ``bsUser``; two-sided designs get an inner
        futility wedge ``|Z_k| <= f_k`` (see ``_twosided``).
    binding_futility : bool, default False
        Whether efficacy bounds take the futility bounds into account.
    futility_bounds : sequence of float, shape (kmax - 1,), optional
        Fixed futility bounds on the z-scale (instead of beta spending).
    user_beta_spending : sequence of float, shape (kmax,), optional
        Cumulative beta for ``bsUser``; its last value is the beta actually spent
        (``beta`` then only enters ``n_fixed``, as in rpact).
    beta_adjustment : bool, default True
        Two-sided beta spending: rescale the spending to start at the first look
        with a futility bound (rpact ``betaAdjustment``).

    Returns
    -------
    GroupSequentialDesign

    Raises
    ------
    InputError
        Parameters outside their allowed ranges (the message names the parameter).

    Examples
    --------
    >>> d = design_group_sequential(kmax=3, alpha=0.025, type_of_design="asOF")
    >>> [round(c, 4) for c in d.critical_values]
    [3.7103, 2.5114, 1.993]
    """
    if type_of_design == "asUser" and user_alpha_spending:
        alpha = float(user_alpha_spending[-1])
    t = (np.arange(1, kmax + 1) / kmax) if information_rates is None else np.asarray(information_rates, dtype=float)
    _check(kmax, alpha, beta, sided, t, type_of_design, type_beta_spending)
    if type_beta_spending != "none" and type_of_design in CLASSICAL:
        raise InputError("beta-spending futility needs an alpha-spending design (asOF, asP, ...)", field="futility")
    if futility_bounds is not None:
        if type_beta_spending != "none":
            raise InputError("give either futility_bounds or a beta spending, not both", field="futility_bounds")
        if len(futility_bounds) != kmax - 1 or sided == 2:
            raise InputError(f"futility_bounds needs {kmax - 1} values (one-sided designs)", field="futility_bounds")
    fixed_lower = np.full(kmax, -np.inf)
    if futility_bounds is not None:
        fixed_lower[:-1] = [-np.inf if f <= -6 else f for f in futility_bounds]
    h0_lower = fixed_lower if binding_futility else np.full(kmax, -np.inf)
    lower, drift, cum_beta = fixed_lower, None, None
    if type_of_design in CLASSICAL:
        u = _classical(t, alpha, sided, type_of_design, delta_wt, h0_lower, hp_bound)
    else:
        cum_alpha = spend(type_of_design, alpha, t, sided=sided, gamma=gamma_a, user=user_alpha_spending)
        u = _spending_upper(t, cum_alpha, sided, h0_lower)
        if type_beta_spending != "none":
            cum_beta = spend(type_beta_spending, beta, t, gamma=gamma_b, user=user_beta_spending)
            if sided == 2:
                return _two_sided_beta_design(locals())
            u, lower, drift = _beta_spending(t, cum_alpha, cum_beta, binding_futility, u, float(cum_beta[-1]))
    h0_lo = -u if sided == 2 else (lower if binding_futility else np.full(kmax, -np.inf))
    up, down = exit_probabilities(t, u, h0_lo)
    spent = np.cumsum(up + (down if sided == 2 else 0.0))
    design = _make(locals(), u, spent, drift)
    if futility_bounds is not None or cum_beta is not None:
        design.futility_bounds = [float(x) if np.isfinite(x) else -6.0 for x in lower[:-1]]
    if drift is not None:
        p_up, p_down = exit_probabilities(t, u, lower, drift)
        design.power = [float(x) for x in np.cumsum(p_up)]
        design.beta_spent = [float(x) for x in np.cumsum(p_down[:-1])] + [float(cum_beta[-1])]
    return design


def _make(v: dict[str, Any], u: np.ndarray, spent: np.ndarray, drift: float | None) -> GroupSequentialDesign:
    """Assemble the result from ``design_group_sequential``'s local variables."""
    uas, ubs = v["user_alpha_spending"], v["user_beta_spending"]
    design = GroupSequentialDesign(
        kmax=v["kmax"],
        alpha=v["alpha"],
        beta=v["beta"],
        sided=v["sided"],
        type_of_design=v["type_of_design"],
        information_rates=[float(x) for x in v["t"]],
        critical_values=[float(min(x, _INF)) for x in u],
        alpha_spent=[float(x) for x in spent],
        stage_levels=[float(ndtr(-x)) for x in u],
        gamma_a=v["gamma_a"],
        delta_wt=v["delta_wt"],
        type_beta_spending=v["type_beta_spending"],
        gamma_b=v["gamma_b"],
        binding_futility=v["binding_futility"],
        drift=drift,
        user_alpha_spending=None if uas is None else [float(x) for x in uas],
        user_beta_spending=None if ubs is None else [float(x) for x in ubs],
    )
    design.assumptions = [
        "test statistics multivariate normal with independent increments (canonical joint distribution)",
        "information rates fixed in advance",
        "boundaries by recursive numerical integration (Jennison-Turnbull grid), not simulation",
    ]
    return design


def _two_sided_beta_design(v: dict[str, Any]) -> GroupSequentialDesign:
    """Two-sided design with inner (|Z| <= f) beta-spending futility bounds; see ``_twosided``."""
    from pharmakon.trials.design._twosided import (
        adjusted_beta_spending,
        beta_spending_two_sided,
        exit_probabilities_two_sided,
    )

    t, binding = v["t"], v["binding_futility"]
    uas = v["user_alpha_spending"]
    one = design_group_sequential(
        v["kmax"],
        v["alpha"] / 2,
        v["beta"],
        1,
        v["type_of_design"],
        list(t),
        gamma_a=v["gamma_a"],
        type_beta_spending=v["type_beta_spending"],
        gamma_b=v["gamma_b"],
        binding_futility=binding,
        user_alpha_spending=None if uas is None else [x / 2 for x in uas],
        user_beta_spending=v["user_beta_spending"],
    )
    f1 = np.asarray(one.futility_bounds)
    positive = np.flatnonzero(f1 > 0)
    cum_beta = adjusted_beta_spending(v["cum_beta"], int(positive[0]) if positive.size else -1, v["beta_adjustment"])
    c, f, drift = beta_spending_two_sided(t, v["cum_alpha"], cum_beta, binding, v["u"], f1)
    up0, down0, _ = exit_probabilities_two_sided(t, c, f if binding else np.zeros_like(f))
    design = _make(v, c, np.cumsum(up0 + down0), drift)
    design.futility_bounds = [None if x <= 1e-5 else float(x) for x in f[:-1]]
    up, _, mid = exit_probabilities_two_sided(t, c, np.concatenate((f[:-1], [c[-1]])), drift)
    design.power = [float(x) for x in np.cumsum(up)]
    design.beta_spent = [float(x) for x in np.cumsum(mid)]
    design.beta_adjustment = v["beta_adjustment"]
    return design
