"""Batch proposals: the guarantees of ``nano propose`` (K rows, bounds, mixture, constraints, no repeats)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.errors import InputError
from pharmakon.nano.formulation.propose import parse_objective, parse_output_constraint, propose_batch
from pharmakon.nano.formulation.space import Space

from .conftest import SPACE6


def _check(space: Space, table: pd.DataFrame, observed: pd.DataFrame, k: int) -> None:
    assert len(table) == k
    for row in table.to_dict("records"):
        assert space.violations(row) == []  # bounds, levels, mixture within 1e-6, linear constraints
    mix = space.mixture.components
    assert np.abs(table[mix].sum(axis=1) - 1.0).max() <= 1e-6
    keys = {tuple(np.round(r, 9)) for r in observed[space.numeric_names].to_numpy(float)}
    new = [tuple(np.round(r, 9)) for r in table[space.numeric_names].to_numpy(float)]
    assert len(set(new)) == k and not keys & set(new)


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_continuous_batch_meets_every_guarantee(space6: Space, observed6: pd.DataFrame, sampler: str) -> None:
    objectives = [parse_objective("maximize:potency"), parse_objective("target:size=120")]
    p = propose_batch(
        space6, observed6, objectives, k=8, constraints=[parse_output_constraint("PDI<0.2")], sampler=sampler, seed=1
    )
    _check(space6, p.table, observed6, 8)
    for col in ("potency", "size", "PDI"):
        t = p.table
        assert (t[f"lower_{col}"] <= t[f"predicted_{col}"]).all() and (t[f"predicted_{col}"] <= t[f"upper_{col}"]).all()
    assert np.isfinite(p.table["acquisition"]).all()


def test_same_seed_same_batch(space6: Space, observed6: pd.DataFrame) -> None:
    obj = [parse_objective("maximize:potency")]
    a = propose_batch(space6, observed6.head(30), obj, k=4, seed=2).table
    b = propose_batch(space6, observed6.head(30), obj, k=4, seed=2).table
    pd.testing.assert_frame_equal(a, b)


def test_batch_improves_on_random_picks_for_a_smooth_surface(space6: Space, observed6: pd.DataFrame) -> None:
    """The proposals' true potency beats the median of the observations (a weak but failing-able check)."""
    from .conftest import response

    p = propose_batch(space6, observed6, [parse_objective("maximize:potency")], k=8, seed=0)
    truth = response(p.table)["potency"]
    assert truth.max() > observed6["potency"].median()


def test_pool_mode_picks_unobserved_rows_of_the_pool(space6: Space, observed6: pd.DataFrame) -> None:
    obs, pool = observed6.head(40), observed6.iloc[30:].copy()  # 10 pool rows were observed already
    pool["rid"] = [f"r{i}" for i in range(len(pool))]
    p = propose_batch(space6, obs, [parse_objective("maximize:potency")], k=6, candidates=pool, id_col="rid")
    assert len(p.table) == 6 and p.table["rid"].is_unique
    assert set(p.table["rid"]) <= set(pool["rid"].iloc[10:])
    assert list(p.table.columns[:1]) == ["rid"]


def test_infeasible_space_names_the_constraints(observed6: pd.DataFrame) -> None:
    space = Space.parse({**SPACE6, "constraints": ["IL >= 0.55", "HL >= 0.25"]})
    with pytest.raises(InputError, match="'IL >= 0.55'; 'HL >= 0.25'"):
        propose_batch(space, observed6, [parse_objective("maximize:potency")], k=2)


def test_missing_objective_column_names_the_file(space6: Space, observed6: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="obs.csv.*'uptake'"):
        propose_batch(space6, observed6, [parse_objective("maximize:uptake")], k=2, file="obs.csv")


@pytest.mark.parametrize("text", ["maximise:x", "target:x", "target:x=abc", "x"])
def test_bad_objectives(text: str) -> None:
    with pytest.raises(InputError, match="objective"):
        parse_objective(text)


def test_output_constraint_parsing() -> None:
    c = parse_output_constraint("PDI<0.2")
    assert (c.column, c.op, c.value) == ("PDI", "<", 0.2)
    assert c.violation(np.array([0.1]))[0] < 0 < parse_output_constraint("EE>=80").violation(np.array([70.0]))[0]
    with pytest.raises(InputError):
        parse_output_constraint("PDI is small")
