"""Digital twin of continuous nanoparticle formation by microfluidic nanoprecipitation.

Mechanistic form (log particle size, ``d`` in nm)::

    ln d = ln d0 + p · ln(τ_rel) + s · x_s + Σ_j γ_j φ_j

- ``x_s = r / (1 + r)`` is the solvent fraction of the mixed stream for a
  solvent/antisolvent flow-rate ratio ``r`` (S/AS);
- ``τ_rel = (x_s / x_ref)²`` is the mixing time relative to a reference ratio:
  in hydrodynamic focusing the focused solvent stream is ``w_f ∝ x_s`` wide and
  diffusive mixing takes ``τ_mix ∝ w_f² / D`` (Karnik et al. 2008), and particles stop
  growing when mixing completes, so ``d ∝ τ_mix^p``;
- ``s · x_s`` is the solvent-quality term: more solvent in the final mixture means
  lower supersaturation and more growth;
- ``φ_j`` are the fractions of the PEGylated polymers (PLGA-PEG with -L, -COOH and
  -NH2 ends); PLGA is the reference (the fractions sum to 1), ``γ_j`` their effect on
  stabilisation.

What the PLGA-PEG data (polymer fractions, S/AS; no total flow rate, no polymer
concentration) cannot identify: the total-flow-rate exponent (τ_mix ∝ 1/Q_total at a
fixed ratio) and the concentration exponent are absorbed into ``d0``, which therefore
holds only at the (unrecorded) flow rate and concentration of those experiments; the
diffusivity and channel width are absorbed too. ``p`` and ``s`` are separable only
through the curvature over the four S/AS levels and are strongly correlated.

References
----------
Karnik, R. et al. (2008). Microfluidic platform for controlled synthesis of polymeric
nanoparticles. Nano Letters 8(9), 2906-2912.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["GAMMA", "POLYMERS", "RATIO", "TwinFit", "fit_twin", "twin_log_size", "correct_setpoint", "RATIO_BOUNDS"]

#: Polymer fraction columns; the first is the reference.
POLYMERS = ("PLGA", "PP-L", "PP-COOH", "PP-NH2")
#: Flow-ratio column (solvent / antisolvent).
RATIO = "S/AS"
#: Range of S/AS the data cover (a set-point outside it would be an extrapolation).
RATIO_BOUNDS = (0.1, 0.25)
_X_REF = 0.2 / 1.2  # x_s at S/AS = 0.2
#: Parameter name of each PEGylated polymer's effect (lmfit names are identifiers).
GAMMA = {"PP-L": "g_L", "PP-COOH": "g_COOH", "PP-NH2": "g_NH2"}


def twin_log_size(params: dict[str, float], ratio: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """``ln d`` of the mechanistic form for S/AS ``ratio`` (n,) and ``fractions`` (n, 4) of :data:`POLYMERS`."""
    r = np.asarray(ratio, float)
    xs = r / (1.0 + r)
    f = np.asarray(fractions, float)
    out = params["ln_d0"] + params["p"] * 2.0 * np.log(xs / _X_REF) + params["s"] * xs
    for j, name in enumerate(POLYMERS[1:], 1):
        out = out + params[GAMMA[name]] * f[:, j]
    return out


@dataclass(frozen=True)
class TwinFit:
    """Fitted parameters with standard errors (lmfit, least squares on ln d)."""

    params: dict[str, float]
    stderr: dict[str, float | None]
    correlation_p_s: float | None
    rmse_log: float
    n: int

    def predict(self, ratio: np.ndarray, fractions: np.ndarray) -> np.ndarray:
        """Predicted size, nm, shape (n,)."""
        return np.exp(twin_log_size(self.params, ratio, fractions))


def fit_twin(ratio: np.ndarray, fractions: np.ndarray, size_nm: np.ndarray) -> TwinFit:
    """Fit the mechanistic form by least squares on ``ln d`` with :mod:`lmfit`.

    Parameters
    ----------
    ratio : ndarray, shape (n,)
        S/AS flow-rate ratio.
    fractions : ndarray, shape (n, 4)
        Polymer fractions in the order of :data:`POLYMERS`.
    size_nm : ndarray, shape (n,)
        Z-average size, nm (> 0).
    """
    import lmfit

    y = np.log(np.asarray(size_nm, float))
    params = lmfit.Parameters()
    params.add("ln_d0", value=float(np.mean(y)))
    params.add("p", value=0.1)
    params.add("s", value=0.0)
    for name in POLYMERS[1:]:
        params.add(GAMMA[name], value=0.0)

    def residual(p: Any) -> np.ndarray:
        return twin_log_size(p.valuesdict(), ratio, fractions) - y

    res = lmfit.minimize(residual, params, method="leastsq")
    values = {k: float(v.value) for k, v in res.params.items()}
    stderr = {k: (None if v.stderr is None else float(v.stderr)) for k, v in res.params.items()}
    corr = res.params["p"].correl.get("s") if res.params["p"].correl else None
    rmse = float(np.sqrt(np.mean(res.residual**2)))
    return TwinFit(values, stderr, None if corr is None else float(corr), rmse, len(y))


def correct_setpoint(
    twin: TwinFit,
    fractions: np.ndarray,
    target_nm: float,
    drift_log: float,
    bounds: tuple[float, float] = RATIO_BOUNDS,
    correction: Callable[[np.ndarray], np.ndarray] | None = None,
) -> float:
    """S/AS that brings the twin's predicted size, shifted by the estimated drift, closest to ``target_nm``.

    Parameters
    ----------
    fractions : ndarray, shape (4,)
        The formulation (fractions of :data:`POLYMERS`).
    drift_log : float
        Estimated drift of ``ln d`` (mean of observed minus predicted log sizes).
    bounds : (float, float)
        Allowed S/AS range (the data's, so the correction never extrapolates).
    correction : callable, optional
        ``correction(ratios)`` -> the ML residual correction of ``ln d`` at each S/AS
        (shape (k,) -> (k,)); the set-point is then chosen on twin + correction.
    """
    from scipy.optimize import minimize_scalar

    f = np.asarray(fractions, float).reshape(1, -1)

    def model(r: np.ndarray) -> np.ndarray:
        out = twin_log_size(twin.params, r, np.repeat(f, len(r), axis=0))
        return out + correction(r) if correction is not None else out

    def loss(r: float) -> float:
        return float((model(np.array([r]))[0] + drift_log - np.log(target_nm)) ** 2)

    # The form can have a minimum inside the range: search a grid, then refine around the best point.
    grid = np.linspace(bounds[0], bounds[1], 61)
    best = grid[int(np.argmin((model(grid) + drift_log - np.log(target_nm)) ** 2))]
    step = grid[1] - grid[0]
    lo, hi = max(bounds[0], best - step), min(bounds[1], best + step)
    return float(minimize_scalar(loss, bounds=(lo, hi), method="bounded").x)
