"""The population PBPK engine: one ODE system built once, every subject stacked in one state vector.

A spec (:mod:`pharmakon.nano.delivery.pbpk_spec`) compiles into first-order transfers
between states (rate constants in 1/h, one value per subject) plus the saturable,
time-dependent phagocytic uptakes. The stacked system (subjects x states) is integrated by
scipy's BDF with an analytic sparse Jacobian (block diagonal, one block per subject), so
1,000 subjects cost one solve, not 1,000. Every transfer moves amount from one state to
another, so total amount is conserved to round-off: ``max_mass_balance_error`` checks it.

Population variability: each parameter named in ``population.cv`` is log-normal with its
spec value as the median, sigma^2 = ln(1 + CV^2), drawn from ``numpy.random.default_rng(seed)``
in subject order (parameters in the spec's order). The typical subject (all parameters at
their spec values) is simulated alongside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.integrate import BDF, solve_ivp

from pharmakon.errors import InputError, PharmakonError
from pharmakon.nano.delivery.pbpk_spec import PBPKSpec, parameter_value

__all__ = [
    "SolverError",
    "System",
    "Trajectories",
    "compile_system",
    "sample_parameters",
    "simulate",
    "output_times",
    "solve_states",
    "states_to_amounts",
]

EXCRETA = ("urine", "bile", "other")


class SolverError(PharmakonError):
    """The ODE solver failed; the message names the subject and the time."""

    exit_code = 3


@dataclass
class System:
    """A compiled spec for ``n`` subjects.

    ``states`` names the per-subject states; ``organ_states[c]`` the states summed into
    compartment ``c``'s amount. Transfers ``src -> dst`` have rates ``rates`` of shape
    (n, n_transfers) in 1/h; uptakes ``up_site -> up_pc`` have parameters of shape
    (n, n_uptakes): ``kmax`` (1/h), ``k50`` (h), ``hill``, ``cap`` (amount; inf: none).
    """

    states: list[str]
    organ_states: dict[str, list[int]]
    excreta_states: dict[str, int]
    src: np.ndarray
    dst: np.ndarray
    rates: np.ndarray
    up_site: np.ndarray
    up_pc: np.ndarray
    kmax: np.ndarray
    k50: np.ndarray
    hill: np.ndarray
    cap: np.ndarray
    dose_state: int
    dose: float

    @property
    def n_subjects(self) -> int:
        return self.rates.shape[0]

    @property
    def n_states(self) -> int:
        return len(self.states)


@dataclass
class Trajectories:
    """Amounts over time.

    ``amounts`` shape (n_subjects, n_times, n_compartments); ``excreted`` shape
    (n_subjects, n_times) (all routes); ``by_route`` route -> (n_subjects, n_times);
    ``typical``/``typical_excreted`` the subject with unvaried parameters.
    """

    times: np.ndarray
    compartments: list[str]
    amounts: np.ndarray
    excreted: np.ndarray
    by_route: dict[str, np.ndarray]
    typical: np.ndarray
    typical_excreted: np.ndarray
    dose: float
    max_mass_balance_error: float
    parameters: pd.DataFrame = field(default_factory=pd.DataFrame)
    typical_by_route: dict[str, np.ndarray] = field(default_factory=dict)

    def percentiles(self, qs: tuple[float, ...] = (5, 50, 95)) -> dict[str, np.ndarray]:
        """``{"p5": (n_times, n_compartments), ...}`` across subjects."""
        values = np.percentile(self.amounts, qs, axis=0)
        return {f"p{q:g}": values[i] for i, q in enumerate(qs)}

    def to_frame(self) -> pd.DataFrame:
        """One row per subject and time: ``subject``, ``time``, a column per compartment, ``excreted``."""
        n, t, _ = self.amounts.shape
        frame = pd.DataFrame(
            {"subject": np.repeat(np.arange(1, n + 1), t), "time": np.tile(self.times, n)},
        )
        for k, name in enumerate(self.compartments):
            frame[name] = self.amounts[:, :, k].reshape(-1)
        frame["excreted"] = self.excreted.reshape(-1)
        return frame


def output_times(hours: float, step: float) -> np.ndarray:
    """0, step, ..., hours (h); ``hours`` included."""
    if step <= 0 or hours <= 0:
        raise InputError("hours and step must be > 0", field="step" if step <= 0 else "hours")
    n = int(np.floor(hours / step + 1e-9))
    times = np.arange(n + 1) * step
    return times if np.isclose(times[-1], hours) else np.append(times, hours)


def sample_parameters(spec: PBPKSpec, n: int, seed: int | None = None) -> pd.DataFrame:
    """Log-normal multipliers -> parameter values, shape (n, n_varied); columns 'comp.param'.

    The median is the spec value; sigma^2 = ln(1 + CV^2). No population: an empty frame.
    """
    cv = spec.population.cv if spec.population else {}
    rng = np.random.default_rng(spec.population.seed if seed is None and spec.population else (seed or 0))
    by_name = {c.name: c for c in spec.compartments}
    out = {}
    for key, value in cv.items():
        comp, _, param = key.partition(".")
        base = parameter_value(by_name[comp], param)
        sigma = np.sqrt(np.log1p(value**2))
        out[key] = base * np.exp(sigma * rng.standard_normal(n))
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _value(params: pd.DataFrame, comp: str, param: str, default: float | None, n: int) -> np.ndarray:
    key = f"{comp}.{param}"
    if key in params:
        return params[key].to_numpy(float)
    return np.full(n, np.nan if default is None else float(default))


class _Builder:
    """Collects states and transfers while compiling a spec."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.states: list[str] = []
        self.src: list[int] = []
        self.dst: list[int] = []
        self.rates: list[np.ndarray] = []
        self.uptakes: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def state(self, name: str) -> int:
        self.states.append(name)
        return len(self.states) - 1

    def transfer(self, a: int, b: int, rate: np.ndarray) -> None:
        if np.any(rate > 0):
            self.src.append(a)
            self.dst.append(b)
            self.rates.append(np.broadcast_to(rate, (self.n,)).astype(float))


