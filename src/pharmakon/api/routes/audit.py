from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pharmakon.api.deps import AdminUser, ScientistUser, SessionDep, StoreDep, ViewerUser
from pharmakon.api.schemas import AuditEventPublic, AuditPage, ChainReportPublic, SignatureCreate
from pharmakon.store import MAX_OFFSET, list_events, sign, verify_and_record

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/events", response_model=AuditPage)
def events(
    store: StoreDep,
    _user: ViewerUser,
    actor: str | None = None,
    action: Annotated[str | None, Query(description="exact action or prefix ending in '*'")] = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditPage:
    """Audit events, newest first, filtered and paged."""
    with store.read_session() as session:
        items, total = list_events(
            session,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    return AuditPage(total=total, limit=limit, offset=offset, items=[AuditEventPublic(**e.to_dict()) for e in items])


@router.post("/verify", response_model=ChainReportPublic)
def verify(store: StoreDep, user: AdminUser) -> ChainReportPublic:
    """Walk the whole chain and report the first broken event, if any.

    An intact chain's check is recorded as ``audit.verify``; a broken one is only reported.
    """
    report = verify_and_record(store, actor=user.username)
    return ChainReportPublic(**{k: v for k, v in report.to_dict().items() if k in ChainReportPublic.model_fields})


@router.post("/signatures", response_model=AuditEventPublic, status_code=201)
def create_signature(body: SignatureCreate, session: SessionDep, user: ScientistUser) -> AuditEventPublic:
    """Sign an object as the current user, who re-enters their password."""
    event = sign(
        session,
        username=user.username,
        password=body.password,
        object_type=body.object_type,
        object_id=body.object_id,
        meaning=body.meaning,
        object_hash=body.object_hash,
        reason=body.reason,
    )
    return AuditEventPublic(**event.to_dict())
