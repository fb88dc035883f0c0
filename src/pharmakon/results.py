"""The faces every typed result shows: text, table, dict and notebook HTML.

A capability's service returns a subclass of :class:`Result` (a pydantic model, so the
REST API documents it as its ``response_model`` and the CLI prints ``to_dict()`` as
JSON). Subclasses write :meth:`Result.summary` (a short readable text block, as
lifelines' ``print_summary`` or rpact's ``summary()``) and, where the result is a table,
:meth:`Result.to_frame`.
"""

from __future__ import annotations

import dataclasses
import html
import typing
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

if TYPE_CHECKING:  # pandas costs ~0.4 s to import; only tables need it
    import pandas as pd

__all__ = ["Result", "result_of"]


class Result(BaseModel):
    """Base of typed service results.

    ``summary()`` is the text a person reads, ``to_dict()`` the JSON a script reads
    (the same as the REST response), ``to_frame()`` the table an analyst reads, and
    ``_repr_html_()`` what a notebook shows.
    """

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    def summary(self) -> str:
        """A short text block: what was computed, the key numbers, the assumptions."""
        scalars = {k: v for k, v in self.to_dict().items() if not isinstance(v, dict | list)}
        width = max((len(k) for k in scalars), default=0)
        lines = [type(self).__name__] + [f"  {k:<{width}}  {v}" for k, v in scalars.items()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the REST response body)."""
        return self.model_dump(mode="json")

    def to_frame(self) -> pd.DataFrame:
        """The result as a table; by default one row of its scalar fields."""
        import pandas as pd

        scalars = {k: v for k, v in self.to_dict().items() if not isinstance(v, dict | list)}
        return pd.DataFrame([scalars])

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        table = frame.to_html(index=False, border=0, max_rows=50) if len(frame.columns) else ""
        return f"<pre>{html.escape(self.summary())}</pre>{table}"

    def __str__(self) -> str:
        return self.summary()


def result_of(source: type, *, exclude: tuple[str, ...] = ()) -> type[Result]:
    """A :class:`Result` base with the fields of the domain dataclass ``source``.

    The domain declares its result's fields once (a dataclass its science returns);
    the service's typed result subclasses this base to add ``summary()``/``to_frame()``
    and any service fields (stored name, version), so the two cannot drift apart.

    Examples
    --------
    >>> @dataclasses.dataclass
    ... class Fit:
    ...     slope: float
    ...     notes: list[str] = dataclasses.field(default_factory=list)
    >>> class FitResult(result_of(Fit)):
    ...     def summary(self) -> str:
    ...         return f"slope {self.slope}"
    >>> FitResult(slope=2).to_dict()
    {'slope': 2.0, 'notes': []}
    """
    hints = typing.get_type_hints(source)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(source):
        if f.name in exclude:
            continue
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        fields[f.name] = (hints[f.name], default)
    return create_model(f"{source.__name__}Fields", __base__=Result, __module__=source.__module__, **fields)
