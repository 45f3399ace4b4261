"""The pages through the ASGI app: the form, the result, what-if, dashboard, batch upload."""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
from python_calamine import CalamineWorkbook

from scoring.fields import FIELDS
from service.demo import load_demo
from service.jobs import Worker
from service.pages.forms import STEPS
from tests.conftest import ROOT, SAMPLE_NAMED, SAMPLE_ROWS
from tests.service.conftest import csrf_of, login

FORM = {
    "name": "杭州示例光电科技有限公司",
    "credit_code": "",
    "region_code": "330106",
    "registered_on": "2016-05-01",
    "fiscal_year": "2025",
    "high_tech_field": "电子信息",
    "employees": "120",
    "tech_staff": "30",
    "rd_staff": "20",
    "revenue_y0": "5,000",  # 万元, with a thousands separator
    "revenue_y1": "4400",
    "revenue_y2": "3900",
    "rd_expense_y0": "250",
    "rd_expense_y1": "200",
    "rd_expense_y2": "215",
    "rd_expense_domestic_3y": "665",
    "high_tech_income_y0": "４０００",  # full-width digits
    "total_income_y0": "5000",
    "ip_class1": "2",
    "ip_class2": "6",
    "major_incident_1y": "否",
    "on_dishonesty_list": "否",
}


