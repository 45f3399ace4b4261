"""Settings refuse unsafe secrets; the Alembic migrations are the schema, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import service.models  # noqa: F401  (the tables)
from service.config import PLACEHOLDER_SECRET, Settings
from service.db import downgrade, migrate


def test_placeholder_or_short_secret_is_refused_outside_development(tmp_path):
    with pytest.raises(ValidationError, match="TIERING_SECRET_KEY"):
        Settings(environment="production", secret_key=PLACEHOLDER_SECRET)
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key="short")
    assert Settings(environment="production", secret_key="s" * 40).secret_key == "s" * 40
    # development never signs with the public placeholder: a random key per install, kept
    first = Settings(environment="development", data_dir=tmp_path).secret_key
    assert first != PLACEHOLDER_SECRET and len(first) >= 32
    assert Settings(environment="development", data_dir=tmp_path).secret_key == first
    assert (tmp_path / ".secret_key").stat().st_mode & 0o777 == 0o600


def test_cookies_are_secure_by_default_in_production():
    assert Settings(environment="production", secret_key="s" * 40).cookies_secure
    assert not Settings(environment="test").cookies_secure
    assert not Settings(
        environment="production", secret_key="s" * 40, secure_cookies=False
    ).cookies_secure


def test_migrations_match_the_models_and_go_down_and_up(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], diff  # a model change without a migration fails here
    downgrade(db_url, "base")
    assert set(inspect(create_engine(db_url)).get_table_names()) <= {"alembic_version"}
    migrate(db_url)
    tables = set(inspect(create_engine(db_url)).get_table_names())
    assert {
        "user",
        "firm",
        "assessment",
        "batch_job",
        "batch_chunk",
        "api_token",
        "target",
    } <= tables
    engine.dispose()


def test_the_openapi_document_declares_the_schemes_and_the_error_body(client):
    doc = client.get("/api/v1/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["APIKeyCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "tiering_session",
        "description": schemes["APIKeyCookie"]["description"],
    }
    firms = doc["paths"]["/api/v1/firms"]["get"]
    assert {"HTTPBearer": []} in firms["security"]
    for status in ("401", "422"):
        ref = firms["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorBody")
    error = doc["components"]["schemas"]["ErrorDetail"]["properties"]
    assert {"code", "message_zh", "message_en", "details"} <= set(error)
    # what the API really sends has that shape
    body = client.get("/api/v1/firms").json()
    assert client.get("/api/v1/firms").status_code == 401
    assert set(body) == {"error"} and {"code", "message_zh", "message_en"} <= set(body["error"])
    # lenient is documented where one firm's values come in
    assess = doc["paths"]["/api/v1/assess"]["post"]
    assert "lenient" in {p["name"] for p in assess["parameters"]}


def test_auth_errors_are_declared_only_where_they_can_happen(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    declared = {
        (method.upper(), path): set(op["responses"])
        for path, ops in paths.items()
        for method, op in ops.items()
    }
    # stateless: no account, so neither 401 nor 403
    for op in [
        ("POST", "/api/v1/assess"),
        ("POST", "/api/v1/what-if"),
        ("GET", "/api/v1/criteria"),
    ]:
        assert not {"401", "403"} & declared[op], op
    # a firm's own read: 401 but no 403 (another firm's record is a 404)
    assert {"401", "404"} <= declared[("GET", "/api/v1/firms/{firm_id}")]
    assert "403" not in declared[("GET", "/api/v1/firms/{firm_id}")]
    # bureau-only, and any cookie write (CSRF): 403 too
    assert {"401", "403"} <= declared[("GET", "/api/v1/pool")]
    assert {"401", "403"} <= declared[("POST", "/api/v1/firms")]
    assert client.post("/api/v1/what-if", json={}).status_code == 422


@pytest.mark.parametrize("value", ["0", "1700000000", "20260101", "2026-01-01T00:00:00"])
def test_a_date_parameter_is_a_calendar_date_not_a_unix_time(client, value):
    assert client.get("/api/v1/criteria", params={"on": value}).status_code == 422
    body = {"name": "甲", "registered_on": int(value) if value.isdigit() else value}
    response = client.post("/api/v1/assess", params={"actions": "false"}, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "registered_on"]
    assert client.get("/api/v1/criteria", params={"on": "2026-01-01"}).status_code == 200
