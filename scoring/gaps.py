"""Gaps for many firms at once: one row per firm × failed rule, with the least change.

The batch's gap sheet needs what ``scoring.explain`` gives one firm, for 100,000 firms; this
computes the same levers column-wise. For each failed gate it reports the failing comparisons
(the branch that applies for banded rules; every alternative for "any of" rules, numbered), and
for a failed score the points short of the pass mark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.conditions import FAIL, PASS, AnyOf, Cases, Condition, Leaf
from scoring.engine import Evaluation, GroupResult, next_rungs
from scoring.fields import FIELDS
from scoring.formatting import fmt_money, fmt_threshold
from scoring.metrics import METRICS
from scoring.models import Gap
from scoring.vocabulary import LADDERS

NEAR_POINTS = 10.0  # a score short of the pass mark by fewer points than this is "near"
NEAR_SHARE = 0.2  # a value within this share of its threshold is "near"

GAP_COLUMNS = [
    "row",
    "ladder",
    "rule_id",
    "kind",
    "option",
    "field",
    "current",
    "target",
    "change",
    "unit",
    "lead_months",
    "fixable",
    "zh",
    "en",
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


# Months until a yes/no or category condition can be met (assumptions, docs/criteria.md).
CONDITION_LEAD_MONTHS = {
    "rd_mgmt_system": 3,
    "rd_mgmt_institution": 6,
    "rd_mgmt_incentive": 3,
    "rd_mgmt_talent": 3,
    "quality_certified": 6,
    "own_brand": 6,
    "is_high_tech": 12,
    "is_tech_sme": 6,
    "is_innovative_sme": 6,
    "is_srdi_sme": 12,
    "rd_institution_level": 24,
    "provincial_award_3y": 24,
    "national_award_5y": 36,
    "national_award_3y_known": 36,
}
THREE_YEAR_WINDOW = ("rd_ratio_3y", "rd_domestic_share")  # "（近三年合计口径）"
AGE_METRICS = ("firm_age_days", "firm_age_years")


def outcome(ev: Evaluation, cond: Condition) -> np.ndarray:
    """A condition's outcome on every row of the evaluation, computed once (the per-firm
    explanation and the gap tables share it)."""
    cached = ev.outcomes.get(id(cond))
    if cached is None:
        cached = ev.outcomes[id(cond)] = cond.evaluate(ev.source)
    return cached


@dataclass
class LeafGaps:
    """The one gap engine's unit: for one comparison, the least change that passes it at
    every row of an evaluation where it fails, in the firm's own units. Every gap anyone
    reads (the web page, the CLI, the PDF, the gap sheet, the readiness actions) is a row
    of one of these, worded by ``texts``."""

    leaf: Leaf
    rows: np.ndarray  # frame rows where the comparison fails (sorted)
    kind: str  # "condition" (yes/no or category), "age" (wait), "lever" (an amount)
    field: str | None
    current: np.ndarray
    change: np.ndarray  # NaN where no amount
    unit: str
    lead_months: np.ndarray  # months until such a change shows in the firm's figures
    fixable: np.ndarray  # a change to the firm's own inputs passes it here
    label: str = ""  # the field changed, as the firm calls it

    @property
    def target(self) -> float:
        value = self.leaf.value
        return float(value) if isinstance(value, int | float) else np.nan

    def at(self, frame_rows: np.ndarray) -> np.ndarray:
        """Positions of ``frame_rows`` (all failing rows) in this table."""
        return np.searchsorted(self.rows, frame_rows)

    def texts(self, positions: np.ndarray) -> tuple[list[str], list[str]]:
        """The Chinese and English wording of the gaps at ``positions``."""
        return _texts(self, positions)


def leaf_gaps(ev: Evaluation, leaf: Leaf) -> LeafGaps:
    """``LeafGaps`` of ``leaf`` over the whole evaluation, computed once per evaluation."""
    key = ("leaf_gaps", id(leaf))
    found = ev.memo.get(key)
    if found is None:
        found = ev.memo[key] = _leaf_gaps(ev, leaf)
    return found


def _leaf_gaps(ev: Evaluation, leaf: Leaf) -> LeafGaps:
    rows = np.flatnonzero(outcome(ev, leaf) == FAIL)
    meta = METRICS[leaf.metric]
    n = len(rows)
    raw = ev.source[leaf.metric]
    value = raw[rows].astype(float) if meta.unit != "text" else np.full(n, np.nan)
    none = np.full(n, np.nan)
    if meta.unit in ("bool", "text") or leaf.op in ("eq", "in"):
        field = meta.inputs[0] if meta.inputs else None
        lead = np.full(n, CONDITION_LEAD_MONTHS.get(leaf.metric, 12))
        return LeafGaps(leaf, rows, "condition", field, value, none, "", lead, np.ones(n, bool))
    if leaf.metric in AGE_METRICS and leaf.op in ("min", "gt"):
        days = np.ceil((float(leaf.value) - value) * (1 if meta.unit == "days" else 365.25))
        known = np.isfinite(days)
        lead = np.where(known, np.maximum(1, np.ceil(np.where(known, days, 0) / 30)), 0)
        return LeafGaps(leaf, rows, "age", "registered_on", value, days, "days", lead, known)
    lever = meta.lever
    if lever is None:
        return LeafGaps(
            leaf, rows, "lever", None, value, none, "", np.full(n, 12), np.zeros(n, bool)
        )
    with np.errstate(invalid="ignore"):
        delta = np.asarray(lever.delta(_Rows(ev.frame.columns, rows), float(leaf.value)), float)
    spec = FIELDS.get(lever.field)
    integer = spec is not None and spec.type == "integer"
    if integer:
        if leaf.op == "gt":  # strictly beyond: an exact whole number is one short
            delta = np.where(delta == np.floor(delta), delta + 1, delta)
        delta = np.where(delta > 0, np.ceil(delta), np.floor(delta))
    if leaf.op in ("gt", "lt"):
        delta = np.where(delta == 0, 1.0 if leaf.op == "gt" else -1.0, delta)
    fixable = np.isfinite(delta) & (delta != 0) & np.isfinite(value)
    if spec is not None and spec.type == "money":
        unit = "CNY"
    else:
        unit = spec.unit if spec is not None and spec.unit else (spec.type if spec else meta.unit)
    label = spec.label_zh if spec else meta.zh
    return LeafGaps(
        leaf,
        rows,
        "lever",
        lever.field,
        value,
        np.where(fixable, delta, np.nan),
        unit,
        np.full(n, lever.lead_months),
        fixable,
        label,
    )


def _amounts(change: np.ndarray, unit: str, lang: str) -> list[str]:
    size = np.abs(change)
    if unit == "CNY":
        return [fmt_money(v, lang) for v in size]
    if unit == "ratio":
        words = "个百分点" if lang == "zh" else " percentage points"
        return [f"{v * 100:.2f}{words}" for v in size]
    return [f"{v:g}" for v in size]


def _texts(lg: LeafGaps, at: np.ndarray) -> tuple[list[str], list[str]]:
    leaf, meta = lg.leaf, METRICS[lg.leaf.metric]
    label_zh = leaf.zh or meta.zh
    want_zh = fmt_threshold(leaf.op, leaf.value, meta.unit, "zh")
    want_en = fmt_threshold(leaf.op, leaf.value, meta.unit, "en")
    needs_zh, needs_en = f"需满足：{label_zh}（{want_zh}）", f"Needs: {meta.en} {want_en}"
    if lg.kind == "condition":
        return [needs_zh] * len(at), [needs_en] * len(at)
    change, fixable = lg.change[at], lg.fixable[at]
    if lg.kind == "age":
        pairs = list(zip(change, fixable, strict=True))
        zh = [f"成立时间不足，还需{v:.0f}天" if ok else needs_zh for v, ok in pairs]
        en = [f"Wait {v:.0f} more days" if ok else needs_en for v, ok in pairs]
        return zh, en
    window = "（近三年合计口径）" if leaf.metric in THREE_YEAR_WINDOW else ""
    amounts_zh, amounts_en = _amounts(change, lg.unit, "zh"), _amounts(change, lg.unit, "en")
    zh, en = [], []
    for delta, ok, a_zh, a_en in zip(change, fixable, amounts_zh, amounts_en, strict=True):
        if not ok:
            zh.append(needs_zh)
            en.append(needs_en)
            continue
        verb_zh, verb_en = ("增加", "raise") if delta > 0 else ("减少", "reduce")
        zh.append(f"{lg.label}需{verb_zh}{a_zh}{window}，使{meta.zh}达到{want_zh}")
        en.append(f"{verb_en} {lg.field} by {a_en} so that {meta.en} {want_en}")
    return zh, en


def pass_mark_text(
    total: float, op: str, mark: float, need: float, groups: dict[str, float]
) -> tuple[str, str]:
    """The one wording of a score short of its pass mark (``groups``: sub-minimums missed)."""
    sign = ">" if op == "gt" else "≥"
    zh = f"得分{total:g}分，距达标（{sign}{mark:g}分）还差{max(need, 0):g}分" + "".join(
        f"；{k}分组还差{v:g}分" for k, v in groups.items()
    )
    en = (
        f"Score {total:g}; {max(need, 0):g} points short of the pass mark ({op} {mark:g})"
        + "".join(f"; group {k} {v:g} points short" for k, v in groups.items())
    )
    return zh, en


def _leaf_rows(
    leaf: Leaf,
    ev: Evaluation,
    rows: np.ndarray,
    ladder: str,
    rule_id: str,
    kind: str,
    option: int | None,
    text: bool = True,
) -> dict | None:
    lg = leaf_gaps(ev, leaf)
    if not len(lg.rows):
        return None
    at = rows[np.isin(rows, lg.rows, assume_unique=True)]
    if not len(at):
        return None
    pos = lg.at(at)
    zh, en = lg.texts(pos) if text else ("", "")
    return {
        "local": at,
        "ladder": ladder,
        "rule_id": rule_id,
        "kind": kind,
        "option": option,
        "metric": leaf.metric,
        "field": lg.field,
        "current": lg.current[pos],
        "target": lg.target,
        "change": lg.change[pos],
        "unit": lg.unit,
        "lead_months": lg.lead_months[pos],
        "fixable": lg.fixable[pos],
        "zh": zh,
        "en": en,
    }


# how each gap column is held when the parts are put together (one frame built at the end:
# building a small DataFrame per comparison cost more than the gaps themselves)
_DTYPES = {
    "local": np.int64,
    "ladder": object,
    "rule_id": object,
    "kind": object,
    "option": object,
    "metric": object,
    "field": object,
    "current": np.float64,
    "target": np.float64,
    "change": np.float64,
    "unit": object,
    "lead_months": np.int64,
    "fixable": bool,
    "zh": object,
    "en": object,
}


def _assemble(parts: list[dict], rows: np.ndarray | None) -> pd.DataFrame:
    """The gap parts as one frame, by firm and then ladder (as the sheets list them)."""
    sizes = np.array([len(p["local"]) for p in parts])
    columns = {}
    for col, dtype in _DTYPES.items():
        values = [p[col] for p in parts]
        if not any(isinstance(v, list | np.ndarray) for v in values):
            columns[col] = np.repeat(np.array(values, dtype=dtype), sizes)  # one per part
            continue
        columns[col] = np.concatenate(
            [
                np.asarray(v, dtype=dtype)
                if isinstance(v, list | np.ndarray)
                else np.full(size, v, dtype=dtype)
                for v, size in zip(values, sizes, strict=True)
            ]
        )
    local = columns.pop("local")
    ladders = np.repeat(np.array([LADDERS.index(p["ladder"]) for p in parts]), sizes)
    rank = np.argsort(np.argsort(np.array(LADDERS, dtype=object)))  # alphabetical, as before
    order = np.lexsort((rank[ladders], local))  # stable: each rule's ways keep their order
    out = {"row": (local if rows is None else rows[local])[order]}
    for col, values in columns.items():
        # object columns stay object (pandas would otherwise copy them into Arrow strings)
        out[col] = pd.Series(values[order], dtype=values.dtype, copy=False)
    return pd.DataFrame(out, copy=False)[GAP_COLUMNS]


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


def _walk(cond: Condition, rows: np.ndarray, option: int | None, ev: Evaluation):
    """The comparisons of ``cond`` to look at, each with the rows it applies to and the way
    through it belongs to (``option``: alternatives of "any of" rules are numbered; banded
    parts take the branch that applies per row). The one walk over a rule: the gap tables
    and the per-firm view both take their ways from here."""
    if not len(rows):
        return
    if isinstance(cond, Cases):
        chosen = cond.selected(ev.source.subset(rows))
        for i, (_, then) in enumerate(cond.cases):
            yield from _walk(then, rows[chosen == i], option, ev)
        return
    if isinstance(cond, Leaf):
        yield option, cond, rows
        return
    alternatives = _alternatives(cond)
    for n, parts in enumerate(alternatives):
        here = n if len(alternatives) > 1 else option
        for part in parts:
            yield from _walk(part, rows, here, ev)


def _emit(
    cond: Condition,
    rows: np.ndarray,
    ev: Evaluation,
    ladder: str,
    rule_id: str,
    kind: str,
    text: bool = True,
) -> list[dict]:
    """Gap rows (as column parts) for the failing comparisons of ``cond`` at ``rows``."""
    out = []
    for option, leaf, at in _walk(cond, rows, None, ev):
        part = _leaf_rows(leaf, ev, at, ladder, rule_id, kind, option, text)
        if part is not None:
            out.append(part)
    return out


def firm_ways(
    ev: Evaluation, row: int, ladder: str, rule_id: str, cond: Condition, kind: str
) -> list[list[Gap]]:
    """One firm's ways through a failed condition, each the gaps needed together: the rows
    of the one gap engine for this firm, in its wording. A way that no change to the firm's
    own inputs can open (a firm cannot get younger) is left out."""
    ways: dict[int | None, list[Gap]] = {}
    closed: set[int | None] = set()
    for option, leaf, _ in _walk(cond, np.array([row]), None, ev):
        lg = leaf_gaps(ev, leaf)
        pos = int(lg.at(np.array([row]))[0])
        if pos >= len(lg.rows) or lg.rows[pos] != row:
            ways.setdefault(option, [])
            continue  # this comparison passes (or is unknown) for the firm
        if not lg.fixable[pos]:
            closed.add(option)
            continue
        (zh,), (en,) = lg.texts(np.array([pos]))
        ways.setdefault(option, []).append(
            Gap(
                ladder=ladder,
                rule_id=rule_id,
                kind=kind,
                metric=leaf.metric,
                field=lg.field,
                current=lg.current[pos],
                target=lg.target,
                change=lg.change[pos],
                unit=lg.unit or None,
                zh=zh,
                en=en,
                lead_months=int(lg.lead_months[pos]),
            )
        )
    return [gaps for option, gaps in ways.items() if option not in closed and gaps]


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


def pass_mark_short(g: GroupResult, at: np.ndarray) -> tuple[np.ndarray, dict]:
    """Points short of the total (never below 0) and, per sub-minimum, the points it is
    missed by (0 where it is met), at ``at``."""
    need = _points_needed(g)
    short = np.maximum(need - g.total.est[at], 0)
    groups = {}
    for key, minimum in g.ruleset.spec.pass_mark.minimums.items():
        part = g.group_totals.get(key) or g.scores[key]
        groups[key] = np.maximum(minimum - part.est[at], 0)
    return short, groups


def _group_gaps(
    g: GroupResult,
    ev: Evaluation,
    keep: np.ndarray | None,
    text: bool = True,
    kinds: tuple[str, ...] = ("gate", "score"),
) -> list[dict]:
    rs = g.ruleset
    wanted = np.ones(len(g.rows), dtype=bool) if keep is None else keep[g.rows]
    parts: list[dict] = []
    for rule in rs.gates if "gate" in kinds else ():
        failed = g.rows[(g.outcomes[rule.id] == FAIL) & wanted]
        if len(failed):
            parts += _emit(rule.condition, failed, ev, rs.ladder, rule.id, "gate", text)
    if rs.scored and "score" in kinds:
        at = np.flatnonzero((g.passmark == FAIL) & (g.direct != PASS) & wanted)
        if len(at):
            ((op, mark),) = rs.spec.pass_mark.total.items()
            est = g.total.est[at]
            short, groups = pass_mark_short(g, at)
            zh = en = ""
            if text:
                words = []
                for i, (e, s, hi) in enumerate(zip(est, short, g.total.hi[at], strict=True)):
                    missed = {k: float(v[i]) for k, v in groups.items() if v[i] > 0}
                    if np.isfinite(e):
                        words.append(pass_mark_text(e, op, mark, s, missed))
                    else:
                        words.append(_unknown_score(op, mark, hi, _score_inputs(g, ev, at[i])))
                zh, en = [w[0] for w in words], [w[1] for w in words]
            parts.append(
                {
                    "local": g.rows[at],
                    "ladder": rs.ladder,
                    "rule_id": "pass_mark",
                    "kind": "score",
                    "option": None,
                    "metric": None,
                    "field": None,
                    "current": est,
                    "target": _points_needed(g),
                    "change": short,
                    "unit": "points",
                    "lead_months": 12,
                    "fixable": True,
                    "zh": zh,
                    "en": en,
                }
            )
    if rs.directs and "direct" in kinds:
        open_ = g.rows[(g.status == FAIL) & (g.gate != FAIL) & wanted]
        for rule in rs.directs:
            parts += _emit(rule.condition, open_, ev, rs.ladder, rule.id, "direct", text)
    return parts


def _score_inputs(g: GroupResult, ev: Evaluation, i: int) -> list[str]:
    """The empty inputs of the indicators whose points are unknown at group row ``i``."""
    row = np.array([g.rows[i]])
    fields: list[str] = []
    for rule in g.ruleset.indicators:
        if np.isnan(g.scores[rule.id].est[i]):
            fields += [f for f in rule.inputs() if f not in fields and ev.frame.isnull(f, row)[0]]
    return fields


def _unknown_score(op: str, mark: float, hi: float, fields: list[str]) -> tuple[str, str]:
    """A score that cannot be computed yet, yet cannot reach the pass mark whatever the
    missing inputs hold: say so, and name the inputs."""
    sign = ">" if op == "gt" else "≥"
    labels = "、".join(FIELDS[f].label_zh if f in FIELDS else f for f in fields)
    return (
        f"得分暂无法计算（缺少：{labels or '部分评分数据'}）；即使补全，最高{hi:g}分，"
        f"仍达不到达标线（{sign}{mark:g}分）",
        f"score not computable yet (missing: {', '.join(fields) or 'some inputs'}); at most "
        f"{hi:g} even with them, below the pass mark ({op} {mark:g})",
    )


def gaps_frame(
    ev: Evaluation,
    rows: np.ndarray | None = None,
    focus: dict[str, np.ndarray] | None = None,
    text: bool = True,
    kinds: tuple[str, ...] = ("gate", "score"),
) -> pd.DataFrame:
    """The gaps of an evaluation; ``row`` is the frame position (or ``rows[position]``):
    each failed gate's ways through and each failed score's points short (``kinds`` may add
    the ways of the direct routes).

    ``focus`` (per ladder, a mask of frame rows; see ``gap_focus``) limits them to those rows;
    without ``text`` the ``zh`` column is left empty (numbers only, much faster).
    """
    parts = []
    for ladder, res in ev.ladders.items():
        keep = None if focus is None else focus[ladder]
        for g in res.groups:
            parts += _group_gaps(g, ev, keep, text, kinds)
    if not parts:
        return pd.DataFrame(columns=GAP_COLUMNS)
    return _assemble(parts, rows)
