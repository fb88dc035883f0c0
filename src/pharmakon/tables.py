"""One reader for the tables users hand to pharmakon (CSV, TSV, Parquet).

Every front end and service that reads a user's table goes through :func:`read_table`
(or :func:`read_header` and :func:`iter_table` for files read in chunks), so each gives
the same messages: the file is missing, empty, too large, not parseable, or has a
header and no rows. Column names are stripped of surrounding blanks and a UTF-8 BOM.
The public data-set loaders have their own typed schema reader
(:mod:`pharmakon.datasets`), which reads files pharmakon knows in advance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pharmakon.errors import InputError

__all__ = ["MAX_TABLE_BYTES", "check_file", "separator", "read_header", "read_table", "iter_table"]

#: Largest table read whole into memory (bytes); files of any size are read with :func:`iter_table`.
MAX_TABLE_BYTES = 2 * 1024**3

_PARSE_ERRORS = (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, ValueError)


def check_file(path: str | Path, *, max_bytes: int | None = None) -> Path:
    """``path`` as a Path, after checking that it is an existing, non-empty file (of at most ``max_bytes``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file", file=str(path))
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty", file=str(path))
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"the file is {size:,} bytes; at most {max_bytes:,} are read here", file=str(path))
    return path


def separator(path: Path) -> str:
    """Field separator of a delimited text table: tab for ``.tsv``/``.tab``, else comma."""
    return "\t" if path.suffix.lower() in (".tsv", ".tab") else ","


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def read_header(path: str | Path) -> list[str]:
    """Column names of a table (stripped), without reading its rows."""
    path = check_file(path)
    if _is_parquet(path):
        import pyarrow.parquet as pq

        return [str(c).strip() for c in pq.read_schema(path).names]
    try:
        columns = pd.read_csv(path, sep=separator(path), nrows=0, encoding="utf-8-sig").columns
    except _PARSE_ERRORS as exc:
        raise InputError(f"not a readable table: {exc}", file=str(path)) from None
    return [str(c).strip() for c in columns]


def read_table(
    path: str | Path,
    *,
    dtype: Any = None,
    usecols: Sequence[str] | Callable[[str], bool] | None = None,
    keep_default_na: bool = True,
    max_bytes: int | None = MAX_TABLE_BYTES,
) -> pd.DataFrame:
    """Read a whole CSV/TSV/Parquet table into a DataFrame.

    Parameters
    ----------
    dtype, usecols, keep_default_na
        As in :func:`pandas.read_csv` (``usecols`` names are matched after stripping).
    max_bytes : int, optional
        Refuse larger files (default :data:`MAX_TABLE_BYTES`); ``None`` reads any size.

    Raises
    ------
    InputError
        Missing, empty, oversized or unparseable file, or a header without data rows;
        the message names the file.
    """
    path = check_file(path, max_bytes=max_bytes)
    file = str(path)
    try:
        if _is_parquet(path):
            frame = pd.read_parquet(path)
            if dtype is not None:
                frame = frame.astype(dtype)
        else:
            frame = pd.read_csv(
                path,
                sep=separator(path),
                encoding="utf-8-sig",
                dtype=dtype,
                keep_default_na=keep_default_na,
                usecols=_stripped(usecols),
            )
    except _PARSE_ERRORS as exc:
        raise InputError(f"not a readable table: {exc}", file=file) from None
    if len(frame.columns) == 0 or len(frame) == 0:
        raise InputError("the file has a header but no data rows", file=file)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def iter_table(
    path: str | Path,
    chunk_size: int,
    *,
    dtype: Any = None,
    usecols: Sequence[str] | Callable[[str], bool] | None = None,
    keep_default_na: bool = True,
) -> Iterator[pd.DataFrame]:
    """Read a CSV/TSV table of any size in chunks of ``chunk_size`` rows (stripped column names)."""
    path = check_file(path)
    if chunk_size < 1:
        raise InputError(f"chunk size must be >= 1, got {chunk_size}", field="chunk_size")
    reader = pd.read_csv(
        path,
        sep=separator(path),
        chunksize=chunk_size,
        dtype=dtype,
        keep_default_na=keep_default_na,
        encoding="utf-8-sig",
        usecols=_stripped(usecols),
    )
    seen = False
    try:
        for chunk in reader:
            chunk.columns = [str(c).strip() for c in chunk.columns]
            seen = True
            yield chunk
    except _PARSE_ERRORS as exc:
        raise InputError(f"not a readable table: {exc}", file=str(path)) from None
    if not seen:
        raise InputError("the file has a header but no data rows", file=str(path))


def _stripped(usecols: Sequence[str] | Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    if usecols is None or callable(usecols):
        return None if usecols is None else (lambda c: usecols(str(c).strip()))
    wanted = set(usecols)
    return lambda c: str(c).strip() in wanted
