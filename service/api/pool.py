"""The bureau's pool: funnel, near-threshold list, targets, filtered export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from scoring import LADDERS
from scoring.models import IsoDate
from service import audit, reporting, store, training
from service import pool as pools
from service.api.batches import JobPublic
from service.api.responses import NOT_FOUND, NOT_READY
from service.deps import BureauUser, Id, SessionDep, SettingsDep
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
    user: BureauUser,
    session: SessionDep,
    settings: SettingsDep,
    f: pools.Filters = Depends(filters),
) -> dict[str, Any]:
    """Counts per ladder and status, the near-threshold list, the firms to visit first (by
    the readiness model in use: the bureau's enabled one, else the service's) and target
    progress."""
    everything = training.pool_of(session, settings, user)
    view = pools.apply(everything, f)
    return {
        "firms": len(view),
        "funnel": pools.funnel(view),
        "near": pools.near_list(view, f.clean().ladder),
        "within_reach": pools.within_reach(view),
        "calendar": pools.outlook_json(view, user, dt.date.today()),
        "visit_first": pools.visit_first(view),
        "targets": store.target_progress(session, user, everything),
    }


@router.get("/pool/export.xlsx", response_class=Response)
def pool_export(
    user: BureauUser,
    session: SessionDep,
    settings: SettingsDep,
    f: pools.Filters = Depends(filters),
):
    return pools.export_response(pools.apply(training.pool_of(session, settings, user), f))


@router.get("/pool/report.pdf", response_class=Response)
async def pool_report(
    user: BureauUser,
    session: SessionDep,
    settings: SettingsDep,
    f: pools.Filters = Depends(filters),
):
    """The pool briefing (区域科技企业梯度培育分析报告) of the filtered pool, as PDF."""
    return await reporting.pool_report(session, settings, user, f)


@router.get("/pool/no-application")
def no_application_lists(
    user: BureauUser, session: SessionDep, date: IsoDate | None = None
) -> dict[str, Any]:
    """免申即享: for every local award of the user's regions in force on ``date`` (default
    today), the firms of its pool that meet it without applying — re-scored as of that date
    from their latest shared snapshots — with the counts, the totals, the firms new since
    their previous snapshot, and per firm the evidence (basis, input hash, rule and award
    versions, evidence hash). The same lists as a workbook: ``.xlsx``; as a PDF annex:
    ``.pdf``."""
    from service import no_application

    return no_application.as_json(session, user, date or dt.date.today())


@router.get("/pool/no-application.xlsx", response_class=Response)
def no_application_xlsx(user: BureauUser, session: SessionDep, date: IsoDate | None = None):
    return reporting.no_application_xlsx(session, user, date or dt.date.today())


@router.get("/pool/no-application.pdf", response_class=Response)
async def no_application_pdf(user: BureauUser, session: SessionDep, date: IsoDate | None = None):
    return await reporting.no_application_pdf(session, user, date or dt.date.today())


@router.post("/targets", status_code=201)
def create_target(body: TargetCreate, user: BureauUser, session: SessionDep) -> dict[str, Any]:
    """A goal such as "+100 high-tech firms by 2025", counted from today's pool."""
    return store.create_target(session, user, **body.model_dump()).model_dump(mode="json")


@router.delete("/targets/{target_id}", status_code=204, responses=NOT_FOUND)
def delete_target(target_id: Id, user: BureauUser, session: SessionDep):
    target = session.get(Target, target_id)
    if target is None or target.owner_id != user.id:
        raise not_found("目标", "target")
    session.delete(target)
    audit.record(session, user, "target.delete", "target", target_id)
    session.commit()
    return Response(status_code=204)


class ModelVersion(BaseModel):
    """One of the bureau's readiness model versions (its model card's facts)."""

    version: str
    created: str
    trained_on: str
    synthetic: bool
    current: bool
    rows: int | None = None
    firms: int | None = None
    years: list[int] = []
    models: list[str] = []  # "ladder/horizon" pairs that give a figure
    evaluation: list[dict[str, Any]] = []
    criteria_versions: list[str] = []


@router.get("/pool/models", response_model=list[ModelVersion])
def model_versions(user: BureauUser, settings: SettingsDep):
    """The bureau's own readiness models, newest first; ``current`` marks the enabled one
    (none enabled: the service's model gives the pool's figures)."""
    return training.versions(settings, user)


@router.post("/pool/models/train", response_model=JobPublic, status_code=202, responses=NOT_READY)
def train_model(user: BureauUser, session: SessionDep, settings: SettingsDep):
    """Queue retraining on the pool's yearly snapshots (poll ``GET /batches/{id}``; 409
    ``not_ready`` when the pool has under two fiscal years or too few firms gaining a
    ladder). The new version is not enabled by itself."""
    return JobPublic.of(training.start_training(session, settings, user))


@router.get("/pool/models/{version}", response_model=ModelVersion, responses=NOT_FOUND)
def model_version(version: str, user: BureauUser, settings: SettingsDep):
    return training.card(settings, user, version)


@router.post("/pool/models/{version}/use", response_model=ModelVersion, responses=NOT_FOUND)
def use_model(version: str, user: BureauUser, session: SessionDep, settings: SettingsDep):
    """Enable a version: the pool's readiness figures come from it from now on."""
    return training.enable(session, settings, user, version)


@router.delete("/pool/models/current", status_code=204)
def default_model(user: BureauUser, session: SessionDep, settings: SettingsDep):
    """Back to the service's model (the bureau's versions are kept)."""
    training.disable(session, settings, user)
    return Response(status_code=204)
