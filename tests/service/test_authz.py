"""Authorization: every route × every role, including reading another's records by id."""

from __future__ import annotations

import io
import json

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.conftest import ROOT
from tests.service.conftest import login

FIRM = dict(
    json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8")),
    region_code="330106",  # in the bureau's region (3301), not the other bureau's (4401)
)
ROLES = ["anonymous", "firm_a", "firm_b", "bureau", "other_bureau", "admin"]

# expected status per role, in ROLES order; {firm}, {assessment}, {job}, {target} are filled in
MATRIX = [
    ("GET", "/api/v1/me", None, [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/assess", FIRM, [200] * 6),
    ("POST", "/api/v1/what-if", {"firm": FIRM}, [200] * 6),
    ("GET", "/api/v1/criteria", None, [200] * 6),
    ("GET", "/api/v1/criteria/high_tech", None, [200] * 6),
    ("GET", "/api/v1/firms", None, [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/firms", {"firm": FIRM}, [401, 201, 201, 201, 201, 201]),
    ("GET", "/api/v1/firms/{firm}", None, [401, 200, 404, 200, 404, 200]),
    ("GET", "/api/v1/firms/{firm}/assessments", None, [401, 200, 404, 200, 404, 200]),
    ("POST", "/api/v1/firms/{firm}/assessments", {}, [401, 201, 404, 201, 404, 201]),
    ("GET", "/api/v1/assessments/{assessment}", None, [401, 200, 404, 200, 404, 200]),
    ("GET", "/api/v1/assessments/{assessment}/report.pdf", None, [401, 200, 404, 200, 404, 200]),
    ("GET", "/api/v1/batches", None, [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/batches", "upload", [401, 202, 202, 202, 202, 202]),
    ("GET", "/api/v1/batches/{job}", None, [401, 200, 404, 404, 404, 200]),
    ("GET", "/api/v1/batches/{job}/result.xlsx", None, [401, 409, 404, 404, 404, 409]),
    # import: a bureau only, of its own finished job (firm_a's queued job: 404, admin: 409)
    ("POST", "/api/v1/batches/{job}/import", None, [401, 403, 403, 404, 404, 409]),
    ("GET", "/api/v1/admin/audit", None, [401, 403, 403, 403, 403, 200]),
    ("GET", "/api/v1/pool", None, [401, 403, 403, 200, 200, 200]),
    ("GET", "/api/v1/pool/export.xlsx", None, [401, 403, 403, 200, 200, 200]),
    ("GET", "/api/v1/pool/report.pdf", None, [401, 403, 403, 200, 200, 200]),
    (
        "POST",
        "/api/v1/targets",
        {"ladder": "high_tech", "year": 2027, "increase": 5},
        [401, 403, 403, 201, 201, 201],
    ),
    ("DELETE", "/api/v1/targets/{target}", None, [401, 403, 403, 204, 404, 404]),
    # readiness models: a bureau's own; the world's pool holds one fiscal year, too few to train
    ("GET", "/api/v1/pool/models", None, [401, 403, 403, 200, 200, 200]),
    ("POST", "/api/v1/pool/models/train", None, [401, 403, 403, 409, 409, 409]),
    ("GET", "/api/v1/pool/models/{version}", None, [401, 403, 403, 404, 404, 404]),
    ("POST", "/api/v1/pool/models/{version}/use", None, [401, 403, 403, 404, 404, 404]),
    ("DELETE", "/api/v1/pool/models/current", None, [401, 403, 403, 204, 204, 204]),
    ("GET", "/api/v1/tokens", None, [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/tokens", {"name": "x"}, [401, 201, 201, 201, 201, 201]),
    ("DELETE", "/api/v1/tokens/{token}", None, [401, 204, 404, 404, 404, 404]),
    # pages: anonymous is sent to the sign-in page (303)
    ("GET", "/", None, [200] * 6),
    ("GET", "/login", None, [200] * 6),
    ("GET", "/docs", None, [200] * 6),
    ("GET", "/signup", None, [200] * 6),
    ("GET", "/assess/claim", None, [303] * 6),  # nothing pending: to the sign-in or /firms
    ("GET", "/admin", None, [303, 403, 403, 403, 403, 200]),
    ("GET", "/assess", None, [200] * 6),
    ("GET", "/template.xlsx", None, [200] * 6),
    ("GET", "/firms", None, [303, 200, 200, 200, 200, 200]),
    ("GET", "/account", None, [303, 200, 200, 200, 200, 200]),
    ("GET", "/assessments/{assessment}", None, [303, 200, 404, 200, 404, 200]),
    ("GET", "/assessments/{assessment}/report.pdf", None, [303, 200, 404, 200, 404, 200]),
    ("GET", "/batch", None, [303, 200, 200, 200, 200, 200]),
    ("GET", "/batch/{job}", None, [303, 200, 404, 404, 404, 200]),
    ("GET", "/batch/{job}/result.xlsx", None, [303, 409, 404, 404, 404, 409]),
    ("GET", "/dashboard", None, [303, 403, 403, 200, 200, 200]),
    ("GET", "/dashboard/export.xlsx", None, [303, 403, 403, 200, 200, 200]),
    ("GET", "/dashboard/report.pdf", None, [303, 403, 403, 200, 200, 200]),
    ("GET", "/dashboard/firms/{firm}", None, [303, 403, 403, 303, 404, 303]),
    ("GET", "/dashboard/models/{version}", None, [303, 403, 403, 404, 404, 404]),
    ("GET", "/dashboard/models/{version}/reliability.svg", None, [303, 403, 403, 404, 404, 404]),
]
# form posts are covered with their CSRF tokens in test_pages.py
FORM_ROUTES = {
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/account/tokens"),
    ("POST", "/assess"),
    ("POST", "/assess/report.pdf"),
    ("POST", "/assessments/{assessment_id}/what-if"),
    ("POST", "/batch"),
    ("POST", "/dashboard/targets"),
    ("POST", "/signup"),
    ("POST", "/assess/save"),
    ("POST", "/assess/draft"),
    ("POST", "/assess/draft/clear"),
    ("POST", "/batch/{job_id}/import"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{user_id}/active"),
    ("POST", "/admin/users/{user_id}/reset"),
    ("POST", "/dashboard/models/train"),
    ("POST", "/dashboard/models/default"),
    ("POST", "/dashboard/models/{version}/use"),
}


@pytest.fixture
def world(app, accounts, settings):
    """firm_a's firm, assessment, batch job and API token; the bureau's target."""
    a = TestClient(app)
    csrf = login(a, "firm_a")
    h = {"X-CSRF-Token": csrf}
    stored = a.post("/api/v1/firms", json={"firm": FIRM}, headers=h).json()
    job = a.post(
        "/api/v1/batches",
        files={"file": ("a.csv", io.BytesIO(b"name\nx\n"), "text/csv")},
        headers=h,
    ).json()
    token = a.post("/api/v1/tokens", json={"name": "a"}, headers=h).json()
    b = TestClient(app)
    bcsrf = login(b, "bureau")
    target = b.post(
        "/api/v1/targets",
        json={"ladder": "tech_sme", "year": 2027, "increase": 3},
        headers={"X-CSRF-Token": bcsrf},
    ).json()
    return {
        "firm": stored["firm_id"],
        "assessment": stored["id"],
        "job": job["id"],
        "target": target["id"],
        "token": token["id"],
        "version": "0123456789ab",  # no bureau has it
    }


def _client(app, role):
    c = TestClient(app, follow_redirects=False)
    csrf = None if role == "anonymous" else login(c, role)
    return c, csrf


def test_every_route_is_in_the_matrix(app):
    covered = {(m, p) for m, p, _, _ in MATRIX} | FORM_ROUTES
    normalized = {
        (
            m,
            p.replace("{firm}", "{firm_id}")
            .replace("{assessment}", "{assessment_id}")
            .replace("{job}", "{job_id}")
            .replace("{target}", "{target_id}")
            .replace("{token}", "{token_id}"),
        )
        for m, p in covered
    }
    routes = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes - normalized == set()


@pytest.mark.parametrize("role", ROLES)
def test_route_access_by_role(app, world, role):
    client, csrf = _client(app, role)
    failures = []
    for method, template, body, expected in MATRIX:
        path = template.format(**world)
        want = expected[ROLES.index(role)]
        headers = {"X-CSRF-Token": csrf} if csrf else {}
        if body == "upload":
            response = client.request(
                method,
                path,
                headers=headers,
                files={"file": ("b.csv", io.BytesIO(b"name\ny\n"), "text/csv")},
            )
        else:
            response = client.request(method, path, json=body, headers=headers)
        if response.status_code != want:
            failures.append((method, path, want, response.status_code, response.text[:120]))
    assert not failures, failures


def test_lists_show_only_what_a_role_may_see(app, world):
    names = {}
    for role in ("firm_a", "firm_b", "bureau", "other_bureau", "admin"):
        client, _ = _client(app, role)
        items = client.get("/api/v1/firms").json()["items"]
        names[role] = {f["id"] for f in items}
        jobs = {j["id"] for j in client.get("/api/v1/batches").json()}
        assert (world["job"] in jobs) == (role == "firm_a")
    assert world["firm"] in names["firm_a"] and world["firm"] not in names["firm_b"]
    assert world["firm"] in names["bureau"] and world["firm"] not in names["other_bureau"]
    assert world["firm"] in names["admin"]
