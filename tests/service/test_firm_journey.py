"""A firm keeps its result: sign-up, 保存到我的账户 on an anonymous result, drafts, step
errors, private assessments, and a bureau that annotates but never overwrites."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests.conftest import ROOT
from tests.service.conftest import PASSWORD, client_for, csrf_of, login
from tests.service.test_pool_import import credit_code

FIRM = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))
CODE = credit_code("91330106MA2E0005X")


def form_of(firm: dict, **changes) -> dict[str, str]:
    """The example firm as the form's fields (万元, %)."""
    from service.pages.forms import form_values

    values = form_values({k: v for k, v in firm.items() if not isinstance(v, dict | list)})
    return {**values, **changes}


def anonymous_result(client: TestClient, **changes) -> str:
    token = csrf_of(client.get("/assess").text)
    page = client.post(
        "/assess",
        data={
            **form_of(FIRM, region_code="330106", credit_code=CODE, **changes),
            "csrf_token": token,
        },
    )
    assert page.status_code == 200, page.text
    assert 'id="save-form"' in page.text
    return page.text


def save_form(html: str) -> dict[str, str]:
    form = html[html.index('id="save-form"') : html.index("</form>", html.index('id="save-form"'))]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_sign_up_saves_the_anonymous_result_without_typing_it_again(client, accounts):
    html = anonymous_result(client)
    saved = client.post("/assess/save", data=save_form(html), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/signup?next=/assess/claim"
    page = client.get(saved.headers["location"])
    assert 'id="pending-notice"' in page.text
    done = client.post(
        "/signup",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "new-firm",
            "password": PASSWORD,
            "password2": PASSWORD,
            "firm_name": FIRM["name"],
            "credit_code": CODE.lower(),
            "next": "/assess/claim",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/assess/claim"
    stored = client.get("/assess/claim", follow_redirects=False)
    assert stored.status_code == 303 and "?saved=1" in stored.headers["location"]
    result = client.get(stored.headers["location"]).text
    assert 'id="saved-notice"' in result and FIRM["name"] in result and "企业自评" in result
    firms = client.get("/api/v1/firms").json()
    assert firms["total"] == 1  # the firm made at sign-up, not a second one
    assert firms["items"][0]["latest_assessment_id"] is not None
    assert client.get("/assess/claim", follow_redirects=False).headers["location"] == "/firms"
    # the region's bureau now sees it
    bureau, _ = client_for(client.app, "bureau")
    assert bureau.get("/api/v1/pool").json()["firms"] == 1


def test_an_existing_account_signs_in_and_the_result_is_saved(client, accounts):
    html = anonymous_result(client)
    client.post("/assess/save", data=save_form(html), follow_redirects=False)
    login_page = client.get("/login?next=/assess/claim")
    assert 'id="pending-notice"' in login_page.text
    signed = client.post(
        "/login",
        data={
            "username": "firm_a",
            "password": PASSWORD,
            "csrf_token": csrf_of(login_page.text),
            "next": "/assess/claim",
        },
        follow_redirects=False,
    )
    assert signed.headers["location"] == "/assess/claim"
    stored = client.get("/assess/claim", follow_redirects=False)
    assert "/assessments/" in stored.headers["location"]
    assert client.get("/api/v1/firms").json()["total"] == 1


def test_sign_up_refuses_what_it_cannot_accept(client, accounts):
    token = csrf_of(client.get("/signup").text)
    base = {
        "csrf_token": token,
        "username": "someone",
        "password": PASSWORD,
        "password2": PASSWORD,
        "firm_name": "某公司",
        "credit_code": CODE,
    }
    cases = [
        ({"credit_code": CODE[:-1] + ("0" if CODE[-1] != "0" else "1")}, "校验位"),
        ({"username": "firm_a"}, "已被使用"),
        ({"password2": "different-password"}, "不一致"),
        ({"password": "short", "password2": "short"}, "至少10位"),
        ({"username": "a b"}, "用户名应为"),
    ]
    for change, message in cases:
        page = client.post("/signup", data={**base, **change})
        assert page.status_code in (422,), (change, page.status_code)
        assert message in page.text, change
        assert 'value="某公司"' in page.text  # what was typed stays
    assert client.get("/api/v1/me").status_code == 401


def test_a_signed_in_draft_is_kept_and_cleared_on_submit(app, accounts):
    client, _ = client_for(app, "firm_a")
    token = csrf_of(client.get("/assess").text)
    saved = client.post(
        "/assess/draft", data={"csrf_token": token, "name": "草稿公司", "employees": "42"}
    )
    assert saved.status_code == 200 and saved.json()["fields"] == 2
    page = client.get("/assess").text
    assert 'id="draft-notice"' in page and 'value="草稿公司"' in page and 'value="42"' in page
    done = client.post(
        "/assess", data={**form_of(FIRM), "csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    assert 'id="draft-notice"' not in client.get("/assess").text
    # anonymous drafts stay in the browser: the server refuses to keep one
    anonymous = TestClient(app)
    anon_token = csrf_of(anonymous.get("/assess").text)
    assert anonymous.post("/assess/draft", data={"csrf_token": anon_token}).status_code == 401


def test_step_tabs_mark_the_steps_with_errors_in_the_users_units(client, accounts):
    token = csrf_of(client.get("/assess").text)
    page = client.post(
        "/assess",
        data={
            "csrf_token": token,
            "name": "某公司",
            "employees": "-3",
            "niche_market_share": "150",
            "revenue_y0": "380万",
        },
    )
    assert page.status_code == 422
    tabs = re.findall(r"<li( class=\"has-error\")?>第(\d)步", page.text)
    assert [step for mark, step in tabs if mark] == ["1", "2"]
    assert "不能为负数" in page.text and "应在0–100之间（填百分数）" in page.text
    assert "按未知处理" not in page.text
    assert 'value="380万"' in page.text  # kept as typed; and accepted (no message on it)
    assert page.text.count('class="field invalid"') == 2


def test_money_with_its_unit_is_read_in_yuan():
    from service.pages.forms import parse

    data, errors = parse({"name": "x", "revenue_y0": "380万", "revenue_y1": "1.2亿"})
    assert errors == {} and data["revenue_y0"] == 3_800_000 and data["revenue_y1"] == 1.2e8


def test_a_private_assessment_stays_with_the_firm(app, accounts):
    firm, firm_csrf = client_for(app, "firm_a")
    secret = {**FIRM, "region_code": "330106", "credit_code": CODE, "revenue_y0": 123456.0}
    made = firm.post(
        "/api/v1/firms",
        json={"firm": secret, "private": True},
        headers={"X-CSRF-Token": firm_csrf},
    ).json()
    assert made["private"] is True
    bureau, bureau_csrf = client_for(app, "bureau")
    assert bureau.get("/api/v1/pool").json()["firms"] == 0
    assert bureau.get(f"/api/v1/assessments/{made['id']}").status_code == 404
    assert bureau.get(f"/api/v1/firms/{made['firm_id']}").status_code == 404
    shared = {**secret, "revenue_y0": 999999.0}
    again = firm.post(
        f"/api/v1/firms/{made['firm_id']}/assessments",
        json={"firm": shared},
        headers={"X-CSRF-Token": firm_csrf},
    ).json()
    seen = bureau.get(f"/api/v1/firms/{made['firm_id']}").json()
    assert seen["profile"]["revenue_y0"] == 999999.0 and seen["latest_assessment_id"] == again["id"]
    listed = bureau.get(f"/api/v1/firms/{made['firm_id']}/assessments").json()
    assert [a["id"] for a in listed] == [again["id"]]  # the private one is not listed
    assert bureau.get(f"/api/v1/assessments/{made['id']}").status_code == 404
    # a bureau annotates with its own assessment and never changes the firm's record
    note = bureau.post(
        f"/api/v1/firms/{made['firm_id']}/assessments",
        json={"note": "走访核实：研发费用已补充", "firm": {**shared, "revenue_y0": 1.0}},
        headers={"X-CSRF-Token": bureau_csrf},
    )
    assert note.status_code == 201, note.text
    body = note.json()
    assert (body["source"], body["author_id"]) == ("bureau", accounts["bureau"].id)
    record = firm.get(f"/api/v1/firms/{made['firm_id']}").json()
    assert record["profile"]["revenue_y0"] == 999999.0  # untouched
    page = firm.get(f"/assessments/{body['id']}").text
    assert "科技管理部门评价" in page and "走访核实" in page
    # a firm user cannot reach another firm's record at all
    other, other_csrf = client_for(app, "firm_b")
    assert (
        other.post(
            f"/api/v1/firms/{made['firm_id']}/assessments",
            json={},
            headers={"X-CSRF-Token": other_csrf},
        ).status_code
        == 404
    )


def test_the_form_and_account_say_who_sees_an_assessment(app, accounts):
    anonymous = TestClient(app)
    assert "不会保存" in anonymous.get("/assess").text
    firm, _ = client_for(app, "firm_a")
    form = firm.get("/assess").text
    assert 'id="visibility-notice"' in form and "科技管理部门可见" in form
    assert 'name="private"' in form
    assert "科技管理部门可见" in firm.get("/account").text
    login(anonymous, "firm_b")
