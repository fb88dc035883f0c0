"""Pydantic models the API returns and accepts (separate from the tables)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from pharmakon.store import MAX_TOKEN_DAYS


class StoreStatus(BaseModel):
    ok: bool
    dialect: str | None = None
    revision: str | None = None
    error: str | None = None


class Health(BaseModel):
    status: str
    version: str
    store: StoreStatus


class AuditEventPublic(BaseModel):
    seq: int
    event_id: str
    ts: str
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    inputs: dict[str, str]
    outputs: dict[str, str]
    params: dict[str, Any]
    reason: str | None
    code_version: str
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditEventPublic]


class ChainReportPublic(BaseModel):
    ok: bool
    n_events: int
    first_bad_seq: int | None
    problem: str | None
    head_seq: int | None
    head_hash: str | None
    elapsed_s: float


class SignatureCreate(BaseModel):
    object_type: str = Field(min_length=1, max_length=64)
    object_id: str = Field(min_length=1, max_length=256)
    meaning: str = Field(description="authored, reviewed, approved, verified or rejected")
    password: str = Field(description="The signer re-enters their password.")
    object_hash: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    reason: str | None = None


class UserBase(BaseModel):
    username: str
    role: str
    phi_access: bool = False


class UserCreate(UserBase):
    password: str = Field(min_length=8)
    reason: str | None = None


class UserPublic(UserBase):
    id: int
    active: bool
    created_at: str


class TokenCreate(BaseModel):
    label: str = "api"
    expires_days: float | None = Field(default=None, gt=0, le=MAX_TOKEN_DAYS)


class TokenPublic(BaseModel):
    user: str
    token: str
