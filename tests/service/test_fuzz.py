"""Fuzzing the JSON API from its own OpenAPI schema (schemathesis): no input gives a 5xx,
and every status an operation returns is declared in its schema.

Runs on SQLite with a bureau's API token, so the authenticated operations are reached too.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlmodel import Session

from service.app import create_app
from service.config import Settings
from service.db import engine_for, migrate
from service.demo import ensure_user
from service.models import ApiToken
from service.security import new_api_token

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'fuzz.db'}"
    migrate(url)
    with Session(engine_for(url)) as session:
        user = ensure_user(session, "fuzzer", "fuzz-password-1", "bureau", "fuzz", "33")
        token, digest = new_api_token()
        session.add(ApiToken(user_id=user.id, name="fuzz", token_hash=digest))
        session.commit()
    TOKEN["value"] = token
    app = create_app(
        Settings(
            environment="test",
            database_url=url,
            data_dir=tmp / "var",
            secret_key="fuzz-secret-" + "z" * 40,
        )
    )
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def _fuzz(operation, headers, failures, undeclared):
    """Run generated cases against one operation, recording 5xx and undeclared statuses."""
    declared = set(operation.definition.raw.get("responses", {}))

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append((case.method, case.formatted_path, response.text[:300]))
        if str(response.status_code) not in declared:
            undeclared.add((case.method, operation.path, response.status_code))

    call()


def test_no_input_makes_the_api_fail_with_a_5xx(api_schema):
    """Every operation, generated cases (valid and invalid), with a bureau's token."""
    headers = {"Authorization": f"Bearer {TOKEN['value']}"}
    failures, undeclared = [], set()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        _fuzz(operation, headers, failures, undeclared)
    assert not failures, failures[:5]
    assert not undeclared, "; ".join(f"{m} {p} {s}" for m, p, s in sorted(undeclared))
