"""The one scoring path: every ladder's rules over all firms, column-wise.

``evaluate`` takes a CanonicalFrame, picks the rule set per row (by the reference date, the
application mode and, for gazelles, the region), and evaluates each rule set on its rows in
one vectorized pass. Single-firm assessment, batch output and what-if all read its result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring.conditions import FAIL, PASS, UNKNOWN, MetricSource
from scoring.fields import CanonicalFrame
from scoring.rulesets import LADDERS, RuleSet, Score, load_all, select

ELIGIBLE, INELIGIBLE, UNDETERMINED = "eligible", "ineligible", "undetermined"
STATUS_OF_CODE = np.array([INELIGIBLE, UNDETERMINED, ELIGIBLE], dtype=object)
HELD_FIELD = {
    "tech_sme": "is_tech_sme",
    "innovative_sme": "is_innovative_sme",
    "high_tech": "is_high_tech",
    "srdi_sme": "is_srdi_sme",
}


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
    route: np.ndarray  # "direct" / "score" / "gate" / ""
    total: Score | None
    group_totals: dict[str, Score]
    source: MetricSource


@dataclass
class LadderResult:
    ladder: str
    status: np.ndarray  # codes FAIL/UNKNOWN/PASS (ineligible/undetermined/eligible)
    score: np.ndarray
    score_lo: np.ndarray
    score_hi: np.ndarray
    route: np.ndarray
    failed: np.ndarray  # ";"-joined rule ids
    missing: np.ndarray  # ";"-joined field names
    ruleset: np.ndarray  # rule-set key per row ("" when none is in force)
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


def _select_groups(rulesets, ladder, ref, mode, region) -> list[tuple[RuleSet | None, np.ndarray]]:
    if ladder == "gazelle":
        keys = pd.Series(ref.astype("int64")).astype(str) + "|" + pd.Series(region).fillna("")
    else:
        keys = pd.Series(ref.astype("int64"))
    codes, uniques = pd.factorize(keys)
    chosen: dict[str, list[int]] = {}
    sets: dict[str, RuleSet | None] = {}
    for code, key in enumerate(uniques):
        day = ref[np.argmax(codes == code)]
        reg = str(key).split("|", 1)[1] if ladder == "gazelle" else None
        rs = select(rulesets, ladder, day.astype(dt.date), mode, reg or None)
        name = rs.key if rs else ""
        sets[name] = rs
        chosen.setdefault(name, []).append(code)
    groups = []
    for name, code_list in chosen.items():
        rows = np.flatnonzero(np.isin(codes, code_list))
        groups.append((sets[name], rows))
    return groups


def _sum_scores(scores: list[Score], cap: float | None = None) -> Score:
    est = np.sum([s.est for s in scores], axis=0)
    lo = np.sum([s.lo for s in scores], axis=0)
    hi = np.sum([s.hi for s in scores], axis=0)
    if cap is not None:
        est, lo, hi = np.minimum(est, cap), np.minimum(lo, cap), np.minimum(hi, cap)
    return Score(est, lo, hi, np.full(len(est), -1))


def _meets(values: np.ndarray, rule: dict[str, float]) -> np.ndarray:
    (op, target), = rule.items()
    return values > target if op == "gt" else values >= target


def evaluate_group(rs: RuleSet, source: MetricSource) -> GroupResult:
    n = len(source)
    outcomes = {r.id: r.outcome(source) for r in rs.gates + rs.directs}
    gate = (
        np.minimum.reduce([outcomes[r.id] for r in rs.gates])
        if rs.gates
        else np.full(n, PASS, dtype=np.int8)
    )
    direct = (
        np.maximum.reduce([outcomes[r.id] for r in rs.directs])
        if rs.directs
        else np.full(n, FAIL, dtype=np.int8)
    )
    scores = {r.id: r.score(source) for r in rs.indicators}
    total, group_totals = None, {}
    passmark = np.full(n, PASS, dtype=np.int8)
    if rs.scored:
        pm = rs.spec.pass_mark
        groups: dict[str, list[Score]] = {}
        for r in rs.indicators:
            groups.setdefault(r.spec.group or r.id, []).append(scores[r.id])
        group_totals = {g: _sum_scores(s, pm.caps.get(g)) for g, s in groups.items()}
        total = _sum_scores(list(group_totals.values()))
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
    route = np.full(n, "", dtype=object)
    if rs.scored or rs.directs:
        route[(status == PASS) & (direct == PASS)] = "direct"
        route[(status == PASS) & (direct != PASS)] = "score" if rs.scored else "gate"
        route[(status == FAIL) & (gate != FAIL)] = "score" if rs.scored else "direct"
    else:
        route[status == PASS] = "gate"
    route[(status == FAIL) & (gate == FAIL)] = "gate"
    return GroupResult(rs, source.rows, outcomes, scores, gate, direct, passmark, status, route,
                       total, group_totals, source)


def _join_bits(bits: np.ndarray, names: list[str]) -> np.ndarray:
    """Turn per-row bitmasks into ';'-joined names, building each distinct string once."""
    uniques, inverse = np.unique(bits, return_inverse=True)
    texts = np.array(
        [";".join(name for i, name in enumerate(names) if int(u) >> i & 1) for u in uniques],
        dtype=object,
    )
    return texts[inverse]


def _failed_and_missing(g: GroupResult, frame: CanonicalFrame) -> tuple[np.ndarray, np.ndarray]:
    rs, n = g.ruleset, len(g.rows)
    failed_names = [r.id for r in rs.gates]
    failed = np.zeros(n, dtype=np.int64)
    for i, r in enumerate(rs.gates):
        failed |= (g.outcomes[r.id] == FAIL).astype(np.int64) << i
    if rs.scored:
        failed_names.append("pass_mark")
        score_failed = (g.passmark == FAIL) & (g.direct != PASS)
        failed |= score_failed.astype(np.int64) << (len(failed_names) - 1)
    fields: list[str] = []
    unknown_rules: list[tuple[list[str], np.ndarray]] = []
    for r in rs.rules:
        if r.kind == "indicator":
            unknown = np.isnan(g.scores[r.id].est)
        else:
            unknown = g.outcomes[r.id] == UNKNOWN
        inputs = r.inputs()
        fields += [f for f in inputs if f not in fields]
        unknown_rules.append((inputs, unknown))
    if len(fields) > 63 or len(failed_names) > 63:
        raise ValueError(f"{rs.key}: more than 63 rules or inputs; widen the bitmasks")
    null_bits = np.zeros(n, dtype=np.int64)
    for i, f in enumerate(fields):
        null_bits |= frame.isnull(f)[g.rows].astype(np.int64) << i
    missing = np.zeros(n, dtype=np.int64)
    for inputs, unknown in unknown_rules:
        mask = 0
        for f in inputs:
            mask |= 1 << fields.index(f)
        missing |= np.where(unknown, null_bits & mask, 0)
    missing = np.where(g.status == UNKNOWN, missing, 0)
    return _join_bits(failed, failed_names), _join_bits(missing, fields)


def evaluate(
    frame: CanonicalFrame,
    *,
    as_of: dt.date | None = None,
    mode: str = "new",
    rulesets: tuple[RuleSet, ...] | None = None,
    today: dt.date | None = None,
) -> Evaluation:
    """Evaluate every ladder for every row of ``frame``."""
    if mode not in ("new", "review"):
        raise ValueError("mode must be 'new' or 'review'")
    rulesets = rulesets or load_all()
    today = today or dt.date.today()
    ref = reference_dates(frame, as_of, today)
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
            route=np.full(n, "", dtype=object),
            failed=np.full(n, "", dtype=object),
            missing=np.full(n, "", dtype=object),
            ruleset=np.full(n, "", dtype=object),
        )
        for rs, rows in _select_groups(rulesets, ladder, ref, mode, frame.text("region_code")):
            if rs is None:
                continue  # no rule set in force: undetermined, named by an empty rule set
            sub = source.subset(None if len(rows) == n else rows)
            g = evaluate_group(rs, sub)
            g.rows = rows
            res.groups.append(g)
            res.status[rows] = g.status
            res.route[rows] = g.route
            res.ruleset[rows] = rs.key
            if g.total is not None:
                res.score[rows] = g.total.est
                res.score_lo[rows] = g.total.lo
                res.score_hi[rows] = g.total.hi
            res.failed[rows], res.missing[rows] = _failed_and_missing(g, frame)
        ladders[ladder] = res
    return Evaluation(frame, ladders, ref, mode, rulesets, source)


def next_rungs(ev: Evaluation) -> np.ndarray:
    """The first ladder on the usual path that the firm does not hold and is not barred from.

    A ladder is skipped when the firm already holds it (status field = 是) or when a ceiling
    gate (a size cap) fails, because growing will not bring the firm back under it.
    """
    n = ev.frame.n
    out = np.full(n, "", dtype=object)
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
        no_rules = res.ruleset == ""
        target = open_ & ~held & ~capped & ~no_rules
        out[target] = ladder
        open_ &= ~target
    return out


PATH = ("tech_sme", "innovative_sme", "high_tech", "srdi_sme", "gazelle", "little_giant")
