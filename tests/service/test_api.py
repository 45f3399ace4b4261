"""The JSON API through the ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

import scoring
from batch import run
from scoring.models import Firm
from scoring.vocabulary import STATUSES
from service.jobs import Worker
from tests.conftest import ROOT, SAMPLE_NAMED
from tests.service.conftest import login

FIRM = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))


def test_assess_is_stateless_and_matches_the_library(client):
    response = client.post("/api/v1/assess", json=FIRM)
    assert response.status_code == 200
    body = response.json()
    direct = scoring.assess(Firm.model_validate(FIRM)).model_dump(mode="json")  # as typed
    assert body["ladders"]["high_tech"]["status"] == direct["ladders"]["high_tech"]["status"]
    assert body["criteria_version"] == direct["criteria_version"]
    assert body["input_hash"] == direct["input_hash"]
    assert body["ladders"]["high_tech"]["trace"][0]["source"]
    assert body["readiness"] == direct["readiness"]  # probabilities and actions, as the library
    assert body["readiness"]["note_zh"].startswith("基于模拟数据训练")


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"employees": 10}, "invalid_request"),  # no name
        ({"name": "甲", "no_such_field": 1}, "invalid_request"),
        ({"name": "甲", "employees": "many"}, "invalid_request"),
    ],
)
def test_bad_firm_input_is_a_422_with_chinese_and_english(client, payload, code):
    response = client.post("/api/v1/assess", json=payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and error["message_zh"] and error["message_en"]


def test_an_impossible_value_is_refused_unless_lenient_and_a_warning_never_is(client, accounts):
    bad = {**FIRM, "employees": -5, "region_code": "330106", "credit_code": "91330106MA2F0000X"}
    refused = client.post("/api/v1/assess?actions=false", json=bad)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_firm" and set(error["fields"]) == {"employees", "credit_code"}
    employees = next(d for d in error["details"] if d["field"] == "employees")
    assert employees == {
        "field": "employees",
        "value": "-5",
        "message_zh": "不能为负数",
        "message_en": employees["message_en"],
    }
    assert "按未知处理" not in error["message_zh"]
    lenient = client.post("/api/v1/assess?actions=false&lenient=true", json=bad)
    assert lenient.status_code == 200
    issues = {i["field"]: i["severity"] for i in lenient.json()["input_issues"]}
    assert issues == {"employees": "error", "credit_code": "error"}  # scored as unknown, said so
    # a founding date in the future is a warning: scored, never refused
    future = client.post(
        "/api/v1/assess?actions=false", json={**FIRM, "registered_on": "2099-01-01"}
    )
    assert future.status_code == 200
    assert [i["severity"] for i in future.json()["input_issues"]] == ["warning"]
    # the same rule where a firm is stored, and in what-if
    headers = {"X-CSRF-Token": login(client, "firm_a")}
    stored = client.post("/api/v1/firms", json={"firm": bad}, headers=headers)
    assert stored.status_code == 422 and stored.json()["error"]["code"] == "invalid_firm"
    what_if = client.post("/api/v1/what-if", json={"firm": FIRM, "changes": {"employees": -1}})
    assert what_if.status_code == 422 and what_if.json()["error"]["fields"] == ["employees"]


def test_broken_json_is_a_4xx_not_a_500(client):
    response = client.post(
        "/api/v1/assess", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500


def test_what_if_reports_what_moved(client):
    body = {"firm": FIRM, "changes": {"tech_staff": 0}}
    response = client.post("/api/v1/what-if", json=body)
    assert response.status_code == 200
    result = response.json()
    assert result["before"]["name"] == FIRM["name"]
    moved = {c["ladder"] for c in result["changes"]}
    assert moved, "removing every tech staff member changes some ladder"
    bad = client.post("/api/v1/what-if", json={"firm": FIRM, "overrides": {"nope.x": 1}})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_override"


def test_the_plan_endpoint_is_the_plan_of_the_cli_and_refuses_unknown_costs(client):
    import json

    from scoring.plan import plan_for
    from tests.conftest import ROOT

    firm = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))
    response = client.post("/api/v1/plan", json={"firm": firm, "target": "high_tech"})
    assert response.status_code == 200
    plan = response.json()
    expected = plan_for(firm, "high_tech")
    assert plan["steps"] == [s.model_dump(mode="json") for s in expected.steps]
    assert plan["status_after"] == "eligible" and plan["cost"] == expected.cost
    bad = client.post("/api/v1/plan", json={"firm": firm, "costs": {"revenue_y0": 1}})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cost"
    negative = client.post("/api/v1/plan", json={"firm": firm, "costs": {"tech_staff": -1}})
    assert negative.status_code == 422


def test_criteria_lists_rule_sets_with_sources(client):
    everything = client.get("/api/v1/criteria").json()
    assert {r["ladder"] for r in everything} == set(scoring.LADDERS)
    high_tech = client.get("/api/v1/criteria/high_tech").json()
    rule = next(r for rs in high_tech for r in rs["rules"] if r["id"] == "rd_ratio")
    assert "第十一条" in rule["citation"]
    assert client.get("/api/v1/criteria/unicorn").status_code == 404


def test_stored_assessment_keeps_snapshot_hash_and_versions_and_reproduces(client, accounts):
    csrf = login(client, "firm_a")
    headers = {"X-CSRF-Token": csrf}
    created = client.post("/api/v1/firms", json={"firm": FIRM}, headers=headers)
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored["input_hash"] == scoring.assess(Firm.model_validate(FIRM)).input_hash
    assert stored["criteria_versions"]
    again = scoring.assess(stored["input_snapshot"]).model_dump(mode="json")
    assert again["ladders"] == stored["result"]["ladders"]  # reproduced exactly
    assert again["readiness"] == stored["result"]["readiness"]  # with the model version kept
    assert stored["model_version"] == stored["result"]["readiness"]["model_version"]
    assert stored["result"]["readiness"]["synthetic"] is True
    firm_id = stored["firm_id"]
    assert client.get(f"/api/v1/firms/{firm_id}").json()["latest_assessment_id"] == stored["id"]
    changed = dict(FIRM, employees=FIRM["employees"] + 50)
    second = client.post(
        f"/api/v1/firms/{firm_id}/assessments", json={"firm": changed}, headers=headers
    ).json()
    history = client.get(f"/api/v1/firms/{firm_id}/assessments").json()
    assert [h["id"] for h in history] == [second["id"], stored["id"]]
    assert second["input_hash"] != stored["input_hash"]
    listed = client.get("/api/v1/firms", params={"q": FIRM["name"][:4]}).json()
    assert listed["total"] == 1


def test_cookie_requests_need_the_csrf_header(client, accounts):
    login(client, "firm_a")
    response = client.post("/api/v1/firms", json={"firm": FIRM})
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf"


def test_api_token_authenticates_without_cookies(app, client, accounts):
    from fastapi.testclient import TestClient

    csrf = login(client, "firm_a")
    created = client.post("/api/v1/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": csrf})
    token = created.json()["token"]
    bare = TestClient(app)
    me = bare.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == "firm_a"
    assert bare.get("/api/v1/me", headers={"Authorization": "Bearer tier_wrong"}).status_code == 401
    stored = bare.post(
        "/api/v1/firms", json={"firm": FIRM}, headers={"Authorization": f"Bearer {token}"}
    )
    assert stored.status_code == 201  # tokens need no CSRF header


def _csv(rows: int) -> bytes:
    samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    frame = pd.concat([samples] * (rows // len(samples) + 1)).head(rows)
    return frame.to_csv(index=False).encode("gbk", errors="replace")


def test_batch_upload_worker_and_stored_result(client, accounts, settings):
    csrf = login(client, "bureau")
    data = _csv(34)
    response = client.post(
        "/api/v1/batches",
        files={"file": ("../../etc/名单.csv", io.BytesIO(data), "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and job["original_name"] == "../../etc/名单.csv"
    assert not client.get(f"/api/v1/batches/{job['id']}/result.xlsx").is_success
    Worker(settings, name="test-worker").run(once=True)
    done = client.get(f"/api/v1/batches/{job['id']}").json()
    assert done["status"] == "done", done
    assert done["rows_done"] == done["total_rows"] == 34 and done["chunks_done"] == 4
    result = client.get(done["result_url"])
    assert result.status_code == 200
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "result.xlsx"
    path.write_bytes(result.content)
    book = CalamineWorkbook.from_path(str(path))
    assert book.get_sheet_by_name("评价结果").height - 1 == 34
    # chunked by the worker (4 chunks of 10) = the command line's one pass, sheet by sheet
    source = settings.data_dir / "名单.csv"
    source.write_bytes(data)
    run(source, settings.data_dir / "cli.xlsx")
    cli = CalamineWorkbook.from_path(str(settings.data_dir / "cli.xlsx"))
    for sheet in ("评价结果", "未评价行", "差距明细", "临近门槛"):
        assert book.get_sheet_by_name(sheet).to_python() == cli.get_sheet_by_name(sheet).to_python()
    # the stored file is served again, not recomputed
    assert client.get(done["result_url"]).content == result.content


def test_unreadable_upload_fails_the_job_with_a_reason(client, accounts, settings):
    csrf = login(client, "firm_a")
    bad = b"PK\x03\x04 this is not a real workbook"
    job = client.post(
        "/api/v1/batches",
        files={"file": ("x.xlsx", io.BytesIO(bad), "application/octet-stream")},
        headers={"X-CSRF-Token": csrf},
    ).json()
    Worker(settings).run(once=True)
    failed = client.get(f"/api/v1/batches/{job['id']}").json()
    assert failed["status"] == "failed" and "损坏" in failed["error_zh"]


def test_upload_size_limit_is_enforced_while_streaming(app, settings, accounts):
    from fastapi.testclient import TestClient

    settings.upload_max_bytes = 1000
    c = TestClient(app)
    csrf = login(c, "firm_a")
    response = c.post(
        "/api/v1/batches",
        files={"file": ("big.csv", io.BytesIO(b"a" * 5000), "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 413
    assert not list((settings.data_dir / "uploads").glob("*"))  # nothing left behind


def test_pool_funnel_near_list_targets_and_export(client, accounts, settings):
    from service.demo import load_demo

    load_demo(settings.database_url)  # the sample firms, in the demo bureau's pool
    from sqlmodel import Session, select

    from service.db import engine_for
    from service.models import Firm, User

    with Session(engine_for(settings.database_url)) as s:  # give the test bureau two of them
        demo = s.exec(select(User).where(User.username == "bureau")).first()
        firms = s.exec(select(Firm).where(Firm.owner_id == demo.id)).all()
        assert len(firms) == SAMPLE_NAMED
    csrf = login(client, "admin")
    overview = client.get("/api/v1/pool").json()
    assert overview["firms"] == SAMPLE_NAMED
    high_tech = next(r for r in overview["funnel"] if r["ladder"] == "high_tech")
    assert sum(high_tech[s] for s in STATUSES) == SAMPLE_NAMED
    assert any(n["rule_id"] == "rd_ratio" for n in overview["near"])
    filtered = client.get("/api/v1/pool", params={"ladder": "high_tech", "status": "eligible"})
    assert filtered.json()["firms"] == high_tech["eligible"]
    target = client.post(
        "/api/v1/targets",
        json={"ladder": "high_tech", "year": 2027, "increase": 10},
        headers={"X-CSRF-Token": csrf},
    )
    assert target.status_code == 201 and target.json()["baseline"] == high_tech["eligible"]
    progress = client.get("/api/v1/pool").json()["targets"][0]
    assert progress["gained"] == 0 and progress["share"] == 0
    export = client.get("/api/v1/pool/export.xlsx", params={"near": "true"})
    path = settings.data_dir.parent / "pool.xlsx"
    path.write_bytes(export.content)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("企业名单").to_python()
    assert sheet[0][0] == "企业名称" and len(sheet) - 1 == len(
        {n["firm_id"] for n in overview["near"]}
    )


def test_oversized_bodies_are_refused_before_they_are_read(app, settings, accounts):
    from fastapi.testclient import TestClient

    settings.upload_max_bytes = 10
    c = TestClient(app)
    csrf = login(c, "firm_a")
    big = b"x" * (3 * 1024 * 1024)
    declared = c.post(
        "/api/v1/batches",
        files={"file": ("big.csv", io.BytesIO(big), "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(3):
            yield b"y" * (1024 * 1024)

    streamed = c.post(
        "/api/v1/assess",
        content=chunks(),
        headers={"content-type": "application/json", "X-CSRF-Token": csrf},
    )
    assert streamed.status_code == 413


def test_concurrent_assess_requests_are_batched_and_each_gets_its_own_result(app):
    """Twenty requests at once (scored together in batches) equal twenty separate assessments."""
    import asyncio

    import httpx

    samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    firms = []
    for row in samples.to_dict("records")[:20]:
        if row["name"]:
            firms.append(
                Firm.model_validate(
                    dict(FIRM, name=row["name"], employees=int(row["employees"] or 50))
                )
            )

    async def fire():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await asyncio.gather(
                *(
                    c.post(
                        "/api/v1/assess?lenient=true",
                        json=f.model_dump(mode="json", exclude_none=True),
                    )
                    for f in firms
                )
            )

    from service.api.assess import BATCHER

    BATCHER.largest = 0
    responses = asyncio.run(fire())
    assert BATCHER.largest > 1  # requests really were scored together
    for firm, response in zip(firms, responses, strict=True):
        assert response.status_code == 200
        alone = scoring.assess(firm).model_dump(mode="json")
        got = response.json()
        assert got["name"] == firm.name
        assert got["ladders"] == alone["ladders"] and got["input_hash"] == alone["input_hash"]
