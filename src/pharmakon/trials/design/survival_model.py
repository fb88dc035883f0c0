"""Expected events under piecewise-exponential survival, exponential dropout and piecewise accrual.

Per arm, hazards are piecewise constant: ``lambda_j`` on ``[s_j, s_{j+1})`` (``s_0 = 0``,
the last piece open-ended), and dropout is exponential with hazard ``gamma``. The
probability of an observed event by time ``v`` after entry is

``F(v) = C_j + lambda_j / h_j * S_j * (1 - exp(-h_j (v - s_j)))`` for ``v`` in piece ``j``,

with ``h_j = lambda_j + gamma``, ``S_j`` the probability of being event- and dropout-free
at ``s_j`` and ``C_j = F(s_j)``. Patients enter with a piecewise-constant intensity
``a(u)`` (patients per time unit) on ``[0, A]``, so the expected events at calendar time
``tau`` are ``sum_arm w_arm int_0^min(tau, A) a(u) F_arm(tau - u) du``; with
``G(x) = int_0^x F`` (closed form) each accrual piece contributes
``a_k (G(tau - e_k) - G(tau - b_k))``. No numerical quadrature is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from pharmakon.errors import InputError

__all__ = ["Accrual", "ArmHazard", "expected_events_at", "resolve_accrual", "solve_time"]


@dataclass(frozen=True)
class ArmHazard:
    """Piecewise-exponential event hazard and exponential dropout hazard of one arm (per time unit)."""

    starts: tuple[float, ...]
    hazards: tuple[float, ...]
    dropout: float = 0.0

    def _pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        s = np.asarray(self.starts, dtype=float)
        lam = np.asarray(self.hazards, dtype=float)
        h = lam + self.dropout
        width = np.diff(s)
        surv = np.concatenate(([1.0], np.exp(-np.cumsum(h[:-1] * width))))
        c = np.concatenate(([0.0], np.cumsum(lam[:-1] / h[:-1] * surv[:-1] * -np.expm1(-h[:-1] * width))))
        return s, lam, h, surv, c

    def cdf(self, v: np.ndarray | float) -> np.ndarray:
        """P(observed event within ``v`` time units of entry); ``v <= 0`` gives 0."""
        s, lam, h, surv, c = self._pieces()
        v = np.maximum(np.asarray(v, dtype=float), 0.0)
        j = np.searchsorted(s, v, side="right") - 1
        return c[j] + lam[j] / h[j] * surv[j] * -np.expm1(-h[j] * (v - s[j]))

    def cdf_integral(self, x: np.ndarray | float) -> np.ndarray:
        """``G(x) = int_0^x F(v) dv`` (time units); ``x <= 0`` gives 0."""
        s, lam, h, surv, c = self._pieces()
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        width = np.diff(s)
        full = c[:-1] * width + lam[:-1] / h[:-1] * surv[:-1] * (width + np.expm1(-h[:-1] * width) / h[:-1])
        cum = np.concatenate(([0.0], np.cumsum(full)))
        j = np.searchsorted(s, x, side="right") - 1
        d = x - s[j]
        return cum[j] + c[j] * d + lam[j] / h[j] * surv[j] * (d + np.expm1(-h[j] * d) / h[j])


@dataclass(frozen=True)
class Accrual:
    """Piecewise-constant recruitment: ``intensities[k]`` patients per time unit on ``[times[k], times[k+1])``."""

    times: tuple[float, ...]
    intensities: tuple[float, ...]

    @property
    def end(self) -> float:
        """End of recruitment (time units)."""
        return float(self.times[-1])

    @property
    def total(self) -> float:
        """Patients recruited in all."""
        return float(np.dot(np.diff(self.times), self.intensities))

    def recruited(self, tau: float) -> float:
        """Patients recruited by calendar time ``tau``."""
        b, e = np.asarray(self.times[:-1]), np.asarray(self.times[1:])
        return float(np.dot(np.clip(tau - b, 0.0, e - b), self.intensities))


def expected_events_at(tau: float, accrual: Accrual, arms: Sequence[ArmHazard], shares: Sequence[float]) -> float:
    """Expected events (both arms) by calendar time ``tau``; ``shares`` are the arms' fractions of patients."""
    b, e = np.asarray(accrual.times[:-1]), np.asarray(accrual.times[1:])
    a = np.asarray(accrual.intensities)
    total = 0.0
    for arm, w in zip(arms, shares, strict=True):
        total += w * float(np.dot(a, arm.cdf_integral(tau - b) - arm.cdf_integral(tau - e)))
    return total


