"""What every page route needs: the signed-in user (or none) and form CSRF checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from service.deps import SessionDep, optional_user
from service.models import User


def page_user(request: Request, session: SessionDep) -> User | None:
    user = optional_user(request, session)
    request.state.user = user
    return user


PageUser = Annotated[User | None, Depends(page_user)]


def login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
