"""Batch jobs: uploads become database rows that a worker (`tiering worker`) processes.

A worker takes a job by a lease (an expiry time it keeps renewing) and stores every chunk's
results as a checkpoint in the same transaction that advances the job, on the condition that it
still holds the lease. A worker killed mid-job (SIGKILL included) stops renewing; once the lease
expires the next worker takes the job over and scores only the chunks without a checkpoint: no
row is lost and none is scored twice (a unique key on job and chunk guards against races). The
finished workbook is stored and served, never recomputed.
"""

from __future__ import annotations

import io
import logging
import math
import os
import socket
import time
import uuid

import pandas as pd
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from batch.readers import BatchError, Limits, read_tables
from batch.run import Summary, prepare, score_table, write_workbook
from scoring.options import Options
from service.config import Settings
from service.db import engine_for
from service.models import BatchChunk, BatchJob, now
from service.pool_import import Importer
from service.training import Trainer
from service.uploads import LeaseLost, result_path, upload_path

log = logging.getLogger("tiering.worker")


class Worker:
    """Takes jobs with a lease and processes them chunk by chunk."""

    def __init__(self, settings: Settings, name: str | None = None):
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.engine = engine_for(settings.database_url)

    def run(self, once: bool = False) -> None:
        """Process jobs until stopped (``once``: until no job is waiting)."""
        while True:
            job_id = self.claim()
            if job_id is None:
                if once:
                    return
                time.sleep(self.settings.worker_poll_seconds)
                continue
            self.process(job_id)

    def claim(self) -> str | None:
        """Lease the oldest job that is queued or whose worker stopped renewing its lease."""
        with Session(self.engine) as session:
            t = time.time()
            candidates = session.exec(
                select(BatchJob.id)
                .where(BatchJob.status.in_(["queued", "running"]))
                .where((BatchJob.lease_until.is_(None)) | (BatchJob.lease_until < t))
                .order_by(BatchJob.created_at)
                .limit(5)
            ).all()
            for job_id in candidates:
                if self._give_up(session, job_id, t):
                    continue
                taken = session.exec(
                    update(BatchJob)
                    .where(BatchJob.id == job_id)
                    .where((BatchJob.lease_until.is_(None)) | (BatchJob.lease_until < t))
                    .where(BatchJob.status.in_(["queued", "running"]))
                    .values(
                        status="running",
                        lease_owner=self.name,
                        lease_until=t + self.settings.lease_seconds,
                        attempts=BatchJob.attempts + 1,
                        started_at=now(),
                    )
                )
                session.commit()
                if taken.rowcount == 1:
                    log.info("worker %s took job %s", self.name, job_id)
                    return job_id
        return None

    def _give_up(self, session: Session, job_id: str, t: float) -> bool:
        """A job taken ``max_attempts`` times whose worker never finished it (it died, e.g.
        killed for memory) is failed with the reason instead of being retried forever."""
        done = session.exec(
            update(BatchJob)
            .where(BatchJob.id == job_id)
            .where(BatchJob.attempts >= self.settings.max_attempts)
            .where(BatchJob.status.in_(["queued", "running"]))
            .where((BatchJob.lease_until.is_(None)) | (BatchJob.lease_until < t))
            .values(
                status="failed",
                finished_at=now(),
                lease_until=None,
                error_zh=f"处理失败：已尝试{self.settings.max_attempts}次，处理进程均中途退出"
                "（文件可能过大或内存不足），请拆分文件后重试",
                error_en=f"failed: the worker stopped {self.settings.max_attempts} times mid-job",
            )
        )
        session.commit()
        if done.rowcount == 1:
            log.warning("job %s failed after %d attempts", job_id, self.settings.max_attempts)
        return done.rowcount == 1

    def _renew(self, session: Session, job_id: str, **values) -> bool:
        """Advance the job and renew the lease, only while this worker holds it."""
        done = session.exec(
            update(BatchJob)
            .where(BatchJob.id == job_id)
            .where(BatchJob.lease_owner == self.name)
            .values(**{"lease_until": time.time() + self.settings.lease_seconds, **values})
        )
        return done.rowcount == 1

    def process(self, job_id: str) -> None:
        with Session(self.engine) as session:
            job = session.get(BatchJob, job_id)
            try:
                self._process(session, job)
            except BatchError as exc:
                session.rollback()
                self._finish(session, job_id, "failed", error=(exc.zh, exc.en))
            except LeaseLost:
                session.rollback()
                log.warning("worker %s lost the lease of job %s", self.name, job_id)
            except Exception as exc:  # a bug must not leave the job spinning forever
                log.exception("job %s failed", job_id)
                session.rollback()
                self._finish(
                    session,
                    job_id,
                    "failed",
                    error=("处理失败（内部错误）", f"internal error: {exc}"),
                )

    def _process(self, session: Session, job: BatchJob) -> None:
        if job.kind == "import":
            Importer(self, session, job).run()
            return
        if job.kind == "train":
            Trainer(self, session, job).run()
            return
        settings = self.settings
        limits = Limits(max_bytes=settings.upload_max_bytes, max_rows=settings.batch_max_rows)
        path = upload_path(settings, job.id, job.original_name)
        (table,) = list(read_tables(path, limits, chunk_rows=limits.max_rows + 1))
        prepared = prepare(table)
        n = len(table.data)
        size = settings.batch_chunk_rows
        chunks = max(1, math.ceil(n / size))
        if not self._renew(session, job.id, total_rows=n, chunks_total=chunks):
            raise LeaseLost
        session.commit()
        done = set(
            session.exec(select(BatchChunk.chunk_no).where(BatchChunk.job_id == job.id)).all()
        )
        options = Options.from_json(job.options)
        for no in range(chunks):
            if no in done:
                continue
            rows = slice(no * size, min(n, (no + 1) * size))
            results, gaps, near = score_table(
                table,
                options,
                prepared=prepared,
                rows=rows,
                all_gaps=bool((job.options or {}).get("all_gaps")),
            )
            chunk = BatchChunk(
                job_id=job.id,
                chunk_no=no,
                rows=len(results),
                results=_parquet(results),
                gaps=_parquet(gaps),
                near=_parquet(near),
                worker=self.name,
            )
            session.add(chunk)
            advanced = self._renew(
                session,
                job.id,
                rows_done=BatchJob.rows_done + len(results),
                chunks_done=BatchJob.chunks_done + 1,
            )
            if not advanced:
                raise LeaseLost
            try:
                session.commit()
            except IntegrityError as exc:  # another worker stored this chunk meanwhile
                raise LeaseLost from exc
            if settings.worker_chunk_pause:
                time.sleep(settings.worker_chunk_pause)
        self._assemble(session, job.id, table)

    def _assemble(self, session: Session, job_id: str, table) -> None:
        stored = session.exec(
            select(BatchChunk).where(BatchChunk.job_id == job_id).order_by(BatchChunk.chunk_no)
        ).all()
        results = pd.concat([pd.read_parquet(io.BytesIO(c.results)) for c in stored])
        gaps = pd.concat([pd.read_parquet(io.BytesIO(c.gaps)) for c in stored], ignore_index=True)
        near = pd.concat([pd.read_parquet(io.BytesIO(c.near)) for c in stored], ignore_index=True)
        summary = Summary()
        summary.describe(table)
        summary.add(results)
        summary.add_near(near)
        out = result_path(self.settings, job_id)
        out.parent.mkdir(parents=True, exist_ok=True)
        job = session.get(BatchJob, job_id)
        sheet_rows = results.index.to_numpy() + table.header_row + 2
        write_workbook(
            out,
            results,
            gaps,
            near,
            sheet_rows,
            summary,
            all_gaps=bool((job.options or {}).get("all_gaps")),
        )
        shown = _summary_json(summary)
        shown["rejected_rows"] = _first_rejected(results, sheet_rows, table)
        self._finish(session, job_id, "done", summary=shown)

    def _finish(self, session: Session, job_id: str, status: str, *, error=None, summary=None):
        values = {"status": status, "finished_at": now(), "lease_until": None}
        if error:
            values["error_zh"], values["error_en"] = error
        if summary is not None:
            values["summary"] = summary
        if self._renew(session, job_id, **values):
            session.commit()


