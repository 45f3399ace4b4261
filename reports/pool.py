"""The bureau pool briefing (区域科技企业梯度培育分析报告): a region's candidate pool by ladder,
its change, targets, the firms near a threshold, the commonest gaps, breakdowns, and the firms
to visit first.

The pool is a frame of the batch output contract (one row per firm: ``{ladder}_status``,
``{ladder}_failed``, ``{ladder}_readiness``, ``next_rung`` …) plus ``name``, ``region_code``,
``industry_code`` or ``high_tech_field``, and optionally ``near`` (a list of
``{ladder, rule_id, shortfall, zh}`` per firm).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pandas as pd

from scoring.rulesets import load_all
from scoring.vocabulary import LADDER_NAMES, PATH, STATUS_ZH, STATUSES

TOP = 15


def pool_context(
    pool: pd.DataFrame,
    created: dt.date,
    *,
    title: str = "区域科技企业梯度培育分析报告",
    region: str = "",
    year: int | None = None,
    targets: list[dict] | None = None,
    previous: pd.DataFrame | None = None,
    near: list[dict] | None = None,
) -> dict[str, Any]:
    """``targets``: the bureau's goals with progress (``service.store.target_progress``);
    ``previous``: last year's pool, for the change; ``near``: firms near a ladder as
    ``{name, ladder, zh, shortfall}`` when the pool has no ``near`` column."""
    pool = pool.reset_index(drop=True)
    funnel = [_counts(pool, k) for k in PATH]
    if previous is not None:
        before = {k: int((_status(previous, k) == "eligible").sum()) for k in PATH}
        for row in funnel:
            row["change"] = row["eligible"] - before[row["ladder"]]
    labels = pool.get("readiness_model", pd.Series(dtype=object)).dropna().astype(str)
    return {
        "title": title,
        "region": region,
        "year": year,
        "created": created.isoformat(),
        "total": len(pool),
        "funnel": funnel,
        "has_previous": previous is not None,
        "targets": targets or [],
        "near": _near(pool, near)[: TOP * 3],
        "common_gaps": _common_gaps(pool)[:TOP],
        "by_industry": _breakdown(pool, _industry(pool)),
        "by_region": _breakdown(pool, pool.get("region_code", pd.Series("", index=pool.index))),
        "visit": _visit_first(pool)[:20],
        "model_labels": sorted(set(labels) - {""}),
        "reach": within_reach(pool) if "near" in pool else [],
        "ladder_zh": {k: v[0] for k, v in LADDER_NAMES.items()},
        "path": PATH,
        "status_zh": STATUS_ZH,
    }


def _status(pool: pd.DataFrame, ladder: str) -> pd.Series:
    col = f"{ladder}_status"
    return pool[col].astype(str) if col in pool else pd.Series("", index=pool.index)


def _counts(pool: pd.DataFrame, ladder: str) -> dict[str, Any]:
    status = _status(pool, ladder)
    return {
        "ladder": ladder,
        "name_zh": LADDER_NAMES[ladder][0],
        **{s: int((status == s).sum()) for s in STATUSES},
    }


def _near(pool: pd.DataFrame, given: list[dict] | None) -> list[dict]:
    items = given
    if items is None:
        items = [
            {**item, "name": pool.at[i, "name"]}
            for i, firm_items in enumerate(pool.get("near", pd.Series([[]] * len(pool))))
            for item in firm_items or []
        ]
    rows = [
        {
            "name": item["name"],
            "ladder_zh": LADDER_NAMES[item["ladder"]][0],
            "order": PATH.index(item["ladder"]),
            "zh": item["zh"],
            "shortfall": float(item["shortfall"]),
        }
        for item in items
        if item.get("ladder") in LADDER_NAMES
    ]
    return sorted(rows, key=lambda r: (r["order"], r["shortfall"]))


def _rule_texts() -> dict[tuple[str, str], str]:
    """(ladder, rule id) → the rule in Chinese; the pass mark of scored ladders too."""
    texts: dict[tuple[str, str], str] = {}
    for rs in load_all():
        texts[(rs.ladder, "pass_mark")] = "评分未达到达标线"
        for rule in rs.rules:
            texts.setdefault((rs.ladder, rule.id), rule.spec.zh)
    return texts


def _common_gaps(pool: pd.DataFrame) -> list[dict]:
    """The rules most often failed across the pool, by ladder, among firms not eligible."""
    texts = _rule_texts()
    counts: Counter = Counter()
    for ladder in PATH:
        col = f"{ladder}_failed"
        if col not in pool:
            continue
        failing = pool.loc[_status(pool, ladder) == "ineligible", col].astype(str)
        for value in failing:
            counts.update((ladder, r) for r in value.split(";") if r)
    return [
        {
            "ladder_zh": LADDER_NAMES[ladder][0],
            "rule_id": rule,
            "zh": texts.get((ladder, rule), rule),
            "firms": n,
        }
        for (ladder, rule), n in counts.most_common()
    ]


def _industry(pool: pd.DataFrame) -> pd.Series:
    code = pool.get("industry_code", pd.Series(pd.NA, index=pool.index)).astype("string")
    field = pool.get("high_tech_field", pd.Series(pd.NA, index=pool.index)).astype("string")
    return code.str.strip().str[:1].replace("", pd.NA).fillna(field).fillna("未填写")


def _breakdown(pool: pd.DataFrame, key: pd.Series) -> list[dict]:
    key = key.astype("string").fillna("未填写").replace("", "未填写")
    rows = []
    for value, part in pool.groupby(key.to_numpy(), sort=True):
        row = {"key": value, "firms": len(part)}
        for ladder in PATH:
            row[ladder] = int((_status(part, ladder) == "eligible").sum())
        rows.append(row)
    return sorted(rows, key=lambda r: -r["firms"])[:TOP]


def _visit_first(pool: pd.DataFrame) -> list[dict]:
    """Firms not yet meeting their next rung, by the probability of reaching it in 12 months,
    with the rules they fail for it."""
    texts = _rule_texts()
    rows = []
    for i, ladder in enumerate(pool.get("next_rung", pd.Series("", index=pool.index))):
        ladder = str(ladder or "")
        column = f"{ladder}_readiness"
        if ladder not in LADDER_NAMES or column not in pool:
            continue
        chance = pool.at[i, column]
        if pd.isna(chance) or _status(pool, ladder).iat[i] == "eligible":
            continue
        failed = pool.at[i, f"{ladder}_failed"] if f"{ladder}_failed" in pool else ""
        rows.append(
            {
                "name": pool.at[i, "name"],
                "ladder_zh": LADDER_NAMES[ladder][0],
                "readiness": float(chance),
                "failed": "；".join(
                    texts.get((ladder, r), r) for r in str(failed or "").split(";") if r
                ),
            }
        )
    return sorted(rows, key=lambda r: -r["readiness"])


def within_reach(pool: pd.DataFrame) -> list[dict]:
    """What the near-threshold firms would unlock, per ladder: how many, the yearly tax relief
    their own figures give (and how many of them cannot say yet), the one-off local awards."""
    out = []
    for ladder in PATH:
        ids = {
            firm.id for firm in pool.itertuples() for i in firm.near or [] if i["ladder"] == ladder
        }
        if not ids:
            continue
        rows = pool[pool["id"].isin(ids)]
        yearly = _numbers(rows, f"{ladder}_worth_yearly")
        once = _numbers(rows, f"{ladder}_worth_once")
        out.append(
            {
                "ladder": ladder,
                "ladder_zh": LADDER_NAMES[ladder][0],
                "firms": len(rows),
                "yearly": float(yearly.sum()),
                "yearly_unknown": int(yearly.isna().sum()),
                "once": float(once.sum()),
                "once_firms": int(once.notna().sum()),
            }
        )
    return out


def _numbers(rows: pd.DataFrame, column: str) -> pd.Series:
    if column not in rows:  # assessments stored before the worth columns existed
        return pd.Series([float("nan")] * len(rows), index=rows.index)
    return pd.to_numeric(rows[column], errors="coerce")
