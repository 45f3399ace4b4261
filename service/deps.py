"""Request dependencies: settings, database session, the current user, and CSRF checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyCookie, HTTPBearer
from sqlmodel import Session, select

from service.config import Settings
from service.db import engine_for
from service.errors import ApiError
from service.models import ApiToken, User, now
from service.security import csrf_ok, new_csrf_token, token_hash
from service.store import require_bureau

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(request: Request) -> Iterator[Session]:
    with Session(engine_for(request.app.state.settings.database_url)) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); forms carry it in a hidden field."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_csrf_token()
    return token


def optional_user(request: Request, session: SessionDep) -> User | None:
    """The user of a bearer API token, else of the session cookie, else None.

    A cookie-authenticated unsafe API request must carry the session's CSRF token in the
    ``X-CSRF-Token`` header (pages check their hidden field themselves, see ``check_csrf``).
    """
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        row = session.exec(
            select(ApiToken).where(ApiToken.token_hash == token_hash(auth[7:].strip()))
        ).first()
        user = session.get(User, row.user_id) if row else None
        if user is None or not user.is_active:
            raise ApiError(401, "invalid_token", "API令牌无效", "invalid API token")
        row.last_used_at = now()
        session.add(row)
        session.commit()
        return user
    uid = request.session.get("uid")
    if uid is None:
        return None
    user = session.get(User, uid)
    if (
        user is None
        or not user.is_active
        or request.session.get("gen", 0) != user.session_generation
    ):
        request.session.clear()  # signed out, deactivated or password changed since
        return None
    if (
        request.method in UNSAFE
        and request.url.path.startswith("/api/")
        and not csrf_ok(request.session.get("csrf"), request.headers.get("x-csrf-token"))
    ):
        raise ApiError(403, "csrf", "请求缺少有效的CSRF令牌", "missing or invalid CSRF token")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


# Declared for the OpenAPI document (what /docs offers); optional_user does the checking
BEARER = HTTPBearer(auto_error=False, description="an API token from /api/v1/tokens")
COOKIE = APIKeyCookie(
    name="tiering_session",
    auto_error=False,
    description="the signed-in session; unsafe methods need the X-CSRF-Token header",
)


def current_user(
    user: OptionalUser,
    _bearer: Annotated[object, Security(BEARER)] = None,
    _cookie: Annotated[object, Security(COOKIE)] = None,
) -> User:
    if user is None:
        raise ApiError(401, "unauthenticated", "请先登录", "authentication required")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def bureau_user(user: CurrentUser) -> User:
    return require_bureau(user)


BureauUser = Annotated[User, Depends(bureau_user)]


def admin_user(user: CurrentUser) -> User:
    if user.role != "admin":
        raise ApiError(403, "forbidden", "仅限管理员", "administrators only")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


async def check_csrf(request: Request) -> None:
    """For form posts from pages: the hidden ``csrf_token`` must match the session's."""
    form = await request.form()
    if not csrf_ok(request.session.get("csrf"), str(form.get("csrf_token", ""))):
        raise ApiError(
            403, "csrf", "页面已过期，请刷新后重试", "invalid CSRF token; reload the page"
        )


CsrfChecked = Depends(check_csrf)


# Ids in paths: anything past a 32-bit key is "not found", not a database overflow.
Id = Annotated[int, Path(ge=1, le=2_147_483_647, description="record id")]


# The one input rule (scoring.api.refuse_unusable), as a query parameter of every operation
# that takes one firm's values
LENIENT = Query(
    False,
    description="score a value that cannot be used (not a number, out of range, a malformed "
    "code) as unknown, listed in input_issues, instead of refusing the firm with 422",
)
