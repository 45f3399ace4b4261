"""The firm's self-assessment: the form, the result page, what-if, and the firm's list."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import select

import scoring
from scoring.api import InputError
from scoring.filing_calendar import refreshed, to_ics
from scoring.models import Assessment as Result
from scoring.plan import attach_plan, plan_for
from service import drafts, reporting, store
from service.deps import CsrfChecked, Id, SessionDep
from service.errors import ApiError
from service.models import Assessment, Firm
from service.pages import forms
from service.pages.common import PageUser, login_redirect
from service.pages.render import render
from service.pool import attachment

router = APIRouter()


def _form(request, values, errors, status=200, firm_id=None, draft=None, private=False):
    steps = forms.form_spec()
    step_errors = [sum(1 for f in step["fields"] if f["name"] in errors) for step in steps]
    context = {
        "steps": steps,
        "step_errors": step_errors,
        "values": values,
        "errors": errors,
        "firm_id": firm_id,
        "draft": draft,
        "private": private,
    }
    return render(request, "assess_form.html", context, status)


def _id(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


@router.get("/assess")
def assess_form(request: Request, user: PageUser, session: SessionDep, firm: str | None = None):
    """The form; signed in, it opens on the user's firm (the one made at sign-up when there
    is only that) and on the draft saved as they typed, if any."""
    firm_id = _id(firm)
    values: dict = {}
    draft = None
    if user is not None:
        if firm_id is None and user.role == "firm":
            own = session.exec(select(Firm).where(Firm.owner_id == user.id)).all()
            firm_id = own[0].id if len(own) == 1 else None
        if firm_id is not None:
            record = store.get_firm(session, user, firm_id)
            values = forms.form_values(store.shown_profile(session, user, record))
        draft = drafts.load_draft(session, user, firm_id)
        if draft is not None:
            values = dict(draft.values)
    return _form(request, values, {}, firm_id=firm_id, draft=draft)


@router.post("/assess", dependencies=[CsrfChecked])
async def assess_submit(request: Request, user: PageUser, session: SessionDep):
    form = dict(await request.form())
    values = {k: str(v) for k, v in form.items() if k in scoring.fields.FIELDS}
    firm_id = _id(form.get("firm_id"))
    private = form.get("private") == "true"
    data, errors = forms.parse(form)
    if errors:
        return _form(request, values, errors, 422, firm_id, private=private)
    if user is None:  # anonymous: a result, nothing stored (unless saved to an account)
        try:
            result = scoring.assess(data)
        except InputError as exc:
            return _form(request, values, {"name": exc.zh}, 422)
        return render(
            request, "result.html", _result_context(result.model_dump(mode="json"), None, data)
        )
    firm = store.get_firm(session, user, firm_id) if firm_id else None
    row = store.assess_and_store(session, user, data, firm=firm, private=private)
    drafts.clear_draft(session, user, firm_id)
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


@router.post("/assess/save", dependencies=[CsrfChecked])
async def save_to_account(request: Request, user: PageUser, session: SessionDep):
    """保存到我的账户 on an anonymous result: signed in, stored at once; otherwise kept as a
    pending save and stored after sign-up or sign-in (`/assess/claim`)."""
    form = dict(await request.form())
    private = form.get("private") == "true"
    data, errors = forms.parse(form)
    if errors:
        values = {k: str(v) for k, v in form.items() if k in scoring.fields.FIELDS}
        return _form(request, values, errors, 422, private=private)
    if user is None:
        request.session["pending_save"] = drafts.stash(session, form, private)
        return RedirectResponse("/signup?next=/assess/claim", status_code=303)
    return _store_saved(session, user, data, private)


@router.get("/assess/claim")
def claim(request: Request, user: PageUser, session: SessionDep):
    """The result a visitor asked to keep, stored in the account they just signed into."""
    if user is None:
        return login_redirect(request)
    pending = drafts.take(session, request.session.pop("pending_save", None))
    if pending is None:
        return RedirectResponse("/firms", status_code=303)
    data, errors = forms.parse(pending.values)
    if errors:  # the rules changed since: show the form with the values and the messages
        return _form(request, pending.values, errors, 422, private=pending.private)
    return _store_saved(session, user, data, pending.private)


def _store_saved(session, user, data: dict, private: bool):
    firm = store.own_firm_for(session, user, data)
    row = store.assess_and_store(session, user, data, firm=firm, private=private)
    drafts.clear_draft(session, user, None)
    return RedirectResponse(f"/assessments/{row.id}?saved=1", status_code=303)


@router.post("/assess/draft", dependencies=[CsrfChecked])
async def save_draft(request: Request, user: PageUser, session: SessionDep):
    """The form as typed so far (sent by steps.js a moment after each change)."""
    if user is None:
        raise ApiError(401, "unauthenticated", "请先登录", "authentication required")
    form = dict(await request.form())
    firm_id = _id(form.get("firm_id"))
    if firm_id is not None:
        store.get_firm(session, user, firm_id)
    row = drafts.save_draft(session, user, firm_id, form)
    return JSONResponse({"saved_at": row.updated_at.isoformat(), "fields": len(row.values)})


@router.post("/assess/draft/clear", dependencies=[CsrfChecked])
async def clear_draft(request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    form = dict(await request.form())
    firm_id = _id(form.get("firm_id"))
    drafts.clear_draft(session, user, firm_id)
    return RedirectResponse(f"/assess?firm={firm_id}" if firm_id else "/assess", status_code=303)


def _result_context(
    result: dict, row: Assessment | None, data: dict, what_if=None, source: str = ""
) -> dict:
    today = dt.date.today()
    return {
        "result": attach_plan(refreshed(result, data, today), _plan(data, today)),
        "assessment": row,
        "source": source,
        "inputs": data,
        "what_if": what_if,
        "what_if_fields": WHAT_IF_FIELDS,
        "what_if_values": forms.form_values(data),
        "unit_label": forms.unit_label,
    }


def _plan(data: dict, today: dt.date):
    """The least-cost plan to the next unmet rung (none for a firm the rules cannot use)."""
    try:
        return plan_for(data, today=today)
    except (InputError, ValueError):
        return None


WHAT_IF_FIELDS = [
    "employees",
    "tech_staff",
    "rd_staff",
    "revenue_y0",
    "rd_expense_y0",
    "rd_expense_y1",
    "rd_expense_y2",
    "high_tech_income_y0",
    "ip_class1",
    "ip_class2",
    "net_profit_y0",
]


@router.get("/assessments/{assessment_id}")
def result_page(assessment_id: Id, request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    row = store.get_assessment(session, user, assessment_id)
    context = _result_context(
        row.result, row, row.input_snapshot, source=store.source_text(session, row)
    )
    return render(request, "result.html", context)


@router.get("/assessments/{assessment_id}/report.pdf")
async def result_report(assessment_id: Id, request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    row = store.get_assessment(session, user, assessment_id)
    today = dt.date.today()
    result = refreshed(row.result, row.input_snapshot, today)
    result = attach_plan(result, _plan(row.input_snapshot, today))
    return await reporting.firm_pdf(result, f"诊断报告-{row.id}.pdf")


@router.get("/assessments/{assessment_id}/calendar.ics")
def result_calendar(assessment_id: Id, request: Request, user: PageUser, session: SessionDep):
    """The firm's filing calendar (windows still ahead, renewals, yearly duties) as iCalendar."""
    if user is None:
        return login_redirect(request)
    row = store.get_assessment(session, user, assessment_id)
    today = dt.date.today()
    result = Result.model_validate(refreshed(row.result, row.input_snapshot, today))
    body = to_ics(result.calendar, result.name or "", today)
    headers = attachment(f"申报日历-{row.id}.ics")
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@router.post("/assess/report.pdf", dependencies=[CsrfChecked])
async def anonymous_report(request: Request):
    """The report of a result that was not stored: the form's values come back and are
    assessed again (nothing is kept)."""
    form = dict(await request.form())
    data, errors = forms.parse(form)
    if errors:
        values = {k: str(v) for k, v in form.items() if k in scoring.fields.FIELDS}
        return _form(request, values, errors, 422)
    try:
        result = scoring.assess(data)
    except InputError as exc:
        return _form(request, {}, {"name": exc.zh}, 422)
    plan = _plan(data, dt.date.today())
    return await reporting.firm_pdf(
        attach_plan(result.model_dump(mode="json"), plan), "诊断报告.pdf"
    )


