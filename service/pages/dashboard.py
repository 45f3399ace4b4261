"""The bureau dashboard: funnel, near-threshold list, filters, search, export, targets."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from scoring import LADDERS
from scoring.filing_calendar import pool_ics, pool_outlook
from scoring.readiness.predict import current_bundle, model_label
from service import no_application, reporting, store, training
from service import pool as pools
from service.api.pool import filters
from service.deps import CsrfChecked, Id, SessionDep, SettingsDep
from service.errors import ApiError
from service.pages.common import PageUser, login_redirect
from service.pages.render import render

router = APIRouter()
PAGE_ROWS = 200


def _bureau(request: Request, user):
    if user is None:
        return login_redirect(request)
    store.require_bureau(user)
    return None


@router.get("/dashboard")
def dashboard(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    f: pools.Filters = Depends(filters),
):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    everything = training.pool_of(session, settings, user)
    view = pools.apply(everything, f)
    f = f.clean()
    return render(
        request,
        "dashboard.html",
        {
            "filters": f,
            "total": len(everything),
            "shown": len(view),
            "funnel": pools.funnel(view),
            "near": pools.near_list(view, f.ladder)[:PAGE_ROWS],
            "reach": pools.within_reach(view),
            "outlook": pool_outlook(view, pools.calendar_region(user), dt.date.today()),
            "visit": pools.visit_first(view),
            "model_label": model_label(bundle)
            if (bundle := training.current_model(settings, user) or current_bundle())
            else "",
            "models": training.versions(settings, user),
            "firms": view.head(PAGE_ROWS).to_dict("records"),
            "targets": store.target_progress(session, user, everything),
            "query": request.url.query,
        },
    )


@router.get("/dashboard/no-application")
def no_application_page(request: Request, user: PageUser, session: SessionDep, date: str = ""):
    """免申即享: the award lists of the bureau's regions as of a date, with downloads."""
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    day = _day(date)
    lists = no_application.lists_for(session, user, day)
    return render(
        request,
        "no_application.html",
        {"lists": lists, "day": day, "region": reporting.no_application_region(user)},
    )


@router.get("/dashboard/no-application.xlsx")
def no_application_xlsx(request: Request, user: PageUser, session: SessionDep, date: str = ""):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    return reporting.no_application_xlsx(session, user, _day(date))


@router.get("/dashboard/no-application.pdf")
async def no_application_pdf(request: Request, user: PageUser, session: SessionDep, date: str = ""):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    return await reporting.no_application_pdf(session, user, _day(date))


def _day(text: str) -> dt.date:
    """A date typed in the page's form; anything else is today (the form only offers dates)."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return dt.date.today()


@router.get("/dashboard/calendar.ics")
def calendar(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    f: pools.Filters = Depends(filters),
):
    """The pool's calendar: the region's windows still ahead and every certificate expiry."""
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    view = pools.apply(training.pool_of(session, settings, user), f)
    today = dt.date.today()
    body = pool_ics(pool_outlook(view, pools.calendar_region(user), today), "培育库", today)
    headers = pools.attachment("培育库申报日历.ics")
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@router.get("/dashboard/report.pdf")
async def report(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    f: pools.Filters = Depends(filters),
):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    return await reporting.pool_report(session, settings, user, f)


@router.get("/dashboard/export.xlsx")
def export(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    f: pools.Filters = Depends(filters),
):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    return pools.export_response(pools.apply(training.pool_of(session, settings, user), f))


@router.post("/dashboard/targets", dependencies=[CsrfChecked])
def add_target(
    request: Request,
    user: PageUser,
    session: SessionDep,
    ladder: str = Form(max_length=16),
    year: int = Form(ge=2000, le=2100),
    increase: int = Form(ge=1, le=1_000_000),
    note: str = Form(default="", max_length=200),
):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    if ladder not in LADDERS:
        raise ApiError(422, "unknown_ladder", "梯度无效", "unknown ladder")
    store.create_target(session, user, ladder, year, increase, note)
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/dashboard/firms/{firm_id}")
def firm_detail(firm_id: Id, request: Request, user: PageUser, session: SessionDep):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    firm = store.get_firm(session, user, firm_id)
    if firm.latest_assessment_id is None:
        raise ApiError(404, "not_found", "该企业尚无评价", "no assessment yet")
    return RedirectResponse(f"/assessments/{firm.latest_assessment_id}", status_code=303)


@router.post("/dashboard/models/train", dependencies=[CsrfChecked])
def train_model(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    job = training.start_training(session, settings, user)
    return RedirectResponse(f"/batch/{job.id}", status_code=303)


@router.get("/dashboard/models/{version}")
def model_card(
    version: str, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    meta = training.card(settings, user, version)
    return render(request, "model_card.html", {"m": meta, **training.card_rows(meta)})


@router.get("/dashboard/models/{version}/reliability.svg")
def model_reliability(version: str, request: Request, user: PageUser, settings: SettingsDep):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    training.card(settings, user, version)  # 404 unless it is this bureau's version
    path = training.models_dir(settings, user) / version / "reliability.svg"
    if not path.exists():
        raise ApiError(404, "not_found", "该模型没有校准图", "no reliability chart")
    return Response(path.read_bytes(), media_type="image/svg+xml")


@router.post("/dashboard/models/default", dependencies=[CsrfChecked])
def model_default(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    training.disable(session, settings, user)
    return RedirectResponse("/dashboard#models", status_code=303)


@router.post("/dashboard/models/{version}/use", dependencies=[CsrfChecked])
def model_use(
    version: str, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
):
    if (redirect := _bureau(request, user)) is not None:
        return redirect
    training.enable(session, settings, user, version)
    return RedirectResponse("/dashboard#models", status_code=303)
