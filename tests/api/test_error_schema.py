"""The OpenAPI schema tells the truth about errors (issue 13, finding 13).

Every error answer is a ``Problem`` (``{"detail": str, "field": str | null}``), the
schema declares it for each error status an operation gives, and schemathesis finds no
5xx on a few operations (offline, bounded examples).
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from pharmakon.store import Store


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _operations(schema: dict[str, Any]):
    for path, methods in schema["paths"].items():
        if path.startswith(API_PREFIX):
            for method, operation in methods.items():
                yield path, method, operation


def test_every_error_status_is_documented_as_a_problem(pharmakon_home) -> None:
    schema = create_app().openapi()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["Problem"]["properties"]["detail"]["type"] == "string"
    for path, method, operation in _operations(schema):
        errors = {code: r for code, r in operation["responses"].items() if not code.startswith("2")}
        assert "503" in errors, f"{method} {path}"
        if "requestBody" in operation or operation.get("parameters"):
            assert "422" in errors, f"{method} {path}"
        if operation.get("security"):
            assert {"401", "403"} <= set(errors), f"{method} {path}"
        for code, response in errors.items():
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Problem", f"{method} {path} {code}"


def _problem_validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    problem = {**schema["components"]["schemas"]["Problem"], "components": schema["components"]}
    return jsonschema.Draft202012Validator(problem)


def test_answers_match_the_documented_error_schema(client: TestClient, make_user) -> None:
    _, _, viewer = make_user("vic", "viewer")
    _, _, admin = make_user("root", "admin")
    schema = client.get(f"{API_PREFIX}/openapi.json").json()
    validator = _problem_validator(schema)
    json_headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    cases = [
        ("get", "/models", None, {}, 401),  # no credentials
        ("post", "/audit/verify", None, {"Authorization": f"Bearer {viewer}"}, 403),
        ("get", "/models/nope", None, {"Authorization": f"Bearer {admin}"}, 404),
        ("post", "/trial/designs/compute", b'{"alpha": 0.9}', json_headers, 422),  # FastAPI's validation
        ("post", "/trial/samplesize/means", b"{}", json_headers, 422),  # an InputError of the service
        ("post", "/trial/designs/compute", b'{"alpha": NaN}', json_headers, 422),  # not JSON
        ("get", "/trial/designs/d?version=0", None, {"Authorization": f"Bearer {admin}"}, 422),  # a query parameter
        ("post", "/trial/designs/compute", b'{"a": "\xff"}', json_headers, 400),  # not UTF-8
    ]
    for method, path, body, headers, status in cases:
        response = client.request(method, API_PREFIX + path, content=body, headers=headers)
        assert response.status_code == status, (path, response.text)
        validator.validate(response.json())
        template = (
            path.split("?")[0]
            .replace("/nope", "/{name}")
            .replace("/designs/d", "/designs/{name}")
            .replace("/means", "/{endpoint}")
        )
        operation = schema["paths"][API_PREFIX + template][method]
        assert str(status) in operation["responses"], f"{status} of {method} {path} is not documented"


schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402 - hypothesis comes with schemathesis
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


@pytest.fixture
def admin_token(make_user) -> str:
    return make_user("root", "admin")[2]


#: A few operations of each kind: JSON bodies, path and query parameters.
FUZZED = re.compile(
    r"^/api/v1/(trial/(designs/compute|samplesize/\{endpoint\}|designs/\{name\})|models/\{name\}"
    r"|safety/(tables/\{name\}|monitors/\{trial\})|audit/events)$"
)


@pytest.fixture
def hypothesis_home(tmp_path):
    """Hypothesis keeps its caches here, not in the checkout."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


def test_fuzzed_requests_get_no_server_error(store: Store, admin_token: str, hypothesis_home) -> None:
    """Bounded, seeded examples over a few operations: no 5xx, and every answer is documented."""
    schema = schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", create_app())
    operations = [op.ok() for op in schema.get_all_operations() if FUZZED.match(op.ok().path)]
    assert len(operations) >= 8
    headers = {"Authorization": f"Bearer {admin_token}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case) -> None:
            case.validate_response(case.call(headers=headers), checks=checks)

        check()
