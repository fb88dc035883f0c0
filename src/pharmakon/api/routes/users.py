from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from pharmakon.api.deps import AdminUser, SessionDep, ViewerUser
from pharmakon.api.schemas import TokenCreate, TokenPublic, UserCreate, UserPublic
from pharmakon.store import create_user, issue_token, list_users, set_user_active

router = APIRouter(tags=["users"])


@router.get("/me", response_model=UserPublic)
def me(user: ViewerUser) -> UserPublic:
    """The user the request authenticates as."""
    return UserPublic(**asdict(user))


@router.get("/users", response_model=list[UserPublic])
def users(session: SessionDep, _admin: AdminUser) -> list[UserPublic]:
    """All users (admin)."""
    return [UserPublic(**asdict(u)) for u in list_users(session)]


@router.post("/users", response_model=UserPublic, status_code=201)
def add_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Create a user (admin; audited)."""
    user = create_user(
        session,
        username=body.username,
        password=body.password,
        role=body.role,
        actor=admin.username,
        phi_access=body.phi_access,
        reason=body.reason,
    )
    return UserPublic(**asdict(user))


@router.post("/users/{username}/disable", response_model=UserPublic)
def disable_user(username: str, session: SessionDep, admin: AdminUser, reason: str | None = None) -> UserPublic:
    """Disable a user (admin; audited)."""
    return UserPublic(
        **asdict(set_user_active(session, username=username, active=False, actor=admin.username, reason=reason))
    )


@router.post("/users/{username}/tokens", response_model=TokenPublic, status_code=201)
def add_token(username: str, body: TokenCreate, session: SessionDep, admin: AdminUser) -> TokenPublic:
    """Issue an API token for a user (admin; audited). Shown once."""
    token = issue_token(
        session, username=username, name=body.label, actor=admin.username, expires_days=body.expires_days
    )
    return TokenPublic(user=username, token=token)
