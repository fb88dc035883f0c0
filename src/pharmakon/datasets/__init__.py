"""Public data-set catalogue: canonical source, licence, checksums, fetching and loaders.

>>> from pharmakon.datasets import list_datasets, info, fetch, load, tables
>>> [d.name for d in list_datasets()][:2]
['agile_lipids', 'biogen_adme_fang2023']

``fetch(name)`` copies a data set from ``PHARMAKON_DATA_MIRROR`` (or downloads it) into
``$PHARMAKON_HOME/data/<name>`` after verifying every SHA-256; ``load(name, table)``
returns a typed DataFrame, fetching first when needed. The loaders (and pandas) are
imported on first use so that ``import pharmakon.datasets`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pharmakon.datasets.catalog import DataFile, DatasetEntry, UrlRule, dataset_names, info, list_datasets
from pharmakon.datasets.fetching import cache_path, fetch, fetch_source, is_cached, sha256_file, verify_folder

if TYPE_CHECKING:  # pragma: no cover
    from pharmakon.datasets.loaders import load, table_schema, tables

__all__ = [
    "DataFile",
    "DatasetEntry",
    "UrlRule",
    "cache_path",
    "dataset_names",
    "fetch",
    "fetch_source",
    "info",
    "is_cached",
    "list_datasets",
    "load",
    "sha256_file",
    "table_schema",
    "tables",
    "verify_folder",
]

_LAZY = {"load", "tables", "table_schema"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from pharmakon.datasets import loaders

        return getattr(loaders, name)
    raise AttributeError(f"module 'pharmakon.datasets' has no attribute {name!r}")
