"""Users, roles, tokens and electronic signatures."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pharmakon.errors import AuthenticationError, InputError, NotFoundError, PermissionDeniedError
from pharmakon.store import (
    Store,
    authenticate_password,
    authenticate_token,
    create_user,
    list_events,
    revoke_token,
    role_allows,
    set_user_active,
    sign,
    verify_chain,
)
from pharmakon.store.schema import ApiToken, User


def test_role_order() -> None:
    assert role_allows("admin", "scientist") and role_allows("scientist", "scientist")
    assert not role_allows("viewer", "scientist") and not role_allows("scientist", "admin")


def test_passwords_and_tokens_are_stored_only_as_argon2_hashes(store: Store, make_user) -> None:
    _, password, token = make_user("alice", "scientist")
    with store.read_session() as session:
        user = session.execute(select(User)).scalar_one()
        token_row = session.execute(select(ApiToken)).scalar_one()
    assert user.password_hash.startswith("$argon2id$") and password not in user.password_hash
    assert token_row.secret_hash.startswith("$argon2id$") and token.split("_", 2)[2] not in token_row.secret_hash


def test_password_and_token_authentication(store: Store, make_user) -> None:
    _, password, token = make_user("alice", "scientist")
    with store.read_session() as session:
        assert authenticate_password(session, "alice", password).role == "scientist"
        assert authenticate_token(session, token).username == "alice"
        with pytest.raises(AuthenticationError, match="wrong user name or password"):
            authenticate_password(session, "alice", "not-the-password")
        with pytest.raises(AuthenticationError, match="wrong user name or password"):
            authenticate_password(session, "nobody", password)
        with pytest.raises(AuthenticationError, match="invalid API token"):
            authenticate_token(session, token[:-3] + "xyz")
        with pytest.raises(AuthenticationError, match="malformed"):
            authenticate_token(session, "Bearer nonsense")


def test_disabled_user_and_revoked_token_are_refused(store: Store, make_user) -> None:
    _, password, token = make_user("alice", "scientist")
    with store.session() as session:
        revoke_token(session, key_id=token.split("_")[1], actor="admin")
    with store.read_session() as session:
        with pytest.raises(AuthenticationError, match="revoked"):
            authenticate_token(session, token)
    with store.session() as session:
        set_user_active(session, username="alice", active=False, actor="admin", reason="left")
    with store.read_session() as session:
        with pytest.raises(AuthenticationError):
            authenticate_password(session, "alice", password)


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("Bad Name", "password1", "viewer", "user name"),
        ("carol", "short", "viewer", "at least 8"),
        ("carol", "password1", "root", "unknown role"),
    ],
)
def test_bad_user_input_is_refused(store: Store, username, password, role, message) -> None:
    with pytest.raises(InputError, match=message):
        with store.session() as session:
            create_user(session, username=username, password=password, role=role, actor="admin")
    with store.read_session() as session:
        assert list_events(session)[1] == 0  # nothing half-written


def test_duplicate_user_is_refused(store: Store, make_user) -> None:
    make_user("alice", "viewer")
    with pytest.raises(InputError, match="already exists"):
        with store.session() as session:
            create_user(session, username="alice", password="password1", role="viewer", actor="admin")


def test_state_changes_are_audited(store: Store, make_user) -> None:
    make_user("alice", "viewer")
    with store.session() as session:
        set_user_active(session, username="alice", active=False, actor="root", reason="left the company")
    with store.read_session() as session:
        actions = [e.action for e in list_events(session, newest_first=False)[0]]
        assert actions == ["user.create", "token.issue", "user.disable"]
        assert verify_chain(session).ok


def test_signature_is_an_audit_event_with_signer_meaning_and_time(store: Store, make_user) -> None:
    _, password, _ = make_user("sam", "scientist")
    with store.session() as session:
        event = sign(
            session,
            username="sam",
            password=password,
            object_type="trial_design",
            object_id="design-1",
            meaning="approved",
            object_hash="ab" * 32,
            reason="final",
        )
    assert event.action == "esign" and event.actor == "sam"
    assert event.params == {"meaning": "approved", "signer": "sam", "signer_role": "scientist"}
    assert event.inputs == {"object": "ab" * 32} and event.ts.endswith("Z")


def test_signature_needs_the_right_credential_and_role(store: Store, make_user) -> None:
    _, sam_password, _ = make_user("sam", "scientist")
    _, vic_password, _ = make_user("vic", "viewer")
    with pytest.raises(AuthenticationError):
        with store.session() as session:
            sign(session, username="sam", password="wrong-password", object_type="m", object_id="1", meaning="approved")
    with pytest.raises(PermissionDeniedError, match="needs 'scientist'"):
        with store.session() as session:
            sign(session, username="vic", password=vic_password, object_type="m", object_id="1", meaning="approved")
    with pytest.raises(InputError, match="unknown signature meaning"):
        with store.session() as session:
            sign(session, username="sam", password=sam_password, object_type="m", object_id="1", meaning="liked")
    with store.read_session() as session:
        assert list_events(session, action="esign")[1] == 0


def test_unknown_user_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="pharmakon users list"):
        with store.session() as session:
            set_user_active(session, username="ghost", active=False, actor="admin")
