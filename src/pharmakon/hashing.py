"""SHA-256 fingerprints of the things an audit event points at.

Every audit event records the hashes of its inputs and outputs; these helpers are the
one place that decides how a file, a byte string, a JSON-like object or a DataFrame is
turned into a hex digest.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["canonical_json", "sha256_bytes", "sha256_file", "sha256_json", "sha256_frame"]

_CHUNK = 1 << 20


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` deterministically: sorted keys, no spaces, UTF-8, no NaN.

    Raises
    ------
    ValueError
        If ``obj`` holds NaN or infinity, which JSON cannot represent.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_json(obj: Any) -> str:
    """Hex SHA-256 of the canonical JSON form of ``obj``."""
    return sha256_bytes(canonical_json(obj).encode("utf-8"))


def sha256_frame(frame: Any) -> str:
    """Hex SHA-256 of a pandas DataFrame's content, index and column names included.

    Uses pandas' row hashing, so equal frames give equal digests regardless of memory
    layout; the column names and dtypes are hashed too.
    """
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(canonical_json([str(c) for c in frame.columns]).encode())
    digest.update(canonical_json([str(t) for t in frame.dtypes]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()
