"""Design spaces: constraint parsing, feasibility, the conflicting constraints named."""

from __future__ import annotations

import pytest

from pharmakon.errors import InputError
from pharmakon.nano.formulation.space import Space, load_space, parse_constraint

BASE = {
    "factors": [
        {"name": "PLGA", "low": 0, "high": 1},
        {"name": "PP-L", "low": 0, "high": 1},
        {"name": "B", "low": 0, "high": 1},
    ],
    "mixture": {"components": ["PLGA", "PP-L", "B"], "total": 1.0},
}


def test_parse_constraints_with_hyphenated_names_and_coefficients() -> None:
    space = Space.parse(BASE)
    c = parse_constraint("PLGA + PP-L <= 0.8", space)
    assert c.coef == {"PLGA": 1.0, "PP-L": 1.0} and c.rhs == 0.8
    c = parse_constraint("2*PLGA - B >= 0.1", space)  # >= flips to <=
    assert c.coef == {"PLGA": -2.0, "B": 1.0} and c.rhs == -0.1
    assert c.value({"PLGA": 0.5, "B": 0.2}) == pytest.approx(-1.0 + 0.2 + 0.1)


def test_constraint_naming_no_factor_is_refused() -> None:
    with pytest.raises(InputError, match="'Q', which is not a factor"):
        Space.parse({**BASE, "constraints": ["Q <= 1"]})


def test_infeasible_space_names_the_conflicting_constraints() -> None:
    space = Space.parse({**BASE, "constraints": ["PLGA <= 0.1", "B <= 0.3", "PLGA + B >= 0.9", "PP-L <= 1"]})
    with pytest.raises(InputError) as err:
        space.check_feasible()
    msg = str(err.value)
    assert "'PLGA <= 0.1'" in msg and "'B <= 0.3'" in msg and "'PLGA + B >= 0.9'" in msg
    assert "'PP-L <= 1'" not in msg


def test_mixture_total_outside_the_bounds_is_named() -> None:
    space = Space.parse({**BASE, "mixture": {"components": ["PLGA", "PP-L", "B"], "total": 5.0}})
    with pytest.raises(InputError, match="mixture total 5"):
        space.check_feasible()


def test_space_file_errors_name_the_file(tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("factors:\n  - {name: A, type: continuous, low: 2, high: 1}\n")
    with pytest.raises(InputError, match="s.yaml") as err:
        load_space(path)
    assert "low 2 is above high 1" in str(err.value)
    path.write_text("factors:\n  - {name: A, typo: 1}\n")
    with pytest.raises(InputError, match="typo"):
        load_space(path)


def test_violations_list_every_reason() -> None:
    space = Space.parse({**BASE, "constraints": ["PLGA + PP-L <= 0.8"]})
    assert space.violations({"PLGA": 0.2, "PP-L": 0.3, "B": 0.5}) == []
    reasons = space.violations({"PLGA": 0.6, "PP-L": 0.5, "B": 0.2})
    assert any("mixture" in r for r in reasons) and any("PLGA + PP-L" in r for r in reasons)
