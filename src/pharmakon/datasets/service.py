"""The audited use case of the data catalogue: fetch a data set into the cache.

``pharmakon data fetch``, the seeded example and any future REST route call
:func:`fetch_dataset`, so every fetch writes the same ``data.fetch`` event.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pharmakon.caller import Caller
from pharmakon.config import Settings, get_settings
from pharmakon.datasets.catalog import info
from pharmakon.datasets.fetching import ProgressCallback, fetch, fetch_source
from pharmakon.results import Result
from pharmakon.store import Store, record_event

__all__ = ["FetchResult", "fetch_dataset"]


class FetchResult(Result):
    """A data set verified in the cache."""

    name: str
    path: str
    source: str = Field(description="'mirror' or 'network'")
    n_files: int
    size_bytes: int
    files: dict[str, str] = Field(description="file path in the data set -> SHA-256")

    def summary(self) -> str:
        return f"{self.name}: {self.n_files} files verified in {self.path} (from the {self.source})"


def fetch_dataset(
    store: Store,
    name: str,
    caller: Caller,
    *,
    force: bool = False,
    settings: Settings | None = None,
    progress: ProgressCallback | None = None,
) -> FetchResult:
    """Fetch and verify data set ``name``, then record ``data.fetch`` (outputs: each file's SHA-256)."""
    settings = settings or get_settings()
    entry = info(name)  # NotFoundError naming the catalogued data sets
    source = fetch_source(settings)
    path: Path = fetch(entry.name, settings=settings, force=force, progress=progress)
    files = {f.path: f.sha256 for f in entry.files}
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="data.fetch",
            object_type="dataset",
            object_id=entry.name,
            outputs=files,
            params={"source": source, "channel": caller.channel},
        )
    return FetchResult(
        name=entry.name,
        path=str(path.resolve()),
        source=source,
        n_files=entry.n_files,
        size_bytes=entry.size_bytes,
        files=files,
    )
