"""Large populations in batches through :mod:`pharmakon.executor`.

Parameters of all subjects are drawn first (one seeded stream, subject order), then cut
into batches of ``batch_size`` subjects; each batch is one stacked solve on a worker. The
same seed gives the same subjects whatever the backend or the batch size.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.nano.delivery.pbpk import (
    Trajectories,
    compile_system,
    sample_parameters,
    solve_states,
    states_to_amounts,
)
from pharmakon.nano.delivery.pbpk_spec import PBPKSpec, parse_spec

__all__ = ["simulate_population", "DEFAULT_BATCH"]

#: Subjects per stacked solve (the speed floor's 1,000 subjects fit in one).
DEFAULT_BATCH = 1000


def _batch(item: tuple[dict, dict[str, list[float]], list[float], bool]) -> tuple[Any, ...]:
    """Solve one batch; returns (amounts, excreted, routes, max balance error) (top-level: picklable)."""
    spec_data, columns, times, compact = item
    spec = parse_spec(spec_data)
    params = pd.DataFrame(columns)
    system = compile_system(spec, params, n=len(next(iter(columns.values()), [])) or 1)
    states = solve_states(system, np.asarray(times), spec.solver.rtol, spec.solver.atol, spec.solver.max_evaluations)
    amounts, excreted, routes = states_to_amounts(system, states)
    error = float(np.max(np.abs(amounts.sum(axis=2) + excreted - spec.dose.amount)) / spec.dose.amount)
    dtype = np.float32 if compact else np.float64  # 100,000 subjects: half the memory
    return amounts.astype(dtype), excreted.astype(dtype), {k: v.astype(dtype) for k, v in routes.items()}, error


def simulate_population(
    spec: PBPKSpec,
    times: np.ndarray,
    *,
    subjects: int | None = None,
    seed: int | None = None,
    backend: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    params: pd.DataFrame | None = None,
) -> Trajectories:
    """Like :func:`pharmakon.nano.delivery.pbpk.simulate`, batched over the executor when needed.

    Amounts are float32 above 10,000 subjects (the mass balance is checked in float64 on the
    workers first).
    """
    from pharmakon.nano.delivery.pbpk import simulate

    n = subjects or (spec.population.n if spec.population else 1)
    if params is None:
        params = sample_parameters(spec, n, seed)
    if n <= batch_size or not len(params.columns):
        return simulate(spec, times, subjects=n, seed=seed, params=params)
    typical = simulate(spec, times, subjects=1, params=pd.DataFrame(index=pd.RangeIndex(1)))
    data = spec.model_dump(mode="json", exclude_none=True)
    compact = n > 10_000
    items = [
        (data, {k: v.tolist() for k, v in params.iloc[a : a + batch_size].items()}, list(map(float, times)), compact)
        for a in range(0, n, batch_size)
    ]
    from pharmakon.executor import get_executor

    with get_executor(backend) as ex:
        parts = ex.map(functools.partial(_batch), items)
    amounts = np.concatenate([p[0] for p in parts])
    excreted = np.concatenate([p[1] for p in parts])
    routes = {r: np.concatenate([p[2][r] for p in parts]) for r in parts[0][2]}
    error = max([p[3] for p in parts] + [typical.max_mass_balance_error])
    return Trajectories(
        times=typical.times,
        compartments=typical.compartments,
        amounts=amounts,
        excreted=excreted,
        by_route=routes,
        typical=typical.typical,
        typical_excreted=typical.typical_excreted,
        dose=spec.dose.amount,
        max_mass_balance_error=error,
        parameters=params,
        typical_by_route=typical.typical_by_route,
    )