def compile_system(spec: PBPKSpec, params: pd.DataFrame | None = None, n: int = 1) -> System:
    """Build the transfers of ``spec`` for ``n`` subjects (``params``: varied values, one row each)."""
    params = params if params is not None else pd.DataFrame(index=pd.RangeIndex(n))
    n = len(params.index) if len(params.columns) else n
    b = _Builder(n)
    central = spec.central
    cb = b.state(central.name)
    excreta = {route: b.state(f"excreted.{route}") for route in EXCRETA}
    organ_states: dict[str, list[int]] = {central.name: [cb]}
    entry: dict[str, int] = {}  # state receiving an organ's inflow (capillary blood or whole organ)
    total_flow = {c.name: _value(params, c.name, "blood_flow", c.blood_flow, n) for c in spec.compartments}
    for c in spec.compartments:  # a returns_to target's outflow carries the flows returned into it
        if c.returns_to:
            total_flow[c.returns_to] = total_flow[c.returns_to] + total_flow[c.name]
    vb = _value(params, central.name, "volume", central.volume, n)
    b.transfer(cb, excreta["other"], _value(params, central.name, "clearance", central.clearance, n) / vb)
    b.transfer(cb, excreta["urine"], _value(params, central.name, "urine", central.urine, n) / vb)
    organs = [c for c in spec.compartments if c.name != central.name]
    for c in organs:
        entry[c.name] = _organ_states(b, c, params, organ_states, excreta, total_flow[c.name])
    for c in organs:
        q = _value(params, c.name, "blood_flow", c.blood_flow, n)
        b.transfer(cb, entry[c.name], q / vb)
        exit_state = entry[c.returns_to] if c.returns_to else cb
        v_exit = _exit_volume(c, params, n)
        b.transfer(entry[c.name], exit_state, total_flow[c.name] / v_exit)
    organ_states = {c.name: organ_states[c.name] for c in spec.compartments}  # the spec's order
    up = b.uptakes
    col = (lambda k: np.stack([u[k] for u in up], axis=1)) if up else (lambda k: np.zeros((n, 0)))
    return System(
        states=b.states,
        organ_states=organ_states,
        excreta_states=excreta,
        src=np.array(b.src, int),
        dst=np.array(b.dst, int),
        rates=np.stack(b.rates, axis=1) if b.rates else np.zeros((n, 0)),
        up_site=np.array([u[0] for u in up], int),
        up_pc=np.array([u[1] for u in up], int),
        kmax=col(2),
        k50=col(3),
        hill=col(4),
        cap=col(5),
        dose_state=cb,
        dose=spec.dose.amount,
    )


