"""The one scoring path: every ladder's rules over all firms, column-wise.

``evaluate`` takes a CanonicalFrame, picks the rule set per row (by the reference date, the
application mode and, for gazelles, the region), and evaluates each rule set on its rows in
one vectorized pass. Single-firm assessment, batch output and what-if all read its result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scoring.conditions import FAIL, PASS, UNKNOWN, MetricSource, kleene
from scoring.fields import CanonicalFrame
from scoring.options import DEFAULT, Options
from scoring.rulesets import RuleSet, Score, expired_round, load_all, refusal_text, select
from scoring.vocabulary import (
    ELIGIBLE,
    HELD_FIELD,
    INELIGIBLE,
    LADDERS,
    MANUAL_REVIEW,
    PATH,
    UNDETERMINED,
)

# a ladder's status codes: the three rule outcomes, and manual review (never a rule outcome)
REVIEW = np.int8(3)
STATUS_OF_CODE = np.array([INELIGIBLE, UNDETERMINED, ELIGIBLE, MANUAL_REVIEW], dtype=object)
ROUTES = ["", "direct", "score", "gate"]


class Coded:
    """A text column as integer codes into a short list of distinct strings.

    Results repeat a handful of values (statuses, rule-set keys, the same failed-rule lists)
    across millions of rows; codes keep them cheap and turn into a pandas Categorical.
    """

    def __init__(self, n: int):
        self.codes = np.zeros(n, dtype=np.int32)
        self.categories: list[str] = [""]
        self._index = {"": 0}

    def code(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.categories)
            self.categories.append(text)
        return self._index[text]

    def assign(self, rows: np.ndarray, codes: np.ndarray, texts: list[str]) -> None:
        mapping = np.array([self.code(t) for t in texts], dtype=np.int32)
        self.codes[rows] = mapping[codes]

    def __getitem__(self, row: int) -> str:
        return self.categories[self.codes[row]]

    def categorical(self, blank: np.ndarray | None = None) -> pd.Categorical:
        codes = self.codes if blank is None else np.where(blank, 0, self.codes)
        return pd.Categorical.from_codes(codes, categories=self.categories)


@dataclass
class GroupResult:
    """One rule set evaluated on its rows."""

    ruleset: RuleSet
    rows: np.ndarray  # positions in the frame
    outcomes: dict[str, np.ndarray]  # gate/direct id -> outcome codes
    scores: dict[str, Score]  # indicator id -> points
    gate: np.ndarray
    direct: np.ndarray
    passmark: np.ndarray
    status: np.ndarray  # codes
    route: np.ndarray  # codes into ROUTES
    total: Score | None
    group_totals: dict[str, Score]
    source: MetricSource
    # the points experts may give within each reached band, summed (NaN where a band is unknown)
    expert_lo: np.ndarray | None = None
    expert_hi: np.ndarray | None = None


@dataclass
class LadderResult:
    ladder: str
    status: np.ndarray  # codes FAIL/UNKNOWN/PASS/REVIEW (STATUS_OF_CODE)
    score: np.ndarray
    score_lo: np.ndarray
    score_hi: np.ndarray
    expert_lo: np.ndarray  # the range experts may score in the bands reached (HNTE)
    expert_hi: np.ndarray
    route: Coded  # "direct" / "score" / "gate" / ""
    failed: Coded  # ";"-joined rule ids
    missing: Coded  # ";"-joined field names
    ruleset: Coded  # rule-set key per row ("" when none is in force)
    # per row: why no rule set or only the fallback applies (an expired regional round, a
    # region without its own pack), and the warnings that fired — "；"-joined Chinese texts
    notes: Coded | None = None
    warnings: Coded | None = None
    warning_ids: Coded | None = None  # the same warnings as ";"-joined ids
    groups: list[GroupResult] = field(default_factory=list)

    def group_of(self, row: int) -> tuple[GroupResult, int] | None:
        for group in self.groups:
            hit = np.flatnonzero(group.rows == row)
            if hit.size:
                return group, int(hit[0])
        return None


@dataclass
class Evaluation:
    frame: CanonicalFrame
    ladders: dict[str, LadderResult]
    ref_date: np.ndarray
    mode: str
    rulesets: tuple[RuleSet, ...]
    source: MetricSource
    options: Options = DEFAULT
    # outcomes of conditions on the whole frame, computed when an explanation first asks
    outcomes: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # e.g. the near list


def reference_dates(frame: CanonicalFrame, as_of: dt.date | None, today: dt.date) -> np.ndarray:
    """The application date each row is judged at.

    ``as_of`` when given; else 1 July of the year after ``fiscal_year`` (mid-way through the
    application windows of the year the y0 figures are filed in); else ``today``.
    """
    n = frame.n
    if as_of is not None:
        return np.full(n, np.datetime64(as_of, "D"))
    fy = frame.num("fiscal_year")
    years = np.where(np.isnan(fy), 0, fy + 1 - 1970).astype("int64").astype("datetime64[Y]")
    july_first = (years.astype("datetime64[M]") + 6).astype("datetime64[D]")
    return np.where(np.isnan(fy), np.datetime64(today, "D"), july_first)


def _select_groups(
    rulesets, ladder, ref, mode, region
) -> list[tuple[RuleSet | None, np.ndarray, str]]:
    """Rows grouped by the rule set that applies to them (few groups, found per distinct key),
    each with the note a person reads about the choice ("" when there is nothing to say)."""
    keys, _ = pd.factorize(ref)
    regional = any(rs.spec.regions for rs in rulesets if rs.ladder == ladder)
    if regional:  # rule sets keyed by region code (the gazelles' today; any ladder may be)
        region_codes, regions = pd.factorize(pd.Series(region, dtype=object))
        keys = keys * (len(regions) + 1) + (region_codes + 1)
    distinct, first = np.unique(keys, return_index=True)
    by_set: dict[tuple[str, str], list[int]] = {}
    sets: dict[str, RuleSet | None] = {}
    for key, row in zip(distinct, first, strict=True):
        reg = (region[row] if regional else None) or None
        day = ref[row].astype(dt.date)
        rs = select(rulesets, ladder, day, mode, reg)
        note = ""
        if regional:
            expired = expired_round(rulesets, ladder, day, mode, reg)
            if expired is not None:
                rs, note = None, refusal_text(expired)
            elif rs is not None and not rs.spec.regions:
                note = fallback_text(rs, reg)
        name = rs.key if rs else ""
        sets[name] = rs
        by_set.setdefault((name, note), []).append(key)
    return [
        (sets[name], np.flatnonzero(np.isin(keys, ks)), note) for (name, note), ks in by_set.items()
    ]


def fallback_text(rs: RuleSet, region: str | None, lang: str = "zh") -> str:
    """A region with no pack of its own: say so and name what is applied instead."""
    if lang == "zh":
        where = f"所在地区（{region}）尚无收录的地方标准" if region else "未填写区划代码"
        return f"{where}，按“{rs.spec.title.zh}”评价（仅供参考）"
    where = f"region {region} has" if region else "no region code:"
    return f"{where} no encoded local rule set; assessed under {rs.spec.title.en} (for reference)"


def _warnings(rs: RuleSet, source: MetricSource, ref: np.ndarray):
    """Bitmask per row of the rule set's warnings that fire (their condition passes)."""
    n = len(source)
    bits = np.zeros(n, dtype=np.int64)
    for i, (spec, cond) in enumerate(rs.warnings):
        fires = np.ones(n, dtype=bool) if cond is None else cond.evaluate(source) == PASS
        if spec.since is not None:
            fires &= ref >= np.datetime64(spec.since, "D")
        bits |= fires.astype(np.int64) << i
    return bits


