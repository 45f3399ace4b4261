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


def test_placeholder_or_short_secret_is_refused_outside_development():
    with pytest.raises(ValidationError, match="TIERING_SECRET_KEY"):
        Settings(environment="production", secret_key=PLACEHOLDER_SECRET)
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key="short")
    assert Settings(environment="production", secret_key="s" * 40).secret_key == "s" * 40
    assert Settings(environment="development").secret_key == PLACEHOLDER_SECRET


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
