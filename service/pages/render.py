"""Jinja2 rendering for the pages: autoescaped templates, Chinese labels, SVG chart geometry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from reports.charts import radar
from reports.render import TEMPLATES as REPORT_TEMPLATES
from reports.render import field_labels
from scoring import LADDERS
from scoring.explain import review_summary
from scoring.fields import FIELDS
from scoring.formatting import fmt_chance, fmt_change, fmt_estimator
from scoring.vocabulary import (
    LADDER_NAMES,
    PATH,
    TEMPLATE_LABELS,
)
from service.deps import csrf_token

# the pages' own templates, then the reports' (the chart macros both use)
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).resolve().parents[1] / "templates", REPORT_TEMPLATES]
)
TEMPLATES.env.autoescape = True  # every page, whatever the file name
TEMPLATES.env.filters["field_labels"] = field_labels
TEMPLATES.env.filters["chance"] = fmt_chance
TEMPLATES.env.filters["estimator"] = fmt_estimator
TEMPLATES.env.filters["change"] = fmt_change


ERROR_TITLES = {
    400: "无法处理该请求",
    403: "没有权限或页面已过期",
    404: "页面或记录不存在",
    405: "不支持的操作",
    409: "暂时还不能这样做",
    413: "上传内容过大",
    422: "提交的内容有误",
    429: "操作过于频繁",
}


def error_page(request: Request, status: int, code: str, message: str):
    """A page route's error in Chinese with a way back (the referring page of this site)."""
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    back = referer[len(origin) :] if referer.startswith(origin + "/") else "/"
    back = back if back.startswith("/") and not back.startswith("//") else "/"
    title = ERROR_TITLES.get(status, "出错了")
    context = {"title": title, "message": message, "status": status, "code": code, "back": back}
    return render(request, "error.html", context, status)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200):
    base = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf": csrf_token(request),
        "ladders": LADDERS,
        "path": PATH,
        "ladder_zh": {k: v[0] for k, v in LADDER_NAMES.items()},
        "review_summary": review_summary,
        **TEMPLATE_LABELS,
        "fields": FIELDS,
        "radar": radar,
        "pending": bool(request.session.get("pending_save")),
    }
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status)
