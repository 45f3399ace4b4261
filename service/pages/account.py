"""Home, sign-in and sign-out, API tokens."""

from __future__ import annotations

import math
import time

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from service import accounts, throttle
from service.accounts import MIN_PASSWORD
from service.deps import CsrfChecked, SessionDep
from service.errors import ApiError
from service.models import ApiToken, User
from service.pages.common import PageUser, login_redirect, safe_next
from service.pages.render import render
from service.security import new_api_token, verify_password
from service.store import end_sessions

router = APIRouter()


@router.get("/")
def home(request: Request, user: PageUser):
    return render(request, "home.html", {})


@router.get("/login")
def login_page(request: Request, user: PageUser, next: str = "/"):
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    session: SessionDep,
    username: str = Form(max_length=64),
    password: str = Form(max_length=256),
    next: str = Form(default="/", max_length=500),
):
    request.state.user = None
    t = time.time()
    names = throttle.keys(username, request.client.host if request.client else None)
    wait = throttle.retry_after(session, names, t)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        response = render(
            request,
            "login.html",
            {"next": safe_next(next), "error": f"登录失败次数过多，请{minutes}分钟后再试"},
            429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    user = session.exec(select(User).where(User.username == username.strip())).first()
    # the same argon2 work for an unknown user as for a wrong password (no timing oracle)
    good = verify_password(user.password_hash if user else None, password)
    if user is None or not user.is_active or not good:
        throttle.failed(session, names, t)
        return render(
            request, "login.html", {"next": safe_next(next), "error": "用户名或密码不正确"}, 400
        )
    throttle.succeeded(session, names[0])
    start_session(request, user)
    default = "/dashboard" if user.role in ("bureau", "admin") else "/firms"
    return RedirectResponse(safe_next(next) if next != "/" else default, status_code=303)


def start_session(request: Request, user: User) -> None:
    """A new session on sign-in (no fixation); an anonymous result waiting to be saved
    travels into it."""
    pending = request.session.get("pending_save")
    request.session.clear()
    request.session["uid"] = user.id
    request.session["gen"] = user.session_generation
    if pending:
        request.session["pending_save"] = pending


@router.get("/signup")
def signup_page(request: Request, user: PageUser, next: str = "/firms"):
    return _signup(request, safe_next(next), {}, None)


def _signup(request: Request, next: str, values: dict, error: str | None, status: int = 200):
    context = {"next": next, "values": values, "error": error, "min_password": MIN_PASSWORD}
    return render(request, "signup.html", context, status)


@router.post("/signup", dependencies=[CsrfChecked])
def signup(
    request: Request,
    session: SessionDep,
    username: str = Form(max_length=64),
    password: str = Form(max_length=256),
    password2: str = Form(max_length=256),
    firm_name: str = Form(max_length=200),
    credit_code: str = Form(max_length=18),
    next: str = Form(default="/firms", max_length=500),
):
    """A firm signs itself up: an account and its firm record (the credit code checked)."""
    request.state.user = None
    values = {"username": username, "firm_name": firm_name, "credit_code": credit_code}
    if password != password2:
        return _signup(request, safe_next(next), values, "两次输入的密码不一致", 422)
    t = time.time()
    names = [throttle.signup_key(request.client.host if request.client else None)]
    wait = throttle.retry_after(session, names, t)
    if wait is not None:
        response = _signup(request, safe_next(next), values, "注册过于频繁，请稍后再试", 429)
        response.headers["Retry-After"] = str(wait)
        return response
    throttle.failed(session, names, t)
    try:
        user, _ = accounts.sign_up_firm(session, username, password, firm_name, credit_code)
    except ApiError as exc:
        return _signup(request, safe_next(next), values, exc.zh, exc.status)
    start_session(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep):
    """Signs out everywhere: the user's session generation moves on, so every cookie made
    before (another browser, a copied cookie) is refused too."""
    uid = request.session.get("uid")
    user = session.get(User, uid) if uid is not None else None
    if user is not None:
        end_sessions(session, user)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/account")
def account(request: Request, user: PageUser, session: SessionDep):
    if user is None:
        return login_redirect(request)
    tokens = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    return render(request, "account.html", {"tokens": tokens, "new_token": None})


@router.post("/account/tokens", dependencies=[CsrfChecked])
def create_token(
    request: Request,
    user: PageUser,
    session: SessionDep,
    name: str = Form(default="", max_length=64),
):
    if user is None:
        return login_redirect(request)
    token, digest = new_api_token()
    session.add(ApiToken(user_id=user.id, name=name, token_hash=digest))
    session.commit()
    tokens = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    return render(request, "account.html", {"tokens": tokens, "new_token": token})