def _post_form(client, data, path="/assess"):
    token = csrf_of(client.get("/assess").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_form_steps_cover_every_input_field_once():
    listed = [n for _, names in STEPS for n in names]
    assert sorted(listed) == sorted(FIELDS) and len(listed) == len(set(listed))


def test_anonymous_self_assessment_shows_every_ladder_in_chinese(client):
    response = _post_form(client, FORM)
    assert response.status_code == 200
    html = response.text
    assert FORM["name"] in html
    for title in (
        "科技型中小企业",
        "高新技术企业",
        "专精特新中小企业",
        "瞪羚企业",
        "晋级路径",
        "还差",
    ):
        assert title in html
    assert "第十一条" in html  # rule sources are shown
    assert "<svg" in html and "radar" in html
    assert 'id="readiness"' in html and "12个月内" in html  # readiness, and what it rests on
    assert "基于模拟数据训练" in html and "不是官方判定" in html


def test_bad_cells_come_back_with_messages_and_the_values_kept(client):
    response = _post_form(client, {**FORM, "employees": "很多", "registered_on": "去年"})
    assert response.status_code == 422
    html = response.text
    assert "请填写数字" in html and "不是有效日期" in html
    assert (
        "按未知处理" not in html
    )  # a refused form scores nothing, so nothing is "treated as unknown"
    assert 'value="很多"' in html and f'value="{FORM["name"]}"' in html


def test_blank_means_unknown_and_is_said_so(client):
    response = _post_form(client, {"name": "只填名称的公司"})
    assert response.status_code == 200
    assert "待定（缺数据）" in response.text and "待补充" in response.text


def test_user_text_is_escaped(client):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    html = _post_form(client, {**FORM, "name": hostile}).text
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_signed_in_firm_stores_the_assessment_and_runs_what_if(client, accounts):
    login(client, "firm_a")
    response = _post_form(client, FORM)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "评价编号" in page.text
    assert client.get("/firms").text.count(FORM["name"]) == 1
    token = csrf_of(page.text)
    what_if = client.post(
        response.headers["location"] + "/what-if",
        data={"csrf_token": token, "tech_staff": "5", "rd_expense_y0": "10"},
    )
    assert what_if.status_code == 200
    block = what_if.text[what_if.text.index('id="what-if-result"') :]
    assert "试算结果" in block and "高新技术企业" in block  # a ladder's result moved
    again = client.get(response.headers["location"]).text
    assert 'id="what-if-result"' not in again  # what-if is never stored


def test_form_posts_without_csrf_are_refused(client, accounts):
    response = client.post("/assess", data=FORM)
    assert response.status_code == 403
    client.get("/login")
    bad = client.post("/login", data={"username": "firm_a", "password": "x", "csrf_token": "no"})
    assert bad.status_code == 403


def test_login_errors_and_no_open_redirect(client, accounts):
    page = client.get("/login")
    wrong = client.post(
        "/login",
        data={"username": "firm_a", "password": "wrong", "csrf_token": csrf_of(page.text)},
    )
    assert wrong.status_code == 400 and "用户名或密码不正确" in wrong.text
    page = client.get("/login")
    ok = client.post(
        "/login",
        data={
            "username": "firm_a",
            "password": "correct-horse-battery",
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"


def test_security_headers_and_cookie_flags(client, accounts):
    response = client.get("/login")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_dashboard_funnel_filters_search_targets_and_export(client, accounts, settings):
    load_demo(settings.database_url)
    login(client, "admin")
    html = client.get("/dashboard").text
    assert f"库内企业 {SAMPLE_NAMED} 家" in html and 'id="funnel"' in html and 'id="near"' in html
    assert "研发费用(y0)需增加1.00万元" in html  # the near-threshold firm and what it lacks
    assert 'id="visit"' in html and "基于模拟数据训练" in html  # firms to visit first
    found = client.get("/dashboard", params={"q": "星河光电"}).text
    assert "当前筛选 2 家" in found
    token = csrf_of(html)
    made = client.post(
        "/dashboard/targets",
        data={"csrf_token": token, "ladder": "high_tech", "year": "2027", "increase": "5"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert "2027年 高新技术企业 新增 5 家" in client.get("/dashboard").text
    export = client.get(
        "/dashboard/export.xlsx", params={"ladder": "high_tech", "status": "eligible"}
    )
    path = settings.data_dir.parent / "export.xlsx"
    path.write_bytes(export.content)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("企业名单").to_python()
    assert "高新技术企业·12个月内晋级概率" in rows[0] and "晋级概率模型" in rows[0]
    counted = re.search(r"高新技术企业</td><td class=\"ok\">(\d+)", html)
    assert counted and len(rows) - 1 == int(counted.group(1))


def test_batch_page_upload_progress_and_download(client, accounts, settings):
    login(client, "firm_a")
    page = client.get("/batch")
    data = (ROOT / "data" / "sample_firms.csv").read_bytes()
    posted = client.post(
        "/batch",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("名单.csv", io.BytesIO(data), "text/csv")},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    job_page = client.get(posted.headers["location"]).text
    assert 'http-equiv="refresh"' in job_page and "排队中" in job_page
    Worker(settings).run(once=True)
    done = client.get(posted.headers["location"]).text
    assert "已完成" in done and 'id="download"' in done and 'http-equiv="refresh"' not in done
    rejected = SAMPLE_ROWS - SAMPLE_NAMED
    assert f"输入 {SAMPLE_ROWS} 行 = 已评价 {SAMPLE_NAMED} 行 + 未评价 {rejected} 行" in done
    download = client.get(posted.headers["location"] + "/result.xlsx")
    assert download.status_code == 200 and download.content[:2] == b"PK"


def test_template_download_is_the_batch_template(client, settings):
    response = client.get("/template.xlsx")
    path = settings.data_dir.parent / "t.xlsx"
    path.write_bytes(response.content)
    assert "企业数据" in CalamineWorkbook.from_path(str(path)).sheet_names


def test_ids_out_of_range_or_not_numbers_are_not_errors(client, accounts):
    login(client, "firm_a")
    assert client.get("/assess", params={"firm": "99999999999999999999"}).status_code == 200
    assert client.get("/assess", params={"firm": "abc"}).status_code == 200
    assert client.get("/assessments/99999999999999999999").status_code == 422
    posted = _post_form(client, {**FORM, "firm_id": "99999999999999999999"})
    assert posted.status_code == 303  # treated as a new firm


def test_reports_download_from_the_result_page_and_the_dashboard(client, accounts, settings):
    """The firm report of a stored result, of an anonymous result (its form values come back
    and are assessed again), and the bureau's pool briefing: real PDFs with the right text."""
    import subprocess

    def text_of(response) -> str:
        assert response.status_code == 200, response.text[:200]
        assert response.headers["content-type"] == "application/pdf"
        path = settings.data_dir.parent / "r.pdf"
        path.write_bytes(response.content)
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
        return re.sub(r"\s+", "", out.stdout.decode("utf-8"))

    anonymous = _post_form(client, FORM)
    assert 'id="report-form"' in anonymous.text
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', anonymous.text))
    assert hidden["revenue_y0"] == "5000"  # the form's own units (万元), every digit
    text = text_of(client.post("/assess/report.pdf", data=hidden))
    assert FORM["name"] in text and "企业梯度培育诊断报告" in text
    login(client, "firm_a")
    stored = _post_form(client, FORM)
    page = client.get(stored.headers["location"]).text
    assert 'id="report"' in page
    link = re.search(r'href="(/assessments/\d+/report\.pdf)"', page).group(1)
    assert FORM["name"] in text_of(client.get(link))

    load_demo(settings.database_url)
    login(client, "admin")
    assert 'id="pool-report"' in client.get("/dashboard").text
    pool = text_of(client.get("/dashboard/report.pdf", params={"ladder": "high_tech"}))
    assert "区域科技企业梯度培育分析报告" in pool and "高新技术企业" in pool


def test_errors_reached_from_pages_are_pages_in_chinese_with_a_way_back(client, accounts):
    from tests.service.conftest import login

    login(client, "firm_a")
    missing = client.get("/firms/999999", headers={"referer": "http://testserver/firms"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "页面或记录不存在" in missing.text and 'href="/firms"' in missing.text
    stale = client.post("/batch", data={"csrf_token": "expired"}, files={"file": ("a.csv", b"x")})
    assert stale.status_code == 403 and "页面已过期" in stale.text
    assert stale.headers["content-type"].startswith("text/html")
    foreign = client.get("/firms/1", headers={"referer": "https://evil.example/x"})
    assert 'href="https://evil.example' not in foreign.text  # the way back stays on this site
    api = client.get("/api/v1/firms/999999")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_a_page_upload_over_the_limit_gets_a_page(app, accounts, settings):
    from fastapi.testclient import TestClient

    from tests.service.conftest import login

    client = TestClient(app)
    csrf = login(client, "bureau")
    page = client.get("/batch")
    assert f"大小上限 {settings.upload_max_bytes // (1024 * 1024)} MB" in page.text
    big = b"x" * (settings.upload_max_bytes + 2 * 1024 * 1024)
    response = client.post("/batch", data={"csrf_token": csrf}, files={"file": ("a.csv", big)})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "上传内容过大" in response.text


def test_the_job_page_lists_the_first_rejected_rows_and_why(client, accounts, settings):
    import io

    from service.jobs import Worker
    from tests.service.conftest import login

    csrf = login(client, "bureau")
    data = "企业名称,营业收入(y0)\n【填写说明】每行一家企业,\n甲公司,100\n,\n,200\n".encode()
    client.post(
        "/batch",
        data={"csrf_token": csrf},
        files={"file": ("名单.csv", io.BytesIO(data), "text/csv")},
        follow_redirects=False,
    )
    Worker(settings).run(once=True)
    jobs = client.get("/api/v1/batches").json()
    page = client.get(f"/batch/{jobs[0]['id']}")
    assert 'id="rejected"' in page.text
    assert "空行" in page.text and "缺少企业名称" in page.text
    # the template's instruction row is no firm: named in the summary, not a rejected row
    assert "第2行是模板的填写说明或示例，已略过" in page.text


def test_the_result_page_shows_manual_review_warnings_ranges_and_the_free_filing_notice(client):
    """A Shanghai firm that meets every published gazelle condition waits for the growth test;
    the same page carries the rule sets' checked dates, the warnings and the filing notice."""
    samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    row = samples[samples["name"].str.contains("浦江瞪羚")].iloc[0]
    money = {n for n, spec in FIELDS.items() if spec.type == "money"}
    data = {
        k: (str(float(v) / 1e4) if k in money else v)
        for k, v in row.items()
        if v != "" and k in FIELDS
    }
    data["niche_market_share"] = str(float(data["niche_market_share"]) * 100)
    html = _post_form(client, data).text
    assert "需人工审核" in html and "其余条件均满足，待人工审核：营业收入复合增长率门槛" in html
    assert "提示（不影响结果）" in html and "随机抽取企业现场核查" in html
    assert "专家评分区间" in html
    assert "规则最近一次与原文核对：2026-" in html
    assert 'id="free-filing"' in html and "申报认定不收取任何费用" in html
    # what each rung is worth, with its source and checked date
    assert "价值：" in html and "企业所得税减按15%税率征收" in html and "核对2026-12" in html
    assert 'id="materials"' in html and "需准备的材料" in html


def test_the_dashboard_says_what_the_near_threshold_firms_would_unlock(client, accounts, settings):
    load_demo(settings.database_url)
    login(client, "admin")
    html = client.get("/dashboard").text
    assert 'id="within-reach"' in html and "家临近门槛，达标后每年税收优惠合计约" in html
    overview = client.get("/api/v1/pool").json()
    reach = {r["ladder"]: r for r in overview["within_reach"]}
    near = {n["ladder"] for n in overview["near"]}
    assert set(reach) == near
    for ladder, r in reach.items():
        firms = {n["firm_id"] for n in overview["near"] if n["ladder"] == ladder}
        assert r["firms"] == len(firms) and r["yearly_unknown"] <= r["firms"]


def test_the_result_page_and_the_dashboard_show_the_calendar_and_export_it(
    client, accounts, settings
):
    from icalendar import Calendar as ICal

    login(client, "firm_a")
    form = {**FORM, "is_high_tech": "是", "high_tech_certified_on": "2024-12-01"}
    location = _post_form(client, form).headers["location"]
    page = client.get(location).text
    block = page[page.index('id="calendar"') :]
    assert "下一步：" in block and "证书2024年12月1日发证，有效期至2027年11月30日" in block
    assert "上次所见" in block or "即将开始" in block or "进行中" in block
    ics = client.get(location + "/calendar.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = list(ICal.from_ical(ics.content).walk("VEVENT"))
    assert any(e.decoded("dtstart") == dt.date(2027, 11, 30) for e in events)
    login(client, "firm_b")  # another firm's calendar is not there for it
    assert client.get(location + "/calendar.ics").status_code == 404
    load_demo(settings.database_url)
    login(client, "admin")
    html = client.get("/dashboard").text
    outlook = html[html.index('id="outlook"') :]
    assert "下一步：" in outlook and "高新技术企业" in outlook
    pool = client.get("/dashboard/calendar.ics")
    assert pool.status_code == 200
    assert list(ICal.from_ical(pool.content).walk("VEVENT"))  # the demo's certificates expire