def _parquet(frame: pd.DataFrame | None) -> bytes:
    frame = pd.DataFrame() if frame is None else frame
    buf = io.BytesIO()
    try:
        frame.to_parquet(buf)
    except Exception:  # mixed text and numbers in one column: keep them as text
        safe = frame.copy()
        for col in safe.columns:
            if safe[col].dtype == object:
                safe[col] = safe[col].map(lambda v: v if v is None else str(v))
        buf = io.BytesIO()
        safe.to_parquet(buf)
    return buf.getvalue()


REJECTED_SHOWN = 20  # the job page lists this many rejected rows (all are in the workbook)


def _first_rejected(results: pd.DataFrame, sheet_rows, table) -> list[dict]:
    """The first rejected rows with their row in the file, the name given and the reason."""
    rejected = (results["row_status"].astype(str) == "rejected").to_numpy()
    name_col = next((c.header for c in table.columns if c.field == "name"), None)
    out = []
    for i in rejected.nonzero()[0][:REJECTED_SHOWN]:
        name = results[name_col].iloc[i] if name_col else None
        out.append(
            {
                "row": int(sheet_rows[i]),
                "name": "" if name is None or pd.isna(name) else str(name)[:100],
                "reason": str(results["row_errors"].iloc[i]),
            }
        )
    return out


def _summary_json(summary: Summary) -> dict:
    return {
        "rows_in": summary.rows_in,
        "scored": summary.scored,
        "rejected": summary.rejected,
        "near_any": summary.near_any or 0,
        "status": {k: dict(v) for k, v in summary.status.items()},
        "text": summary.text(),
    }
