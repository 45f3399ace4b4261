"""A bureau retrains readiness on its own pool: yearly files imported as snapshots become the
history panel, training runs as a job with progress, the new version is shown with its model
card and used only once enabled, and the earlier model stays available."""

from __future__ import annotations

import io

import pandas as pd
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from scoring.readiness.simulate import simulate_panel
from service.db import engine_for
from service.jobs import Worker
from service.models import AuditEvent
from tests.service.conftest import login
from tests.service.test_pool_import import credit_code

YEARS = 4
FIRMS = 400


def yearly_files() -> list[pd.DataFrame]:
    """A synthetic county (合成数据): the same firms, one file per fiscal year, in region 3301."""
    panel = simulate_panel(FIRMS, YEARS, seed=7, start_year=2021)
    codes = {f: credit_code(f"9133010{i:010d}") for i, f in enumerate(panel["firm_id"].unique())}
    panel["credit_code"] = panel["firm_id"].map(codes)
    panel["region_code"] = "330106"
    panel["name"] = "合成企业" + panel["firm_id"].astype(str)
    panel = panel.drop(columns=["firm_id", "is_gazelle", "is_little_giant"])
    return [part for _, part in panel.groupby("fiscal_year")]


def upload_and_import(client, csrf, settings, frame: pd.DataFrame, name: str) -> None:
    settings = settings.model_copy(update={"batch_chunk_rows": 1000})  # a county's file, one chunk
    data = frame.to_csv(index=False).encode("utf-8")
    h = {"X-CSRF-Token": csrf}
    job = client.post("/api/v1/batches", files={"file": (name, io.BytesIO(data))}, headers=h)
    assert job.status_code == 202, job.text
    Worker(settings).run(once=True)
    started = client.post(f"/api/v1/batches/{job.json()['id']}/import", headers=h)
    assert started.status_code == 202, started.text
    Worker(settings).run(once=True)
    assert client.get(f"/api/v1/batches/{started.json()['id']}").json()["status"] == "done"


def test_one_year_is_refused_with_the_reason(client, accounts, settings):
    csrf = login(client, "bureau")
    first, *_ = yearly_files()
    upload_and_import(client, csrf, settings, first.head(50), "2021.csv")
    refused = client.post("/api/v1/pool/models/train", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "not_ready" and "不足两个年度" in error["message_zh"]
    assert error["details"]["years"] == [2021]
    # the page says so in Chinese with a way back, not JSON
    page = client.post("/dashboard/models/train", data={"csrf_token": csrf}, follow_redirects=False)
    assert page.status_code == 409 and "不足两个年度" in page.text and "返回" in page.text


def test_retrain_on_the_pool_then_enable_and_go_back(client, accounts, settings):
    csrf = login(client, "bureau")
    h = {"X-CSRF-Token": csrf}
    for frame in yearly_files():
        upload_and_import(client, csrf, settings, frame, f"{frame['fiscal_year'].iloc[0]}.csv")
    before = client.get("/api/v1/pool").json()
    service_model = {v["model"] for v in before["visit_first"]}

    started = client.post("/api/v1/pool/models/train", headers=h)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["kind"] == "train" and job["total_rows"] == FIRMS * YEARS
    again = client.post("/api/v1/pool/models/train", headers=h).json()
    assert again["id"] == job["id"]  # one training at a time
    queued = client.get(f"/batch/{job['id']}").text
    assert "训练晋级概率模型" in queued and "排队中" in queued

    Worker(settings).run(once=True)
    done = client.get(f"/api/v1/batches/{job['id']}").json()
    assert done["status"] == "done", done
    assert done["chunks_done"] == done["chunks_total"] == 2 * 6 * 2  # evaluate + fit, 6 × 2
    version = done["summary"]["version"]
    folder = settings.data_dir / "models" / "region-3301"  # the bureau's own folder
    assert (folder / version / "model.skops").exists()
    assert not (folder / "CURRENT").exists()  # not used until the bureau enables it

    # the job page leads to the model card; nothing changes before it is enabled
    assert f"/dashboard/models/{version}" in client.get(f"/batch/{job['id']}").text
    card = client.get(f"/dashboard/models/{version}").text
    for words in ("不是官方判定", "在留出企业上的效果", "估计方法", "启用此模型", "400 家企业"):
        assert words in card, words
    listed = client.get("/api/v1/pool/models").json()
    assert [(m["version"], m["current"]) for m in listed] == [(version, False)]
    assert {v["model"] for v in client.get("/api/v1/pool").json()["visit_first"]} == service_model

    enabled = client.post(f"/dashboard/models/{version}/use", data={"csrf_token": csrf})
    assert enabled.status_code == 200 and "使用中" in enabled.text
    after = client.get("/api/v1/pool").json()
    assert after["visit_first"] and {v["model"] for v in after["visit_first"]} == {version}
    export = pd.read_excel(
        io.BytesIO(client.get("/api/v1/pool/export.xlsx").content), engine="openpyxl"
    )
    assert set(export["晋级概率模型"]) == {version}
    assert (
        client.get(f"/dashboard/models/{version}/reliability.svg")
        .headers["content-type"]
        .startswith("image/svg+xml")
    )

    # back to the service's model: the bureau's version is kept, and can be enabled again
    assert client.delete("/api/v1/pool/models/current", headers=h).status_code == 204
    assert {v["model"] for v in client.get("/api/v1/pool").json()["visit_first"]} == service_model
    assert [m["current"] for m in client.get("/api/v1/pool/models").json()] == [False]
    assert client.post(f"/api/v1/pool/models/{version}/use", headers=h).json()["current"]

    # another region's bureau sees none of them
    other = TestClient(client.app)
    login(other, "other_bureau")
    assert other.get("/api/v1/pool/models").json() == []
    assert other.get(f"/api/v1/pool/models/{version}").status_code == 404
    assert other.get(f"/dashboard/models/{version}", follow_redirects=False).status_code == 404

    with Session(engine_for(settings.database_url)) as session:
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert {"readiness.train", "readiness.trained", "readiness.enable"} <= actions
