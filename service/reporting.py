"""PDF reports for the service: a stored assessment's guidance report and a bureau's pool
briefing, rendered off the event loop in the reports' limited worker process."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pandas as pd
from fastapi.responses import Response

import reports
from scoring.models import Assessment as Result
from service import pool as pools
from service import store, training
from service.errors import ApiError
from service.pool import attachment

PDF = "application/pdf"


async def firm_pdf(result: dict[str, Any], filename: str) -> Response:
    """The guidance report of a stored (or just computed) result."""
    parsed = Result.model_validate(result)
    return await _pdf(lambda: reports.firm_report_pdf(parsed), filename)


async def pool_pdf(pool: pd.DataFrame, targets: list[dict], filename: str, region: str) -> Response:
    return await _pdf(
        lambda: reports.pool_report_pdf(pool, targets=targets, region=region), filename
    )


async def _pdf(make, filename: str) -> Response:
    try:
        data = await anyio.to_thread.run_sync(make)
    except reports.ReportError as exc:
        raise ApiError(503, "report_failed", exc.zh, exc.en) from exc
    return Response(data, media_type=PDF, headers=attachment(filename))


async def pool_report(session, settings, user, filters) -> Response:
    """The briefing of the pool a bureau user sees, as filtered, with its targets."""
    everything = training.pool_of(session, settings, user)
    view = pools.apply(everything, filters)
    targets = store.target_progress(session, user, everything)
    region = "区划 " + "、".join(user.regions()) if user.regions() else "全部企业"
    return await pool_pdf(view, targets, "培育库分析报告.pdf", region)


def no_application_region(user) -> str:
    return "区划 " + "、".join(user.regions()) if user.regions() else "全部地区"


async def no_application_pdf(session, user, day) -> Response:
    """The 免申即享 annex of the pool the user sees, as of ``day``."""
    from service import no_application

    lists = no_application.lists_for(session, user, day)
    region = no_application_region(user)
    return await _pdf(
        lambda: reports.no_application_pdf(lists, day, region), f"免申即享名单-{day}.pdf"
    )


def no_application_xlsx(session, user, day) -> Response:
    from service import no_application
    from service.pool import XLSX

    body = no_application.export_xlsx(no_application.lists_for(session, user, day), day)
    return Response(body, media_type=XLSX, headers=attachment(f"免申即享名单-{day}.xlsx"))
