"""The strict-JSON check's fast path never lets through what JSON does not allow."""

from __future__ import annotations

import pytest

from pharmakon.api.app import json_body_problem

REFUSED = [
    b'{"a": NaN}',
    b'{"a": [1, 2, Infinity]}',
    b'{"a": {"b": -Infinity}}',
    b'{"a": 1e400}',
    b'{"a": -1E+309}',
    b'{"a": 12345678901234567890}',
    b'{"a": 9223372036854775808}',
    b'{"a": "\\ud800"}',
    b'{"a": ["ok", "\\udfff"]}',
]
ACCEPTED = [
    b'{"a": 1}',
    b'{"a": "NaN", "b": "Infinity"}',
    b'{"a": [1.5, -2e10, 3, 1e99, 123456789012345678]}',
    b'{"a": 9223372036854775807}',
    b'{"a": 1E308}',
    b'{"a": "\\u00e9"}',
    '{"a": "é"}'.encode(),
    b'{"a": null, "b": true, "c": [], "d": {}}',
]


@pytest.mark.parametrize("body", REFUSED)
def test_refused_bodies_name_the_field(body: bytes) -> None:
    problem = json_body_problem(body)
    assert problem is not None and problem[1] is not None and problem[1].startswith("a")


@pytest.mark.parametrize("body", ACCEPTED)
def test_strict_bodies_pass(body: bytes) -> None:
    assert json_body_problem(body) is None


def test_not_json_is_left_to_fastapi() -> None:
    assert json_body_problem(b"{bad") is None