@router.post("/assessments/{assessment_id}/what-if", dependencies=[CsrfChecked])
async def what_if(assessment_id: Id, request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    row = store.get_assessment(session, user, assessment_id)
    form = dict(await request.form())
    changed_raw = {k: str(form.get(k, "")) for k in WHAT_IF_FIELDS}
    merged = {
        **forms.form_values(row.input_snapshot),
        **{k: v for k, v in changed_raw.items() if v.strip()},
    }
    merged["name"] = row.input_snapshot.get("name", "")
    data, errors = forms.parse(merged)
    context = _result_context(row.result, row, row.input_snapshot)
    if errors:
        context["what_if_errors"] = errors
        return render(request, "result.html", context, 422)
    changes = {
        k: data[k] for k in WHAT_IF_FIELDS if k in data and data[k] != row.input_snapshot.get(k)
    }
    outcome = scoring.what_if(row.input_snapshot, changes)
    context["what_if"] = {"changes": changes, "result": outcome.model_dump(mode="json")}
    context["what_if_values"] = {
        **context["what_if_values"],
        **{k: v for k, v in changed_raw.items() if v.strip()},
    }
    return render(request, "result.html", context)


@router.get("/firms")
def my_firms(request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    firms = session.exec(
        store.visible_firms(user).order_by(Firm.updated_at.desc()).limit(200)
    ).all()
    recent = store.recent_assessments(session, user, list(firms))
    return render(request, "firms.html", {"firms": firms, "recent": recent})
