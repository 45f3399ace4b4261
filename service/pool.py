"""A bureau's candidate pool: counts per ladder and status, the near-threshold list, filters,
and spreadsheet export. The pool is read from each firm's latest assessment."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pandas as pd

from batch.writers import neutralize
from reports.pool import within_reach  # noqa: F401 (the dashboard's and the API's)
from scoring import LADDERS
from scoring.filing_calendar import pool_outlook
from scoring.vocabulary import LADDER_NAMES, PATH, STATUS_ZH, STATUSES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Filters:
    ladder: str | None = None
    status: str | None = None
    industry: str | None = None
    region: str | None = None
    missing: bool = False  # only firms with a ladder undetermined for missing data
    near: bool = False  # only firms near some ladder (or the chosen one)
    q: str | None = None  # name or credit code

    def clean(self) -> Filters:
        return Filters(
            ladder=self.ladder if self.ladder in LADDERS else None,
            status=self.status if self.status in STATUSES else None,
            industry=(self.industry or "").strip()[:8] or None,
            region=(self.region or "").strip()[:12] or None,
            missing=bool(self.missing),
            near=bool(self.near),
            q=(self.q or "").strip()[:100] or None,
        )


def apply(pool: pd.DataFrame, f: Filters) -> pd.DataFrame:
    f = f.clean()
    keep = pd.Series(True, index=pool.index)
    ladders = [f.ladder] if f.ladder else list(LADDERS)
    if f.status:
        keep &= pool[[f"{k}_status" for k in ladders]].eq(f.status).any(axis=1)
    if f.missing:
        keep &= pool[[f"{k}_status" for k in ladders]].eq("undetermined").any(axis=1)
    if f.near:
        keep &= pool["near"].map(lambda items: any(i["ladder"] in ladders for i in items or []))
    if f.industry:
        keep &= pool["industry_code"].astype(str).str.startswith(f.industry)
    if f.region:
        keep &= pool["region_code"].astype(str).str.startswith(f.region)
    if f.q:
        keep &= pool["name"].astype(str).str.contains(f.q, regex=False) | pool[
            "credit_code"
        ].astype(str).str.contains(f.q.upper(), regex=False)
    return pool[keep]


def funnel(pool: pd.DataFrame) -> list[dict]:
    """Per ladder on the usual path: firms per status."""
    out = []
    for ladder in PATH:
        col = pool[f"{ladder}_status"] if len(pool) else pd.Series(dtype=str)
        counts = {s: int((col == s).sum()) for s in STATUSES}
        out.append({"ladder": ladder, "name_zh": LADDER_NAMES[ladder][0], **counts})
    return out


def near_list(pool: pd.DataFrame, ladder: str | None = None) -> list[dict]:
    """Firms near a ladder, by ladder on the path and the closest first."""
    rows = []
    for firm in pool.itertuples():
        for item in firm.near or []:
            if ladder and item["ladder"] != ladder:
                continue
            rows.append(
                {
                    "firm_id": firm.id,
                    "name": firm.name,
                    "credit_code": firm.credit_code,
                    "ladder": item["ladder"],
                    "ladder_zh": LADDER_NAMES[item["ladder"]][0],
                    "rule_id": item["rule_id"],
                    "shortfall": item["shortfall"],
                    "zh": item["zh"],
                    "readiness": _chance(firm, item["ladder"]),
                }
            )
    rows.sort(key=lambda r: (PATH.index(r["ladder"]), r["shortfall"]))
    return rows


def calendar_region(user) -> str:
    """The region whose filing windows a bureau sees: its first (a province sees its own)."""
    regions = user.regions()
    return regions[0] if regions else ""


def outlook_json(pool: pd.DataFrame, user, today: dt.date) -> dict:
    """The pool's calendar for the API: the region's windows and the certificates due."""
    outlook = pool_outlook(pool, calendar_region(user), today)
    return {
        "windows": [w.model_dump(mode="json") for w in outlook["windows"]],
        "renewals_due": outlook["due"],
        "until": outlook["horizon"].isoformat(),
    }


def _chance(firm, ladder: str) -> float | None:
    """The firm's 12-month readiness for ``ladder`` from its latest assessment, if any."""
    value = getattr(firm, f"{ladder}_readiness", None)
    return None if value is None or pd.isna(value) else float(value)


