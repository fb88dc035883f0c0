"""Request specs: the typed input of every capability's service.

A spec is a pydantic model whose fields carry their bounds and defaults (defined once,
here in the spec, for the CLI, the REST API and the workbench alike). Front ends pass
only the values a user gave; :func:`build_spec` lets the spec fill in the rest and turns
pydantic's validation error into one :class:`~pharmakon.errors.InputError` naming the
field (CLI exit code 2, HTTP 422, the form's error line).
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from pharmakon.errors import InputError

__all__ = ["Spec", "build_spec", "input_error"]

S = TypeVar("S", bound=BaseModel)


def input_error(exc: ValidationError) -> InputError:
    """The first problem of a validation error as an :class:`InputError` naming its field."""
    first = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    field = ".".join(str(part) for part in first.get("loc", ())) or None
    message = str(first.get("msg", exc)).removeprefix("Value error, ")
    if first.get("type") == "literal_error":
        name = next((str(p) for p in reversed(first["loc"]) if isinstance(p, str)), "value")
        message = f"unknown {name} {first['input']!r}; choose from {first['ctx']['expected']}"
    return InputError(f"{message}{more}", field=field)


def build_spec(cls: type[S], /, **values: Any) -> S:
    """``cls(**values)`` without the ``None`` values (the spec's defaults apply).

    Raises
    ------
    InputError
        A value out of its bounds or of an unknown choice, naming the field.
    """
    try:
        return cls(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise input_error(exc) from None


class Spec(BaseModel):
    """Base of request specs: unknown fields are refused; :meth:`create` validates user input."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    @classmethod
    def create(cls, **values: Any) -> Self:
        """The spec from the values a user gave; ``None`` means not given (see :func:`build_spec`)."""
        return build_spec(cls, **values)
