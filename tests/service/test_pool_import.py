"""A bureau's uploads become its pool: a finished batch job imported as a dated snapshot per
firm of the bureau's region, upserted by credit code, history kept, rows outside reported."""

from __future__ import annotations

import io
import json

import pandas as pd
from sqlmodel import Session, select

from scoring.fields import _CREDIT_ALPHABET, _CREDIT_WEIGHTS
from service.db import engine_for
from service.jobs import Worker
from service.models import Assessment, AuditEvent, Firm
from tests.conftest import ROOT
from tests.service.conftest import client_for, login

FIRM = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))


def credit_code(body: str) -> str:
    """A valid GB 32100-2015 code from its first 17 characters."""
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + _CREDIT_ALPHABET[(31 - total % 31) % 31]


CODE_A = credit_code("91330106MA2A0001X")
CODE_B = credit_code("91440106MA2B0002X")
CODE_OWN = credit_code("91330108MA2C0003X")


def firm_row(name, code, region, year=2025, revenue=30_000_000.0) -> dict:
    row = {k: v for k, v in FIRM.items() if not isinstance(v, dict | list)}
    row.update(name=name, credit_code=code, region_code=region, fiscal_year=year)
    row["revenue_y0"] = revenue
    return row


def upload_and_import(client, csrf, settings, rows: list[dict], name="名单.csv") -> dict:
    data = pd.DataFrame(rows).to_csv(index=False).encode("utf-8")
    response = client.post(
        "/api/v1/batches",
        files={"file": (name, io.BytesIO(data), "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 202, response.text
    Worker(settings).run(once=True)
    job = response.json()["id"]
    started = client.post(f"/api/v1/batches/{job}/import", headers={"X-CSRF-Token": csrf})
    assert started.status_code == 202, started.text
    assert started.json()["kind"] == "import"
    Worker(settings).run(once=True)
    done = client.get(f"/api/v1/batches/{started.json()['id']}").json()
    assert done["status"] == "done", done
    assert done["result_url"] is None  # an import has no workbook of its own
    return done


def test_import_keeps_the_region_and_reports_every_other_row(client, accounts, settings):
    csrf = login(client, "bureau")  # region 3301
    rows = [
        firm_row("甲公司", CODE_A, "330106"),
        firm_row("乙公司", CODE_B, "440106"),
        firm_row("丙公司", credit_code("91330106MA2D0004X"), ""),
        firm_row("丁公司", "", "330106"),
        firm_row("甲公司（重复）", CODE_A, "330106"),
    ]
    done = upload_and_import(client, csrf, settings, rows)
    summary = done["summary"]
    assert (summary["imported"], summary["skipped"], summary["outside_region"]) == (1, 4, 1)
    reasons = {r["row"]: r["reason"] for r in summary["skipped_rows"]}
    assert "不在本部门辖区" in reasons[3] and "440106" in reasons[3]
    assert "行政区划代码" in reasons[4]
    assert "统一社会信用代码" in reasons[5]
    assert "与第2行重复" in reasons[6]
    pool = client.get("/api/v1/pool").json()
    assert pool["firms"] == 1
    dashboard = client.get("/dashboard").text
    assert "甲公司" in dashboard and "乙公司" not in dashboard
    assert "导入自文件「名单.csv」" in dashboard
    export = pd.read_excel(
        io.BytesIO(client.get("/api/v1/pool/export.xlsx").content), engine="openpyxl"
    )
    assert list(export["企业名称"]) == ["甲公司"]
    assert "导入自文件" in export["数据来源"].iloc[0]
    # the other region's bureau sees none of it, and cannot import the job
    other, other_csrf = client_for(client.app, "other_bureau")
    assert other.get("/api/v1/pool").json()["firms"] == 0
    source = done["source_job_id"]
    refused = other.post(f"/api/v1/batches/{source}/import", headers={"X-CSRF-Token": other_csrf})
    assert refused.status_code == 404


def test_a_firms_history_over_years_is_kept_and_the_pool_shows_the_newest(
    client, accounts, settings
):
    csrf = login(client, "bureau")
    upload_and_import(client, csrf, settings, [firm_row("甲公司", CODE_A, "330106", 2024)])
    upload_and_import(
        client, csrf, settings, [firm_row("甲公司", CODE_A, "330106", 2025, 40_000_000.0)]
    )
    # an older year imported last adds history without moving the pool back
    upload_and_import(
        client, csrf, settings, [firm_row("甲公司（旧名）", CODE_A, "330106", 2023, 1.0)]
    )
    with Session(engine_for(settings.database_url)) as session:
        (firm,) = session.exec(select(Firm)).all()
        history = session.exec(
            select(Assessment).where(Assessment.firm_id == firm.id).order_by(Assessment.period)
        ).all()
        assert [a.period for a in history] == [2023, 2024, 2025]
        assert {a.source for a in history} == {"import"}
        assert all(a.author_id == accounts["bureau"].id and a.import_job_id for a in history)
        assert firm.latest_assessment_id == history[-1].id
        assert firm.name == "甲公司" and firm.profile["revenue_y0"] == 40_000_000.0
    # the same data again (a second upload of the same file) adds nothing
    again = upload_and_import(
        client, csrf, settings, [firm_row("甲公司", CODE_A, "330106", 2025, 40_000_000.0)]
    )
    assert again["summary"]["imported"] == 0
    assert "已在库中" in again["summary"]["skipped_rows"][0]["reason"]


def test_an_import_never_overwrites_a_firms_own_record(client, accounts, settings, app):
    firm_client, firm_csrf = client_for(app, "firm_a")
    own = firm_row("自评公司", CODE_OWN, "330108", 2025)
    created = firm_client.post(
        "/api/v1/firms", json={"firm": own}, headers={"X-CSRF-Token": firm_csrf}
    )
    assert created.status_code == 201, created.text
    firm_id = created.json()["firm_id"]
    csrf = login(client, "bureau")
    done = upload_and_import(
        client, csrf, settings, [firm_row("局里的名称", CODE_OWN, "330108", 2025, 9.0)]
    )
    assert done["summary"]["imported"] == 1 and done["summary"]["existing_firms"] == 1
    record = firm_client.get(f"/api/v1/firms/{firm_id}").json()
    assert record["name"] == "自评公司" and record["profile"]["revenue_y0"] == own["revenue_y0"]
    listed = firm_client.get(f"/api/v1/firms/{firm_id}/assessments").json()
    assert [a["source"] for a in listed] == ["import", "self"]  # the firm sees who assessed it
    with Session(engine_for(settings.database_url)) as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "pool.import" in actions and "assessment.create" in actions


def test_only_a_bureau_imports_and_only_finished_jobs(client, accounts, settings, app):
    firm_client, firm_csrf = client_for(app, "firm_a")
    data = pd.DataFrame([firm_row("甲公司", CODE_A, "330106")]).to_csv(index=False).encode()
    job = firm_client.post(
        "/api/v1/batches",
        files={"file": ("a.csv", io.BytesIO(data), "text/csv")},
        headers={"X-CSRF-Token": firm_csrf},
    ).json()["id"]
    Worker(settings).run(once=True)
    refused = firm_client.post(f"/api/v1/batches/{job}/import", headers={"X-CSRF-Token": firm_csrf})
    assert refused.status_code == 403
    csrf = login(client, "bureau")
    queued = client.post(
        "/api/v1/batches",
        files={"file": ("b.csv", io.BytesIO(data), "text/csv")},
        headers={"X-CSRF-Token": csrf},
    ).json()["id"]
    early = client.post(f"/api/v1/batches/{queued}/import", headers={"X-CSRF-Token": csrf})
    assert early.status_code == 409
    Worker(settings).run(once=True)
    first = client.post(f"/api/v1/batches/{queued}/import", headers={"X-CSRF-Token": csrf})
    second = client.post(f"/api/v1/batches/{queued}/import", headers={"X-CSRF-Token": csrf})
    assert first.json()["id"] == second.json()["id"]  # importing twice is one import
