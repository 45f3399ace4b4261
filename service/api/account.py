"""The signed-in user and API tokens for integrations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import select

from service import audit
from service.api.responses import NOT_FOUND
from service.deps import AdminUser, CurrentUser, Id, SessionDep
from service.errors import not_found
from service.models import ApiToken
from service.security import new_api_token

router = APIRouter(tags=["account"])


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    region_codes: list[str]


class TokenCreate(BaseModel):
    name: str = Field(default="", max_length=64)


class TokenCreated(BaseModel):
    id: int
    name: str
    token: str  # shown once; only its hash is stored
    created_at: dt.datetime


class TokenPublic(BaseModel):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


@router.get("/me", response_model=Me)
def me(user: CurrentUser):
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        region_codes=user.regions(),
    )


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, user: CurrentUser, session: SessionDep):
    token, digest = new_api_token()
    row = ApiToken(user_id=user.id, name=body.name, token_hash=digest)
    session.add(row)
    session.flush()
    audit.record(session, user, "token.create", "api_token", row.id)
    session.commit()
    session.refresh(row)
    return TokenCreated(id=row.id, name=row.name, token=token, created_at=row.created_at)


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(user: CurrentUser, session: SessionDep):
    return session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()


@router.delete("/tokens/{token_id}", status_code=204, responses=NOT_FOUND)
def revoke_token(token_id: Id, user: CurrentUser, session: SessionDep):
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise not_found("令牌", "token")
    session.delete(row)
    audit.record(session, user, "token.revoke", "api_token", token_id)
    session.commit()
    return Response(status_code=204)


class AuditPage(BaseModel):
    total: int
    items: list[dict[str, Any]]


@router.get("/admin/audit", response_model=AuditPage, tags=["admin"])
def audit_log(
    user: AdminUser,
    session: SessionDep,
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
    limit: int = Query(default=100, ge=1, le=500),
):
    """The audit log of writes (who, when, what), newest first. Administrators only."""
    total, rows = audit.recent(session, limit, offset)
    return AuditPage(total=total, items=[r.model_dump(mode="json") for r in rows])
