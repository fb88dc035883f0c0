"""Load catalogued data sets as typed pandas DataFrames.

Every data set has at least one table; :func:`tables` lists them (the first is the
default) and :func:`load` returns one, reading from the cache and fetching the data
set first when it is not there. Column dtypes are explicit: ``float64`` for
measurements, ``Int64``/``boolean`` for labels and flags, ``string`` for identifiers,
SMILES and text; :func:`table_schema` gives the declared dtype of each key column.

Examples
--------
>>> from pharmakon.datasets import load, tables
>>> tables("moleculenet")[:3]  # doctest: +SKIP
['esol', 'freesolv', 'lipophilicity']
>>> load("moleculenet", "esol").dtypes.to_dict()  # doctest: +SKIP
{'smiles': string[python], 'log_solubility': dtype('float64')}
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from pharmakon.config import Settings, get_settings
from pharmakon.datasets._tables import Table
from pharmakon.datasets.catalog import info, unknown_name_message
from pharmakon.datasets.fetching import fetch, is_cached
from pharmakon.errors import NotFoundError

__all__ = ["load", "table_schema", "tables"]


@lru_cache(maxsize=1)
def _registry() -> dict[str, list[Table]]:
    from pharmakon.datasets import (
        loaders_clinical,
        loaders_molecules,
        loaders_nano_process,
        loaders_pgx,
        loaders_signals,
        loaders_text,
    )

    registry: dict[str, list[Table]] = {}
    for module in (
        loaders_molecules,
        loaders_nano_process,
        loaders_clinical,
        loaders_pgx,
        loaders_text,
        loaders_signals,
    ):
        registry.update(module.TABLES)
    return registry


def _tables_of(name: str) -> list[Table]:
    entry = info(name)  # NotFoundError for unknown names
    try:
        return _registry()[entry.name]
    except KeyError:  # pragma: no cover - guarded by the tests
        raise NotFoundError(f"data set {name!r} is catalogued but has no loader yet") from None


def _table(name: str, table: str | None) -> Table:
    defined = _tables_of(name)
    if table is None:
        return defined[0]
    for t in defined:
        if t.name == table:
            return t
    names = [t.name for t in defined]
    raise NotFoundError(
        unknown_name_message(f"table of data set {name!r}", table, names, f"pharmakon.datasets.tables({name!r})")
    )


def tables(name: str) -> list[str]:
    """Names of the tables of data set ``name``; the first is what ``load(name)`` returns.

    Raises
    ------
    NotFoundError
        If ``name`` is not catalogued.
    """
    return [t.name for t in _tables_of(name)]


def table_schema(name: str, table: str | None = None) -> dict[str, str]:
    """Declared dtype of each key column of a table (``{column: dtype}``).

    Columns not listed get a dtype by the table's rule (float64 or string); every
    column of a loaded table is one of ``float64``, ``Int64``, ``boolean``, ``string``.
    """
    return dict(_table(name, table).schema)


def load(name: str, table: str | None = None, *, settings: Settings | None = None) -> pd.DataFrame:
    """Load one table of data set ``name`` as a typed DataFrame.

    Parameters
    ----------
    name : str
        Catalogued data set name, e.g. ``"pharmabench"``.
    table : str, optional
        Table name from :func:`tables`; the data set's default table when omitted.
    settings : Settings, optional
        Cache and mirror locations; defaults to :func:`pharmakon.config.get_settings`.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_rows, n_columns)`` with a fresh ``RangeIndex``; see
        :func:`table_schema` for the declared dtypes.

    Raises
    ------
    NotFoundError
        If the data set or table does not exist.
    InputError
        If a file is malformed; the message names the file, row and column.
    ChecksumMismatchError
        If fetching is needed and a file fails its checksum.
    """
    spec = _table(name, table)
    settings = settings or get_settings()
    folder: Path = settings.data_cache / info(name).name
    if not is_cached(name, settings=settings, verify=False):
        folder = fetch(name, settings=settings)
    return spec.reader(folder)
