"""Schemathesis over EVERY API operation (issue 13): no answer is a server error.

Bounded, derandomised examples per operation with an admin token, offline (ASGI, no
network), on SQLite. The route table is read from the served schema, so operations added
later are fuzzed too. Marked slow: about 90 s for 87 operations on two cores (20 examples each, 2 for the operations that run real jobs).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402 - hypothesis comes with schemathesis
from schemathesis.checks import not_a_server_error  # noqa: E402

from pharmakon.api.app import API_PREFIX  # noqa: E402
from pharmakon.server import create_app  # noqa: E402
from pharmakon.store import Store  # noqa: E402

#: Examples per operation: enough to reach each field's bounds and types, few enough for ~90 s over 40+ operations.
EXAMPLES = 20
#: Operations whose valid requests run a real job (train models on the data mirror, simulate a population):
#: a handful of examples each, since every valid one takes seconds.
HEAVY = {("POST", "/api/v1/nano/delivery/models"), ("POST", "/api/v1/nano/delivery/ai-pbpk")}
HEAVY_EXAMPLES = 2
#: Seconds one request may take: a slow answer on a loaded machine is not a server error; a hang still fails.
REQUEST_TIMEOUT_S = 120


@pytest.fixture
def hypothesis_home(tmp_path):
    """Hypothesis keeps its caches here, not in the checkout."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


def _reason(exc: BaseException) -> str:
    """The failures schemathesis found, with the request that reproduces the first (kept short)."""
    text = str(exc)
    if isinstance(exc, BaseExceptionGroup):
        text += " " + "; ".join(str(e) for e in exc.exceptions)
        for note in getattr(exc, "__notes__", ()):
            text += " " + note
    return " ".join(text.split())[:800]


def _fuzz(operation, headers: dict[str, str]) -> str | None:
    """The first server error schemathesis finds on ``operation``, or None."""

    heavy = (operation.method.upper(), operation.path) in {(m, p.removeprefix(API_PREFIX)) for m, p in HEAVY} | HEAVY

    @given(case=operation.as_strategy())
    @settings(
        max_examples=HEAVY_EXAMPLES if heavy else EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported as found
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        case.validate_response(case.call(headers=headers, timeout=REQUEST_TIMEOUT_S), checks=[not_a_server_error])

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - schemathesis raises a BaseExceptionGroup
        return f"{operation.method.upper()} {operation.path}: {_reason(exc)}"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_operation_answers_a_server_error(store: Store, make_user, hypothesis_home) -> None:
    token = make_user("root", "admin")[2]
    schema = schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", create_app())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40  # every operation, not a chosen few
    assert HEAVY <= {(op.method.upper(), op.path) for op in operations}  # the list names real operations
    failures = [f for op in operations if (f := _fuzz(op, {"Authorization": f"Bearer {token}"})) is not None]
    assert not failures, "server errors:\n" + "\n\n".join(failures)
