"""The self-assessment form: five steps, money in 万元, percentages in %, blanks are unknown.

Cells are parsed by ``scoring.fields.canonicalize`` (the batch's parser), so the form and the
spreadsheet accept the same things (``1,234.5``, full-width digits, 是/否) and say the same.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from scoring.fields import DEFINITIONS_ZH, ENUMS, FIELDS, canonicalize, refusal_zh, value_range
from scoring.formatting import ENUM_ZH

STEPS: list[tuple[str, list[str]]] = [
    (
        "基本情况",
        [
            "name",
            "credit_code",
            "region_code",
            "industry_code",
            "registered_on",
            "fiscal_year",
            "in_high_tech_zone",
            "high_tech_field",
            "key_field",
            "strategic_emerging",
            "niche_years",
            "niche_market_share",
            "niche_market_rank_cn",
            "restricted_industry",
            "is_listed",
        ],
    ),
    ("人员", ["employees", "tech_staff", "rd_staff"]),
    (
        "近三年财务",
        [
            "revenue_y0",
            "revenue_y1",
            "revenue_y2",
            "revenue_y3",
            "main_revenue_y0",
            "main_revenue_y1",
            "main_revenue_y2",
            "high_tech_income_y0",
            "total_income_y0",
            "total_assets_y0",
            "total_assets_y1",
            "total_liabilities_y0",
            "total_liabilities_y1",
            "net_assets_y0",
            "net_assets_y1",
            "net_assets_y2",
            "net_profit_y0",
            "net_profit_y1",
            "net_profit_y2",
            "net_profit_y3",
            "taxable_income_y0",
            "cost_expense_total_y0",
            "rd_expense_y0",
            "rd_expense_y1",
            "rd_expense_y2",
            "rd_expense_domestic_3y",
            "equity_financing_y0",
            "equity_financing_y1",
            "equity_financing_y2",
        ],
    ),
    (
        "知识产权与成果",
        [
            "ip_class1",
            "ip_class2",
            "ip_class1_main_product",
            "ip_class1_high_value",
            "ip_acquisition",
            "ip_class1_newest_grant_year",
            "ip_class2_used_before",
            "ip_rightholder_top3",
            "standards_led",
            "tech_conversions_3y",
            "national_award_5y",
            "national_award_3y",
            "provincial_award_3y",
            "maker_china_rank",
            "hte_advancement",
            "hte_core_support",
            "srdi_local_points",
            "srdi_dev_score",
            "srdi_dev_score_prev",
        ],
    ),
    (
        "管理与资质",
        [
            "rd_institution_level",
            "credit_rating_score",
            "quality_certified",
            "own_brand",
            "digital_level",
            "rd_mgmt_system",
            "rd_mgmt_institution",
            "rd_mgmt_incentive",
            "rd_mgmt_talent",
            "is_high_tech",
            "high_tech_certified_on",
            "is_tech_sme",
            "is_innovative_sme",
            "is_srdi_sme",
            "srdi_sme_certified_on",
            "little_giant_certified_on",
            "major_incident_1y",
            "on_dishonesty_list",
        ],
    ),
]
UNKNOWN = "不清楚"


def unit_label(name: str) -> str:
    spec = FIELDS[name]
    if spec.type == "money":
        return "万元"
    if spec.unit == "ratio":
        return "%"
    return {"persons": "人", "items": "项", "years": "年", "points": "分"}.get(spec.unit, "")


def scale(name: str) -> float:
    spec = FIELDS[name]
    return 1e4 if spec.type == "money" else 0.01 if spec.unit == "ratio" else 1.0


def widget(name: str) -> dict[str, Any]:
    spec = FIELDS[name]
    if spec.type == "bool":
        return {"kind": "select", "options": [("", UNKNOWN), ("是", "是"), ("否", "否")]}
    if name in ENUMS:
        return {
            "kind": "select",
            "options": [("", UNKNOWN)] + [(ENUM_ZH[k], ENUM_ZH[k]) for k in ENUMS[name]],
        }
    if spec.type == "date":
        return {"kind": "date"}
    if spec.type in ("money", "integer", "number"):
        return {"kind": "number"}
    return {"kind": "text"}


HINTS = {
    "name": "与营业执照一致",
    "credit_code": "18位，末位为校验码",
    "region_code": "6位行政区划代码（如 330106），用于匹配地方瞪羚企业规则",
    "industry_code": "《国民经济行业分类》代码，如 C3976",
    "fiscal_year": "最近一个完整会计年度，记为y0；y1、y2为其前一、二年",
    "niche_market_share": "填百分数，如 12.5",
    "rd_expense_domestic_3y": "y0、y1、y2三年合计",
    "maker_china_rank": "1为第一名；未获奖留空",
    "digital_level": "1–4级",
    "hte_advancement": "高企评审专家打分口径，0–8分",
    "hte_core_support": "高企评审专家打分口径，0–8分",
}


def hint(name: str) -> str:
    """A short Chinese note on what to enter (the contract's definitions are in English)."""
    spec = FIELDS[name]
    if name in DEFINITIONS_ZH:
        return DEFINITIONS_ZH[name]
    if name in HINTS:
        return HINTS[name]
    if spec.type == "money":
        return "单位万元，可填小数；不清楚可留空" + ("；亏损填负数" if "profit" in name else "")
    if spec.type == "date":
        return "年-月-日"
    if spec.type == "bool" or name in ENUMS:
        return "不清楚可选“不清楚”"
    if spec.type == "integer":
        return "整数；不清楚可留空"
    return ""


def form_spec() -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "fields": [
                {
                    "name": n,
                    "label": FIELDS[n].label_zh,
                    "unit": unit_label(n),
                    "help": hint(n),
                    **widget(n),
                }
                for n in names
            ],
        }
        for title, names in STEPS
    ]


