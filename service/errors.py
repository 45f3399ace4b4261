"""Errors as JSON with a code and a message in Chinese and English; bad input is 4xx, never 5xx."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from batch import BatchError
from scoring.api import InputError


class ApiError(Exception):
    def __init__(self, status: int, code: str, zh: str, en: str, **extra):
        super().__init__(en)
        self.status, self.code, self.zh, self.en, self.extra = status, code, zh, en, extra


def not_found(what_zh: str = "记录", what_en: str = "record") -> ApiError:
    # also what another user's record looks like: its existence is not disclosed
    return ApiError(404, "not_found", f"{what_zh}不存在", f"{what_en} not found")


def body(code: str, zh: str, en: str, **extra) -> dict:
    return {"error": {"code": code, "message_zh": zh, "message_en": en, **extra}}


HTTP_TEXT = {
    400: ("bad_request", "请求有误", "bad request"),
    401: ("unauthenticated", "请先登录", "authentication required"),
    403: ("forbidden", "没有权限", "forbidden"),
    404: ("not_found", "页面或记录不存在", "not found"),
    405: ("method_not_allowed", "不支持的请求方法", "method not allowed"),
    413: ("too_large", "上传内容过大", "request too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "unsupported media type"),
}


def for_pages(path: str) -> bool:
    """A request a person's browser made from a page (not the API, its docs or static files):
    its errors are pages in Chinese with a way back, never raw JSON."""
    return not path.startswith(("/api/", "/docs", "/static/"))


def install(app: FastAPI, page=None) -> None:
    """Error handlers; ``page(request, status, code, zh)`` renders a page route's error
    (given by the app, so this module needs no templates)."""

    def respond(request: Request, status: int, code: str, zh: str, en: str, **extra):
        if page is not None and for_pages(request.url.path):
            return page(request, status, code, zh)
        return JSONResponse(body(code, zh, en, **extra), status_code=status)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return respond(request, exc.status, exc.code, exc.zh, exc.en, **exc.extra)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        return respond(
            request, 422, "invalid_firm", exc.zh, exc.en, fields=exc.fields, details=exc.details
        )

    @app.exception_handler(BatchError)
    async def _batch_error(request: Request, exc: BatchError):
        return respond(request, 400, "unreadable_file", exc.zh, exc.en)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")}
            for e in exc.errors()
        ]
        return respond(
            request,
            422,
            "invalid_request",
            "提交的内容不符合要求，请返回检查后重试",
            "invalid request",
            details=details,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, zh, en = HTTP_TEXT.get(exc.status_code, ("http_error", "请求失败", "request failed"))
        if exc.status_code == 401 and for_pages(request.url.path):
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        response = respond(request, exc.status_code, code, zh, en)
        if exc.status_code == 405 and getattr(exc, "headers", None):
            response.headers.update(exc.headers)
        return response
