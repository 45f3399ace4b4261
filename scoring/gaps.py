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
from scoring.engine import Evaluation, GroupResult, next_rungs
from scoring.fields import FIELDS
from scoring.metrics import METRICS
from scoring.vocabulary import LADDERS

NEAR_POINTS = 10.0  # a score short of the pass mark by fewer points than this is "near"
NEAR_SHARE = 0.2  # a value within this share of its threshold is "near"

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
    text: bool = True,
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
        out["zh"] = f"需满足：{label}" if text else ""
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
    if not text:  # numbers only (the readiness features): the texts are most of the cost
        out["zh"] = ""
        return out
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
    text: bool = True,
) -> list[pd.DataFrame]:
    """Gap rows for the failing comparisons of ``cond`` at ``rows``."""
    if not len(rows):
        return []
    if isinstance(cond, Cases):
        chosen = cond.selected(m.subset(rows))
        out = []
        for i, (_, then) in enumerate(cond.cases):
            out += _emit(then, rows[chosen == i], option, m, cols, ladder, rule_id, text)
        return out
    if isinstance(cond, Leaf):
        frame = _leaf_rows(cond, m, cols, rows, ladder, rule_id, option, text)
        return [] if frame is None else [frame]
    alternatives = _alternatives(cond)
    out = []
    for n, parts in enumerate(alternatives):
        here = n if len(alternatives) > 1 else option
        for part in parts:
            out += _emit(part, rows, here, m, cols, ladder, rule_id, text)
    return out


def _points_needed(g: GroupResult) -> float:
    ((op, mark),) = g.ruleset.spec.pass_mark.total.items()
    return float(mark + (1 if op == "gt" else 0))


def near_threshold(ev: Evaluation, text: bool = True) -> pd.DataFrame:
    """The firms that miss a ladder by one small step: the bureau's "near a threshold" list.

    A firm is near a ladder when it is ineligible, fails exactly one rule, that rule is not a
    ceiling (a size cap growth cannot fix), and one way of meeting it is small: fewer than
    ``NEAR_POINTS`` points short of the pass mark, one item or person short of a count, or a
    value within ``NEAR_SHARE`` of its threshold. A yes/no condition has no distance and is not
    "near". One row per (firm, ladder): its closest way through (``shortfall`` is the largest
    relative distance of that way's comparisons) and what it takes, in Chinese (left empty
    without ``text``: the readiness features need only the distances).
    """
    cached = ev.memo.get("near")
    if cached is not None:  # the batch's near sheet and the readiness features share it
        return cached
    if not text:
        if "near_numbers" not in ev.memo:
            ev.memo["near_numbers"] = _near_threshold(ev, text=False)
        return ev.memo["near_numbers"]
    ev.memo["near"] = _near_threshold(ev, text=True)
    return ev.memo["near"]


def _near_threshold(ev: Evaluation, text: bool) -> pd.DataFrame:
    candidates = {}
    for ladder, res in ev.ladders.items():
        ceilings = {r.id for g in res.groups for r in g.ruleset.gates if r.spec.ceiling}
        one = [c != "" and ";" not in c and c not in ceilings for c in res.failed.categories]
        candidates[ladder] = (res.status == FAIL) & np.array(one, dtype=bool)[res.failed.codes]
    gaps = gaps_frame(ev, focus=candidates, text=text)
    if not len(gaps):
        return pd.DataFrame(columns=["row", "ladder", "rule_id", "shortfall", "zh"])
    current, target = gaps["current"].astype(float), gaps["target"].astype(float)
    change = gaps["change"].astype(float).abs()
    shortfall = ((target - current).abs() / target.abs()).where(target != 0)
    close = (
        ((gaps["unit"] == "points") & (change < NEAR_POINTS))
        | (gaps["unit"].isin(["items", "persons"]) & (change <= 1))
        | ((gaps["unit"] != "points") & (shortfall <= NEAR_SHARE + 1e-9))  # 0.05-0.04 != 0.01
    )
    ways = gaps.assign(
        option=gaps["option"].astype(float).fillna(-1),
        close=close.to_numpy(),
        shortfall=shortfall.fillna(np.inf).to_numpy(),
    )
    keys = ["row", "ladder", "rule_id", "option"]
    per_way = ways.groupby(keys, sort=False).agg(
        close=("close", "all"), shortfall=("shortfall", "max")
    )
    per_way = per_way[per_way["close"]].reset_index().sort_values("shortfall", kind="stable")
    best = per_way.drop_duplicates(["row", "ladder"])[[*keys, "shortfall"]]
    if not text:
        return best.assign(zh="")[["row", "ladder", "rule_id", "shortfall", "zh"]].reset_index(
            drop=True
        )
    chosen = ways[[*keys, "zh"]].merge(best[keys], on=keys)  # the text of the chosen ways only
    text = chosen.groupby(keys, sort=False)["zh"].agg("；".join).rename("zh").reset_index()
    near = best.merge(text, on=keys)
    return near[["row", "ladder", "rule_id", "shortfall", "zh"]].reset_index(drop=True)


