"""Versioned domain objects: trial designs, models, reports, signal reviews...

Domains store what they make here instead of growing tables of their own. Saving an
object under an existing ``(kind, name)`` adds version N+1; nothing is overwritten.
Content is JSON (hashed in canonical form); binary artifacts are kept content-addressed
under ``$PHARMAKON_HOME/artifacts`` and re-verified against their SHA-256 when read.
Every save and alias move writes an audit event in the same transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pharmakon.errors import InputError, NotFoundError, StoreError
from pharmakon.files import atomic_open
from pharmakon.hashing import canonical_json, sha256_bytes, sha256_file
from pharmakon.store.audit import record_event, utc_now
from pharmakon.store.schema import ObjectAlias, StoredObject

__all__ = [
    "ObjectVersion",
    "save_object",
    "get_object",
    "list_objects",
    "object_versions",
    "set_alias",
    "artifact_path",
    "read_artifact",
]

_KIND = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,255}$")


@dataclass(frozen=True)
class ObjectVersion:
    """One stored version. ``artifacts`` maps an artifact name to its SHA-256."""

    kind: str
    name: str
    version: int
    content: dict[str, Any]
    content_hash: str
    artifacts: dict[str, str]
    created_by: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: StoredObject) -> ObjectVersion:
        return cls(
            row.kind,
            row.name,
            row.version,
            json.loads(row.content),
            row.content_hash,
            json.loads(row.artifacts),
            row.created_by,
            row.created_at,
        )


def _artifact_root() -> Path:
    from pharmakon.config import get_settings

    return get_settings().home / "artifacts"


def artifact_path(sha256: str) -> Path:
    """Where the artifact with this SHA-256 is kept."""
    return _artifact_root() / sha256[:2] / sha256


def _put_artifact(data: bytes | Path) -> str:
    digest = sha256_file(data) if isinstance(data, Path) else sha256_bytes(data)
    target = artifact_path(digest)
    if target.exists():
        return digest
    with atomic_open(target, "wb") as handle:
        handle.write(data.read_bytes() if isinstance(data, Path) else data)
    return digest


def read_artifact(sha256: str) -> bytes:
    """The bytes of an artifact, verified against its hash.

    Raises
    ------
    StoreError
        If the artifact is missing or its content no longer matches its hash.
    """
    path = artifact_path(sha256)
    if not path.exists():
        raise StoreError(f"artifact {sha256} is missing from {path.parent}")
    data = path.read_bytes()
    if sha256_bytes(data) != sha256:
        raise StoreError(f"artifact {sha256} at {path} is corrupt: its content no longer matches its SHA-256")
    return data


def save_object(
    session: Session,
    *,
    kind: str,
    name: str,
    content: Mapping[str, Any],
    actor: str,
    artifacts: Mapping[str, bytes | Path] | None = None,
    reason: str | None = None,
) -> ObjectVersion:
    """Store a new version of ``(kind, name)``; audited as ``object.save``.

    Parameters
    ----------
    kind : str
        Lower-case type, e.g. ``trial_design``, ``model``, ``pgx_report``.
    name : str
        Identifier within the kind (letters, digits, ``_.:@+-``).
    content : mapping
        JSON-serialisable description (no NaN); hashed in canonical form.
    artifacts : mapping of str to bytes or Path, optional
        Binary payloads (model files, HTML reports), stored content-addressed.

    Raises
    ------
    InputError
        Bad kind or name, or content that is not JSON-serialisable.
    """
    if not _KIND.match(kind):
        raise InputError(f"object kind {kind!r} must be lower-case letters, digits and '_'", field="kind")
    if not _NAME.match(name):
        raise InputError(f"object name {name!r} may use letters, digits and _.:@+- (max 256)", field="name")
    try:
        text = canonical_json(dict(content))
    except (TypeError, ValueError) as exc:
        raise InputError(f"content of {kind} {name!r} is not JSON-serialisable: {exc}", field="content") from exc
    stored = {key: _put_artifact(value) for key, value in (artifacts or {}).items()}
    latest = session.execute(
        select(func.max(StoredObject.version)).where(StoredObject.kind == kind, StoredObject.name == name)
    ).scalar_one()
    row = StoredObject(
        kind=kind,
        name=name,
        version=(latest or 0) + 1,
        content=text,
        content_hash=sha256_bytes(text.encode("utf-8")),
        artifacts=canonical_json(stored),
        created_by=actor,
        created_at=utc_now(),
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="object.save",
        object_type=kind,
        object_id=f"{name}@{row.version}",
        outputs={"content": row.content_hash, **stored},
        params={"version": row.version},
        reason=reason,
    )
    return ObjectVersion.from_row(row)


def _resolve_version(session: Session, kind: str, name: str, version: int | str | None) -> int | None:
    if isinstance(version, str) and not version.isdigit():
        alias = session.execute(
            select(ObjectAlias.version).where(
                ObjectAlias.kind == kind, ObjectAlias.name == name, ObjectAlias.alias == version
            )
        ).scalar_one_or_none()
        if alias is None:
            raise NotFoundError(f"{kind} {name!r} has no alias {version!r}")
        return alias
    return None if version is None else int(version)


def get_object(session: Session, kind: str, name: str, version: int | str | None = None) -> ObjectVersion:
    """A stored version: the newest, a number, or an alias such as ``"production"``.

    Raises
    ------
    NotFoundError
        If there is no such object, version or alias.
    """
    number = _resolve_version(session, kind, name, version)
    query = select(StoredObject).where(StoredObject.kind == kind, StoredObject.name == name)
    query = query.where(StoredObject.version == number) if number is not None else query
    row = session.execute(query.order_by(StoredObject.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        what = f"{kind} {name!r}" + (f" version {number}" if number is not None else "")
        raise NotFoundError(f"no {what} in the store")
    return ObjectVersion.from_row(row)


def object_versions(session: Session, kind: str, name: str) -> list[ObjectVersion]:
    """Every version of ``(kind, name)``, oldest first."""
    rows = session.execute(
        select(StoredObject).where(StoredObject.kind == kind, StoredObject.name == name).order_by(StoredObject.version)
    ).scalars()
    return [ObjectVersion.from_row(r) for r in rows]


def list_objects(session: Session, kind: str | None = None) -> list[ObjectVersion]:
    """The newest version of every object (of one kind, if given), by kind then name."""
    newest = select(StoredObject.kind, StoredObject.name, func.max(StoredObject.version).label("v")).group_by(
        StoredObject.kind, StoredObject.name
    )
    if kind is not None:
        newest = newest.where(StoredObject.kind == kind)
    sub = newest.subquery()
    rows = session.execute(
        select(StoredObject)
        .join(
            sub,
            (StoredObject.kind == sub.c.kind) & (StoredObject.name == sub.c.name) & (StoredObject.version == sub.c.v),
        )
        .order_by(StoredObject.kind, StoredObject.name)
    ).scalars()
    return [ObjectVersion.from_row(r) for r in rows]


def set_alias(
    session: Session, *, kind: str, name: str, alias: str, version: int, actor: str, reason: str | None = None
) -> None:
    """Point ``alias`` (e.g. ``production``) at ``version``; audited as ``object.alias``."""
    get_object(session, kind, name, version)  # must exist
    if alias.isdigit() or not _KIND.match(alias):
        raise InputError(f"alias {alias!r} must be lower-case letters, digits and '_', not a number", field="alias")
    row = session.execute(
        select(ObjectAlias).where(ObjectAlias.kind == kind, ObjectAlias.name == name, ObjectAlias.alias == alias)
    ).scalar_one_or_none()
    previous = None if row is None else row.version
    if row is None:
        session.add(ObjectAlias(kind=kind, name=name, alias=alias, version=version))
    else:
        row.version = version
    session.flush()
    record_event(
        session,
        actor=actor,
        action="object.alias",
        object_type=kind,
        object_id=f"{name}@{version}",
        params={"alias": alias, "previous_version": previous},
        reason=reason,
    )
