"""Server-rendered pages (Jinja2, Simplified Chinese, usable without JavaScript)."""

from fastapi import APIRouter

from service.pages import account, admin, assess, batch, dashboard

router = APIRouter(include_in_schema=False)
for module in (account, admin, assess, batch, dashboard):
    router.include_router(module.router)