def _exit_volume(c, params: pd.DataFrame, n: int) -> np.ndarray:
    """Volume whose concentration leaves with the venous flow: capillary blood, or C_i/P_i's V_i*P_i."""
    v = _value(params, c.name, "volume", c.volume, n)
    if c.permeability_limited:
        return v * c.vascular_fraction
    return v * _value(params, c.name, "partition", c.partition, n)


def _organ_states(b: _Builder, c, params, organ_states, excreta, flow: np.ndarray) -> int:
    """Add an organ's states and internal transfers; return the state its inflow enters."""
    n = b.n
    v = _value(params, c.name, "volume", c.volume, n)
    p = _value(params, c.name, "partition", c.partition, n)
    cl = _value(params, c.name, "clearance", c.clearance, n)
    urine = _value(params, c.name, "urine", c.urine, n)
    bile = _value(params, c.name, "bile", c.bile, n)
    if c.permeability_limited:
        vv, vt = v * c.vascular_fraction, v * (1 - c.vascular_fraction)
        pa = _value(params, c.name, "permeability", c.permeability, n) * _value(
            params, c.name, "blood_flow", c.blood_flow, n
        )
        sv, st = b.state(f"{c.name}.vascular"), b.state(f"{c.name}.tissue")
        b.transfer(sv, st, pa / vv)
        b.transfer(st, sv, pa / (p * vt))
        b.transfer(st, excreta["other"], cl / vt)
        b.transfer(sv, excreta["urine"], urine / vv)
        b.transfer(st, excreta["bile"], bile / vt)
        states = [sv, st]
        entry, sites = sv, {"vascular": sv, "tissue": st}
    else:
        s = b.state(c.name)
        # C_i = A_i / V_i; CL_i * C_i and the routes act on the organ's own concentration
        b.transfer(s, excreta["other"], cl / v)
        b.transfer(s, excreta["urine"], urine / v)
        b.transfer(s, excreta["bile"], bile / v)
        states = [s]
        entry, sites = s, {"tissue": s}
    if c.phagocytic is not None:
        pc = b.state(f"{c.name}.phagocytic")
        states.append(pc)
        site = sites[c.phagocytic.site]
        g = c.phagocytic
        b.transfer(pc, site, _value(params, c.name, "phagocytic.release", g.release, n))
        cap = _value(params, c.name, "phagocytic.capacity", g.capacity, n) * v
        b.uptakes.append(
            (
                site,
                pc,
                _value(params, c.name, "phagocytic.max_rate", g.max_rate, n),
                _value(params, c.name, "phagocytic.half_time", g.half_time, n),
                _value(params, c.name, "phagocytic.hill", g.hill, n),
                np.where(np.isnan(cap), np.inf, cap),
            )
        )
    organ_states[c.name] = states
    return entry