def _sum_scores(scores: list[Score], cap: float | None = None) -> Score:
    est = np.sum([s.est for s in scores], axis=0)
    lo = np.sum([s.lo for s in scores], axis=0)
    hi = np.sum([s.hi for s in scores], axis=0)
    if cap is not None:
        est, lo, hi = np.minimum(est, cap), np.minimum(lo, cap), np.minimum(hi, cap)
    return Score(est, lo, hi, np.full(len(est), -1))


def _expert_range(rs: RuleSet, scores: dict[str, Score]) -> tuple[np.ndarray, np.ndarray]:
    """The total experts may give: each reached band's official range (the engine scores its
    midpoint), other indicators at their points, each group's cap applied. NaN where a band is
    not known yet (the score's own lo–hi range says what is possible then)."""
    by_group: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for r in rs.indicators:
        s = scores[r.id]
        lo, hi = s.est, s.est
        if r.bands and any(b.lo != b.hi for b in r.bands):
            los = np.array([b.lo for b in r.bands])
            his = np.array([b.hi for b in r.bands])
            known = s.band >= 0
            pick = np.where(known, s.band, 0)
            lo = np.where(known, los[pick], np.nan)
            hi = np.where(known, his[pick], np.nan)
        by_group.setdefault(r.spec.group or r.id, []).append((lo, hi))
    caps = rs.spec.pass_mark.caps
    total_lo = total_hi = 0.0
    for key, parts in by_group.items():
        cap = caps.get(key, np.inf)
        total_lo = total_lo + np.minimum(cap, np.sum([p[0] for p in parts], axis=0))
        total_hi = total_hi + np.minimum(cap, np.sum([p[1] for p in parts], axis=0))
    return np.asarray(total_lo, dtype=float), np.asarray(total_hi, dtype=float)


