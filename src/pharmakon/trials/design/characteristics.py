"""Operating characteristics of a group-sequential design (rpact ``getDesignCharacteristics``).

Everything is on the scale of the fixed-design sample size: ``n_fixed`` is the
information a single-stage test needs for power ``1 - beta``, the inflation factor is
the maximum information of the sequential design relative to it, and the average
sample numbers (ASN) are expected information relative to ``n_fixed`` under H1, under
half the H1 effect, and under H0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtri

from pharmakon.trials.design._integration import exit_probabilities
from pharmakon.trials.design.groupsequential import GroupSequentialDesign

__all__ = ["DesignCharacteristics", "design_characteristics", "stage_probabilities"]


@dataclass
class DesignCharacteristics:
    """Inflation factor, ASN and stage-wise probabilities of a design.

    Attributes
    ----------
    n_fixed : float
        ``(z_{1-alpha/sided} + z_{1-beta})**2``: fixed-design information for drift 1.
    shift : float
        Maximum information (squared drift) giving power ``1 - beta``.
    inflation_factor : float
        ``shift / n_fixed``.
    information : list of float, length K
        ``shift * t_k``.
    power : list of float, length K
        Cumulative power under H1.
    rejection_probabilities, futility_probabilities : list of float
        Per-stage probabilities under H1 (futility: stages 1..K-1).
    average_sample_number1, average_sample_number01, average_sample_number0 : float
        Expected information / ``n_fixed`` under H1, H1/2 and H0.
    """

    n_fixed: float
    shift: float
    inflation_factor: float
    information: list[float]
    power: list[float]
    rejection_probabilities: list[float]
    futility_probabilities: list[float]
    average_sample_number1: float
    average_sample_number01: float
    average_sample_number0: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def _bounds(design: GroupSequentialDesign) -> tuple[np.ndarray, np.ndarray]:
    u = np.asarray(design.critical_values, dtype=float)
    if design.sided == 2:
        return u, -u
    lower = np.full(design.kmax, -np.inf)
    if design.futility_bounds is not None:
        lower[:-1] = [-np.inf if f <= -6 else f for f in design.futility_bounds]
    return u, lower


def stage_probabilities(
    design: GroupSequentialDesign, drift: float, two_sided_power: bool = False
) -> dict[str, np.ndarray]:
    """Per-stage rejection / futility / stopping probabilities at a drift.

    Parameters
    ----------
    design : GroupSequentialDesign
    drift : float
        ``E[Z_k] = drift * sqrt(t_k)``; ``drift = effect * sqrt(max information)``.

    Returns
    -------
    dict of ndarray, shape (K,)
        ``reject`` (upper crossings; with ``two_sided_power`` a two-sided design
        adds lower crossings, otherwise they count as stopping without rejection of
        H0 in the direction of interest, as rpact's default ``twoSidedPower = FALSE``),
        ``futility`` (lower crossings of one-sided designs, 0 at the last stage),
        ``stop`` (either), and ``expected_information_rate`` (a scalar array).
    Futility bounds are treated as binding (the trial stops when it crosses them).
    """
    t = np.asarray(design.information_rates)
    u, lower = _bounds(design)
    if design.sided == 2 and design.futility_bounds is not None:  # inner futility wedge |Z_k| <= f_k
        from pharmakon.trials.design._twosided import exit_probabilities_two_sided

        inner = np.array([0.0 if f is None else f for f in design.futility_bounds] + [0.0])
        up, down, mid = exit_probabilities_two_sided(t, u, inner, drift)
        reject = up + down if two_sided_power else up
        stop = up + down + mid
        cont_before = 1.0 - np.concatenate(([0.0], np.cumsum(stop)[:-1]))
        exp_t = float(np.sum(t[:-1] * stop[:-1]) + t[-1] * cont_before[-1])
        return {"reject": reject, "futility": mid, "stop": stop, "expected_information_rate": np.array(exp_t)}
    up, down = exit_probabilities(t, u, lower, drift)
    if design.sided == 2:
        reject, futility = up + down, np.zeros_like(up)
        if not two_sided_power:
            reject = up
    else:
        reject, futility = up, down.copy()
        futility[-1] = 0.0
    stop = up + down if design.sided == 2 else reject + futility
    cont_before = 1.0 - np.concatenate(([0.0], np.cumsum(stop)[:-1]))
    exp_t = float(np.sum(t[:-1] * stop[:-1]) + t[-1] * cont_before[-1])
    return {"reject": reject, "futility": futility, "stop": stop, "expected_information_rate": np.array(exp_t)}


def design_characteristics(design: GroupSequentialDesign) -> DesignCharacteristics:
    """Inflation factor, drift for power ``1 - beta``, ASN under H1, H1/2 and H0.

    Power counts upper crossings only (rpact's default ``twoSidedPower = FALSE``),
    also for two-sided designs. Matches rpact's ``getDesignCharacteristics``
    (checked in tests against rpact 3.3.4 and rpact's unit tests).

    Examples
    --------
    >>> from pharmakon.trials.design import design_group_sequential
    >>> ch = design_characteristics(design_group_sequential(3, 0.025, 0.1, type_of_design="OF"))
    >>> round(ch.inflation_factor, 4)
    1.0161
    """
    z_a = ndtri(1.0 - design.alpha / design.sided)
    z_b = ndtri(1.0 - design.beta)
    n_fixed = float((z_a + z_b) ** 2)

    def gap(d: float) -> float:
        return float(stage_probabilities(design, d)["reject"].sum()) - (1.0 - design.beta)

    # drift giving power 1 - beta with the bounds as they are (for beta-spending designs
    # this is the design's own drift unless user beta spending ends below beta)
    drift = brentq(gap, 1e-6, 30.0, xtol=1e-13, rtol=1e-14)
    shift = drift**2
    h1 = stage_probabilities(design, drift)
    asn = [
        float(stage_probabilities(design, d)["expected_information_rate"]) * shift / n_fixed
        for d in (drift, drift / 2.0, 0.0)
    ]
    return DesignCharacteristics(
        n_fixed=n_fixed,
        shift=float(shift),
        inflation_factor=float(shift / n_fixed),
        information=[float(shift * x) for x in design.information_rates],
        power=[float(x) for x in np.cumsum(h1["reject"])],
        rejection_probabilities=[float(x) for x in h1["reject"]],
        futility_probabilities=[float(x) for x in h1["futility"][:-1]],
        average_sample_number1=asn[0],
        average_sample_number01=asn[1],
        average_sample_number0=asn[2],
    )
