"""Designs against pyDOE3 itself and the defining properties of each kind."""

from __future__ import annotations

import numpy as np
import pyDOE3
import pytest

from pharmakon.errors import InputError
from pharmakon.nano.formulation.designs import make_design
from pharmakon.nano.formulation.space import Space

BOX = Space.parse({"factors": [{"name": f"x{i}", "low": -1.0 * i, "high": 2.0 + i} for i in range(4)]})
MIX = Space.parse(
    {
        "factors": [
            {"name": "A", "low": 0.1, "high": 1},
            {"name": "B", "low": 0.0, "high": 1},
            {"name": "C", "low": 0.2, "high": 1},
        ],
        "mixture": {"components": ["A", "B", "C"], "total": 1.0},
    }
)


def test_full_factorial_has_2_to_the_k_distinct_rows_as_pydoe3() -> None:
    d = make_design(BOX, "full-factorial", levels=2)
    highs = np.array([f.high for f in BOX.factors])
    coded = np.where(d.table.to_numpy() == highs, 1, -1)
    assert len(d.table) == 2**4 == len({tuple(r) for r in coded})
    assert {tuple(r) for r in coded} == {tuple(r) for r in pyDOE3.ff2n(4).astype(int)}


def test_fractional_factorial_resolution_and_balance() -> None:
    space = Space.parse({"factors": [{"name": f"f{i}", "low": 0, "high": 1} for i in range(5)]})
    d = make_design(space, "fractional-factorial", runs=16)
    assert len(d.table) == 16 and d.resolution >= 4 and "resolution" in d.notes[0]
    assert len(pyDOE3.fracfact_by_res(5, d.resolution)) == 16  # what pyDOE3 builds at that resolution
    assert np.allclose(d.table.mean().to_numpy(), 0.5)  # each column balanced
    coded = 2 * d.table.to_numpy() - 1
    assert np.allclose(coded.T @ coded, 16 * np.eye(5))  # main effects orthogonal


def test_lhs_puts_exactly_one_point_in_each_stratum() -> None:
    n = 10
    d = make_design(BOX, "lhs", runs=n, seed=4)
    for f in BOX.factors:
        u = (d.table[f.name].to_numpy() - f.low) / (f.high - f.low)
        assert sorted(np.floor(u * n).astype(int)) == list(range(n))


def test_sobol_and_lhs_fill_the_requested_runs_inside_constraints() -> None:
    space = Space.parse({**MIX.model_dump(), "constraints": ["A + B <= 0.6"]})
    for kind in ("lhs", "sobol"):
        d = make_design(space, kind, runs=12, seed=1)
        assert len(d.table) == 12
        assert all(not space.violations(r) for r in d.table.to_dict("records"))


@pytest.mark.parametrize("kind", ["mixture-lattice", "mixture-centroid", "lhs", "sobol", "d-optimal"])
def test_mixture_rows_sum_to_the_total(kind: str) -> None:
    d = make_design(MIX, kind, runs=8, levels=3, seed=0)
    assert len(d.table) > 0
    assert np.abs(d.table[["A", "B", "C"]].sum(axis=1) - 1.0).max() < 1e-9
    assert (d.table["A"] >= 0.1 - 1e-12).all() and (d.table["C"] >= 0.2 - 1e-12).all()


def test_lattice_and_centroid_point_counts() -> None:
    free = Space.parse(
        {"factors": [{"name": n, "low": 0, "high": 1} for n in "ABC"], "mixture": {"components": list("ABC")}}
    )
    assert len(make_design(free, "mixture-lattice", levels=3).table) == 10  # C(q+m-1, m) = C(5, 3)
    assert len(make_design(free, "mixture-centroid").table) == 2**3 - 1


def test_d_optimal_beats_random_rows_of_the_candidate_set() -> None:
    from pharmakon.nano.formulation.designs import _model_matrix, sample_feasible  # noqa: PLC2701 (same package)

    d = make_design(BOX, "d-optimal", runs=8, seed=0)
    F = _model_matrix(BOX, d.table)
    cand = sample_feasible(BOX, 512, seed=0)
    rand = _model_matrix(BOX, cand.sample(8, random_state=1))
    assert np.linalg.slogdet(F.T @ F)[1] > np.linalg.slogdet(rand.T @ rand)[1]


def test_bad_design_requests() -> None:
    with pytest.raises(InputError, match="mixture"):
        make_design(MIX, "full-factorial")
    with pytest.raises(InputError, match="needs --runs"):
        make_design(BOX, "lhs")
    with pytest.raises(InputError, match="unknown design kind"):
        make_design(BOX, "taguchi")
