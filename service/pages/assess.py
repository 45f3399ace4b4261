"""The firm's self-assessment: the form, the result page, what-if, and the firm's list."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

import scoring
from scoring.api import InputError
from service import reporting, store
from service.deps import CsrfChecked, Id, SessionDep
from service.models import Assessment, Firm
from service.pages import forms
from service.pages.common import PageUser, login_redirect
from service.pages.render import render

router = APIRouter()


def _form(request, values, errors, status=200, firm_id=None):
    return render(
        request,
        "assess_form.html",
        {"steps": forms.form_spec(), "values": values, "errors": errors, "firm_id": firm_id},
        status,
    )


def _id(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


@router.get("/assess")
def assess_form(request: Request, user: PageUser, session: SessionDep, firm: str | None = None):
    firm = _id(firm)
    values = {}
    if firm is not None and user is not None:
        values = forms.form_values(store.get_firm(session, user, firm).profile)
    return _form(request, values, {}, firm_id=firm)


@router.post("/assess", dependencies=[CsrfChecked])
async def assess_submit(request: Request, user: PageUser, session: SessionDep):
    form = dict(await request.form())
    values = {k: str(v) for k, v in form.items() if k in scoring.fields.FIELDS}
    firm_id = _id(form.get("firm_id"))
    data, errors = forms.parse(form)
    if errors:
        return _form(request, values, errors, 422, firm_id)
    if user is None:  # anonymous: a result, nothing stored
        try:
            result = scoring.assess(data)
        except InputError as exc:
            return _form(request, values, {"name": exc.zh}, 422)
        return render(
            request, "result.html", _result_context(result.model_dump(mode="json"), None, data)
        )
    firm = store.get_firm(session, user, firm_id) if firm_id else None
    row = store.assess_and_store(session, user, data, firm=firm)
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


def _result_context(result: dict, row: Assessment | None, data: dict, what_if=None) -> dict:
    return {
        "result": result,
        "assessment": row,
        "inputs": data,
        "what_if": what_if,
        "what_if_fields": WHAT_IF_FIELDS,
        "what_if_values": forms.form_values(data),
        "unit_label": forms.unit_label,
    }


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
    return render(request, "result.html", _result_context(row.result, row, row.input_snapshot))


@router.get("/assessments/{assessment_id}/report.pdf")
async def result_report(assessment_id: Id, request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    row = store.get_assessment(session, user, assessment_id)
    return await reporting.firm_pdf(row.result, f"诊断报告-{row.id}.pdf")


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
    return await reporting.firm_pdf(result.model_dump(mode="json"), "诊断报告.pdf")


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
    return render(request, "firms.html", {"firms": firms})
