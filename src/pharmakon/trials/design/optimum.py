"""Wang-Tsiatis designs with the optimum Delta (rpact ``typeOfDesign = "WToptimum"``).

The Delta of a Wang-Tsiatis design (boundaries ``c t_k^(Delta - 1/2)``) is chosen to
minimise an average-sample-number criterion, relative to the fixed design:

* ``ASNH1``: expected sample size under H1;
* ``ASNIFH1``: expected sample size under H1 plus the inflation factor;
* ``ASNsum``: expected sample sizes under H0, H1/2 and H1 added up.

As rpact does, the minimiser over Delta in [-0.5, 1] (bounded Brent search) is rounded
to three decimals and the design is computed at the rounded Delta, so the result is
an ordinary WT design (``type_of_design = "WT"``, ``delta_wt`` set).
"""

from __future__ import annotations

from collections.abc import Sequence

from scipy.optimize import minimize_scalar

from pharmakon.errors import InputError
from pharmakon.trials.design.characteristics import design_characteristics
from pharmakon.trials.design.groupsequential import GroupSequentialDesign, design_group_sequential

__all__ = ["OPTIMIZATION_CRITERIA", "design_wt_optimum"]

OPTIMIZATION_CRITERIA = ("ASNH1", "ASNIFH1", "ASNsum")


def design_wt_optimum(
    kmax: int = 3,
    alpha: float = 0.025,
    beta: float = 0.2,
    sided: int = 1,
    information_rates: Sequence[float] | None = None,
    *,
    optimization_criterion: str = "ASNH1",
) -> GroupSequentialDesign:
    """The Wang-Tsiatis design whose Delta minimises ``optimization_criterion``.

    Examples
    --------
    >>> d = design_wt_optimum(3, 0.025, 0.23, information_rates=[0.3, 0.8, 1])
    >>> d.delta_wt
    0.393
    """
    if optimization_criterion not in OPTIMIZATION_CRITERIA:
        raise InputError(
            f"optimization_criterion must be one of {', '.join(OPTIMIZATION_CRITERIA)}, got {optimization_criterion!r}",
            field="optimization_criterion",
        )
    kw = {"kmax": kmax, "alpha": alpha, "beta": beta, "sided": sided, "information_rates": information_rates}

    def criterion(delta: float) -> float:
        c = design_characteristics(design_group_sequential(type_of_design="WT", delta_wt=delta, **kw))
        if optimization_criterion == "ASNH1":
            return c.average_sample_number1
        if optimization_criterion == "ASNIFH1":
            return c.average_sample_number1 + c.inflation_factor
        return c.average_sample_number0 + c.average_sample_number01 + c.average_sample_number1

    design_group_sequential(type_of_design="WT", delta_wt=0.0, **kw)  # validates the inputs first
    best = minimize_scalar(criterion, bounds=(-0.5, 1.0), method="bounded", options={"xatol": 1e-6})
    return design_group_sequential(type_of_design="WT", delta_wt=round(float(best.x), 3), **kw)
