"""Tables of the pharmakon store (SQLAlchemy 2 declarative models).

The schema itself is created by Alembic migrations (``store/migrations``); these
classes are what Python code reads and writes. Audit times are stored as ISO-8601
UTC strings, not database timestamps, so that the value hashed into the chain is the
value read back on every database.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "AuditEvent", "AuditHead", "User", "ApiToken", "WebSession", "StoredObject", "ObjectAlias"]


class Base(DeclarativeBase):
    pass


class AuditEvent(Base):
    """One event of the append-only, hash-chained audit trail.

    ``hash`` is the SHA-256 (hex) of the event's canonical form, which includes
    ``seq`` and ``prev_hash``; see :func:`pharmakon.store.audit.canonical_event`.
    """

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    ts: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(128), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64), index=True)
    object_id: Mapped[str | None] = mapped_column(String(256))
    inputs: Mapped[str] = mapped_column(Text)  # canonical JSON: {name: sha256}
    outputs: Mapped[str] = mapped_column(Text)  # canonical JSON: {name: sha256}
    params: Mapped[str] = mapped_column(Text)  # canonical JSON object
    reason: Mapped[str | None] = mapped_column(Text)
    code_version: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """Single-row table holding the chain head (last seq and hash).

    Appends lock this row, which serialises concurrent writers on PostgreSQL; its
    value also lets ``verify`` notice events cut from the end of the chain.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    phi_access: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[str] = mapped_column(String(32))


class ApiToken(Base):
    """An API token; only a slow salted hash of its secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    secret_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str | None] = mapped_column(String(32))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A workbench login; the cookie carries the session id, the store only its SHA-256."""

    __tablename__ = "web_sessions"

    sid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[str] = mapped_column(String(32))
    ended_at: Mapped[str | None] = mapped_column(String(32))


class StoredObject(Base):
    """One version of a named domain object (trial design, model, report, signal review...).

    ``content`` is canonical JSON; ``content_hash`` its SHA-256. Binary artifacts live
    in the artifact folder under their SHA-256, listed in ``artifacts`` (JSON: name → hash).
    """

    __tablename__ = "stored_objects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(256), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    artifacts: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[str] = mapped_column(String(32))


class ObjectAlias(Base):
    """A movable label (``staging``, ``production``) pointing at one version of an object."""

    __tablename__ = "object_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    alias: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
