"""Read SDTM and ADaM datasets from SAS XPORT (pyreadstat) or CSV into the same typed tables.

One table per domain: character variables are ``object`` columns holding ``str`` or
``None`` (a blank is missing), numeric variables ``float64`` (SAS has one numeric type).
XPORT is read with pyreadstat, which keeps 0 as 0 (pandas' own XPORT reader turns it into
5.4e-79); SAS dates read from XPORT become ISO 8601 text, as the CSV layout keeps them.
A CSV column is numeric when every non-blank value is a number and its name is not one
of the character variables SDTM/ADaM define as text (identifiers, ``--ORRES``, ``--DTC``...).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from pharmakon.errors import InputError

__all__ = [
    "MAX_FILE_BYTES",
    "domain_file",
    "read_domain",
    "read_table",
    "read_xpt",
    "read_csv",
    "write_xpt",
    "load_domains",
]

#: Largest dataset file read (bytes); the pilot's largest (QS, uncompressed) is about 25 MB.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: Suffixes tried for a domain, in order.
SUFFIXES = (".xpt", ".csv", ".csv.gz")
#: Variables that are text whatever they hold (SDTM/ADaM character variables that may look numeric).
_CHAR_NAMES = {"STUDYID", "DOMAIN", "RDOMAIN", "USUBJID", "SUBJID", "SITEID", "SITEGR1", "IDVAR", "IDVARVAL", "QVAL"}
_CHAR_SUFFIX = re.compile(r"(ORRES|STRESC|ORNRLO|ORNRHI|SPID|GRPID|REFID|DTC|ELTM|CD|FL|AVALC|U)$")


def _is_char_name(name: str) -> bool:
    return name in _CHAR_NAMES or bool(_CHAR_SUFFIX.search(name))


def domain_file(folder: Path, name: str) -> Path | None:
    """The file holding domain ``name`` (``dm``, ``adsl``) in ``folder``: XPT first, then CSV(.gz); None if absent."""
    for suffix in SUFFIXES:
        for stem, ext in ((name.lower(), suffix), (name.upper(), suffix), (name.upper(), suffix.upper())):
            path = folder / f"{stem}{ext}"
            if path.is_file():
                return path
    return None


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"dataset is {size} bytes, more than the {MAX_FILE_BYTES} allowed", file=str(path))


def _text_column(values: pd.Series, *, strip: bool = False) -> pd.Series:
    """Strings with blanks (and NaN) as None; with ``strip`` trailing blanks dropped (XPORT pads text)."""
    text = values.astype(object).where(values.notna(), "")
    if strip:
        text = text.astype(str).str.rstrip()
    return text.astype(object).where(text != "", None)


def _dates_to_iso(frame: pd.DataFrame) -> pd.DataFrame:
    """SAS dates/datetimes (read as datetime objects) as ISO 8601 text, as in the CSV layout."""
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            has_time = bool((s.dropna().dt.normalize() != s.dropna()).any())
            fmt = "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"
            frame[col] = s.dt.strftime(fmt).where(s.notna(), None).astype(object)
        elif s.dtype == object and s.map(lambda v: hasattr(v, "isoformat")).any():
            frame[col] = s.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return frame


def read_xpt(path: Path) -> pd.DataFrame:
    """One SAS XPORT (v5/v8) dataset; numeric variables float64, character ``object`` with None for blank.

    Raises
    ------
    InputError
        The file is not a SAS transport file (names the file).
    """
    import pyreadstat

    _check_size(path)
    try:
        frame, _meta = pyreadstat.read_xport(str(path))
    except Exception as exc:  # noqa: BLE001 - pyreadstat raises its own ReadstatError/PyreadstatError
        raise InputError(f"not a readable SAS XPORT file ({exc})", file=str(path)) from None
    frame = _dates_to_iso(frame)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = _text_column(frame[col], strip=True)
        else:
            frame[col] = frame[col].astype("float64")
    return frame


def read_csv(path: Path) -> pd.DataFrame:
    """One CSV (or .csv.gz) dataset typed as :func:`read_xpt` types an XPORT file.

    pandas' C parser reads the numbers (fast); text variables are read as text, and a
    column with no value at all is text (missing), as an empty SAS character variable.
    """
    _check_size(path)
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8").columns
        text = {c: str for c in header if _is_char_name(str(c))}
        raw = pd.read_csv(path, dtype=text, keep_default_na=False, na_values=[""], encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, EOFError, ValueError) as exc:
        raise InputError(f"not a readable CSV file ({exc})", file=str(path)) from None
    out = {}
    for col in raw.columns:
        values = raw[col]
        if pd.api.types.is_numeric_dtype(values) and values.notna().any():
            out[col] = values.astype("float64")
        else:
            out[col] = _text_column(values.astype(object).where(values.notna(), None).map(_as_text))
    return pd.DataFrame(out, index=raw.index)


def _as_text(value: object) -> object:
    return value if value is None or isinstance(value, str) else str(value)


def read_table(path: Path) -> pd.DataFrame:
    """A dataset file by its suffix (``.xpt``, ``.csv``, ``.csv.gz``)."""
    name = path.name.lower()
    if name.endswith(".xpt"):
        return read_xpt(path)
    if name.endswith((".csv", ".csv.gz")):
        return read_csv(path)
    raise InputError(f"unknown dataset format; use {', '.join(SUFFIXES)}", file=str(path))


def read_domain(folder: Path, name: str, *, required: bool = True) -> pd.DataFrame | None:
    """Domain ``name`` of ``folder`` (XPT or CSV); None when absent and not required."""
    path = domain_file(Path(folder), name)
    if path is None:
        if required:
            raise InputError(f"domain {name.upper()} not found (looked for {name}.xpt/.csv/.csv.gz)", file=str(folder))
        return None
    return read_table(path)


def load_domains(folder: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Every domain of ``names`` present in ``folder`` (upper-case keys)."""
    folder = Path(folder)
    try:
        is_dir = folder.is_dir()
    except (OSError, ValueError):  # a NUL byte or an over-long name
        is_dir = False
    if not is_dir:
        raise InputError("not a folder of SDTM/ADaM datasets", file=str(folder))
    out = {}
    for name in names:
        frame = read_domain(folder, name, required=False)
        if frame is not None:
            out[name.upper()] = frame
    return out


def write_xpt(frame: pd.DataFrame, path: Path, *, table_name: str) -> None:
    """Write ``frame`` as SAS XPORT v5 (pyreadstat); missing text as blank, as SAS stores it."""
    import pyreadstat

    from pharmakon.files import atomic_path

    data = frame.copy()
    for col in data.columns:
        if data[col].dtype == object:
            data[col] = data[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    with atomic_path(path) as tmp:
        pyreadstat.write_xport(data, str(tmp), table_name=table_name.upper()[:8], file_format_version=5)