def visit_first(pool: pd.DataFrame, limit: int = 10) -> list[dict]:
    """Firms to visit first: not yet meeting their next rung, by the readiness model's
    probability of reaching it within 12 months, highest first."""
    rows = []
    for firm in pool.itertuples():
        ladder = getattr(firm, "next_rung", "") or ""
        if ladder not in LADDER_NAMES or getattr(firm, f"{ladder}_status", "") == "eligible":
            continue
        chance = _chance(firm, ladder)
        if chance is not None:
            rows.append(
                {
                    "firm_id": firm.id,
                    "name": firm.name,
                    "ladder": ladder,
                    "ladder_zh": LADDER_NAMES[ladder][0],
                    "readiness": chance,
                    "model": getattr(firm, "readiness_model", "") or "",
                }
            )
    rows.sort(key=lambda r: -r["readiness"])
    return rows[:limit]


def export_xlsx(pool: pd.DataFrame) -> bytes:
    """The filtered pool as a workbook: Chinese headers, no live formulas."""
    from rustpy_xlsxwriter import FastExcel, Format

    columns = {
        "name": "企业名称",
        "credit_code": "统一社会信用代码",
        "region_code": "行政区划代码",
        "industry_code": "行业代码",
    }
    out = (
        pd.DataFrame({zh: pool[c].astype(str) for c, zh in columns.items()})
        if len(pool)
        else pd.DataFrame(columns=list(columns.values()))
    )
    for ladder in LADDERS:
        name = LADDER_NAMES[ladder][0]
        out[f"{name}·结果"] = (
            pool[f"{ladder}_status"].map(STATUS_ZH).fillna("") if len(pool) else []
        )
        score = pool.get(f"{ladder}_score")
        out[f"{name}·得分"] = score.astype(float) if score is not None and len(pool) else []
        chance = pool.get(f"{ladder}_readiness")
        if chance is not None:
            out[f"{name}·12个月内晋级概率"] = chance.astype(float) if len(pool) else []
    if len(pool):
        out["临近门槛"] = pool["near"].map(
            lambda items: "；".join(
                f"{LADDER_NAMES[i['ladder']][0]}：{i['zh']}" for i in items or []
            )
        )
        nxt = pool.get("next_rung", pd.Series("", index=pool.index)).fillna("")
        out["建议下一目标"] = nxt.map(lambda k: LADDER_NAMES[k][0] if k in LADDER_NAMES else "")
        if "readiness_model" in pool:
            out["晋级概率模型"] = pool["readiness_model"].fillna("").astype(str)
        out["数据年度"] = pool["period"].map(lambda v: "" if v is None or v != v else str(int(v)))
        out["数据来源"] = pool["source_zh"].fillna("").astype(str)
    buf = io.BytesIO()
    header = Format().set_bold().set_background_color("#DDEBF7")
    data = neutralize(out)
    FastExcel(buf).freeze(row=1, col=1).sheet(
        "企业名单",
        data.astype(object).where(data.notna(), None)
        if len(data)
        else [{"说明": "没有符合筛选条件的企业"}],
        autofilter=True,
        header_format=header,
        column_width=16,
    ).save()
    return buf.getvalue()


def export_response(view: pd.DataFrame):
    """The filtered pool as a workbook download."""
    from fastapi.responses import Response

    return Response(export_xlsx(view), media_type=XLSX, headers=attachment("企业名单.xlsx"))


def attachment(filename: str) -> dict[str, str]:
    """A download header for a Chinese file name (RFC 5987)."""
    from urllib.parse import quote

    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}
