"""Request specs: the typed input of every capability's service.

A spec is a pydantic model whose fields carry their bounds and defaults (defined once,
here in the spec, for the CLI, the REST API and the workbench alike). Front ends pass
only the values a user gave (``None`` means "not given": the default applies);
:func:`build_spec` (or :meth:`Spec.parse` for a mapping read from a file) validates them and turn pydantic's validation
error into one :class:`~pharmakon.errors.InputError` that names the key (CLI exit code 2,
HTTP 422, the form's error line): an unknown key with the closest valid one, a number
with its allowed range, a choice with the allowed values.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypeVar

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from pharmakon.errors import InputError

__all__ = ["Spec", "build_spec", "input_error", "unknown_key_error"]

S = TypeVar("S", bound=BaseModel)
_BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def unknown_key_error(key: str, allowed: list[str], where: str, file: str | None = None) -> InputError:
    """An unknown key, with the closest valid key as a hint and the allowed ones listed."""
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return InputError(f"unknown key {key!r} in {where}{hint} (allowed: {', '.join(allowed)})", file=file, field=key)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (``X``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return next((m for a in typing.get_args(annotation) if (m := _model_of(a)) is not None), None)
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _range_text(meta: list[Any]) -> str | None:
    lo = next((("(", m.gt) for m in meta if isinstance(m, Gt)), None) or next(
        (("[", m.ge) for m in meta if isinstance(m, Ge)), None
    )
    hi = next(((")", m.lt) for m in meta if isinstance(m, Lt)), None) or next(
        (("]", m.le) for m in meta if isinstance(m, Le)), None
    )
    if lo and hi:
        return f"in {lo[0]}{_num(lo[1])}, {_num(hi[1])}{hi[0]}"
    if lo:
        return f"{'>' if lo[0] == '(' else '>='} {_num(lo[1])}"
    if hi:
        return f"{'<' if hi[0] == ')' else '<='} {_num(hi[1])}"
    return None


def input_error(model: type[BaseModel], exc: ValidationError, file: str | None = None) -> InputError:
    """One readable :class:`InputError` for the first problem pydantic found in ``model``."""
    err = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    loc = [str(p) for p in err["loc"]]
    owner: type[BaseModel] | None = model
    for part in loc[:-1]:
        info = owner.model_fields.get(part) if owner else None
        owner = _model_of(info.annotation) if info else None
    name = loc[-1] if loc else ""
    if err["type"] == "extra_forbidden" and owner is not None:
        where = f"{loc[-2]} spec" if len(loc) > 1 else getattr(model, "what", "spec")
        return unknown_key_error(name, list(owner.model_fields), where, file)
    info = owner.model_fields.get(name) if owner else None
    if info is not None and err["type"] in _BOUNDS and (text := _range_text(info.metadata)):
        return InputError(f"{name} must be {text}, got {err['input']}{more}", file=file, field=name)
    if err["type"] == "literal_error":
        key = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "value")  # not a list index
        return InputError(
            f"unknown {key} {err['input']!r}; choose from {err['ctx']['expected']}{more}", file=file, field=key
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    got = f" (got {err['input']!r})" if loc and not isinstance(err.get("input"), dict | list) else ""
    return InputError(f"{message}{got}{more}", file=file, field=".".join(loc) or None)


def build_spec(cls: type[S], /, **values: Any) -> S:
    """``cls(**values)`` without the ``None`` values (the spec's defaults apply).

    Raises
    ------
    InputError
        A value out of its bounds, an unknown key or choice, naming the key.
    """
    try:
        return cls(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise input_error(cls, exc) from None


class Spec(BaseModel):
    """Base of request specs: unknown keys refused, ``None`` means "not given" (at any depth).

    Front ends build one with :func:`build_spec` (keyword values) or :meth:`parse` (a mapping
    read from a file or form).
    """

    model_config = ConfigDict(extra="forbid", protected_namespaces=())
    #: How error messages name this spec.
    what: ClassVar[str] = "spec"

    @model_validator(mode="before")
    @classmethod
    def _drop_none(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if v is not None}
        return data

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None = None, *, file: str | None = None, **values: Any) -> Self:
        """Validate ``data`` (a mapping read from a file or form) and keyword ``values`` into a spec."""
        if data is not None and not isinstance(data, Mapping):
            raise InputError(f"a {cls.__name__} must be a mapping, got {type(data).__name__}", file=file)
        try:
            return cls.model_validate({**(data or {}), **values})
        except ValidationError as exc:
            raise input_error(cls, exc, file) from None
