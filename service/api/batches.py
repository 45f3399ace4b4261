"""Batch jobs: upload a spreadsheet, poll its progress, fetch the stored result workbook."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlmodel import select

from service import pool_import, uploads
from service.api.responses import BAD_FILE, NOT_FOUND, NOT_READY
from service.deps import BureauUser, CurrentUser, SessionDep, SettingsDep
from service.models import BatchJob

router = APIRouter(tags=["batches"])


class JobPublic(BaseModel):
    id: str
    kind: str  # score | import (into the bureau's pool) | train (readiness on the pool)
    source_job_id: str | None = None
    original_name: str
    file_format: str
    status: str
    total_rows: int | None
    rows_done: int
    chunks_total: int | None
    chunks_done: int
    attempts: int
    error_zh: str | None
    error_en: str | None
    summary: dict[str, Any]
    created_at: dt.datetime
    finished_at: dt.datetime | None
    result_url: str | None = None

    @classmethod
    def of(cls, job: BatchJob) -> JobPublic:
        out = cls.model_validate(job, from_attributes=True)
        if job.status == "done" and job.kind == "score":
            out.result_url = f"/api/v1/batches/{job.id}/result.xlsx"
        return out


@router.post("/batches", response_model=JobPublic, status_code=202, responses=BAD_FILE)
async def upload(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    file: UploadFile = File(description="xlsx, xls, csv or parquet"),
    mode: Literal["new", "review"] = Form(default="new"),
    all_gaps: bool = Form(default=False),
):
    """Queue a spreadsheet; a worker scores it (poll ``GET /batches/{id}``)."""
    job = await uploads.create_job(
        session, user, file, settings, {"mode": mode, "all_gaps": all_gaps}
    )
    return JobPublic.of(job)


@router.get("/batches", response_model=list[JobPublic])
def list_jobs(user: CurrentUser, session: SessionDep):
    rows = session.exec(
        select(BatchJob).where(BatchJob.owner_id == user.id).order_by(BatchJob.created_at.desc())
    ).all()
    return [JobPublic.of(j) for j in rows]


@router.get("/batches/{job_id}", response_model=JobPublic, responses=NOT_FOUND)
def job_status(job_id: str, user: CurrentUser, session: SessionDep):
    return JobPublic.of(uploads.get_job(session, user, job_id))


@router.get(
    "/batches/{job_id}/result.xlsx",
    response_class=FileResponse,
    responses={**NOT_FOUND, **NOT_READY},
)
def job_result(job_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep):
    return uploads.result_file(session, user, settings, job_id)


@router.post(
    "/batches/{job_id}/import",
    response_model=JobPublic,
    status_code=202,
    responses={**NOT_FOUND, **NOT_READY},
)
def import_job(job_id: str, user: BureauUser, session: SessionDep):
    """Queue the import of a finished scoring job into the bureau's pool: one dated snapshot
    per firm of the bureau's region (poll ``GET /batches/{id}`` of the returned job; its
    summary lists the rows not imported and why). Importing the same job again returns the
    first import."""
    return JobPublic.of(pool_import.start_import(session, user, job_id))