def solve_time(target: float, accrual: Accrual, arms: Sequence[ArmHazard], shares: Sequence[float]) -> float:
    """Calendar time at which the expected events reach ``target`` (brentq, to 1e-12)."""
    limit = sum(w * 1.0 for w in shares) * accrual.total
    if target >= limit * (1 - 1e-12):
        raise InputError(
            f"{target:.6g} events can never be observed with {accrual.total:.6g} patients", field="max_number_of_events"
        )
    hi = max(accrual.end, 1.0)
    while expected_events_at(hi, accrual, arms, shares) < target:
        hi *= 2
        if hi > 1e9:
            raise InputError("expected events never reach the target (hazards too small?)", field="lambda2")
    return float(
        brentq(
            lambda t: expected_events_at(t, accrual, arms, shares) - target,
            0.0,
            hi,
            xtol=1e-13,
            rtol=4 * np.finfo(float).eps,
            maxiter=500,
        )
    )


def resolve_accrual(
    accrual_time: float | Sequence[float],
    accrual_intensity: float | Sequence[float] | None,
    max_number_of_subjects: float | None,
) -> tuple[list[float], list[float], bool]:
    """rpact-style accrual input -> ``(times, intensities, relative)``.

    ``accrual_time`` is a scalar end ``A`` (meaning ``[0, A]``) or break points starting
    at 0. With one more break point than intensities the end is fixed; with as many,
    the last piece is open and ends when ``max_number_of_subjects`` are in (or is solved
    for). Intensities all below 1 are relative (rescaled to the total), as rpact's
    ``accrualIntensityType = "auto"``. Returns the (possibly open-ended) pieces.
    """
    times = [0.0, float(accrual_time)] if np.ndim(accrual_time) == 0 else [float(x) for x in accrual_time]  # type: ignore[arg-type]
    if times == [0.0, 0.0]:
        times = [0.0]
    if times[0] != 0 or np.any(np.diff(times) <= 0):
        raise InputError(f"accrual_time must start at 0 and increase, got {times}", field="accrual_time")
    given = accrual_intensity is not None
    if accrual_intensity is None:
        accrual_intensity = [1.0] * max(len(times) - 1, 1)
    inten = [float(accrual_intensity)] if np.ndim(accrual_intensity) == 0 else [float(x) for x in accrual_intensity]  # type: ignore[arg-type]
    if any(x < 0 for x in inten) or not any(x > 0 for x in inten):
        raise InputError(f"accrual_intensity must be >= 0 and not all 0, got {inten}", field="accrual_intensity")
    if len(times) not in (len(inten), len(inten) + 1):
        raise InputError(
            f"accrual_time needs as many or one more break points ({len(times)}) than "
            f"accrual_intensity values ({len(inten)})",
            field="accrual_time",
        )
    relative = not given or all(x < 1 for x in inten)
    if len(times) == len(inten):
        if relative and given:
            raise InputError(
                "an open-ended last accrual piece needs absolute intensities (>= 1)", field="accrual_intensity"
            )
        if max_number_of_subjects is not None:
            closed = float(np.dot(np.diff(times), inten[:-1]))
            if max_number_of_subjects <= closed:
                raise InputError(
                    f"max_number_of_subjects {max_number_of_subjects} is reached before the last accrual piece",
                    field="max_number_of_subjects",
                )
            times = [*times, times[-1] + (max_number_of_subjects - closed) / inten[-1]]
    elif relative and max_number_of_subjects is not None:
        scale = max_number_of_subjects / float(np.dot(np.diff(times), inten))
        inten = [x * scale for x in inten]
        relative = False
    return times, inten, relative
