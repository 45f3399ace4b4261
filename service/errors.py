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


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError):
        return JSONResponse(body(exc.code, exc.zh, exc.en, **exc.extra), status_code=exc.status)

    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError):
        return JSONResponse(
            body("invalid_firm", exc.zh, exc.en, fields=exc.fields), status_code=422
        )

    @app.exception_handler(BatchError)
    async def _batch_error(_: Request, exc: BatchError):
        return JSONResponse(body("unreadable_file", exc.zh, exc.en), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse(
            body("invalid_request", "请求数据不符合要求", "invalid request", details=details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, zh, en = HTTP_TEXT.get(exc.status_code, ("http_error", "请求失败", "request failed"))
        if exc.status_code == 401 and not request.url.path.startswith("/api/"):
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse(body(code, zh, en), status_code=exc.status_code)
