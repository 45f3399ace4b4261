"""The bureau's pool: funnel, near-threshold list, targets, filtered export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from scoring import LADDERS
from service import audit, reporting, store
from service import pool as pools
from service.deps import BureauUser, Id, SessionDep
from service.errors import not_found
from service.models import Target

router = APIRouter(tags=["pool"])


def filters(
    ladder: str | None = Query(default=None, max_length=16),
    status: str | None = Query(default=None, max_length=16),
    industry: str | None = Query(default=None, max_length=8),
    region: str | None = Query(default=None, max_length=12),
    missing: bool = False,
    near: bool = False,
    q: str | None = Query(default=None, max_length=100),
) -> pools.Filters:
    return pools.Filters(ladder, status, industry, region, missing, near, q)


class TargetCreate(BaseModel):
    ladder: str = Field(pattern="^(" + "|".join(LADDERS) + ")$")
    year: int = Field(ge=2000, le=2100)
    increase: int = Field(ge=1, le=1_000_000)
    note: str = Field(default="", max_length=200)


@router.get("/pool")
def pool_overview(
    user: BureauUser, session: SessionDep, f: pools.Filters = Depends(filters)
) -> dict[str, Any]:
    """Counts per ladder and status, the near-threshold list and target progress."""
    everything = store.pool_frame(session, user)
    view = pools.apply(everything, f)
    return {
        "firms": len(view),
        "funnel": pools.funnel(view),
        "near": pools.near_list(view, f.clean().ladder),
        "targets": store.target_progress(session, user, everything),
    }


@router.get("/pool/export.xlsx", response_class=Response)
def pool_export(user: BureauUser, session: SessionDep, f: pools.Filters = Depends(filters)):
    return pools.export_response(pools.apply(store.pool_frame(session, user), f))


@router.get("/pool/report.pdf", response_class=Response)
async def pool_report(user: BureauUser, session: SessionDep, f: pools.Filters = Depends(filters)):
    """The pool briefing (区域科技企业梯度培育分析报告) of the filtered pool, as PDF."""
    return await reporting.pool_report(session, user, f)


@router.post("/targets", status_code=201)
def create_target(body: TargetCreate, user: BureauUser, session: SessionDep) -> dict[str, Any]:
    """A goal such as "+100 high-tech firms by 2025", counted from today's pool."""
    return store.create_target(session, user, **body.model_dump()).model_dump(mode="json")


@router.delete("/targets/{target_id}", status_code=204)
def delete_target(target_id: Id, user: BureauUser, session: SessionDep):
    target = session.get(Target, target_id)
    if target is None or target.owner_id != user.id:
        raise not_found("目标", "target")
    session.delete(target)
    audit.record(session, user, "target.delete", "target", target_id)
    session.commit()
    return Response(status_code=204)
