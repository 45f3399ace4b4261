"""Database tables (SQLModel) and the API's request/response shapes.

Table models skip validation, so requests are validated by the non-table models first. Every
stored assessment keeps its input snapshot, the snapshot's hash and the rule-set versions, so
it can be reproduced exactly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    return uuid.uuid4().hex


ROLES = ("firm", "bureau", "admin")


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    display_name: str = Field(default="", max_length=128)
    password_hash: str
    role: str = Field(default="firm", max_length=16)  # firm | bureau | admin
    region_codes: str = Field(default="", max_length=512)  # bureau: comma-separated prefixes
    is_active: bool = True
    created_at: dt.datetime = Field(default_factory=now)
    # bumped by logout, a password change or deactivation: every session cookie made before
    # carries the old number and is refused (signed cookies cannot be recalled otherwise)
    session_generation: int = 0

    def regions(self) -> list[str]:
        return [r.strip() for r in self.region_codes.split(",") if r.strip()]


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per account (``user:<name>``) and per client address (``ip:<addr>``)
    within a window; a key past its limit is locked until ``locked_until``."""

    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=200)
    failures: int = 0
    window_start: float = 0.0  # epoch seconds
    locked_until: float = 0.0
    lockouts: int = 0  # each lockout in a row lasts twice as long as the one before


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=64)
    token_hash: str = Field(index=True, unique=True, max_length=64)  # sha256 of the token
    created_at: dt.datetime = Field(default_factory=now)
    last_used_at: dt.datetime | None = None


class Firm(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=200)
    credit_code: str | None = Field(default=None, max_length=18, index=True)
    region_code: str | None = Field(default=None, max_length=12, index=True)
    industry_code: str | None = Field(default=None, max_length=8)
    profile: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # the latest assessment, denormalized for the dashboard: output contract row + near list
    latest: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    latest_assessment_id: int | None = None
    created_at: dt.datetime = Field(default_factory=now)
    updated_at: dt.datetime = Field(default_factory=now)


class Assessment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    input_snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    input_hash: str = Field(max_length=64, index=True)
    criteria_versions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    model_version: str | None = Field(default=None, max_length=64)
    mode: str = Field(default="new", max_length=8)
    as_of: dt.date | None = None
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=now)
    # authorship: who made it (a firm's user, a bureau user, or an import job run by one)
    source: str = Field(default="self", max_length=8)  # self | bureau | import
    author_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    import_job_id: str | None = Field(
        default=None, foreign_key="batch_job.id", index=True, max_length=32
    )
    note: str = Field(default="", max_length=500)  # a bureau's annotation
    private: bool = False  # the firm keeps it from its region's bureau
    period: int | None = Field(default=None, index=True)  # the input's fiscal year (y0)
    # the output contract row and near list of this snapshot (the pool reads the latest)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class BatchJob(SQLModel, table=True):
    __tablename__ = "batch_job"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: int = Field(foreign_key="user.id", index=True)
    original_name: str = Field(default="", max_length=255)  # shown, never used as a path
    file_format: str = Field(max_length=8)
    kind: str = Field(default="score", max_length=8)  # score | import (into the pool)
    source_job_id: str | None = Field(default=None, max_length=32)  # import: the scored job
    status: str = Field(default="queued", max_length=12, index=True)  # queued|running|done|failed
    total_rows: int | None = None
    rows_done: int = 0
    chunks_total: int | None = None
    chunks_done: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: float | None = None  # epoch seconds
    attempts: int = 0
    error_zh: str | None = None
    error_en: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=now)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class BatchChunk(SQLModel, table=True):
    """One checkpoint: a chunk's results, gaps and near list (Parquet bytes)."""

    __tablename__ = "batch_chunk"
    __table_args__ = (UniqueConstraint("job_id", "chunk_no"),)
    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="batch_job.id", index=True, max_length=32)
    chunk_no: int
    rows: int
    results: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    gaps: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    near: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    worker: str = Field(default="", max_length=64)
    created_at: dt.datetime = Field(default_factory=now)


class Target(SQLModel, table=True):
    """A bureau's goal, e.g. "+100 high-tech firms by 2025", against a baseline count."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    ladder: str = Field(max_length=16)
    year: int
    increase: int
    baseline: int
    note: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=now)


class Draft(SQLModel, table=True):
    """A signed-in user's unfinished form, saved as they type (one per user and firm)."""

    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    key: str = Field(max_length=16)  # "new" or the firm's id
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = Field(default_factory=now)


class PendingSave(SQLModel, table=True):
    """An anonymous result the visitor asked to keep, waiting for sign-up or sign-in."""

    __tablename__ = "pending_save"
    token: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    private: bool = False
    created_at: dt.datetime = Field(default_factory=now)


class AuditEvent(SQLModel, table=True):
    """One write: who, when, what (shown to administrators)."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=now, index=True)
    user_id: int | None = Field(default=None, index=True)
    username: str = Field(default="", max_length=64)
    action: str = Field(max_length=40)
    object_type: str = Field(default="", max_length=20)
    object_id: str = Field(default="", max_length=40)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