def _meets(values: np.ndarray, rule: dict[str, float]) -> np.ndarray:
    ((op, target),) = rule.items()
    return values > target if op == "gt" else values >= target


def _manual_review(rs: RuleSet, outcomes, qualify: np.ndarray, status: np.ndarray) -> np.ndarray:
    """REVIEW where every condition data can decide is met and what is left needs a person:
    a rule set with a review item (an expert judgement) on an otherwise eligible firm, or a
    platform value not given (``review_if_unknown``) while every other condition is met."""
    platform = [r for r in rs.gates if r.spec.review_if_unknown is not None]
    if platform:
        parts = [
            np.where(outcomes[r.id] == UNKNOWN, PASS, outcomes[r.id])
            if r.spec.review_if_unknown is not None
            else outcomes[r.id]
            for r in rs.gates
        ]
        otherwise = np.minimum(kleene(np.minimum, parts), qualify)
        status = np.where((status == UNKNOWN) & (otherwise == PASS), REVIEW, status)
    if any(item.review for item in rs.spec.not_evaluated):
        status = np.where(status == PASS, REVIEW, status)
    return status.astype(np.int8)


def evaluate_group(rs: RuleSet, source: MetricSource) -> GroupResult:
    n = len(source)
    outcomes = {r.id: r.outcome(source) for r in rs.gates + rs.directs}
    gate = (
        kleene(np.minimum, [outcomes[r.id] for r in rs.gates])
        if rs.gates
        else np.full(n, PASS, dtype=np.int8)
    )
    direct = (
        kleene(np.maximum, [outcomes[r.id] for r in rs.directs])
        if rs.directs
        else np.full(n, FAIL, dtype=np.int8)
    )
    scores = {r.id: r.score(source) for r in rs.indicators}
    total, group_totals = None, {}
    expert_lo = expert_hi = None
    passmark = np.full(n, PASS, dtype=np.int8)
    if rs.scored:
        pm = rs.spec.pass_mark
        groups: dict[str, list[Score]] = {}
        for r in rs.indicators:
            groups.setdefault(r.spec.group or r.id, []).append(scores[r.id])
        group_totals = {g: _sum_scores(s, pm.caps.get(g)) for g, s in groups.items()}
        total = _sum_scores(list(group_totals.values()))
        expert_lo, expert_hi = _expert_range(rs, scores)
        sure = _meets(total.lo, pm.total)
        never = ~_meets(total.hi, pm.total)
        for key, minimum in pm.minimums.items():
            part = group_totals.get(key) or scores[key]
            sure &= part.lo >= minimum
            never |= part.hi < minimum
        passmark = np.where(sure, PASS, np.where(never, FAIL, UNKNOWN)).astype(np.int8)
        qualify = np.maximum(direct, passmark)
    elif rs.directs:
        qualify = direct
    else:
        qualify = np.full(n, PASS, dtype=np.int8)
    status = np.minimum(gate, qualify)
    status = _manual_review(rs, outcomes, qualify, status)
    met = (status == PASS) | (status == REVIEW)
    route = np.zeros(n, dtype=np.int8)  # codes into ROUTES
    decided_by = ROUTES.index("score" if rs.scored else "gate")
    if rs.scored or rs.directs:
        route[met & (direct == PASS)] = ROUTES.index("direct")
        route[met & (direct != PASS)] = decided_by
        route[(status == FAIL) & (gate != FAIL)] = ROUTES.index("score" if rs.scored else "direct")
    else:
        route[met] = ROUTES.index("gate")
    route[(status == FAIL) & (gate == FAIL)] = ROUTES.index("gate")
    return GroupResult(
        rs,
        source.rows,
        outcomes,
        scores,
        gate,
        direct,
        passmark,
        status,
        route,
        total,
        group_totals,
        source,
        expert_lo,
        expert_hi,
    )


