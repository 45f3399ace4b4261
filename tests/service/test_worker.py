"""A worker killed mid-job (SIGKILL) is taken over by the next: no row lost, none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
from python_calamine import CalamineWorkbook
from sqlmodel import Session, select

from batch import run
from service.db import engine_for
from service.models import BatchChunk, BatchJob, User
from tests.conftest import ROOT


def _env(settings, **extra) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TIERING_ENVIRONMENT="test",
        TIERING_DATABASE_URL=settings.database_url,
        TIERING_DATA_DIR=str(settings.data_dir),
        TIERING_SECRET_KEY=settings.secret_key,
        TIERING_BATCH_CHUNK_ROWS="100",
        TIERING_LEASE_SECONDS="1.5",
        TIERING_WORKER_POLL_SECONDS="0.1",
        **extra,
    )
    return env


def _job(settings, owner_id: int, rows: int) -> tuple[str, object]:
    samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    frame = pd.concat([samples] * (rows // len(samples) + 1)).head(rows)
    frame["name"] = [f"{n}#{i}" if n else "" for i, n in enumerate(frame["name"])]
    job = BatchJob(owner_id=owner_id, original_name="名单.csv", file_format="csv")
    upload = settings.data_dir / "uploads" / f"{job.id}.upload"
    upload.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(upload, index=False)
    job_id = job.id
    with Session(engine_for(settings.database_url)) as s:
        s.add(job)
        s.commit()
    return job_id, upload


def _state(settings, job_id):
    with Session(engine_for(settings.database_url), expire_on_commit=False) as s:
        job = s.get(BatchJob, job_id)
        chunks = s.exec(
            select(BatchChunk).where(BatchChunk.job_id == job_id).order_by(BatchChunk.chunk_no)
        ).all()
        s.expunge_all()
        return job, [(c.chunk_no, c.rows, c.worker) for c in chunks]


def test_sigkilled_worker_is_resumed_without_loss_or_duplicates(settings, accounts):
    with Session(engine_for(settings.database_url)) as s:
        owner_id = s.exec(select(User).where(User.username == "bureau")).first().id
    job_id, upload = _job(settings, owner_id, 1500)  # 15 chunks of 100
    cmd = [sys.executable, "-m", "tiering.cli", "worker"]
    first = subprocess.Popen(cmd, env=_env(settings, TIERING_WORKER_CHUNK_PAUSE="0.4"), cwd=ROOT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            job, chunks = _state(settings, job_id)
            if len(chunks) >= 3:
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    job, chunks = _state(settings, job_id)
    assert job.status == "running" and 3 <= len(chunks) < 15, (job.status, len(chunks))
    killed_at = len(chunks)
    while time.time() < job.lease_until + 0.05:  # the lease runs out: nobody renews it
        time.sleep(0.1)
    second = subprocess.run(
        [*cmd, "--once"], env=_env(settings), cwd=ROOT, timeout=120, capture_output=True
    )
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    job, chunks = _state(settings, job_id)
    assert job.status == "done", (job.status, job.error_en)
    numbers = sorted(c[0] for c in chunks)
    assert numbers == list(range(15))  # every chunk exactly once
    assert sum(c[1] for c in chunks) == job.rows_done == job.total_rows == 1500
    workers = {c[2] for c in chunks}
    assert len(workers) == 2  # the first worker's checkpoints were kept, not redone
    assert sum(1 for c in chunks if c[2] == chunks[0][2]) >= killed_at - 1
    assert job.attempts == 2
    # the stored workbook equals the command line's single pass over the same file
    out = settings.data_dir / "cli.xlsx"
    run(upload, out)
    stored = CalamineWorkbook.from_path(str(settings.data_dir / "results" / f"{job_id}.xlsx"))
    cli = CalamineWorkbook.from_path(str(out))
    for sheet in ("评价结果", "未评价行", "差距明细", "临近门槛"):
        assert (
            stored.get_sheet_by_name(sheet).to_python() == cli.get_sheet_by_name(sheet).to_python()
        )
