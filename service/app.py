"""The FastAPI application: JSON API under /api/v1, pages, static files, security headers."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from scoring.readiness.predict import current_bundle
from service import errors
from service.api import router as api_router
from service.config import Settings, get_settings
from service.limits import BodyLimit
from service.pages import router as pages_router
from service.pages.render import error_page
from service.security import DOCS_CSP, SECURITY_HEADERS

STATIC = __import__("pathlib").Path(__file__).resolve().parent / "static"
DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>tiering API 文档</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>
"""


@asynccontextmanager
async def _lifespan(app: FastAPI):
    yield
    from reports.render import stop_renderer

    stop_renderer()  # the PDF processes go with the server, not left behind as orphans


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="tiering 科技企业梯度培育评估",
        version="0.2.0",
        description="Where a firm stands on China's technology-enterprise ladders, why, and what "
        "it lacks. Errors are JSON with a code and messages in Chinese and English.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from local assets (service/static/swagger)
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="tiering_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.cookies_secure,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path == "/docs":
            response.headers["Content-Security-Policy"] = DOCS_CSP
        signed_in = request.scope.get("session", {}).get("uid") is not None
        if signed_in or request.headers.get("authorization"):
            # a firm's financials or a county's pool must not stay in a shared cache
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(BodyLimit, max_bytes=lambda: settings.upload_max_bytes)
    errors.install(app, page=error_page)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    current_bundle()  # the readiness model loads once per process, not in the first request
    return app