_MONEY_WORDS = re.compile(r"^([+-]?[\d.,，]+)\s*(万元|万|亿元|亿|元)$")
_WAN = {"万元": 1.0, "万": 1.0, "亿元": 1e4, "亿": 1e4, "元": 1e-4}


def money_text(text: str) -> str:
    """A money cell written with its unit ("380万", "1.2亿", "5000元") in the form's 万元."""
    match = _MONEY_WORDS.match(text.replace(" ", ""))
    if not match:
        return text
    try:
        value = float(match.group(1).replace(",", "").replace("，", "")) * _WAN[match.group(2)]
    except ValueError:
        return text
    return f"{value:.12g}"


def message(name: str, parser_zh: str) -> str:
    """A refused value said in the form's own units (a refused form scores nothing, so the
    batch's "按未知处理" does not apply)."""
    if "超出合理范围" in parser_zh:
        low, high = value_range(name)
        s, unit = scale(name), unit_label(name)
        if low == 0 and high == float("inf"):
            return "不能为负数"
        low, high = low / s if s == 0.01 else low, high / s if s == 0.01 else high
        if high == float("inf"):
            return f"应不小于{low:g}{unit}"
        return f"应在{low:g}–{high:g}{'' if unit == '%' else unit}之间" + (
            "（填百分数）" if unit == "%" else ""
        )
    if "不是有效数字" in parser_zh:
        money = FIELDS[name].type == "money"
        return "请填写数字" + ("（万元，可写“380万”“1.2亿”）" if money else "")
    return refusal_zh(name, parser_zh)


def parse(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form values → firm input (yuan, ratios) and messages per field for what cannot be read."""
    raw = {n: str(form.get(n, "")).strip() for n in FIELDS}
    raw = {n: v for n, v in raw.items() if v and v != UNKNOWN}
    raw = {n: money_text(v) if FIELDS[n].type == "money" else v for n, v in raw.items()}
    errors: dict[str, str] = {}
    if not raw.get("name"):
        errors["name"] = "请填写企业名称"
    frame = canonicalize(
        pd.DataFrame([raw], columns=list(raw)) if raw else pd.DataFrame([{}]),
        {n: scale(n) for n in raw if scale(n) != 1.0},
    )
    for e in frame.errors:
        if e.severity == "error":
            errors.setdefault(e.field, message(e.field, e.zh))
    data: dict[str, Any] = {}
    for n, v in raw.items():
        if n in errors:
            continue
        if scale(n) != 1.0:
            data[n] = float(frame.num(n)[0])
        else:
            data[n] = v
    return data, errors


def form_values(data: dict[str, Any]) -> dict[str, str]:
    """A stored firm input shown again in the form's units."""
    out = {}
    for n, v in data.items():
        if n not in FIELDS or v is None:
            continue
        s = scale(n)
        if s != 1.0:
            try:
                out[n] = f"{float(v) / s:.12g}"  # every digit back, not 6
            except (TypeError, ValueError):
                out[n] = str(v)
        elif FIELDS[n].type == "bool":
            out[n] = {
                "1": "是",
                "0": "否",
                "True": "是",
                "False": "否",
                "1.0": "是",
                "0.0": "否",
            }.get(str(v), str(v))
        elif n in ENUMS:
            out[n] = ENUM_ZH.get(str(v), str(v))
        else:
            out[n] = str(v)
    return out
