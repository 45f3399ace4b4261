"""The error responses the OpenAPI document declares: every error has one body."""

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. not_found, invalid_firm, csrf")
    message_zh: str
    message_en: str
    details: list[Any] | dict[str, Any] | None = Field(
        default=None, description="per field where there are; or the facts behind a refusal"
    )
    fields: list[str] | None = None


class ErrorBody(BaseModel):
    """Every error the API returns."""

    error: ErrorDetail


def _error(text: str) -> dict:
    return {"model": ErrorBody, "description": text}


ERRORS = {
    422: _error("the request cannot be used (each field named)"),
    429: _error("too many requests (Retry-After says when to try again)"),
}
UNAUTHENTICATED = {401: _error("not signed in, or an invalid API token")}
FORBIDDEN = {403: _error("signed in, but not allowed (role, or CSRF on a cookie request)")}

NOT_FOUND = {404: _error("no such record, or not the caller's (its existence is not disclosed)")}
NOT_READY = {409: _error("not ready: the job has not finished, or the pool cannot train yet")}
BAD_FILE = {
    400: _error("the file cannot be read: empty_file, not a spreadsheet, unknown encoding"),
    413: _error("the upload is larger than the limit"),
}
