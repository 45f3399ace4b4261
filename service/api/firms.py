"""Firms and their stored assessments (each with its input snapshot, hash and rule versions)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import func, select

from scoring.models import Firm as FirmInput
from scoring.models import IsoDate
from scoring.options import Options
from service import reporting, store
from service.api.responses import NOT_FOUND
from service.deps import LENIENT, CurrentUser, Id, SessionDep
from service.models import Firm

router = APIRouter(tags=["firms"])


class FirmPublic(BaseModel):
    id: int
    name: str
    credit_code: str | None
    region_code: str | None
    industry_code: str | None
    profile: dict[str, Any]
    latest: dict[str, Any]
    latest_assessment_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class Authorship(BaseModel):
    source: str = Field(description="self (the firm) | bureau | import (from a batch job)")
    author_id: int | None
    import_job_id: str | None
    private: bool = Field(description="kept from the region's bureau by the firm")
    note: str
    period: int | None = Field(description="the fiscal year (y0) the inputs describe")


class AssessmentPublic(Authorship):
    id: int
    firm_id: int
    input_snapshot: dict[str, Any]
    input_hash: str
    criteria_versions: list[str]
    model_version: str | None
    mode: str
    as_of: IsoDate | None
    created_at: dt.datetime
    result: dict[str, Any]


class AssessmentSummary(Authorship):
    id: int
    firm_id: int
    input_hash: str
    criteria_versions: list[str]
    mode: str
    created_at: dt.datetime


class AssessOptions(BaseModel):
    as_of: IsoDate | None = None
    mode: Literal["new", "review"] = "new"

    def options(self) -> Options:
        return Options(as_of=self.as_of, mode=self.mode)


class FirmCreate(AssessOptions):
    firm: FirmInput
    private: bool = Field(
        default=False, description="keep this assessment from the region's science bureau"
    )


class Reassess(AssessOptions):
    firm: FirmInput | None = Field(
        default=None, description="new inputs; left out: the firm's stored profile"
    )
    private: bool = Field(default=False, description="owner only: keep it from the bureau")
    note: str = Field(
        default="", max_length=500, description="a bureau's annotation of its own assessment"
    )


class Page(BaseModel):
    total: int
    items: list[FirmPublic]


@router.post("/firms", response_model=AssessmentPublic, status_code=201)
def create_firm(body: FirmCreate, user: CurrentUser, session: SessionDep, lenient: bool = LENIENT):
    """Store a firm and its first assessment."""
    data = body.firm.model_dump(exclude_none=True, mode="json")
    return store.assess_and_store(
        session, user, data, options=body.options(), private=body.private, lenient=lenient
    )


@router.get("/firms", response_model=Page)
def list_firms(
    user: CurrentUser,
    session: SessionDep,
    q: str | None = Query(default=None, max_length=100, description="name or credit code"),
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
    limit: int = Query(default=50, ge=1, le=500),
):
    query = store.visible_firms(user)
    if q:
        query = query.where(Firm.name.contains(q) | Firm.credit_code.contains(q.upper()))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(Firm.id).offset(offset).limit(limit)).all()
    return Page(
        total=total, items=[FirmPublic.model_validate(f, from_attributes=True) for f in items]
    )


@router.get("/firms/{firm_id}", response_model=FirmPublic, responses=NOT_FOUND)
def read_firm(firm_id: Id, user: CurrentUser, session: SessionDep):
    """A firm; someone other than its owner sees the inputs of its latest shared assessment."""
    firm = store.get_firm(session, user, firm_id)
    out = FirmPublic.model_validate(firm, from_attributes=True)
    out.profile = store.shown_profile(session, user, firm)
    return out


@router.post(
    "/firms/{firm_id}/assessments",
    response_model=AssessmentPublic,
    status_code=201,
    responses=NOT_FOUND,
)
def reassess(
    firm_id: Id, body: Reassess, user: CurrentUser, session: SessionDep, lenient: bool = LENIENT
):
    """Assess again, with new inputs or the stored profile. The firm's owner updates its
    record; the region's bureau adds an annotated assessment of its own and never changes the
    firm's data."""
    firm = store.get_firm(session, user, firm_id)
    data = (
        body.firm.model_dump(exclude_none=True, mode="json")
        if body.firm
        else dict(store.shown_profile(session, user, firm))
    )
    return store.assess_and_store(
        session,
        user,
        data,
        firm=firm,
        options=body.options(),
        private=body.private,
        note=body.note,
        lenient=lenient,
    )


@router.get(
    "/firms/{firm_id}/assessments", response_model=list[AssessmentSummary], responses=NOT_FOUND
)
def firm_assessments(firm_id: Id, user: CurrentUser, session: SessionDep):
    """The firm's history: every assessment the user may see, newest fiscal year first."""
    return store.firm_assessments(session, user, store.get_firm(session, user, firm_id))


@router.get("/assessments/{assessment_id}", response_model=AssessmentPublic, responses=NOT_FOUND)
def read_assessment(assessment_id: Id, user: CurrentUser, session: SessionDep):
    return store.get_assessment(session, user, assessment_id)


@router.get("/assessments/{assessment_id}/report.pdf", response_class=Response, responses=NOT_FOUND)
async def assessment_report(assessment_id: Id, user: CurrentUser, session: SessionDep):
    """The firm guidance report (企业梯度培育诊断报告) of a stored assessment, as PDF."""
    row = store.get_assessment(session, user, assessment_id)
    return await reporting.firm_pdf(row.result, f"诊断报告-{row.id}.pdf")
