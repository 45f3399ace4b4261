"""The service runs the one pipeline: what a bureau uploads gets the rows and reasons the
command line gives the same bytes; what a firm saves is scored once; regions are validated."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from batch import BatchError, run
from service.jobs import Worker
from tests.conftest import ROOT
from tests.service.conftest import login
from tests.test_batch_hostile import _hostile_firms, _row_outcomes

FIRM = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))


def _upload(client, csrf, name: str, data: bytes) -> dict:
    response = client.post(
        "/api/v1/batches",
        files={"file": (name, io.BytesIO(data), "application/octet-stream")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 202, response.text
    return response.json()


def test_worker_gives_the_rows_and_reasons_of_the_command_line(
    client, accounts, settings, tmp_path
):
    source = tmp_path / "名单.parquet"
    _hostile_firms().to_parquet(source)
    run(source, tmp_path / "cli.parquet")
    expected = _row_outcomes(pd.read_parquet(tmp_path / "cli.parquet"))
    csrf = login(client, "bureau")
    job = _upload(client, csrf, "名单.parquet", source.read_bytes())
    Worker(settings).run(once=True)
    done = client.get(f"/api/v1/batches/{job['id']}").json()
    assert done["status"] == "done", done
    book = client.get(done["result_url"]).content
    sheet = pd.read_excel(io.BytesIO(book), sheet_name="评价结果", dtype=object)
    status = sheet["行状态\nrow_status"].map({"已评价": "scored", "未评价": "rejected"})
    errors = sheet["数据问题\nrow_errors"].fillna("").astype(str)
    assert list(zip(status, errors, strict=True)) == expected


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("名单.xlsx", b"name,revenue_y0\n\xe7\x94\xb2,1\n"),  # a CSV named .xlsx
        ("名单.xlsx", b"PK\x03\x04 truncated workbook"),
        ("名单.parquet", b"name,revenue_y0\n"),
    ],
)
def test_the_same_bytes_get_the_same_verdict_as_the_command_line(
    client, accounts, settings, tmp_path, name, data
):
    source = tmp_path / name
    source.write_bytes(data)
    with pytest.raises(BatchError) as cli:
        run(source, tmp_path / "out.xlsx")
    csrf = login(client, "bureau")
    response = client.post(
        "/api/v1/batches",
        files={"file": (name, io.BytesIO(data), "application/octet-stream")},
        headers={"X-CSRF-Token": csrf},
    )
    if response.status_code == 400:  # refused at the upload (by its first bytes and name)
        assert response.json()["error"]["message_zh"] == cli.value.zh
        return
    assert response.status_code == 202, response.text
    Worker(settings).run(once=True)
    failed = client.get(f"/api/v1/batches/{response.json()['id']}").json()
    assert failed["status"] == "failed"
    assert failed["error_zh"] == cli.value.zh


def test_a_firm_saved_with_a_malformed_region_is_refused(client, accounts):
    csrf = login(client, "firm_a")
    for region in ("32", "3205xx", "3301"):
        response = client.post(
            "/api/v1/firms",
            json={"firm": {**FIRM, "region_code": region}},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 422, (region, response.text)


def test_bureau_sees_a_firm_by_its_validated_region(app, accounts, settings):
    from sqlmodel import Session

    from scoring.api import InputError
    from service.db import engine_for
    from service.models import Firm, User
    from service.store import assess_and_store, visible_firms

    with Session(engine_for(settings.database_url)) as session:
        owner = session.exec(User.__table__.select().where(User.username == "firm_a")).first()
        user = session.get(User, owner.id)
        good = assess_and_store(session, user, {**FIRM, "name": "甲", "region_code": "330106"})
        # a malformed code that slipped past the API model is refused by the input rule...
        with pytest.raises(InputError):
            assess_and_store(session, user, {**FIRM, "name": "乙", "region_code": "33"})
        # ...and when asked to be lenient, stored as unknown: never seen by the wrong bureau
        bad = assess_and_store(
            session, user, {**FIRM, "name": "乙", "region_code": "33"}, lenient=True
        )
        bureau = session.exec(User.__table__.select().where(User.username == "bureau")).first()
        bureau = session.get(User, bureau.id)
        seen = {f.name for f in session.exec(visible_firms(bureau)).all()}
        assert session.get(Firm, good.firm_id).region_code == "330106"
        assert session.get(Firm, bad.firm_id).region_code is None
        assert "甲" in seen and "乙" not in seen


def test_a_save_scores_the_firm_once(app, accounts, settings, monkeypatch):
    from sqlmodel import Session

    import scoring.engine
    from service.db import engine_for
    from service.models import User
    from service.store import assess_and_store

    calls = []
    real = scoring.engine.evaluate

    def counting(frame, options=None, **changes):
        calls.append(frame.n)
        return real(frame, options, **changes)

    monkeypatch.setattr("scoring.api.evaluate", counting)
    with Session(engine_for(settings.database_url)) as session:
        owner = session.exec(User.__table__.select().where(User.username == "firm_a")).first()
        row = assess_and_store(session, session.get(User, owner.id), dict(FIRM))
    assert calls == [1]  # the stored result and the dashboard summary: one evaluation
    assert row.result["ladders"]["high_tech"]["status"]


def test_unknown_upload_extensions_are_refused_at_the_upload(client, accounts):
    csrf = login(client, "bureau")
    response = client.post(
        "/api/v1/batches",
        files={"file": ("名单.docx", io.BytesIO(b"PK\x03\x04 word"), "application/octet-stream")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 400
    assert "不支持的文件类型" in response.json()["error"]["message_zh"]


def test_a_png_named_xlsx_is_not_a_valid_excel_file_everywhere(
    client, accounts, settings, tmp_path
):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    source = tmp_path / "名单.xlsx"
    source.write_bytes(png)
    with pytest.raises(BatchError) as cli:
        run(source, tmp_path / "out.xlsx")
    assert "不是有效的xlsx文件" in cli.value.zh
    csrf = login(client, "bureau")
    response = client.post(
        "/api/v1/batches",
        files={"file": ("名单.xlsx", io.BytesIO(png), "application/octet-stream")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message_zh"] == cli.value.zh


def test_workers_have_unique_names_and_a_job_that_keeps_killing_them_fails(settings, accounts):
    from sqlmodel import Session

    from service.db import engine_for
    from service.models import BatchJob, User

    assert Worker(settings).name != Worker(settings).name  # two servers on one database
    with Session(engine_for(settings.database_url)) as session:
        owner = session.exec(User.__table__.select().where(User.username == "bureau")).first()
        job = BatchJob(
            owner_id=owner.id,
            original_name="x.csv",
            file_format="csv",
            status="running",
            attempts=settings.max_attempts,  # its worker died that many times
            lease_until=0.0,  # and stopped renewing
        )
        session.add(job)
        session.commit()
        job_id = job.id
    assert Worker(settings).claim() is None
    with Session(engine_for(settings.database_url)) as session:
        failed = session.get(BatchJob, job_id)
        assert failed.status == "failed" and "已尝试3次" in failed.error_zh
