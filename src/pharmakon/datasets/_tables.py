"""Typed table reading shared by the data-set loaders.

A :class:`Table` couples a reader (cache folder in, DataFrame out) with a declared
schema ``{column: dtype}``. Dtypes are one of:

* ``"float64"`` for measurements,
* ``"Int64"`` for integer labels, counts and indices (nullable),
* ``"boolean"`` for flags (nullable),
* ``"string"`` for identifiers, SMILES and text (``pd.StringDtype``, missing = ``pd.NA``).

Columns a table does not declare are typed by its ``rest`` rule: one of the dtypes
above, or ``"infer"`` (float64 when every value parses as a number, else string).
Values that do not fit their declared dtype raise :class:`~pharmakon.errors.InputError`
naming the file, the 1-based data row (header excluded) and the column.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError

__all__ = ["DTYPES", "Table", "apply_schema", "csv_table", "frame", "read_json", "read_jsonl"]

DTYPES = ("float64", "Int64", "boolean", "string")
_TRUE = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE = {"0", "0.0", "false", "f", "no", "n"}

Reader = Callable[[Path], pd.DataFrame]


@dataclass(frozen=True)
class Table:
    """One loadable table of a data set.

    Attributes
    ----------
    name : str
        Table name, unique within its data set (e.g. ``"esol"``).
    reader : callable
        ``reader(folder) -> DataFrame`` where ``folder`` is the cached data set folder.
    schema : dict of str to str
        Declared dtype of each key column (see module docstring).
    description : str
        One line: what a row is, units of the main measurement.
    """

    name: str
    reader: Reader
    schema: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


def apply_schema(
    df: pd.DataFrame, schema: Mapping[str, str], *, file: str, rest: str = "infer", row_offset: int = 1
) -> pd.DataFrame:
    """Return a copy of ``df`` with every column cast to its declared dtype.

    Parameters
    ----------
    df : DataFrame
        Raw table (any dtypes, typically as read).
    schema : mapping of str to str
        ``{column: dtype}``; every listed column must be present.
    file : str
        File name used in error messages.
    rest : str, default "infer"
        Dtype of undeclared columns, or ``"infer"``.
    row_offset : int, default 1
        Added to the 0-based position to give the row number in messages.

    Raises
    ------
    InputError
        If a declared column is missing or a value does not fit its dtype.
    """
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; found {list(df.columns)[:12]}", file=file, field=missing[0])
    out = {}
    for col in df.columns:
        dtype = schema.get(col, rest)
        out[col] = _cast(df[col], dtype, file=file, field=str(col), row_offset=row_offset)
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _cast(s: pd.Series, dtype: str, *, file: str, field: str, row_offset: int) -> pd.Series:
    s = s.reset_index(drop=True)
    if dtype == "infer":
        if s.dtype == bool or str(s.dtype) == "boolean":
            return s.astype("boolean")
        num = _to_number(s)
        blank = s.isna() | (s.astype("string").str.strip().fillna("") == "")
        ok = blank | num.notna()
        return num.astype("float64") if bool(ok.all()) and not bool(blank.all()) else _to_string(s)
    if dtype == "string":
        return _to_string(s)
    if dtype == "float64":
        num = _to_number(s)
        _raise_first_bad(s, num, file=file, field=field, row_offset=row_offset, what="a number")
        return num.astype("float64")
    if dtype == "Int64":
        num = _to_number(s)
        _raise_first_bad(s, num, file=file, field=field, row_offset=row_offset, what="an integer")
        frac = num.notna() & (num % 1 != 0)
        if frac.any():
            i = int(np.flatnonzero(frac.to_numpy())[0])
            raise InputError(f"value {s.iloc[i]!r} is not an integer", file=file, row=i + row_offset, field=field)
        return num.astype("Int64")
    if dtype == "boolean":
        if s.dtype == bool or str(s.dtype) == "boolean":
            return s.astype("boolean")
        text = s.astype("string").str.strip().str.lower()
        mapped = pd.Series(pd.NA, index=s.index, dtype="boolean")
        mapped[text.isin(_TRUE).fillna(False).astype(bool)] = True
        mapped[text.isin(_FALSE).fillna(False).astype(bool)] = False
        bad = s.notna() & (text != "") & mapped.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"value {s.iloc[i]!r} is not a yes/no flag", file=file, row=i + row_offset, field=field)
        return mapped
    raise ValueError(f"unknown dtype {dtype!r} for column {field!r}; use one of {DTYPES} or 'infer'")


def _to_number(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    text = s.astype("string").str.strip().replace("", pd.NA)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _to_string(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):  # 1.0 -> "1" for integral ids read as floats
        vals = s.to_numpy()
        integral = np.isfinite(vals) & (vals % 1 == 0)
        if integral[~np.isnan(vals)].all():
            return pd.Series([pd.NA if np.isnan(v) else str(int(v)) for v in vals], dtype="string")
    return s.astype("string")


def _raise_first_bad(s: pd.Series, num: pd.Series, *, file: str, field: str, row_offset: int, what: str) -> None:
    present = s.notna()
    if not pd.api.types.is_numeric_dtype(s):
        present &= s.astype("string").str.strip().fillna("") != ""
    bad = present & num.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"value {s.iloc[i]!r} is not {what}", file=file, row=i + row_offset, field=field)


def read_csv_raw(path: Path, *, file: str, string_columns: Iterable[str] = (), **kwargs: Any) -> pd.DataFrame:
    """``pandas.read_csv`` with BOM handling, declared string columns kept as text, and
    parser errors turned into :class:`InputError` (naming the line)."""
    dtype = kwargs.pop("dtype", None) or {c: "string" for c in string_columns} or None
    try:
        return pd.read_csv(path, encoding="utf-8-sig", dtype=dtype, low_memory=False, **kwargs)
    except FileNotFoundError as exc:
        raise InputError("file not found in the cached data set; fetch it again with force=True", file=file) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError, ValueError) as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(f"cannot parse: {exc}", file=file, row=int(m.group(1)) if m else None) from exc


def csv_table(
    name: str,
    path: str,
    schema: Mapping[str, str],
    *,
    rest: str = "infer",
    rename: Mapping[str, str] | None = None,
    optional: Mapping[str, str] | None = None,
    description: str = "",
    drop_unnamed: bool = True,
    **read_kwargs: Any,
) -> Table:
    """A :class:`Table` read from the CSV/TSV file ``path`` (relative to the data set folder).

    ``rename`` maps source column names to the names used in ``schema``; ``optional``
    gives dtypes of columns that are typed when present but not required; unnamed
    index columns (``Unnamed: 0``) are dropped when ``drop_unnamed``.
    """
    rename = dict(rename or {})
    optional = dict(optional or {})
    back = {v: k for k, v in rename.items()}
    strings = [back.get(c, c) for c, t in {**optional, **schema}.items() if t == "string"]

    def reader(folder: Path) -> pd.DataFrame:
        raw = read_csv_raw(folder / path, file=path, string_columns=strings, **read_kwargs)
        if drop_unnamed:
            unnamed = [c for c in raw.columns if str(c).startswith("Unnamed:") or str(c) == ""]
            raw = raw.drop(columns=unnamed)
        empty = raw.isna().all(axis=1).to_numpy()
        n_trailing = len(empty) - int(np.flatnonzero(~empty)[-1]) - 1 if (~empty).any() else len(empty)
        if n_trailing:  # e.g. a last line of bare commas
            raw = raw.iloc[: len(raw) - n_trailing]
        if raw.empty:
            raise InputError("the table has no rows", file=path)
        raw = raw.rename(columns=rename)
        present = {c: t for c, t in optional.items() if c in raw.columns}
        df = apply_schema(raw, {**present, **schema}, file=path, rest=rest)
        return df

    return Table(name, reader, dict(schema), description)


def frame(records: list[dict[str, Any]], schema: Mapping[str, str], *, file: str) -> pd.DataFrame:
    """Typed DataFrame from a list of records with exactly the columns of ``schema``."""
    if not records:
        raise InputError("no records found", file=file)
    df = pd.DataFrame.from_records(records, columns=list(schema))
    return apply_schema(df, schema, file=file, rest="string")


def read_jsonl(path: Path, *, file: str) -> list[dict[str, Any]]:
    """Objects of a JSON-lines file (``.gz`` allowed); a bad line raises InputError."""
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    try:
        with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
            for i, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        out.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InputError(f"invalid JSON: {exc.msg}", file=file, row=i) from exc
    except FileNotFoundError as exc:
        raise InputError("file not found in the cached data set; fetch it again with force=True", file=file) from exc
    return out


def read_json(path: Path, *, file: str) -> Any:
    """Parsed JSON file; a malformed file raises InputError naming the line."""
    try:
        return json.loads(path.read_text("utf-8-sig"))
    except FileNotFoundError as exc:
        raise InputError("file not found in the cached data set; fetch it again with force=True", file=file) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=file, row=exc.lineno) from exc
