"""The JSON API, versioned under /api/v1."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.api import account, assess, batches, criteria, firms, pool


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. not_found, invalid_firm, csrf")
    message_zh: str
    message_en: str
    details: list[Any] | None = Field(default=None, description="per field, where there are")
    fields: list[str] | None = None


class ErrorBody(BaseModel):
    """Every error the API returns."""

    error: ErrorDetail


def _error(text: str) -> dict:
    return {"model": ErrorBody, "description": text}


ERRORS = {
    401: _error("not signed in, or an invalid API token"),
    403: _error("signed in, but not allowed (role, region, CSRF)"),
    422: _error("the request cannot be used (each field named)"),
    429: _error("too many requests (Retry-After says when to try again)"),
}

router = APIRouter(prefix="/api/v1", responses=ERRORS)
for module in (assess, criteria, firms, batches, pool, account):
    router.include_router(module.router)
