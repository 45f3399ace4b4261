"""PDF guidance reports: the firm's diagnosis (企业梯度培育诊断报告) and the bureau's pool
briefing (区域科技企业梯度培育分析报告). Jinja2 HTML rendered by WeasyPrint, locked down
(``reports.render``).

    reports.firm_report_pdf(result)        -> bytes   one assessed firm
    reports.pool_report_pdf(pool, ...)     -> bytes   a pool of assessed firms
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from reports.firm import firm_context
from reports.pool import pool_context
from reports.render import ReportError, environment, html_to_pdf, render_isolated
from scoring.models import Assessment

__all__ = [
    "ReportError",
    "firm_report_html",
    "firm_report_pdf",
    "no_application_pdf",
    "pool_report_html",
    "pool_report_pdf",
]


def firm_report_html(result: Assessment, created: dt.date | None = None) -> str:
    context = firm_context(result, created or dt.date.today())
    return environment().get_template("firm.html").render(**context)


def firm_report_pdf(
    result: Assessment, created: dt.date | None = None, *, isolated: bool = True
) -> bytes:
    """The firm report as PDF; ``isolated`` renders in the limited worker process."""
    html = firm_report_html(result, created)
    return render_isolated(html) if isolated else html_to_pdf(html)


def pool_report_html(pool: pd.DataFrame, created: dt.date | None = None, **options) -> str:
    context = pool_context(pool, created or dt.date.today(), **options)
    return environment().get_template("pool.html").render(**context)


def pool_report_pdf(
    pool: pd.DataFrame, created: dt.date | None = None, *, isolated: bool = True, **options
) -> bytes:
    """The pool briefing as PDF (``options``: title, region, targets, previous; see
    ``reports.pool.pool_context``)."""
    html = pool_report_html(pool, created, **options)
    return render_isolated(html) if isolated else html_to_pdf(html)


def no_application_pdf(lists, day: dt.date, region: str, *, isolated: bool = True) -> bytes:
    """The 免申即享 annex: per award the firms that meet it on ``day``, with the evidence."""
    from scoring.no_application import evidence_hash
    from scoring.vocabulary import LADDER_ZH, TEMPLATE_LABELS

    html = (
        environment()
        .get_template("no_application.html")
        .render(
            lists=lists,
            day=day.isoformat(),
            region=region,
            created=dt.date.today().isoformat(),
            firms=sum(len(al.items) for al in lists),
            evidence=evidence_hash,
            ladder_zh=LADDER_ZH,
            **TEMPLATE_LABELS,
        )
    )
    return render_isolated(html) if isolated else html_to_pdf(html)
