"""Gaps for many firms at once: one row per firm × failed rule, with the least change.

The batch's gap sheet needs what ``scoring.explain`` gives one firm, for 100,000 firms; this
computes the same levers column-wise. For each failed gate it reports the failing comparisons
(the branch that applies for banded rules; every alternative for "any of" rules, numbered), and
for a failed score the points short of the pass mark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.conditions import FAIL, PASS, AnyOf, Cases, Condition, Leaf, MetricSource
from scoring.engine import Evaluation, GroupResult
from scoring.fields import FIELDS
from scoring.metrics import METRICS

GAP_COLUMNS = [
    "row",
    "ladder",
    "rule_id",
    "option",
    "field",
    "current",
    "target",
    "change",
    "unit",
    "lead_months",
    "zh",
]


class _Rows(dict):
    """Frame columns taken at some rows, lazily (levers read only a few fields)."""

    def __init__(self, columns: dict[str, np.ndarray], rows: np.ndarray):
        super().__init__()
        self._columns, self._rows = columns, rows

    def __missing__(self, key):
        value = self._columns[key][self._rows]
        self[key] = value
        return value


def _alternatives(cond: Condition) -> list[list[Condition]]:
    """Groups of comparisons: each alternative lists what must all pass together.

    Banded parts (``Cases``) stay whole: which branch applies differs by row.
    """
    if isinstance(cond, Leaf | Cases):
        return [[cond]]
    if isinstance(cond, AnyOf):
        return [alt for part in cond.parts for alt in _alternatives(part)]
    combined: list[Condition] = []  # AllOf: the first alternative of every part
    for part in cond.parts:
        combined += _alternatives(part)[0]
    return [combined]


def _leaf_rows(
    leaf: Leaf,
    m: MetricSource,
    cols: dict,
    rows: np.ndarray,
    ladder: str,
    rule_id: str,
    option: int | None,
) -> pd.DataFrame | None:
    outcome = leaf.evaluate(m)
    fails = np.flatnonzero(outcome[rows] == FAIL)
    if not len(fails):
        return None
    at = rows[fails]
    meta = METRICS[leaf.metric]
    label = leaf.zh or meta.zh
    current = m[leaf.metric][at] if meta.unit not in ("text",) else np.full(len(at), np.nan)
    out = pd.DataFrame({"local": at, "ladder": ladder, "rule_id": rule_id, "option": option})
    lever = meta.lever
    if lever is None or leaf.op in ("eq", "in") or meta.unit in ("bool", "text"):
        out["field"] = meta.inputs[0] if meta.inputs else None
        out["current"] = current if meta.unit != "text" else np.nan
        out["target"] = np.nan if not isinstance(leaf.value, int | float) else leaf.value
        out["change"] = np.nan
        out["unit"] = ""
        out["lead_months"] = 12
        out["zh"] = f"需满足：{label}"
        return out
    delta = lever.delta(_Rows(cols, at), float(leaf.value))
    spec = FIELDS.get(lever.field)
    if spec is not None and spec.type == "integer":
        delta = np.where(delta > 0, np.ceil(delta), np.floor(delta))
        if leaf.op == "gt":
            delta = np.where(delta == np.floor(delta), delta + 1, delta)
    out["field"] = lever.field
    out["current"] = current
    out["target"] = float(leaf.value)
    out["change"] = delta
    unit = "CNY" if spec is not None and spec.type == "money" else (spec.unit if spec else "")
    out["unit"] = unit
    out["lead_months"] = lever.lead_months
    field_label = spec.label_zh if spec else meta.zh
    verb = np.where(delta >= 0, "增加", "减少")
    if unit == "CNY":
        amount = pd.Series(np.abs(delta) / 1e4).map("{:,.2f}万元".format)
    elif spec is not None and spec.unit == "ratio":
        amount = pd.Series(np.abs(delta) * 100).map("{:.2f}个百分点".format)
    else:
        amount = pd.Series(np.abs(delta)).map("{:g}".format)
    out["zh"] = (
        field_label + "需" + pd.Series(verb) + amount.to_numpy() + f"（{label}）"
    ).to_numpy()
    out.loc[~np.isfinite(delta), "zh"] = f"需满足：{label}"
    return out


def _emit(
    cond: Condition,
    rows: np.ndarray,
    option: int | None,
    m: MetricSource,
    cols: dict,
    ladder: str,
    rule_id: str,
) -> list[pd.DataFrame]:
    """Gap rows for the failing comparisons of ``cond`` at ``rows``."""
    if not len(rows):
        return []
    if isinstance(cond, Cases):
        chosen = cond.selected(m.subset(rows))
        out = []
        for i, (_, then) in enumerate(cond.cases):
            out += _emit(then, rows[chosen == i], option, m, cols, ladder, rule_id)
        return out
    if isinstance(cond, Leaf):
        frame = _leaf_rows(cond, m, cols, rows, ladder, rule_id, option)
        return [] if frame is None else [frame]
    alternatives = _alternatives(cond)
    out = []
    for n, parts in enumerate(alternatives):
        here = n if len(alternatives) > 1 else option
        for part in parts:
            out += _emit(part, rows, here, m, cols, ladder, rule_id)
    return out


def _group_gaps(g: GroupResult, ev: Evaluation) -> list[pd.DataFrame]:
    rs = g.ruleset
    m: MetricSource = ev.source  # full-frame metrics; rows index into them
    cols = ev.frame.columns
    parts: list[pd.DataFrame] = []
    for rule in rs.gates:
        failed = g.rows[g.outcomes[rule.id] == FAIL]
        if not len(failed):
            continue
        parts += _emit(rule.condition, failed, None, m, cols, rs.ladder, rule.id)
    if rs.scored:
        pm = rs.spec.pass_mark
        ((op, mark),) = pm.total.items()
        need = mark + (1 if op == "gt" else 0)
        short = (g.passmark == FAIL) & (g.direct != PASS) & (g.gate != FAIL)
        at = np.flatnonzero(short)
        if len(at):
            est = g.total.est[at]
            points = need - est
            text = pd.Series(est).map("{:g}".format).to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        "local": g.rows[at],
                        "ladder": rs.ladder,
                        "rule_id": "pass_mark",
                        "option": None,
                        "field": None,
                        "current": est,
                        "target": float(need),
                        "change": points,
                        "unit": "points",
                        "lead_months": 12,
                        "zh": "评分"
                        + text
                        + "分，距达标还差"
                        + pd.Series(points).map("{:g}".format).to_numpy()
                        + "分（或满足子项最低分）",
                    }
                )
            )
    return parts


def gaps_frame(ev: Evaluation, rows: np.ndarray | None = None) -> pd.DataFrame:
    """All gaps of an evaluation; ``row`` is the frame position (or ``rows[position]``)."""
    parts = []
    for res in ev.ladders.values():
        for g in res.groups:
            parts += _group_gaps(g, ev)
    if not parts:
        return pd.DataFrame(columns=GAP_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "row", out.pop("local") if rows is None else rows[out.pop("local")])
    return out.sort_values(["row", "ladder"], kind="stable").reset_index(drop=True)[GAP_COLUMNS]
