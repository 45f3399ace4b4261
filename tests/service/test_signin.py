"""Sign-in that holds up: throttling with lockouts, sessions that end everywhere, no caching
of signed-in pages, accounts from the command line, no demo passwords on a network."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient

from tests.conftest import ROOT
from tests.service.conftest import PASSWORD, csrf_of, login


def _attempt(client: TestClient, username: str, password: str):
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def test_the_21st_attempt_after_20_failures_is_refused_even_with_the_right_password(app, accounts):
    client = TestClient(app)
    for _ in range(20):
        assert _attempt(client, "firm_a", "wrong").status_code == 400
    refused = _attempt(client, "firm_a", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in refused.text
    # another account from another address is not locked by it
    other = TestClient(app, client=("10.0.0.9", 5000))
    assert _attempt(other, "firm_b", PASSWORD).status_code == 303


def test_unknown_users_fail_like_wrong_passwords(app, accounts):
    client = TestClient(app)
    unknown = _attempt(client, "nobody", "x")
    wrong = _attempt(client, "firm_a", "x")
    assert unknown.status_code == wrong.status_code == 400
    assert "用户名或密码不正确" in unknown.text and "用户名或密码不正确" in wrong.text


def test_logout_ends_every_session_of_the_user(app, accounts):
    first, second = TestClient(app), TestClient(app)
    csrf = login(first, "firm_a")
    login(second, "firm_a")
    copied = dict(second.cookies)
    assert second.get("/api/v1/me").status_code == 200
    first.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert second.get("/api/v1/me").status_code == 401  # the other browser is signed out too
    replay = TestClient(app, cookies=copied)
    assert replay.get("/api/v1/me").status_code == 401  # and a copied cookie is dead


def test_signed_in_pages_and_exports_are_not_cached(app, accounts):
    client = TestClient(app)
    assert "no-store" not in client.get("/login").headers.get("cache-control", "")
    login(client, "bureau")
    for path in ("/account", "/dashboard", "/api/v1/me", "/api/v1/pool/export.xlsx"):
        response = client.get(path)
        assert response.headers.get("cache-control") == "no-store", path


def _tiering(settings, *args, stdin: str | None = None):
    env = {
        "PATH": "/usr/bin:/bin",
        "TIERING_ENVIRONMENT": "test",
        "TIERING_DATABASE_URL": settings.database_url,
        "TIERING_DATA_DIR": str(settings.data_dir),
        "TIERING_SECRET_KEY": settings.secret_key,
    }
    return subprocess.run(
        [sys.executable, "-m", "tiering.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_users_from_the_command_line(app, accounts, settings):
    added = _tiering(settings, "users", "add", "county", "--role", "bureau", "--regions", "3301")
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip().splitlines()[-1].split("：")[-1]
    client = TestClient(app)
    assert _attempt(client, "county", password).status_code == 303
    assert client.get("/api/v1/me").json()["region_codes"] == ["3301"]
    reset = _tiering(
        settings, "users", "reset", "county", "--password-stdin", stdin="new-pass-123\n"
    )
    assert reset.returncode == 0, reset.stderr
    assert client.get("/api/v1/me").status_code == 401  # a reset ends the sessions
    assert _attempt(TestClient(app), "county", "new-pass-123").status_code == 303
    assert _tiering(settings, "users", "disable", "county").returncode == 0
    assert _attempt(TestClient(app), "county", "new-pass-123").status_code == 400
    listed = _tiering(settings, "users", "list").stdout
    assert "county" in listed and "已停用" in listed
    assert _tiering(settings, "users", "add", "county").returncode == 2  # exists already


def test_serve_refuses_demo_accounts_on_a_network_address(settings):
    done = _tiering(settings, "serve", "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2
    assert "--no-demo" in done.stderr