def _join_bits(bits: np.ndarray, names: list[str], sep: str = ";") -> tuple[np.ndarray, list[str]]:
    """Per-row bitmasks as codes into ';'-joined names, each distinct string built once."""
    codes, uniques = pd.factorize(bits)
    texts = [sep.join(name for i, name in enumerate(names) if int(u) >> i & 1) for u in uniques]
    return codes, texts


def _failed_and_missing(g: GroupResult, frame: CanonicalFrame):
    rs, n = g.ruleset, len(g.rows)
    failed_names = [r.id for r in rs.gates]
    failed = np.zeros(n, dtype=np.int64)
    for i, r in enumerate(rs.gates):
        failed |= (g.outcomes[r.id] == FAIL).astype(np.int64) << i
    if rs.scored:
        failed_names.append("pass_mark")
        score_failed = (g.passmark == FAIL) & (g.direct != PASS)
        failed |= score_failed.astype(np.int64) << (len(failed_names) - 1)
    # missing inputs matter only where the ladder is undetermined (or waits for a platform value)
    open_rows = np.flatnonzero((g.status == UNKNOWN) | (g.status == REVIEW))
    fields: list[str] = []
    unknown_rules: list[tuple[int, np.ndarray]] = []
    for r in rs.rules:
        if r.kind == "indicator":
            unknown = np.isnan(g.scores[r.id].est[open_rows])
        else:
            unknown = g.outcomes[r.id][open_rows] == UNKNOWN
        mask = 0
        for f in r.inputs():
            if f not in fields:
                fields.append(f)
            mask |= 1 << fields.index(f)
        unknown_rules.append((mask, unknown))
    if len(fields) > 63 or len(failed_names) > 63:
        raise ValueError(f"{rs.key}: more than 63 rules or inputs; widen the bitmasks")
    frame_rows = g.rows[open_rows]
    null_bits = np.zeros(len(open_rows), dtype=np.int64)
    for i, f in enumerate(fields):
        null_bits |= frame.isnull(f, frame_rows).astype(np.int64) << i
    open_missing = np.zeros(len(open_rows), dtype=np.int64)
    for mask, unknown in unknown_rules:
        open_missing |= np.where(unknown, null_bits & mask, 0)
    missing = np.zeros(n, dtype=np.int64)
    missing[open_rows] = open_missing
    return _join_bits(failed, failed_names), _join_bits(missing, fields)


