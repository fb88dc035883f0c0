"""Every REST route documents what it returns: a named result model, never a bare dict.

Read from the OpenAPI schema the app serves, so it holds however routes are declared.
"""

from __future__ import annotations

from typing import Any

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app


def _typed(schema: dict[str, Any]) -> bool:
    """A ``$ref`` to a named model, or an array / union / map of them."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _typed(schema.get("items", {}))
    if "anyOf" in schema:
        return all(_typed(s) or s.get("type") == "null" for s in schema["anyOf"])
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        return _typed(schema["additionalProperties"])
    return False


def _json_responses(schema: dict[str, Any]):
    for path, methods in schema["paths"].items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in methods.items():
            for code, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if code.startswith("2") and content is not None:
                    yield f"{method.upper()} {path} -> {code}", content.get("schema", {})


def test_every_json_route_returns_a_named_model(pharmakon_home) -> None:
    responses = list(_json_responses(create_app().openapi()))
    assert len(responses) > 20
    untyped = [name for name, schema in responses if not _typed(schema)]
    assert not untyped, "routes without a typed response_model:\n" + "\n".join(untyped)


def test_the_check_rejects_a_bare_dict() -> None:
    assert not _typed({"type": "object", "additionalProperties": True})
    assert not _typed({"type": "array", "items": {"type": "object", "additionalProperties": True}})
    assert _typed({"type": "array", "items": {"$ref": "#/components/schemas/UserPublic"}})
