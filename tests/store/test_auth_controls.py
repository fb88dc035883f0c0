"""Authentication controls: failed signatures audited, lockout, token errors, last admin, token lifetime."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from pharmakon.errors import AuthenticationError, InputError
from pharmakon.store import (
    LOCKOUT_FAILURES,
    LOCKOUT_WINDOW,
    MAX_TOKEN_DAYS,
    Store,
    authenticate_token,
    issue_token,
    list_events,
    login,
    set_user_active,
    sign,
    verify_chain,
)
from pharmakon.store import users as users_module


def _sign(store: Store, username: str, password: str):
    with store.session() as session:
        return sign(session, username=username, password=password, object_type="m", object_id="1", meaning="approved")


def _count(store: Store, action: str) -> int:
    with store.read_session() as session:
        return list_events(session, action=action)[1]


def test_a_signature_with_a_wrong_password_is_audited(store: Store, make_user) -> None:
    _, password, _ = make_user("sam", "scientist")
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        _sign(store, "sam", "wrong-password")
    with store.read_session() as session:
        [failed] = list_events(session, action="esign.failed")[0]
        assert list_events(session, action="esign")[1] == 0  # not a signature
        assert verify_chain(session).ok
    assert failed.actor == "anonymous" and failed.object_id == "sam"
    assert failed.params == {"object_type": "m", "object_id": "1", "meaning": "approved"}
    assert _sign(store, "sam", password).action == "esign"  # the store still takes writes


def test_repeated_wrong_passwords_lock_the_name_for_a_while(store: Store, make_user, monkeypatch) -> None:
    _, password, _ = make_user("sam", "scientist")
    for _ in range(LOCKOUT_FAILURES - 2):
        with pytest.raises(AuthenticationError, match="wrong user name"):
            login(store, "sam", "wrong-password", channel="test")
    for _ in range(2):  # signatures count too
        with pytest.raises(AuthenticationError, match="wrong user name"):
            _sign(store, "sam", "wrong-password")
    with pytest.raises(AuthenticationError, match=r"too many failed password attempts.*try again in \d+ minute"):
        login(store, "sam", password, channel="test")  # the right password is refused while locked
    with pytest.raises(AuthenticationError, match="too many failed"):
        _sign(store, "sam", password)
    assert _count(store, "auth.login") == 0 and _count(store, "esign") == 0
    assert _count(store, "auth.login_failed") == LOCKOUT_FAILURES - 1  # every refusal is recorded

    later = datetime.now(UTC) + LOCKOUT_WINDOW + timedelta(minutes=1)
    monkeypatch.setattr(users_module, "_now", lambda: later)
    assert login(store, "sam", password, channel="test").username == "sam"


def test_lockout_treats_unknown_names_alike(store: Store, make_user) -> None:
    make_user("sam", "scientist")
    for name in ("sam", "nobody"):
        for _ in range(LOCKOUT_FAILURES):
            with pytest.raises(AuthenticationError, match="wrong user name"):
                login(store, name, "wrong-password", channel="test")
        with pytest.raises(AuthenticationError, match="too many failed") as refused:
            login(store, name, "wrong-password", channel="test")
        assert name not in refused.value.message
    make_user("vic", "viewer")  # other names are not affected
    assert login(store, "vic", "vic-password", channel="test").username == "vic"


def test_a_disabled_users_token_error_does_not_name_them(store: Store, make_user) -> None:
    make_user("admin1", "admin")
    _, _, token = make_user("alice", "scientist")
    with store.session() as session:
        set_user_active(session, username="alice", active=False, actor="admin1")
    with store.read_session() as session:
        with pytest.raises(AuthenticationError, match="disabled") as refused:
            authenticate_token(session, token)
    assert "alice" not in refused.value.message


def test_the_last_active_admin_cannot_be_disabled(store: Store, make_user) -> None:
    make_user("alice", "admin")
    make_user("vic", "viewer")
    with pytest.raises(InputError, match="'alice' is the last active admin"):
        with store.session() as session:
            set_user_active(session, username="alice", active=False, actor="alice")
    make_user("bob", "admin")
    with store.session() as session:
        assert set_user_active(session, username="alice", active=False, actor="bob").active is False
        set_user_active(session, username="vic", active=False, actor="bob")  # non-admins: no limit
    with pytest.raises(InputError, match="'bob' is the last active admin"):
        with store.session() as session:
            set_user_active(session, username="bob", active=False, actor="bob")
    with store.session() as session:
        set_user_active(session, username="alice", active=True, actor="bob")
        assert set_user_active(session, username="bob", active=False, actor="alice").active is False
    assert _count(store, "user.disable") == 3


@pytest.mark.parametrize("days", [0, -1, MAX_TOKEN_DAYS + 1, 1e308, math.inf, math.nan])
def test_token_lifetime_is_bounded(store: Store, make_user, days: float) -> None:
    make_user("alice", "scientist")
    with pytest.raises(InputError, match=f"field 'expires_days'.*at most {MAX_TOKEN_DAYS}"):
        with store.session() as session:
            issue_token(session, username="alice", name="x", actor="t", expires_days=days)
    with store.session() as session:
        assert issue_token(session, username="alice", name="x", actor="t", expires_days=MAX_TOKEN_DAYS)
