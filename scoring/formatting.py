"""How values read to a person, in Chinese and English."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from scoring.fields import ENUMS

ENUM_ZH = {canon: aliases[0] for values in ENUMS.values() for canon, aliases in values.items()}
ENUM_ZH["own"] = "自建或联合"


def is_unknown(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def fmt_value(value, unit: str, lang: str = "zh") -> str:
    """A metric or field value in the unit people use (万元 for money, % for ratios)."""
    if is_unknown(value):
        return "未填写" if lang == "zh" else "missing"
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
    if isinstance(value, str):
        return ENUM_ZH.get(value, value) if lang == "zh" else value
    value = float(value)
    if math.isinf(value):
        if value < 0:
            return "不适用（基期非正）" if lang == "zh" else "n/a (non-positive base)"
        return "∞"
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == "money":
        return fmt_money(value, lang)
    if unit == "bool":
        return ("是" if value == 1 else "否") if lang == "zh" else ("yes" if value == 1 else "no")
    if unit == "date":  # days since 1970 (a date metric)
        return str(np.datetime64(int(value), "D"))
    if unit == "days":
        return f"{value:.0f}天" if lang == "zh" else f"{value:.0f} days"
    if unit == "years":
        return f"{value:.1f}年" if lang == "zh" else f"{value:.1f} years"
    if unit == "count":  # an average of counts (2.333…) reads as 2.33
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:g}"


def fmt_chance(p: float | None) -> str:
    """A model's probability as a person should read it: never a promise ("<1%", ">99%")."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    if p < 0.01:
        return "<1%"
    if p > 0.99:
        return ">99%"
    return f"{p * 100:.0f}%"


def fmt_money(yuan: float, lang: str = "zh") -> str:
    if lang == "zh":
        if abs(yuan) >= 1e8:
            return f"{yuan / 1e8:,.2f}亿元"
        return f"{yuan / 1e4:,.2f}万元"
    if abs(yuan) >= 1e6:
        return f"¥{yuan / 1e6:,.2f}M"
    return f"¥{yuan:,.0f}"


def fmt_threshold(op: str, target, unit: str, lang: str = "zh") -> str:
    """A rule's threshold as text ("≥ 5.00%"); thresholds repeat, so the text is cached."""
    key = tuple(target) if isinstance(target, list) else target
    return _threshold_text(op, key, unit, lang)


@lru_cache(maxsize=4096)
def _threshold_text(op: str, target, unit: str, lang: str) -> str:
    from scoring.conditions import OP_SYMBOL

    target = list(target) if isinstance(target, tuple) else target

    if op == "eq" and unit == "bool":
        return fmt_value(float(target), "bool", lang)
    if op in ("eq", "in") and unit == "text":
        values = target if isinstance(target, list) else [target]
        labels = [fmt_value(v, "text", lang) for v in values]
        return ("为" if lang == "zh" else "is ") + "/".join(labels)
    return f"{OP_SYMBOL[op]} {fmt_value(target, unit, lang)}"


GAP_UNIT_ZH = {"persons": "人", "items": "项", "days": "天", "points": "分"}


def fmt_change(change, unit: str | None) -> str:
    """A gap's least change in Chinese, signed, in the unit of its ``Gap.unit`` ("+385.60万元",
    "−4.00个百分点", "+8项"); "—" when there is no amount."""
    if is_unknown(change):
        return "—"
    sign = "+" if change > 0 else "−"
    if unit == "CNY":
        return sign + fmt_money(abs(change))
    if unit == "ratio":
        return f"{sign}{abs(change) * 100:.2f}个百分点"
    return f"{sign}{abs(change):g}{GAP_UNIT_ZH.get(unit or '', '')}"


def fmt_estimator(kind: str | None) -> str:
    """The readiness estimator in Chinese: 梯度提升, 逻辑回归, 规则距离, 混合（梯度提升25%）."""
    from scoring.vocabulary import ESTIMATOR_ZH

    if not kind:
        return ""
    if kind.startswith("blend"):
        return f"混合（梯度提升{float(kind[5:]):.0%}）"
    return ESTIMATOR_ZH.get(kind, kind)