def near_masks(near: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Per ladder, which of ``n`` rows are in the near list."""
    out = {}
    for ladder in LADDERS:
        mask = np.zeros(n, dtype=bool)
        mask[near.loc[near["ladder"] == ladder, "row"].to_numpy(dtype=np.int64)] = True
        out[ladder] = mask
    return out


def gap_focus(ev: Evaluation, near: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per ladder, the firms whose gaps a large batch lists: the rung each firm works toward
    next (the first on the usual path it neither holds, is capped out of, nor already meets)
    and the ladders it is near (``near_masks``). Listing every failed rule of every ladder
    gives ~16 rows per firm, past Excel's sheet limit for a 100,000-firm pool."""
    target = next_rungs(ev, skip_eligible=True)
    return {k: (target.codes == target.code(k)) | near[k] for k in ev.ladders}


def _group_gaps(
    g: GroupResult, ev: Evaluation, keep: np.ndarray | None, text: bool = True
) -> list[pd.DataFrame]:
    rs = g.ruleset
    m: MetricSource = ev.source  # full-frame metrics; rows index into them
    cols = ev.frame.columns
    wanted = np.ones(len(g.rows), dtype=bool) if keep is None else keep[g.rows]
    parts: list[pd.DataFrame] = []
    for rule in rs.gates:
        failed = g.rows[(g.outcomes[rule.id] == FAIL) & wanted]
        if not len(failed):
            continue
        parts += _emit(rule.condition, failed, None, m, cols, rs.ladder, rule.id, text)
    if rs.scored:
        need = _points_needed(g)
        short = (g.passmark == FAIL) & (g.direct != PASS) & wanted
        at = np.flatnonzero(short)
        if len(at):
            est = g.total.est[at]
            points = need - est
            shown = pd.Series(est).map("{:g}".format).to_numpy() if text else np.full(len(at), "")
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
                        "zh": np.where(
                            points > 0,
                            "评分"
                            + shown
                            + "分，距达标还差"
                            + pd.Series(points).map("{:g}".format).to_numpy()
                            + "分",
                            "评分" + shown + "分，总分已达标，但有分项低于最低分要求",
                        )
                        if text
                        else "",
                    }
                )
            )
    return parts


def gaps_frame(
    ev: Evaluation,
    rows: np.ndarray | None = None,
    focus: dict[str, np.ndarray] | None = None,
    text: bool = True,
) -> pd.DataFrame:
    """The gaps of an evaluation; ``row`` is the frame position (or ``rows[position]``).

    ``focus`` (per ladder, a mask of frame rows; see ``gap_focus``) limits them to those rows;
    without ``text`` the ``zh`` column is left empty (numbers only, much faster).
    """
    parts = []
    for ladder, res in ev.ladders.items():
        keep = None if focus is None else focus[ladder]
        for g in res.groups:
            parts += _group_gaps(g, ev, keep, text)
    if not parts:
        return pd.DataFrame(columns=GAP_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "row", out.pop("local") if rows is None else rows[out.pop("local")])
    return out.sort_values(["row", "ladder"], kind="stable").reset_index(drop=True)[GAP_COLUMNS]
