"""Batch upload page: the template, the upload, a progress page (refreshes itself without
JavaScript while the job runs), and the result download."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from batch.template import write_template
from service import pool_import, uploads
from service.deps import CsrfChecked, SessionDep, SettingsDep
from service.errors import ApiError
from service.models import BatchJob
from service.pages.common import PageUser, login_redirect
from service.pages.render import render
from service.pool import XLSX, attachment

router = APIRouter()


@router.get("/template.xlsx")
def template():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.xlsx"
        write_template(path)
        data = path.read_bytes()
    return Response(
        data,
        media_type=XLSX,
        headers=attachment("企业数据模板.xlsx"),
    )


def _limits(settings) -> dict:
    return {
        "limit_mb": settings.upload_max_bytes // (1024 * 1024),
        "max_rows": settings.batch_max_rows,
    }


@router.get("/batch")
def batch_page(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep):
    if user is None:
        return login_redirect(request)
    rows = session.exec(
        select(BatchJob)
        .where(BatchJob.owner_id == user.id)
        .order_by(BatchJob.created_at.desc())
        .limit(50)
    ).all()
    return render(request, "batch.html", {"jobs": rows, "error": None, **_limits(settings)})


@router.post("/batch", dependencies=[CsrfChecked])
async def batch_upload(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    file: UploadFile = File(),
    all_gaps: bool = Form(default=False),
):
    if user is None:
        return login_redirect(request)
    try:
        job = await uploads.create_job(
            session, user, file, settings, {"mode": "new", "all_gaps": all_gaps}
        )
    except ApiError as exc:
        rows = session.exec(select(BatchJob).where(BatchJob.owner_id == user.id)).all()
        context = {"jobs": rows, "error": exc.zh, **_limits(settings)}
        return render(request, "batch.html", context, exc.status)
    return RedirectResponse(f"/batch/{job.id}", status_code=303)


@router.get("/batch/{job_id}")
def job_page(job_id: str, request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    job = uploads.get_job(session, user, job_id)
    imports = session.exec(
        select(BatchJob).where(
            BatchJob.kind == "import",
            BatchJob.source_job_id == job.id,
            BatchJob.owner_id == user.id,
        )
    ).all()
    return render(request, "batch_job.html", {"job": job, "imports": imports})


@router.post("/batch/{job_id}/import", dependencies=[CsrfChecked])
def import_into_pool(job_id: str, request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    job = pool_import.start_import(session, user, job_id)
    return RedirectResponse(f"/batch/{job.id}", status_code=303)


@router.get("/batch/{job_id}/result.xlsx")
def job_result(
    job_id: str, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
):
    if user is None:
        return login_redirect(request)
    return uploads.result_file(session, user, settings, job_id)
