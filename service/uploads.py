"""Uploaded files and batch jobs as stored: where an upload and its result live, queueing an
upload as a job, and who may see a job. The worker (``service.jobs``) processes them."""

from __future__ import annotations

from pathlib import Path

from fastapi import UploadFile
from fastapi.responses import FileResponse
from sqlmodel import Session

from batch.readers import sniff
from service import audit
from service.config import Settings
from service.errors import ApiError
from service.models import BatchJob, User
from service.pool import XLSX

UPLOAD_FORMATS = ("xlsx", "xls", "csv", "parquet")


UPLOAD_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".parquet")


def upload_suffix(name: str | None) -> str:
    """The uploaded name's extension when it is one the readers know (else none): the stored
    file keeps it so the worker reads it exactly as ``tiering batch`` reads the same file."""
    suffix = Path(name or "").suffix.lower()
    return suffix if suffix in UPLOAD_SUFFIXES else ""


def upload_path(settings: Settings, job_id: str, name: str | None = None) -> Path:
    path = settings.data_dir / "uploads" / f"{job_id}.upload{upload_suffix(name)}"
    legacy = path.with_name(f"{job_id}.upload")  # stored before uploads kept their extension
    return legacy if not path.exists() and legacy.exists() else path


def result_path(settings: Settings, job_id: str) -> Path:
    return settings.data_dir / "results" / f"{job_id}.xlsx"


async def create_job(
    session: Session, user: User, upload: UploadFile, settings: Settings, options: dict
) -> BatchJob:
    """Store an upload (size enforced while streaming; the name is only displayed) as a job."""
    job = BatchJob(owner_id=user.id, original_name=(upload.filename or "")[:255], file_format="")
    if Path(job.original_name).suffix and not upload_suffix(job.original_name):
        raise ApiError(
            400,
            "unsupported_file",
            "不支持的文件类型：请上传 .xlsx、.xls、.csv 或 .parquet 文件",
            "unsupported file type (.xlsx, .xls, .csv or .parquet)",
        )
    path = upload_path(settings, job.id, job.original_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with open(path, "wb") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > settings.upload_max_bytes:
                    raise ApiError(
                        413,
                        "too_large",
                        f"文件超过上限 {settings.upload_max_bytes // (1024 * 1024)} MB",
                        f"file larger than {settings.upload_max_bytes} bytes",
                    )
                out.write(chunk)
        if size == 0:
            raise ApiError(400, "empty_file", "文件为空", "the file is empty")
        job.file_format = sniff(path)  # 8 bytes: the web process never parses an upload
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    job.options = options
    session.add(job)
    session.flush()
    audit.record(session, user, "batch.upload", "batch_job", job.id, name=job.original_name)
    session.commit()
    session.refresh(job)
    return job


def get_job(session: Session, user: User, job_id: str) -> BatchJob:
    job = session.get(BatchJob, job_id)
    if job is None or (job.owner_id != user.id and user.role != "admin"):
        raise ApiError(404, "not_found", "批量任务不存在", "batch job not found")
    return job


def result_file(session: Session, user: User, settings: Settings, job_id: str):
    """The stored workbook of a finished job, as a download (409 until it is done)."""
    job = get_job(session, user, job_id)
    path = result_path(settings, job.id)
    if job.status != "done" or not path.exists():
        raise ApiError(
            409, "not_ready", "结果尚未生成", "the result is not ready yet", job_status=job.status
        )
    return FileResponse(path, media_type=XLSX, filename=f"评价结果_{job.id[:8]}.xlsx")


class LeaseLost(Exception):
    """Another worker holds the job now; this one stops without writing."""