class _Rhs:
    """dy/dt and its sparse Jacobian for the stacked system (subject-major: y[s*ns + k])."""

    def __init__(self, system: System, max_evaluations: int) -> None:
        n, ns = system.n_subjects, system.n_states
        self.system, self.n, self.ns = system, n, ns
        offs = (np.arange(n) * ns)[:, None]
        rows = np.concatenate([(offs + system.src).ravel(), (offs + system.dst).ravel()])
        cols = np.concatenate([(offs + system.src).ravel(), (offs + system.src).ravel()])
        data = np.concatenate([-system.rates.ravel(), system.rates.ravel()])
        self.linear = sparse.csr_matrix((data, (rows, cols)), shape=(n * ns, n * ns))
        self.site = (offs + system.up_site).ravel()
        self.pc = (offs + system.up_pc).ravel()
        self.evaluations, self.max_evaluations, self.last_t = 0, max_evaluations, 0.0

    @property
    def nonlinear(self) -> bool:
        return self.system.up_site.size > 0

    def _hill(self, t: float) -> np.ndarray:
        s = self.system
        tn = np.power(max(t, 0.0), s.hill)
        return s.kmax * tn / (np.power(s.k50, s.hill) + tn)

    def _uptake_terms(self, t: float, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rate constant K, capacity factor, amount at site), each (n, n_uptakes)."""
        y2 = y.reshape(self.n, self.ns)
        s = self.system
        frac = np.clip(1.0 - y2[:, s.up_pc] / s.cap, 0.0, None)
        return self._hill(t), frac, y2[:, s.up_site]

    def __call__(self, t: float, y: np.ndarray) -> np.ndarray:
        self.evaluations += 1
        self.last_t = t
        if self.evaluations > self.max_evaluations:
            raise SolverError(f"more than {self.max_evaluations:,} right-hand-side evaluations by t = {t:.4g} h")
        dy = self.linear @ y
        if self.nonlinear:
            k, frac, a = self._uptake_terms(t, y)
            u = (k * frac * a).ravel()
            # each organ has one phagocytic block: site and pc indices are unique, no ufunc.at needed
            dy[self.site] -= u
            dy[self.pc] += u
        return dy

    def jacobian(self, t: float, y: np.ndarray) -> sparse.csr_matrix:
        if not self.nonlinear:
            return self.linear
        k, frac, a = self._uptake_terms(t, y)
        d_site = (k * frac).ravel()  # du/dA_site
        limited = (frac > 0) & np.isfinite(self.system.cap)
        d_pc = np.where(limited, -k * a / np.where(np.isfinite(self.system.cap), self.system.cap, 1.0), 0.0).ravel()
        rows = np.concatenate([self.site, self.pc, self.site, self.pc])
        cols = np.concatenate([self.site, self.site, self.pc, self.pc])
        data = np.concatenate([-d_site, d_site, -d_pc, d_pc])
        extra = sparse.csr_matrix((data, (rows, cols)), shape=self.linear.shape)
        return (self.linear + extra).tocsr()


class _BlockBDF(BDF):
    """scipy's BDF with the Newton systems solved block by block.

    The stacked Jacobian is block diagonal (one ``block`` x ``block`` block per subject),
    so the iteration matrix I - cJ is inverted as a batch of small dense blocks
    (``numpy.linalg.inv`` on shape (n_subjects, block, block)) instead of by one sparse LU
    of the whole system: the same BDF steps, error control and tolerances, with linear-algebra
    cost linear in the number of subjects.
    """

    def __init__(self, fun, t0, y0, t_bound, *, block: int, **options) -> None:
        super().__init__(fun, t0, y0, t_bound, **options)
        n = self.n // block

        def lu(a: sparse.spmatrix) -> np.ndarray:
            self.nlu += 1
            coo = a.tocoo()
            flat = (coo.row // block) * block * block + (coo.row % block) * block + coo.col % block
            dense = np.bincount(flat, weights=coo.data, minlength=n * block * block).reshape(n, block, block)
            return np.linalg.inv(dense)

        def solve_lu(inverse: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.einsum("nij,nj->ni", inverse, b.reshape(n, block)).ravel()

        self.lu, self.solve_lu = lu, solve_lu


def solve_states(system: System, times: np.ndarray, rtol: float, atol: float, max_evaluations: int) -> np.ndarray:
    """Integrate the stacked system; states at ``times``, shape (n_subjects, n_times, n_states)."""
    n, ns = system.n_subjects, system.n_states
    y0 = np.zeros(n * ns)
    y0[np.arange(n) * ns + system.dose_state] = system.dose
    from threadpoolctl import threadpool_limits

    rhs = _Rhs(system, max_evaluations)
    jac = rhs.jacobian if rhs.nonlinear else rhs.linear
    try:
        # many tiny vector operations: BLAS threads only contend (10x slower on a loaded machine)
        with threadpool_limits(1):
            sol = solve_ivp(
                rhs,
                (0.0, float(times[-1])),
                y0,
                method=_BlockBDF,
                t_eval=times,
                rtol=rtol,
                atol=atol * system.dose,
                jac=jac,
                block=ns,
            )
    except SolverError as exc:
        raise SolverError(f"{_which(rhs, None)}: {exc}") from None
    if sol.status != 0 or not np.all(np.isfinite(sol.y)):
        raise SolverError(f"{_which(rhs, sol.y)} at t = {rhs.last_t:.4g} h: {sol.message}")
    return sol.y.reshape(n, ns, len(times)).transpose(0, 2, 1)


def _which(rhs: _Rhs, y: np.ndarray | None) -> str:
    """Name the failing subject: the first with a non-finite state, else the whole batch."""
    if y is not None and y.size:
        bad = ~np.all(np.isfinite(y.reshape(rhs.n, rhs.ns, -1)), axis=(1, 2))
        if bad.any():
            return f"solver failed for subject {int(np.flatnonzero(bad)[0]) + 1}"
    return "solver failed" + (" for subject 1" if rhs.n == 1 else f" for subjects 1-{rhs.n} (solved together)")


def states_to_amounts(system: System, states: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(amounts (n, t, n_comp), excreted (n, t), by route) from states (n, t, n_states)."""
    amounts = np.stack([states[:, :, idx].sum(axis=2) for idx in system.organ_states.values()], axis=2)
    routes = {r: states[:, :, i] for r, i in system.excreta_states.items()}
    return amounts, sum(routes.values()), routes


