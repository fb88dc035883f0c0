"""Users, roles, API tokens and electronic signatures.

Roles are ordered ``viewer < scientist < admin``. Passwords and token secrets are
stored only as Argon2id hashes (salted, deliberately slow). A token reads
``pk_<key id>_<secret>``: the key id finds the row, the secret is checked against its
hash. Every state change here writes an audit event in the same transaction.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, SessionTransaction

from pharmakon.errors import AuthenticationError, InputError, NotFoundError, PermissionDeniedError
from pharmakon.hashing import sha256_bytes
from pharmakon.store.audit import AuditRecord, record_event, utc_now
from pharmakon.store.schema import ApiToken, AuditEvent, User, WebSession

if TYPE_CHECKING:  # pragma: no cover
    from pharmakon.store.database import Store

__all__ = [
    "ROLES",
    "SIGNATURE_MEANINGS",
    "UserInfo",
    "role_allows",
    "require_role",
    "create_user",
    "list_users",
    "get_user",
    "set_user_active",
    "authenticate_password",
    "issue_token",
    "authenticate_token",
    "revoke_token",
    "sign",
    "LOCKOUT_FAILURES",
    "LOCKOUT_WINDOW",
    "MAX_TOKEN_DAYS",
]

_log = logging.getLogger(__name__)

ROLES = ("viewer", "scientist", "admin")
SIGNATURE_MEANINGS = ("authored", "reviewed", "approved", "verified", "rejected")
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,62}$")
_MIN_PASSWORD = 8
_TOKEN = re.compile(r"^pk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when a lookup fails, so timing does not reveal which users exist.

    Made on first use: an Argon2 hash costs ~0.15 s, which every command paid at import.
    """
    return _HASHER.hash("pharmakon-timing-equaliser")


#: Lockout rule: this many failed password checks (sign-ins and signatures, counted from
#: the audit trail) for one user name within :data:`LOCKOUT_WINDOW` refuse that name,
#: even with the right password (and without checking it), until fewer than that many
#: remain in the window: at most 15 minutes after the last attempt, since attempts made
#: while locked are recorded as failures too. Unknown names are treated alike.
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
_FAILED_PASSWORD_ACTIONS = ("auth.login_failed", "esign.failed")
#: Longest API token lifetime, in days (ten years).
MAX_TOKEN_DAYS = 3650


def _now() -> datetime:
    """The current UTC time (one place, so tests can move the clock)."""
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class UserInfo:
    """A user as plain data (never carries a hash)."""

    id: int
    username: str
    role: str
    active: bool
    phi_access: bool
    created_at: str

    @classmethod
    def from_row(cls, row: User) -> UserInfo:
        return cls(row.id, row.username, row.role, row.active, row.phi_access, row.created_at)


def role_allows(role: str, needed: str) -> bool:
    """Whether ``role`` is at least ``needed`` in the order viewer < scientist < admin."""
    return ROLES.index(role) >= ROLES.index(needed)


