"""The admin page: accounts made, disabled, reset from the browser; the audit log of writes."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.service.conftest import client_for, csrf_of, login


def test_admin_manages_accounts_and_reads_the_audit_log(app, accounts):
    admin, _ = client_for(app, "admin")
    token = csrf_of(admin.get("/admin").text)
    made = admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "county2", "role": "bureau", "regions": "3302"},
    )
    assert made.status_code == 200
    password = re.search(r'id="new-password">.*?<code>([^<]+)</code>', made.text).group(1)
    county = TestClient(app)
    login(county, "county2", password)
    assert county.get("/api/v1/me").json()["region_codes"] == ["3302"]
    refused = admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "county3", "role": "bureau", "regions": ""},
    )
    assert refused.status_code == 422 and "行政区划代码" in refused.text
    uid = county.get("/api/v1/me").json()["id"]
    admin.post(f"/admin/users/{uid}/active", data={"csrf_token": token, "active": "false"})
    assert county.get("/api/v1/me").status_code == 401  # disabling ends its sessions
    reset = admin.post(f"/admin/users/{uid}/reset", data={"csrf_token": token})
    new = re.search(r'id="new-password">.*?<code>([^<]+)</code>', reset.text).group(1)
    login(TestClient(app), "county2", new)  # a reset enables and sets the new password
    log = admin.get("/api/v1/admin/audit").json()
    actions = [e["action"] for e in log["items"]]
    assert actions[:3] == ["user.reset_password", "user.disable", "user.create"]
    assert all(e["username"] == "admin" for e in log["items"][:3])
    page = admin.get("/admin").text
    assert "重置密码" in page and "创建账号" in page and 'id="audit"' in page
    me = admin.get("/api/v1/me").json()["id"]
    selfish = admin.post(f"/admin/users/{me}/active", data={"csrf_token": token, "active": "false"})
    assert selfish.status_code == 422