def simulate(
    spec: PBPKSpec,
    times: np.ndarray,
    *,
    subjects: int | None = None,
    seed: int | None = None,
    params: pd.DataFrame | None = None,
) -> Trajectories:
    """Simulate the typical subject and the population of ``spec`` at ``times`` (h).

    Parameters
    ----------
    subjects : int, optional
        Overrides ``population.n``; without a population every subject is the typical one.
    seed : int, optional
        Overrides ``population.seed``.
    params : DataFrame, optional
        Varied parameter values, one row per subject (columns 'comp.param'); default drawn
        by :func:`sample_parameters`.

    Raises
    ------
    SolverError
        Naming the subject and the time where the solver failed.
    """
    n = subjects or (spec.population.n if spec.population else 1)
    if params is None:
        params = sample_parameters(spec, n, seed)
    typical_sys = compile_system(spec, None, 1)
    typical_states = solve_states(typical_sys, times, spec.solver.rtol, spec.solver.atol, spec.solver.max_evaluations)
    t_amounts, t_excreted, t_routes = states_to_amounts(typical_sys, typical_states)
    if len(params.columns):
        system = compile_system(spec, params)
        states = solve_states(system, times, spec.solver.rtol, spec.solver.atol, spec.solver.max_evaluations)
        amounts, excreted, routes = states_to_amounts(system, states)
    else:  # every subject is the typical one
        amounts = np.repeat(t_amounts, n, axis=0)
        excreted = np.repeat(t_excreted, n, axis=0)
        routes = {r: np.repeat(typical_states[:, :, i], n, axis=0) for r, i in typical_sys.excreta_states.items()}
    error = max(
        _balance_error(amounts, excreted, spec.dose.amount), _balance_error(t_amounts, t_excreted, spec.dose.amount)
    )
    return Trajectories(
        times=np.asarray(times, float),
        compartments=list(typical_sys.organ_states),
        amounts=amounts,
        excreted=excreted,
        by_route=routes,
        typical=t_amounts[0],
        typical_excreted=t_excreted[0],
        dose=spec.dose.amount,
        max_mass_balance_error=error,
        parameters=params,
        typical_by_route={r: v[0] for r, v in t_routes.items()},
    )


def _balance_error(amounts: np.ndarray, excreted: np.ndarray, dose: float) -> float:
    """Largest |sum of amounts + excreted - dose| / dose over subjects and times."""
    return float(np.max(np.abs(amounts.sum(axis=2) + excreted - dose)) / dose)