def require_role(user: UserInfo, needed: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``user`` holds ``needed`` or higher."""
    if not role_allows(user.role, needed):
        raise PermissionDeniedError(f"user {user.username!r} has role {user.role!r}; this needs {needed!r}")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}", field="role")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    actor: str,
    phi_access: bool = False,
    reason: str | None = None,
) -> UserInfo:
    """Add a user; audited as ``user.create``.

    Raises
    ------
    InputError
        Bad user name (lower-case letters, digits, ``_.-``; 2–63 characters), a password
        under 8 characters, an unknown role, or a name already taken.
    """
    _check_role(role)
    if not _USERNAME.match(username):
        raise InputError(
            f"user name {username!r} must start with a lower-case letter and use only a-z, 0-9, '_', '.', '-' "
            "(2-63 characters)",
            field="username",
        )
    if len(password) < _MIN_PASSWORD:
        raise InputError(f"password must have at least {_MIN_PASSWORD} characters", field="password")
    if session.execute(select(User.id).where(User.username == username)).first() is not None:
        raise InputError(f"user {username!r} already exists", field="username")
    row = User(
        username=username,
        role=role,
        password_hash=_HASHER.hash(password),
        active=True,
        phi_access=phi_access,
        created_at=utc_now(),
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=username,
        params={"role": role, "phi_access": phi_access},
        reason=reason,
    )
    return UserInfo.from_row(row)


def list_users(session: Session) -> list[UserInfo]:
    """All users, ordered by name."""
    return [UserInfo.from_row(r) for r in session.execute(select(User).order_by(User.username)).scalars()]


def _user_row(session: Session, username: str) -> User:
    row = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"no user named {username!r} (see `pharmakon users list`)")
    return row


def get_user(session: Session, username: str) -> UserInfo:
    """The user called ``username``; :class:`NotFoundError` if there is none."""
    return UserInfo.from_row(_user_row(session, username))


def set_user_active(
    session: Session, *, username: str, active: bool, actor: str, reason: str | None = None
) -> UserInfo:
    """Disable (or re-enable) a user; a disabled user's password and tokens stop working.

    Raises
    ------
    InputError
        Disabling the last active admin (nobody could manage users any more).
    """
    row = _user_row(session, username)
    if not active and row.active and row.role == "admin":
        # Lock the active admins' rows so two admins cannot disable each other at once.
        admins = session.execute(
            select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
        ).all()
        if len(admins) <= 1:
            raise InputError(
                f"{username!r} is the last active admin; make another user admin before disabling them",
                field="username",
            )
    row.active = active
    session.flush()
    record_event(
        session,
        actor=actor,
        action="user.enable" if active else "user.disable",
        object_type="user",
        object_id=username,
        reason=reason,
    )
    return UserInfo.from_row(row)


def authenticate_password(session: Session, username: str, password: str) -> UserInfo:
    """Check a user name and password.

    Raises
    ------
    AuthenticationError
        Same message for an unknown user, a wrong password and a disabled user; a
        lockout message while the name is locked (see :data:`LOCKOUT_FAILURES`), for
        known and unknown names alike, without checking the password.
    """
    _check_lockout(session, username)
    row = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if row is None:
        _verify(_dummy_hash(), password)
        raise AuthenticationError("wrong user name or password")
    if not _verify(row.password_hash, password) or not row.active:
        raise AuthenticationError("wrong user name or password")
    return UserInfo.from_row(row)


def _check_lockout(session: Session, username: str) -> None:
    since = _iso(_now() - LOCKOUT_WINDOW)
    recent = (
        session.execute(
            select(AuditEvent.ts)
            .where(
                AuditEvent.action.in_(_FAILED_PASSWORD_ACTIONS),
                AuditEvent.object_id == username[:64],
                AuditEvent.ts >= since,
            )
            .order_by(AuditEvent.ts.desc())
            .limit(LOCKOUT_FAILURES)
        )
        .scalars()
        .all()
    )
    if len(recent) < LOCKOUT_FAILURES:
        return
    oldest = datetime.fromisoformat(recent[-1].replace("Z", "+00:00"))
    wait_min = max(1, math.ceil((oldest + LOCKOUT_WINDOW - _now()).total_seconds() / 60))
    raise AuthenticationError(
        f"too many failed password attempts for this user name ({LOCKOUT_FAILURES} within "
        f"{int(LOCKOUT_WINDOW.total_seconds() // 60)} minutes); try again in {wait_min} minute(s)"
    )


def login(store: Store, username: str, password: str, *, channel: str) -> UserInfo:
    """Check a password and record the attempt: ``auth.login``, or ``auth.login_failed`` and re-raise.

    The failed attempt is recorded in its own transaction, under the actor ``anonymous``
    and at most 64 characters of the name given.
    """
    try:
        with store.read_session() as session:
            user = authenticate_password(session, username, password)
    except AuthenticationError as exc:
        with store.session() as session:
            record_event(
                session,
                actor="anonymous",
                action="auth.login_failed",
                object_type="user",
                object_id=username[:64],
                params={"channel": channel},
                reason=exc.message,
            )
        raise
    with store.session() as session:
        record_event(
            session,
            actor=user.username,
            action="auth.login",
            object_type="user",
            object_id=user.username,
            params={"channel": channel},
        )
    return user


#: A workbench session older than this is over, whatever its cookie says.
SESSION_MAX_AGE = timedelta(hours=12)


def start_web_session(session: Session, username: str) -> str:
    """Open a workbench session for ``username``; returns its id (kept only in the signed cookie)."""
    sid = secrets.token_urlsafe(32)
    session.add(WebSession(sid_hash=sha256_bytes(sid.encode()), username=username, created_at=utc_now()))
    return sid


def web_session_user(session: Session, sid: str) -> str | None:
    """The user of an open, unexpired workbench session, else None."""
    row = session.get(WebSession, sha256_bytes(sid.encode()))
    if row is None or row.ended_at is not None:
        return None
    if datetime.fromisoformat(row.created_at) + SESSION_MAX_AGE < datetime.now(UTC):
        return None
    return row.username


def end_web_session(session: Session, sid: str) -> None:
    """Close a workbench session (logout): its cookie no longer identifies anyone."""
    row = session.get(WebSession, sha256_bytes(sid.encode()))
    if row is not None and row.ended_at is None:
        row.ended_at = utc_now()


def _verify(hash_: str, secret: str) -> bool:
    try:
        return _HASHER.verify(hash_, secret)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(
    session: Session,
    *,
    username: str,
    name: str,
    actor: str,
    expires_days: float | None = None,
) -> str:
    """Create an API token for ``username`` and return it; it is never shown again."""
    if expires_days is not None and not (
        isinstance(expires_days, int | float) and math.isfinite(expires_days) and 0 < expires_days <= MAX_TOKEN_DAYS
    ):
        raise InputError(
            f"expires_days must be a number of days above 0 and at most {MAX_TOKEN_DAYS}, got {expires_days!r}",
            field="expires_days",
        )
    row = _user_row(session, username)
    if not row.active:
        raise InputError(f"user {username!r} is disabled; enable them before issuing a token", field="username")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    expires = None
    if expires_days is not None:
        expires = (datetime.now(UTC) + timedelta(days=expires_days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    session.add(
        ApiToken(
            key_id=key_id,
            user_id=row.id,
            name=name,
            secret_hash=_HASHER.hash(secret),
            created_at=utc_now(),
            expires_at=expires,
            revoked=False,
        )
    )
    session.flush()
    record_event(
        session,
        actor=actor,
        action="token.issue",
        object_type="token",
        object_id=key_id,
        params={"user": username, "name": name, "expires_at": expires},
    )
    return f"pk_{key_id}_{secret}"


class _VerifiedTokenCache:
    """Remembers recently verified tokens so each request does not pay a slow hash.

    Keyed by a SHA-256 of the token; the row (revoked, expiry, user active) is still
    read from the database on every request.
    """

    def __init__(self, ttl_s: float = 300.0, size: int = 1024) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._entries: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def hit(self, digest: str, secret_hash: str) -> bool:
        with self._lock:
            entry = self._entries.get(digest)
            return entry is not None and entry[0] == secret_hash and time.monotonic() - entry[1] < self.ttl_s

    def add(self, digest: str, secret_hash: str) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[digest] = (secret_hash, time.monotonic())


_token_cache = _VerifiedTokenCache()


def authenticate_token(session: Session, token: str) -> UserInfo:
    """The active user owning a valid, unexpired, unrevoked ``token``.

    Raises
    ------
    AuthenticationError
        For a malformed, unknown, wrong, revoked or expired token, or a disabled user.
    """
    match = _TOKEN.match(token.strip())
    if match is None:
        raise AuthenticationError("malformed API token (expected pk_<key id>_<secret>)")
    key_id, secret = match.groups()
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.key_id == key_id)
    ).first()
    if found is None:
        _verify(_dummy_hash(), secret)
        raise AuthenticationError("invalid API token")
    token_row, user_row = found
    digest = sha256_bytes(token.encode())
    if not _token_cache.hit(digest, token_row.secret_hash):
        if not _verify(token_row.secret_hash, secret):
            raise AuthenticationError("invalid API token")
        _token_cache.add(digest, token_row.secret_hash)
    if token_row.revoked:
        raise AuthenticationError("API token was revoked")
    if token_row.expires_at is not None and token_row.expires_at < utc_now():
        raise AuthenticationError("API token has expired")
    if not user_row.active:
        raise AuthenticationError("the user of this API token is disabled")
    return UserInfo.from_row(user_row)


def revoke_token(session: Session, *, key_id: str, actor: str, reason: str | None = None) -> None:
    """Revoke a token by its key id (the part after ``pk_``)."""
    result = session.execute(update(ApiToken).where(ApiToken.key_id == key_id).values(revoked=True))
    if result.rowcount == 0:
        raise NotFoundError(f"no API token with key id {key_id!r}")
    record_event(session, actor=actor, action="token.revoke", object_type="token", object_id=key_id, reason=reason)


def sign(
    session: Session,
    *,
    username: str,
    password: str,
    object_type: str,
    object_id: str,
    meaning: str,
    object_hash: str | None = None,
    reason: str | None = None,
) -> AuditRecord:
    """Electronically sign an object: re-check the signer's password, then audit it.

    The signature is the audit event (action ``esign``) recording signer, UTC time,
    meaning and, when given, the SHA-256 of the signed content.

    A wrong password (or a locked-out name) is recorded as ``esign.failed`` in a
    transaction of its own, written as soon as the caller's transaction ends (the
    caller's rolls back when the error propagates), and counts towards the lockout.

    Raises
    ------
    AuthenticationError
        Wrong credentials (a failed signing attempt is not recorded as a signature).
    PermissionDeniedError
        Viewers may not sign.
    InputError
        Unknown meaning (see :data:`SIGNATURE_MEANINGS`).
    """
    if meaning not in SIGNATURE_MEANINGS:
        raise InputError(
            f"unknown signature meaning {meaning!r}; choose one of {', '.join(SIGNATURE_MEANINGS)}", field="meaning"
        )
    try:
        user = authenticate_password(session, username, password)
    except AuthenticationError as exc:
        _record_when_transaction_ends(
            session,
            actor="anonymous",
            action="esign.failed",
            object_type="user",
            object_id=username[:64],
            params={"object_type": object_type, "object_id": object_id, "meaning": meaning},
            reason=exc.message,
        )
        raise
    require_role(user, "scientist")
    return record_event(
        session,
        actor=user.username,
        action="esign",
        object_type=object_type,
        object_id=object_id,
        inputs={"object": object_hash} if object_hash else None,
        params={"meaning": meaning, "signer": user.username, "signer_role": user.role},
        reason=reason,
    )


def _record_when_transaction_ends(session: Session, **event_fields: object) -> None:
    """Append an audit event in a transaction of its own once ``session``'s transaction ends.

    Used for refusals raised inside a caller's write transaction: that transaction
    rolls back (nothing half-written), and on SQLite it holds the write lock until then,
    so the refusal can only be written after it.
    """
    root = session.get_transaction()
    engine = session.get_bind()
    done = False

    def write(_session: Session, transaction: SessionTransaction) -> None:
        nonlocal done
        if done or (root is not None and transaction is not root):
            return
        done = True
        try:
            with Session(engine) as own, own.begin():
                record_event(own, **event_fields)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - the refusal itself must reach the caller
            _log.exception("could not record %s", event_fields.get("action"))

    event.listen(session, "after_transaction_end", write)
