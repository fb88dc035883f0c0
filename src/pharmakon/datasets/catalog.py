"""The public data-set catalogue: what each data set is, where it comes from, its files.

The catalogue lives in ``catalog.json`` next to this module. Hand-written metadata
(title, licence, citation, canonical source, per-file URL rules) is kept there by
people; file sizes and SHA-256 checksums are recomputed from a mirror folder by
``scripts/build_dataset_catalog.py``.

Examples
--------
>>> from pharmakon.datasets import info, list_datasets
>>> len(list_datasets()) >= 26
True
>>> info("moleculenet").domain
'molecules'
"""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from pharmakon.errors import ConfigError, NotFoundError

__all__ = [
    "DataFile",
    "DatasetEntry",
    "UrlRule",
    "dataset_names",
    "info",
    "list_datasets",
    "load_catalog",
    "resolve_file_url",
]

_CATALOG_FILE = "catalog.json"


class UrlRule(BaseModel):
    """Maps files of a data set to their upstream download URLs.

    Attributes
    ----------
    pattern : str
        Regular expression matched (``re.fullmatch``) against the file's path relative
        to the data set folder, e.g. ``r"^splits/(ADME_\\w+_train\\.csv)$"``.
    url : str
        URL template; ``{0}`` is the whole relative path, ``{1}``, ``{2}``, ... are the
        pattern's groups.
    """

    model_config = ConfigDict(frozen=True)

    pattern: str
    url: str


class DataFile(BaseModel):
    """One file of a data set.

    Attributes
    ----------
    path : str
        Path relative to the data set folder, with ``/`` separators.
    size_bytes : int
        File size in bytes.
    sha256 : str
        Hex SHA-256 of the file's bytes.
    url : str or None
        Where to download this exact file from; None when no upstream file has these
        bytes (converted, subset or derived files): such files come only from a mirror.
    """

    model_config = ConfigDict(frozen=True)

    path: str
    size_bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    url: str | None = None


class DatasetEntry(BaseModel):
    """Catalogue entry of one public data set.

    Attributes
    ----------
    name : str
        Short name, also the folder name in the cache and the mirror.
    domain : str
        Area of drug development (``molecules``, ``nanomedicine``, ``trials``, ...).
    title, description : str
        What the data set is, in a line and in a paragraph.
    licence : str
        Licence terms of the data, as stated by the source.
    citation : str
        What to cite when using it.
    source_url : str
        Canonical upstream location (repository at a pinned commit, package page).
    commit : str or None
        Pinned upstream commit where the source is a Git repository.
    url_rules : list of UrlRule
        How per-file download URLs are derived (used by the catalogue builder).
    size_bytes : int
        Total size of all files.
    files : list of DataFile
        Every file, sorted by path.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    domain: str
    title: str
    description: str
    licence: str
    citation: str
    source_url: str
    commit: str | None = None
    url_rules: list[UrlRule] = Field(default_factory=list)
    size_bytes: int = 0
    files: list[DataFile] = Field(default_factory=list)

    @property
    def n_files(self) -> int:
        """Number of files in the data set."""
        return len(self.files)

    @property
    def manifest_sha256(self) -> str:
        """One SHA-256 for the whole data set: of its sorted ``"<sha256>  <path>"`` lines.

        The same lines ``sha256sum`` prints, so ``sha256sum`` over the cached folder,
        sorted by path, reproduces it.
        """
        from pharmakon.hashing import sha256_bytes

        lines = "".join(f"{f.sha256}  {f.path}\n" for f in sorted(self.files, key=lambda f: f.path))
        return sha256_bytes(lines.encode("utf-8"))

    @property
    def network_fetchable(self) -> bool:
        """True when every file has a download URL (the network can replace a mirror)."""
        return all(f.url for f in self.files)

    def file(self, path: str) -> DataFile:
        """Return the catalogued file at ``path`` (relative to the data set folder).

        Raises
        ------
        NotFoundError
            If the data set has no such file.
        """
        for f in self.files:
            if f.path == path:
                return f
        raise NotFoundError(f"data set {self.name!r} has no file {path!r}")


@lru_cache(maxsize=1)
def load_catalog() -> dict[str, DatasetEntry]:
    """Read ``catalog.json`` once and return its entries by name (sorted).

    Raises
    ------
    ConfigError
        If the packaged catalogue is missing or malformed.
    """
    try:
        text = resources.files("pharmakon.datasets").joinpath(_CATALOG_FILE).read_text("utf-8")
        raw = json.loads(text)
        entries = [DatasetEntry.model_validate(d) for d in raw["datasets"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the packaged data-set catalogue {_CATALOG_FILE} is unreadable: {exc}") from exc
    return {e.name: e for e in sorted(entries, key=lambda e: e.name)}


def dataset_names() -> list[str]:
    """Names of all catalogued data sets, sorted."""
    return list(load_catalog())


def list_datasets() -> list[DatasetEntry]:
    """All catalogue entries, sorted by name.

    Examples
    --------
    >>> from pharmakon.datasets import list_datasets
    >>> "pharmabench" in [d.name for d in list_datasets()]
    True
    """
    return list(load_catalog().values())


def info(name: str) -> DatasetEntry:
    """Catalogue entry of the data set ``name``.

    Parameters
    ----------
    name : str
        Data set name, e.g. ``"moleculenet"``; see :func:`list_datasets`.

    Returns
    -------
    DatasetEntry

    Raises
    ------
    NotFoundError
        If no data set has that name; the message lists close matches or all names.
    """
    catalog = load_catalog()
    if name in catalog:
        return catalog[name]
    raise NotFoundError(unknown_name_message("data set", name, list(catalog), "pharmakon.datasets.list_datasets()"))


def unknown_name_message(kind: str, name: str, valid: list[str], where: str) -> str:
    """Message for an unknown ``name`` among ``valid``: close matches first, else all."""
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.6)
    if close:
        hint = "did you mean " + " or ".join(repr(c) for c in close) + "?"
    else:
        hint = "valid names: " + ", ".join(valid)
    return f"unknown {kind} {name!r}; {hint} (see {where})"


def resolve_file_url(rules: list[UrlRule], path: str) -> str | None:
    """Download URL of the file at ``path`` from the first matching rule, else None.

    Examples
    --------
    >>> r = [UrlRule(pattern=r"^splits/(.+)$", url="https://example.org/MPNN/{1}")]
    >>> resolve_file_url(r, "splits/a.csv")
    'https://example.org/MPNN/a.csv'
    >>> resolve_file_url(r, "SOURCE.md") is None
    True
    """
    for rule in rules:
        m = re.fullmatch(rule.pattern, path)
        if m:
            return rule.url.format(m.group(0), *m.groups())
    return None
