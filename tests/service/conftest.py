"""Service tests run against SQLite and the machine's PostgreSQL (both real databases).

PostgreSQL: ``TIERING_TEST_POSTGRES_URL`` (default: the local server's ``test`` database);
set it to ``none`` to run SQLite only. An unreachable server fails the tests, it does not
skip them silently.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from service.app import create_app
from service.config import Settings
from service.db import engine_for, migrate
from service.demo import ensure_user

PG_BASE = os.environ.get("TIERING_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
# each test run works in its own schema, so two runs on one server never touch each other
PG_SCHEMA = f"tiering_test_{os.getpid()}"
PG_URL = f"{PG_BASE}{'&' if '?' in PG_BASE else '?'}options=-csearch_path%3D{PG_SCHEMA}"
BACKENDS = ["sqlite"] + ([] if PG_BASE.lower() == "none" else ["postgresql"])
PASSWORD = "correct-horse-battery"
SECRET = "test-secret-key-" + "x" * 40
_migrated: set[str] = set()


def _reset(url: str) -> None:
    """An empty, fully migrated schema (migrated once per run, then emptied per test)."""
    if url not in _migrated:
        if url.startswith("postgresql"):
            engine = create_engine(PG_BASE)
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
            engine.dispose()
        migrate(url)
        _migrated.add(url)
    engine = engine_for(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as conn:
        if url.startswith("postgresql"):
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))
            conn.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_schema():
    yield
    if PG_SCHEMA and "postgresql" in BACKENDS:
        try:
            engine = create_engine(PG_BASE)
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            engine.dispose()
        except Exception:  # the server went away: nothing to clean
            pass


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.getbasetemp() / 'service.db'}"
    else:
        url = PG_URL
        try:
            create_engine(url).connect().close()
        except Exception as exc:
            pytest.fail(
                f"PostgreSQL not reachable at {url}: {exc} (TIERING_TEST_POSTGRES_URL=none skips)"
            )
    _reset(url)
    return url


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    return Settings(
        environment="test",
        database_url=db_url,
        secret_key=SECRET,
        data_dir=tmp_path / "var",
        batch_chunk_rows=10,
        lease_seconds=2.0,
        worker_poll_seconds=0.1,
    )


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> TestClient:
    with TestClient(app) as c:
        yield c


@dataclass
class Account:
    username: str
    role: str
    id: int


@pytest.fixture
def accounts(settings) -> dict[str, Account]:
    """firm_a, firm_b (firm users), bureau (region 3301), other_bureau (4401), admin."""
    from sqlmodel import Session

    specs = {
        "firm_a": ("firm", ""),
        "firm_b": ("firm", ""),
        "bureau": ("bureau", "3301"),
        "other_bureau": ("bureau", "4401"),
        "admin": ("admin", ""),
    }
    out = {}
    with Session(engine_for(settings.database_url)) as session:
        for name, (role, regions) in specs.items():
            user = ensure_user(session, name, PASSWORD, role, name, regions)
            out[name] = Account(name, role, user.id)
    return out


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    token = csrf_of(page.text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/account").text)


def client_for(app, username: str | None) -> tuple[TestClient, str | None]:
    c = TestClient(app)
    token = login(c, username) if username else None
    return c, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(port: int, proc: subprocess.Popen, log=None, seconds: float = 90) -> None:
    """Until `tiering serve` in ``proc`` accepts connections on ``port`` (its log, if any, in
    the error when it exits first)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError as exc:
            if proc.poll() is not None:
                raise RuntimeError(log.read_text() if log else "the server exited") from exc
            time.sleep(0.3)
    raise RuntimeError(f"nothing listening on port {port} after {seconds:g} s")
