"""Real-browser tests: Playwright driving Debian's chromium (headless) against a live server.

Screenshots of a failing step are saved to out/browser/. ``TIERING_TEST_BROWSER=none`` skips
these on a machine without chromium; CI installs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from tests.conftest import ROOT
from tests.service.conftest import free_port, wait_until_listening

CHROMIUM = os.environ.get("TIERING_TEST_BROWSER", "/usr/bin/chromium")
ARTIFACTS = ROOT / "out" / "browser"
pytestmark = pytest.mark.skipif(CHROMIUM == "none", reason="TIERING_TEST_BROWSER=none")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`tiering serve` on a fresh SQLite database with the demo data and a worker thread."""
    var = tmp_path_factory.mktemp("browser-var")
    port = free_port()
    env = dict(
        os.environ,
        TIERING_ENVIRONMENT="test",
        TIERING_SECRET_KEY="browser-test-secret-" + "y" * 32,
        TIERING_DATABASE_URL=f"sqlite:///{var / 'tiering.db'}",
        TIERING_DATA_DIR=str(var),
        TIERING_WORKER_POLL_SECONDS="0.2",
    )
    log = open(var / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "tiering.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_listening(port, proc, var / "server.log")
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"chromium not found at {CHROMIUM} (apt install chromium, or TIERING_TEST_BROWSER=none)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    yield pg
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def _login(page, url, user, password):
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_firm_fills_the_form_step_by_step_and_tries_a_what_if(server, page):
    _login(page, server, "firm", "firm-demo-2026")
    page.goto(f"{server}/assess")
    assert page.is_visible("#f-name") and not page.is_visible("#f-employees")  # one step shown
    page.fill("#f-name", "杭州浙示例智能科技有限公司")
    page.fill("#f-region_code", "330106")
    page.fill("#f-registered_on", "2016-05-01")
    page.fill("#f-fiscal_year", "2025")
    page.select_option("#f-high_tech_field", "电子信息")
    page.click("#next")
    page.fill("#f-employees", "１２０")  # full-width digits, as typed with a Chinese IME
    page.fill("#f-tech_staff", "30")
    page.click("#next")
    for field, value in {
        "revenue_y0": "5,000",
        "revenue_y1": "4400",
        "revenue_y2": "3900",
        "rd_expense_y0": "250",
        "rd_expense_y1": "200",
        "rd_expense_y2": "215",
        "rd_expense_domestic_3y": "665",
        "high_tech_income_y0": "4000",
        "total_income_y0": "5000",
    }.items():
        page.fill(f"#f-{field}", value)
    page.click("#next")
    page.fill("#f-ip_class1", "2")
    page.click("#next")
    page.select_option("#f-major_incident_1y", "否")
    page.click("#submit")
    page.wait_for_url("**/assessments/*")
    assert "杭州浙示例智能科技有限公司" in page.inner_text("h1")
    card = page.inner_text("#ladder-high_tech")
    assert "高新技术企业" in card and ("符合" in card or "不符合" in card or "待定" in card)
    assert page.locator("svg.bar").count() > 0
    # the decision layer: worth, the plan and the calendar, and readiness only after the plan
    assert "价值：" in card
    page.click("#ladder-high_tech details.worth summary")
    assert page.is_visible("#ladder-high_tech table.worth-lines")
    plan = page.inner_text("#plan")
    assert "最省方案" in plan and ("经重新评价确认" in plan or "来不及" in plan or "补充" in plan)
    calendar = page.inner_text("#calendar")
    assert "申报日历" in calendar and "下一步：" in calendar and "上次所见" in calendar
    with page.expect_download() as download:
        page.click("#ics")
    assert download.value.suggested_filename.endswith(".ics")
    order = page.evaluate(
        "['plan', 'readiness'].map(id => document.getElementById(id))"
        ".filter(Boolean).map(e => e.getBoundingClientRect().top + window.scrollY)"
    )
    assert order == sorted(order)  # readiness after the gaps and the plan
    page.fill("input[name=tech_staff]", "2")
    page.click("button:has-text('重新试算')")
    result = page.inner_text("#what-if-result")
    assert "试算结果" in result and "高新技术企业" in result


def test_bureau_uploads_watches_progress_filters_and_exports(server, page, tmp_path):
    _login(page, server, "bureau", "bureau-demo-2026")
    page.goto(f"{server}/batch")
    page.set_input_files("#file", str(ROOT / "data" / "sample_firms.csv"))
    page.click("button:has-text('上传并评价')")
    page.wait_for_url("**/batch/*")
    assert page.locator("#job-progress").count() == 1
    page.wait_for_selector("#download", timeout=60_000)  # the page refreshes itself until done
    assert "已完成" in page.inner_text("#job-status")
    with page.expect_download() as got:
        page.click("#download")
    path = tmp_path / "result.xlsx"
    got.value.save_as(path)
    assert "评价结果" in CalamineWorkbook.from_path(str(path)).sheet_names
    page.goto(f"{server}/dashboard")
    page.select_option("select[name=ladder]", "high_tech")
    page.select_option("select[name=status]", "eligible")
    page.click("form.filters button")
    page.wait_for_url("**/dashboard?*")
    shown = page.inner_text("p.meta")
    assert "当前筛选" in shown
    with page.expect_download() as got:
        page.click("#export")
    export = tmp_path / "pool.xlsx"
    got.value.save_as(export)
    rows = CalamineWorkbook.from_path(str(export)).get_sheet_by_name("企业名单").to_python()
    assert rows[0][0] == "企业名称"
    col = rows[0].index("高新技术企业·结果")
    assert rows[1:] and all(r[col] == "符合" for r in rows[1:]), (page.url, [r[col] for r in rows])
    # the uploaded file becomes part of the pool: import it, then the dashboard lists its source
    page.goto(f"{server}/batch")
    page.click("table a:has-text('查看')")
    page.click("#import-form button")
    page.wait_for_selector("#import-summary", timeout=60_000)
    assert "导入" in page.inner_text("#import-summary")
    page.goto(f"{server}/dashboard")
    assert "导入自文件「sample_firms.csv」" in page.inner_text("#firms")


def _fill_steps_and_submit(page, name, code):
    page.fill("#f-name", name)
    page.fill("#f-credit_code", code)
    page.fill("#f-region_code", "330106")
    page.fill("#f-fiscal_year", "2025")
    page.click("#next")
    page.fill("#f-employees", "80")
    page.fill("#f-tech_staff", "20")
    for _ in range(3):
        page.click("#next")
    page.click("#submit")
    page.wait_for_load_state()


def test_a_new_firm_signs_up_and_keeps_its_anonymous_result(server, page):
    from tests.service.test_pool_import import credit_code

    code = credit_code("91330106MA2F0006X")
    page.goto(f"{server}/assess")
    _fill_steps_and_submit(page, "浏览器注册示例公司", code)
    assert "浏览器注册示例公司" in page.inner_text("h1")
    page.click("#save")
    page.wait_for_url(lambda u: "/signup?" in u)
    assert page.is_visible("#pending-notice")
    page.fill("input[name=firm_name]", "浏览器注册示例公司")
    page.fill("input[name=credit_code]", code)
    page.fill("input[name=username]", "browser-firm")
    page.fill("input[name=password]", "browser-firm-pass")
    page.fill("input[name=password2]", "browser-firm-pass")
    page.click("#signup-form button[type=submit]")
    page.wait_for_url("**/assessments/*?saved=1")
    assert page.is_visible("#saved-notice")
    page.goto(f"{server}/firms")
    table = page.inner_text("#my-firms")
    assert "浏览器注册示例公司" in table and "尚未评价" not in table


def test_an_anonymous_draft_is_restored_in_the_browser(server, page):
    page.goto(f"{server}/assess")
    page.fill("#f-name", "草稿示例公司")
    # the app's CSP forbids eval, so wait from here rather than with wait_for_function
    expect(page.locator("#draft-status")).not_to_have_text("", timeout=10_000)
    page.reload()
    page.wait_for_selector("#draft-notice")
    assert page.input_value("#f-name") == "草稿示例公司"
    page.click("#draft-notice button")
    assert page.input_value("#f-name") == ""


def test_pages_fit_a_phone_screen(server, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    pg = context.new_page()
    wide = {}

    def check(path):
        pg.goto(f"{server}{path}")
        pg.wait_for_load_state()
        width = pg.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(
                path=str(ARTIFACTS / f"phone{path.replace('/', '_')}.png"), full_page=True
            )
            wide[path] = width

    try:
        for path in ("/", "/assess", "/signup", "/login"):
            check(path)
        _login(pg, server, "bureau", "bureau-demo-2026")
        for path in ("/assess", "/firms", "/dashboard", "/batch", "/account"):
            check(path)
        pg.goto(f"{server}/firms")
        result = pg.locator("#my-firms a:has-text('查看')").first.get_attribute("href")
        check(result)
        # a radar fits without an inline style (the app's CSP blocks inline styles)
        radar = pg.locator("svg.radar").first
        if radar.count():
            assert radar.bounding_box()["width"] <= 390
    finally:
        context.close()
    assert wide == {}, wide


def test_api_docs_render_offline_under_the_strict_policy(server, page):
    """/docs loads Swagger UI from the app itself: any other origin is cut off here, and the
    page must still list the operations with no CSP violation in the console."""
    outside, violations = [], []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(server)
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    page.goto(f"{server}/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    assert page.locator(".opblock").count() >= 20
    expect(page.locator(".info .title")).to_contain_text("tiering")
    assert outside == [] and violations == []
