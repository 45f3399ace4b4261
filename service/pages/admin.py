"""The administrator's page: accounts (create, disable, enable, reset a password) and the
audit log of writes. The same rules as `tiering users` (``service.accounts``)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from service import accounts, audit
from service.deps import CsrfChecked, Id, SessionDep
from service.errors import ApiError, not_found
from service.models import User
from service.pages.common import PageUser, login_redirect
from service.pages.render import render

router = APIRouter()
PAGE = 100


def _admin(request: Request, user):
    if user is None:
        return login_redirect(request)
    if user.role != "admin":
        raise ApiError(403, "forbidden", "仅限管理员", "administrators only")
    return None


def _page(request, session, offset=0, error=None, shown_password=None, status=200):
    users = session.exec(select(User).order_by(User.username)).all()
    total, events = audit.recent(session, PAGE, offset)
    names = {u.id: u.username for u in users}
    context = {
        "users": users,
        "events": events,
        "total": total,
        "offset": offset,
        "page": PAGE,
        "action_zh": audit.ACTION_ZH,
        "names": names,
        "error": error,
        "shown_password": shown_password,
    }
    return render(request, "admin.html", context, status)


@router.get("/admin")
def admin_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
):
    if (redirect := _admin(request, user)) is not None:
        return redirect
    return _page(request, session, offset)


@router.post("/admin/users", dependencies=[CsrfChecked])
def add_user(
    request: Request,
    user: PageUser,
    session: SessionDep,
    username: str = Form(max_length=64),
    role: str = Form(max_length=16),
    display_name: str = Form(default="", max_length=128),
    regions: str = Form(default="", max_length=512),
):
    """A new account with a random first password, shown once."""
    if (redirect := _admin(request, user)) is not None:
        return redirect
    password = secrets.token_urlsafe(12)
    try:
        made = accounts.create_user(session, user, username, password, role, display_name, regions)
    except ApiError as exc:
        return _page(request, session, error=exc.zh, status=exc.status)
    return _page(request, session, shown_password=(made.username, password))


def _target(session, user_id: int) -> User:
    target = session.get(User, user_id)
    if target is None:
        raise not_found("用户", "user")
    return target


@router.post("/admin/users/{user_id}/active", dependencies=[CsrfChecked])
def set_active(
    user_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    active: bool = Form(),
):
    if (redirect := _admin(request, user)) is not None:
        return redirect
    target = _target(session, user_id)
    if target.id == user.id and not active:
        return _page(request, session, error="不能停用自己的账号", status=422)
    accounts.set_active(session, user, target, active)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{user_id}/reset", dependencies=[CsrfChecked])
def reset(user_id: Id, request: Request, user: PageUser, session: SessionDep):
    """A new random password, shown once; every session of the user ends."""
    if (redirect := _admin(request, user)) is not None:
        return redirect
    target = _target(session, user_id)
    password = secrets.token_urlsafe(12)
    accounts.reset_password(session, user, target, password)
    return _page(request, session, shown_password=(target.username, password))
