"""免申即享 lists through the service: a bureau's firms meeting its region's awards on a date,
new since the previous snapshot, and the evidence as JSON, workbook and PDF."""

from __future__ import annotations

import io
import json
import re
import subprocess

from python_calamine import CalamineWorkbook

from scoring.api import assess
from service.demo import load_demo
from tests.conftest import ROOT
from tests.service.conftest import login

EXAMPLE = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))


def _hnte_eligible_firm() -> dict:
    """The example firm made an HNTE in Hangzhou on paper: enough conversions and the incentive
    scheme (what its own plan asks for), not yet recognised."""
    firm = dict(EXAMPLE, region_code="330106", tech_conversions_3y=15, rd_mgmt_incentive=True)
    firm.update(is_high_tech=False, high_tech_certified_on=None)
    assert assess(firm).ladders["high_tech"].status == "eligible"
    return firm


def test_a_bureau_sees_its_awards_the_firms_new_since_last_time_and_the_evidence(client, accounts):
    api_firm = {k: v for k, v in _hnte_eligible_firm().items() if v is not None}
    headers = {"X-CSRF-Token": login(client, "firm_a")}
    # first snapshot: not yet eligible (too few conversions); second: eligible
    first = client.post(
        "/api/v1/firms", json={"firm": {**api_firm, "tech_conversions_3y": 1}}, headers=headers
    )
    assert first.status_code == 201, first.text
    firm_id = first.json()["firm_id"]
    again = client.post(
        f"/api/v1/firms/{firm_id}/assessments", json={"firm": api_firm}, headers=headers
    )
    assert again.status_code == 201, again.text
    login(client, "bureau")  # region 3301: Hangzhou's awards
    body = client.get("/api/v1/pool/no-application", params={"date": "2026-12-03"}).json()
    awards = {a["id"]: a for a in body["awards"]}
    assert set(awards) == {"hangzhou_hnte_new", "hangzhou_tech_sme"}
    hnte = awards["hangzhou_hnte_new"]
    (item,) = [f for f in hnte["firms"] if f["firm_id"] == firm_id]
    assert item["basis"] == "on_recognition" and item["new"] is True
    assert item["amount"] == hnte["amount"] == 200000
    assert hnte["totals"]["on_recognition"]["firms"] == len(
        [f for f in hnte["firms"] if f["basis"] == "on_recognition"]
    )
    assert len(item["input_hash"]) >= 16 and "high_tech@2016" in item["criteria_version"]
    # another region's bureau sees none of it
    login(client, "other_bureau")
    other = client.get("/api/v1/pool/no-application", params={"date": "2026-12-03"}).json()
    assert all(f["firm_id"] != firm_id for a in other["awards"] for f in a["firms"])
    assert "hangzhou_hnte_new" not in {a["id"] for a in other["awards"]}
    # the firm itself is refused the bureau's list
    login(client, "firm_a")
    assert client.get("/api/v1/pool/no-application").status_code == 403


def test_the_workbook_and_the_annex_carry_the_same_firms_and_no_formulas(
    client, accounts, settings
):
    load_demo(settings.database_url)
    login(client, "admin")
    body = client.get("/api/v1/pool/no-application", params={"date": "2026-12-03"}).json()
    listed = [(a["zh"], f["name"]) for a in body["awards"] for f in a["firms"]]
    assert listed, "the demo pool meets some local award"
    book = client.get("/dashboard/no-application.xlsx", params={"date": "2026-12-03"})
    assert book.status_code == 200
    wb = CalamineWorkbook.from_filelike(io.BytesIO(book.content))
    assert wb.sheet_names == ["汇总", "名单", "依据", "输入快照"]
    names = wb.get_sheet_by_name("名单").to_python()
    header, rows = names[0], names[1:]
    assert len(rows) == len(listed)
    award, name = header.index("奖励项目"), header.index("企业名称")
    assert sorted((r[award], r[name]) for r in rows) == sorted(listed)
    digests = {r[header.index("证据摘要")] for r in rows}
    evidence = wb.get_sheet_by_name("依据").to_python()
    assert digests <= {r[0] for r in evidence[1:]}  # every listed firm has its rules
    for sheet in wb.sheet_names:
        for r in wb.get_sheet_by_name(sheet).to_python():
            assert not any(str(c).startswith(("=", "+", "@")) for c in r)
    page = client.get("/dashboard/no-application", params={"date": "2026-12-03"}).text
    assert "免申即享名单" in page and listed[0][1] in page
    pdf = client.get("/dashboard/no-application.pdf", params={"date": "2026-12-03"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = settings.data_dir.parent / "annex.pdf"
    path.write_bytes(pdf.content)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    text = re.sub(r"\s+", "", out.stdout.decode("utf-8"))
    assert "免申即享名单" in text and listed[0][0][:8] in text
