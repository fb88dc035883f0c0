"""CSV bytes of a signal table written by Polars, identical to ``DataFrame.to_csv(index=False, lineterminator="\\n")``.

pandas formats every float with Python's ``repr`` one value at a time, which at FAERS
scale (two million pairs, twenty float columns) costs more than computing the table.
Polars writes the same shortest round-trip digits in bulk; the two differ only in
how they spell

* floats with ``0 < |x| < 1e-4``: Python writes ``1e-05`` / ``1.5e-07``, Polars
  ``0.00001`` / ``1.5e-7``; those few values are formatted by ``repr`` and put in place;
* booleans: ``True``/``False`` (pandas) against ``true``/``false``;
* an empty string (Polars quotes it) and a carriage return (pandas does not quote it):
  a table holding either is written by pandas itself.

NaN and None are empty fields in both. :func:`csv_bytes` is tested byte for byte
against pandas on awkward tables (``tests/trials/safety/test_fast_path.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

__all__ = ["csv_bytes"]

#: Python's repr switches to scientific notation below this magnitude (and at 1e16, where Polars agrees).
_SCIENTIFIC_BELOW = 1e-4


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame.to_csv(index=False, lineterminator="\\n").encode("utf-8")``, made by Polars where it can be.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns of floats, integers, booleans and text (object) with a default index.

    Returns
    -------
    bytes
        UTF-8 CSV with a header line and ``\\n`` line ends.
    """
    table = pl.from_pandas(frame, nan_to_null=True)
    if not _polars_agrees(table):
        return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    columns = []
    for name, dtype in table.schema.items():
        column = table[name]
        if dtype == pl.Float64 or dtype == pl.Float32:
            column = _floats_as_text(column.cast(pl.Float64))
        elif dtype == pl.Boolean:
            column = column.replace_strict({True: "True", False: "False"}, return_dtype=pl.Utf8)
        columns.append(column)
    return pl.DataFrame(columns).write_csv(line_terminator="\n", quote_style="necessary").encode("utf-8")


def _polars_agrees(table: pl.DataFrame) -> bool:
    """False when a text column holds what the two writers quote differently (an empty string, a CR)."""
    for name, dtype in table.schema.items():
        if dtype == pl.Utf8 and table.select(((pl.col(name) == "") | pl.col(name).str.contains("\r")).any()).item():
            return False
        if dtype not in (pl.Utf8, pl.Boolean, pl.Float64, pl.Float32) and not dtype.is_integer():
            return False
    return not any("\r" in str(c) or str(c) == "" for c in table.columns)


def _floats_as_text(column: pl.Series) -> pl.Series:
    """Polars' shortest round-trip text, with Python's spelling for ``0 < |x| < 1e-4``."""
    text = column.cast(pl.Utf8)
    values = column.to_numpy()
    with np.errstate(invalid="ignore"):
        small = np.flatnonzero((np.abs(values) < _SCIENTIFIC_BELOW) & (values != 0))
    if small.size:
        text = text.scatter(small, [repr(float(v)) for v in values[small]])
    return text