def evaluate(frame: CanonicalFrame, options: Options | None = None, **changes) -> Evaluation:
    """Evaluate every ladder for every row of ``frame`` under ``options`` (``scoring.options``;
    keyword ``changes`` such as ``mode="review"`` amend it), with the options' rule sets (the
    files, with their overrides applied)."""
    options = Options.of(options, **changes)
    mode = options.mode
    rulesets = options.rulesets or load_all()
    today = options.today or dt.date.today()
    ref = reference_dates(frame, options.as_of, today)
    frame = frame.replace(_ref_date=ref.astype("datetime64[ns]"))
    source = MetricSource(frame.columns)
    n = frame.n
    ladders: dict[str, LadderResult] = {}
    for ladder in LADDERS:
        res = LadderResult(
            ladder,
            status=np.full(n, UNKNOWN, dtype=np.int8),
            score=np.full(n, np.nan),
            score_lo=np.full(n, np.nan),
            score_hi=np.full(n, np.nan),
            expert_lo=np.full(n, np.nan),
            expert_hi=np.full(n, np.nan),
            route=Coded(n),
            failed=Coded(n),
            missing=Coded(n),
            ruleset=Coded(n),
            notes=Coded(n),
            warnings=Coded(n),
            warning_ids=Coded(n),
        )
        groups = _select_groups(rulesets, ladder, ref, mode, frame.text("region_code"))
        for rs, rows, note in groups:
            if note:
                res.notes.assign(rows, np.zeros(len(rows), dtype=np.int32), [note])
            if rs is None:
                continue  # no rule set in force: undetermined, named by an empty rule set
            sub = source.subset(None if len(rows) == n else rows)
            g = evaluate_group(rs, sub)
            g.rows = rows
            res.groups.append(g)
            res.status[rows] = g.status
            res.route.assign(rows, g.route, ROUTES)
            res.ruleset.assign(rows, np.zeros(len(rows), dtype=np.int32), [rs.key])
            if g.total is not None:
                res.score[rows] = g.total.est
                res.score_lo[rows] = g.total.lo
                res.score_hi[rows] = g.total.hi
                res.expert_lo[rows] = g.expert_lo
                res.expert_hi[rows] = g.expert_hi
            failed, missing = _failed_and_missing(g, frame)
            res.failed.assign(rows, *failed)
            res.missing.assign(rows, *missing)
            if rs.warnings:
                bits = _warnings(rs, sub, ref[rows])
                specs = [spec for spec, _ in rs.warnings]
                res.warnings.assign(rows, *_join_bits(bits, [w.zh for w in specs], "；"))
                res.warning_ids.assign(rows, *_join_bits(bits, [w.id for w in specs]))
        ladders[ladder] = res
    return Evaluation(frame, ladders, ref, mode, rulesets, source, options)


def next_rungs(ev: Evaluation, *, skip_eligible: bool = False) -> Coded:
    """The first ladder on the usual path that the firm does not hold and is not barred from.

    A ladder is skipped when the firm already holds it (status field = 是) or when a ceiling
    gate (a size cap) fails, because growing will not bring the firm back under it; with
    ``skip_eligible``, also when the firm already meets it (the rung it has to work toward).
    """
    n = ev.frame.n
    out = Coded(n)
    open_ = np.ones(n, dtype=bool)
    for ladder in PATH:
        res = ev.ladders[ladder]
        held = np.zeros(n, dtype=bool)
        if ladder in HELD_FIELD:
            held = ev.frame.num(HELD_FIELD[ladder]) == 1
        capped = np.zeros(n, dtype=bool)
        for g in res.groups:
            for r in g.ruleset.gates:
                if r.spec.ceiling:
                    capped[g.rows] |= g.outcomes[r.id] == FAIL
        no_rules = res.ruleset.codes == 0
        target = open_ & ~held & ~capped & ~no_rules
        if skip_eligible:
            target &= res.status != PASS
        out.codes[target] = out.code(ladder)
        open_ &= ~target
    return out
