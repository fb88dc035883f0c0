"""Alpha- and beta-spending functions (Lan-DeMets, Kim-DeMets, Hwang-Shih-DeCani).

Every function maps information time ``t`` in [0, 1] to the cumulative error spent,
with ``f(0) = 0`` and ``f(1) = level``. Names follow rpact: ``asOF``, ``asP``,
``asKD``, ``asHSD``, ``asUser`` for alpha and ``bsOF``, ``bsP``, ``bsKD``, ``bsHSD``,
``bsUser`` for beta.

References
----------
Lan KKG, DeMets DL (1983). Discrete sequential boundaries for clinical trials.
Biometrika 70:659-663.
Kim K, DeMets DL (1987). Design and analysis of group sequential tests based on the
type I error spending rate function. Biometrika 74:149-154.
Hwang IK, Shih WJ, DeCani JS (1990). Group sequential designs using a family of type
I error probability spending functions. Stat Med 9:1439-1445.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtr, ndtri

from pharmakon.errors import InputError

__all__ = ["CLASSICAL", "ALPHA_SPENDING", "BETA_SPENDING", "spending", "spend"]

#: Classical (non-spending) designs: O'Brien-Fleming, Pocock, Wang-Tsiatis, Haybittle-Peto.
CLASSICAL = ("OF", "P", "WT", "HP")
ALPHA_SPENDING = ("asOF", "asP", "asKD", "asHSD", "asUser")
BETA_SPENDING = ("bsOF", "bsP", "bsKD", "bsHSD", "bsUser")


def spending(family: str, level: float, t: np.ndarray, gamma: float | None = None) -> np.ndarray:
    """Cumulative error spent at information times ``t`` by a spending family.

    Parameters
    ----------
    family : {"OF", "P", "KD", "HSD"}
        Lan-DeMets O'Brien-Fleming type, Lan-DeMets Pocock type, Kim-DeMets power
        ``level * t**gamma`` (gamma > 0), Hwang-Shih-DeCani
        ``level * (1 - exp(-gamma t)) / (1 - exp(-gamma))`` (gamma = 0 is linear).
    level : float
        Total error (one-sided) in (0, 1).
    t : ndarray
        Information times in [0, 1].
    gamma : float, optional
        Shape parameter for KD and HSD.

    Returns
    -------
    ndarray
        Cumulative error spent, same shape as ``t``.
    """
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if family == "OF":
        with np.errstate(divide="ignore"):
            out = 2.0 * (1.0 - ndtr(ndtri(1.0 - level / 2.0) / np.sqrt(t)))
        return np.where(t > 0, out, 0.0)
    if family == "P":
        return level * np.log(1.0 + (np.e - 1.0) * t)
    if family == "KD":
        if gamma is None or gamma <= 0:
            raise InputError(f"Kim-DeMets spending needs gamma > 0, got {gamma}", field="gamma")
        return level * t**gamma
    if family == "HSD":
        if gamma is None:
            raise InputError("Hwang-Shih-DeCani spending needs gamma (any real number, e.g. -4)", field="gamma")
        if abs(gamma) < 1e-10:
            return level * t
        return level * (1.0 - np.exp(-gamma * t)) / (1.0 - np.exp(-gamma))
    raise InputError(f"unknown spending family {family!r}; allowed: OF, P, KD, HSD", field="spending")


def spend(
    type_of_design: str,
    level: float,
    t: Sequence[float],
    *,
    sided: int = 1,
    gamma: float | None = None,
    user: Sequence[float] | None = None,
) -> np.ndarray:
    """Cumulative alpha (or beta) to spend at each look, rpact conventions.

    Two-sided alpha spending spends ``2 f(alpha / 2, t)`` in total over both tails
    (as rpact does), so a two-sided design at ``alpha`` has the same boundaries as a
    one-sided design at ``alpha / 2`` up to the (tiny) chance of crossing the other
    boundary first.

    Parameters
    ----------
    type_of_design : str
        ``asOF``, ``asP``, ``asKD``, ``asHSD``, ``asUser`` (or the ``bs*`` names).
    level : float
        Total alpha (two-sided total when ``sided=2``) or beta.
    t : sequence of float, shape (K,)
        Information rates.
    user : sequence of float, shape (K,), optional
        Cumulative spending for ``asUser``/``bsUser``.

    Returns
    -------
    ndarray of shape (K,)
        Cumulative spending, last element equal to ``level``.
    """
    t = np.asarray(t, dtype=float)
    family = type_of_design[2:]
    if family == "User":
        if user is None or len(user) != len(t):
            raise InputError(f"{type_of_design} needs {len(t)} cumulative spending values", field="user_spending")
        cum = np.asarray(user, dtype=float)
        if np.any(np.diff(cum) < 0) or cum[0] < 0 or cum[-1] >= 1:
            raise InputError(
                f"{type_of_design} values must be non-decreasing in [0, 1), got {list(cum)}",
                field="user_spending",
            )
        return cum
    if sided == 2:
        return 2.0 * spending(family, level / 2.0, t, gamma)
    return spending(family, level, t, gamma)
