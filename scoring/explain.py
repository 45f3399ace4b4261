"""Per-firm explanation: the trace of every rule, the gaps, and the upgrade path.

Reads one row of an Evaluation; it computes nothing the engine has not decided, it only
explains it (values, thresholds, points, sources) and works out the least change that would
pass each failed rule through the metric's lever.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from scoring.benefits import ladder_worth
from scoring.conditions import FAIL, PASS, UNKNOWN, AllOf, AnyOf, Cases, Condition, Leaf
from scoring.engine import REVIEW, STATUS_OF_CODE, Evaluation, GroupResult, fallback_text
from scoring.fields import FIELDS
from scoring.formatting import fmt_threshold, fmt_value, is_unknown
from scoring.gaps import firm_ways, outcome, pass_mark_text
from scoring.metrics import METRICS
from scoring.models import Gap, LadderAssessment, PathStep, TraceEntry, WarningItem, finite
from scoring.rulesets import Rule, RuleSet, Score, expired_round, refusal_text
from scoring.vocabulary import HELD_FIELD, LADDER_NAMES, MANUAL_REVIEW, PATH

OUTCOME = {int(PASS): "pass", int(FAIL): "fail", int(UNKNOWN): "unknown"}


class RowView:
    """One firm's metrics and fields, read from the evaluation's shared metric cache."""

    def __init__(self, ev: Evaluation, row: int):
        self.ev, self.row = ev, row
        self.source = ev.source.subset(np.array([row]))
        self.cols = {k: v[row : row + 1] for k, v in ev.frame.columns.items()}

    def metric(self, name: str):
        value = self.ev.source[name][self.row]
        return value if not isinstance(value, np.generic) else value.item()

    def outcome(self, cond: Condition) -> int:
        """Evaluated once for every row of the frame (explaining many firms reuses it)."""
        return int(outcome(self.ev, cond)[self.row])


# ---- trace ------------------------------------------------------------------------------


def _leaf_entry(leaf: Leaf, view: RowView) -> TraceEntry:
    meta = METRICS[leaf.metric]
    value = view.metric(leaf.metric)
    outcome = OUTCOME[view.outcome(leaf)]
    return _entry(
        dict(
            rule_id=leaf.id or leaf.metric,
            kind="condition",
            zh=leaf.zh or meta.zh,
            en=leaf.en or meta.en,
            outcome=outcome,
            value_zh=fmt_value(value, meta.unit, "zh"),
            value_en=fmt_value(value, meta.unit, "en"),
            threshold_zh=fmt_threshold(leaf.op, leaf.value, meta.unit, "zh"),
            threshold_en=fmt_threshold(leaf.op, leaf.value, meta.unit, "en"),
            missing=_missing(meta.inputs, view) if outcome == "unknown" else [],
        )
    )


def _condition_parts(cond: Condition, view: RowView) -> list[TraceEntry]:
    if isinstance(cond, Leaf):
        return [_leaf_entry(cond, view)]
    if isinstance(cond, Cases):
        chosen = int(cond.selected(view.source)[0])
        if chosen < 0:
            parts = []
            for when, _ in cond.cases:
                if when is not None:
                    parts += _condition_parts(when, view)
            return parts
        return _condition_parts(cond.cases[chosen][1], view)
    parts = []
    for part in cond.parts:  # AllOf / AnyOf
        if isinstance(part, Leaf):
            parts.append(_leaf_entry(part, view))
        else:
            outcome = OUTCOME[view.outcome(part)]
            parts.append(
                _entry(
                    dict(
                        rule_id=part.id or "part",
                        kind="condition",
                        zh=part.zh
                        or (
                            "以下全部满足"
                            if isinstance(part, AllOf) and not isinstance(part, AnyOf)
                            else "满足其一"
                        ),
                        en=part.en or ("all of" if not isinstance(part, AnyOf) else "any of"),
                        outcome=outcome,
                        parts=_condition_parts(part, view),
                    )
                )
            )
    return parts


def _missing(inputs, view: RowView) -> list[str]:
    return [f for f in inputs if is_unknown(view.cols[f][0])]


def _rule_entry(rs: RuleSet, rule: Rule, g: GroupResult, i: int, view: RowView) -> TraceEntry:
    if rule.kind == "indicator":
        return _indicator_entry(rs, rule, g.scores[rule.id], i, view)
    outcome = OUTCOME[int(g.outcomes[rule.id][i])]
    parts = _condition_parts(rule.condition, view)
    fields = {**_base(rs, rule), "outcome": outcome, "parts": parts if len(parts) > 1 else []}
    if len(parts) == 1:
        only = parts[0]
        fields.update(
            value_zh=only.value_zh,
            value_en=only.value_en,
            threshold_zh=only.threshold_zh,
            threshold_en=only.threshold_en,
        )
    if outcome == "unknown":
        fields["missing"] = _missing(rule.inputs(), view)
        if rule.spec.review_if_unknown is not None:
            fields.update(outcome="review", note=rule.spec.review_if_unknown.zh)
    return _entry(fields)


def _review_items(rs: RuleSet, trace: list[TraceEntry]) -> tuple[list[str], list[str]]:
    """What waits for a person: the rule set's review items, and each platform value not
    given with where to read it."""
    zh = [item.zh for item in rs.spec.not_evaluated if item.review]
    en = [item.en for item in rs.spec.not_evaluated if item.review]
    for entry in trace:
        if entry.outcome == "review":
            hint = rs.rule(entry.rule_id).spec.review_if_unknown
            zh.append(f"{entry.zh}（{hint.zh}）")
            en.append(f"{entry.en} ({hint.en})")
    return zh, en


def _entry(fields: dict) -> TraceEntry:
    """A trace entry built in one go (setting attributes afterwards is slower in pydantic)."""
    return TraceEntry(**fields)


def _base(rs: RuleSet, rule: Rule) -> dict:
    """The parts of a rule's trace entry that are the same for every firm (cached)."""
    base = rs.trace_bases.get(id(rule))
    if base is None:
        src = rule.spec.source
        base = rs.trace_bases[id(rule)] = dict(
            rule_id=rule.id,
            kind=rule.kind,
            group=rule.spec.group,
            zh=rule.spec.zh,
            en=rule.spec.en,
            short_zh=rule.spec.short_zh,
            source=rs.cite(src),
            evidence=src.evidence,
            note=src.note,
        )
    return base


def _indicator_entry(rs: RuleSet, rule: Rule, score: Score, i: int, view: RowView) -> TraceEntry:
    est, lo, hi, band = score.est[i], score.lo[i], score.hi[i], int(score.band[i])
    known = not math.isnan(est)
    fields = {
        **_base(rs, rule),
        "outcome": "scored" if known else "unknown",
        "points": float(est) if known else None,
        "points_min": finite(float(lo)),
        "points_max_possible": finite(float(hi)),
        "points_available": float(rule.spec.max_points),
        "missing": [] if known else _missing(rule.inputs(), view),
    }
    metric_name = rule.spec.metric or rule.spec.points_from
    if metric_name:
        meta = METRICS[metric_name]
        value = view.metric(metric_name)
        fields["value_zh"] = fmt_value(value, meta.unit)
        fields["value_en"] = fmt_value(value, meta.unit, "en")
    if rule.bands is not None:
        texts = _bands_texts(rule)
        fields["threshold_zh"], fields["threshold_en"] = texts["zh"], texts["en"]
        if known and band >= 0:
            b = rule.bands[band]
            if b.lo != b.hi:
                fields["band_range"] = [b.lo, b.hi]
            fields["band_zh"], fields["band_en"] = texts["bands_zh"][band], texts["bands_en"][band]
            up = _next_band_up(rule, float(est))
            if up is not None:
                fields["next_band_zh"] = texts["bands_zh"][up]
                fields["next_band_en"] = texts["bands_en"][up]
    if rule.options is not None:
        fields["parts"] = [
            _indicator_entry(rs, opt, opt.score(view.source), 0, view) for opt in rule.options
        ]
    if rule.items is not None:
        fields["parts"] = [_leaf_or_cond_entry(c, view) for c in rule.items]
    return _entry(fields)


def _leaf_or_cond_entry(cond: Condition, view: RowView) -> TraceEntry:
    if isinstance(cond, Leaf):
        return _leaf_entry(cond, view)
    return _entry(
        dict(
            rule_id=cond.id or "part",
            kind="condition",
            zh=cond.zh or "",
            en=cond.en or "",
            outcome=OUTCOME[view.outcome(cond)],
            parts=_condition_parts(cond, view),
        )
    )


def _bands_texts(rule: Rule) -> dict:
    """The bands of an indicator in Chinese and English, whole and one by one; the same for
    every firm (cached)."""
    texts = rule.__dict__.get("_bands_texts")
    if texts is None:
        zh, en = _band_texts(rule, "zh"), _band_texts(rule, "en")
        texts = rule.__dict__["_bands_texts"] = {
            "zh": "；".join(zh),
            "en": "; ".join(en),
            "bands_zh": zh,
            "bands_en": en,
        }
    return texts


def _band_texts(rule: Rule, lang: str) -> list[str]:
    parts = []
    for band in rule.bands:
        pts = f"{band.lo:g}" if band.lo == band.hi else f"{band.lo:g}–{band.hi:g}"
        if band.condition is None:
            cond = "其他" if lang == "zh" else "otherwise"
        elif isinstance(band.condition, Leaf):
            meta = METRICS[band.condition.metric]
            cond = fmt_threshold(band.condition.op, band.condition.value, meta.unit, lang)
            if band.condition.metric != rule.spec.metric:
                cond = f"{band.condition.zh or meta.zh if lang == 'zh' else meta.en} {cond}"
        else:
            cond = band.condition.zh or ("组合条件" if lang == "zh" else "combined condition")
        parts.append(f"{cond} → {pts}{'分' if lang == 'zh' else ' pts'}")
    return parts


def _next_band_up(rule: Rule, est: float) -> int | None:
    """Index of the nearest band worth more points than ``est`` (None at the top)."""
    higher = [i for i, b in enumerate(rule.bands) if b.condition is not None and b.est > est]
    return min(higher, key=lambda i: rule.bands[i].est) if higher else None


# ---- gaps -------------------------------------------------------------------------------


def _condition_gaps(ladder: str, rule: Rule, cond: Condition, view: RowView) -> list[list[Gap]]:
    """Ways to make ``cond`` pass, each a list of changes needed together, read from the one
    gap engine (``scoring.gaps``) at this firm's row; none when it does not fail."""
    if view.outcome(cond) != FAIL:
        return []
    return firm_ways(view.ev, view.row, ladder, rule.id, cond, rule.kind)


def _indicator_moves(ladder: str, rule: Rule, est: float, view: RowView) -> list[Gap]:
    """Moves to a higher band of a scored indicator: the next band up and the top band."""
    moves: list[Gap] = []
    if rule.options is not None:
        for opt in rule.options:
            moves += _indicator_moves(ladder, opt, est, view)
        for m in moves:
            m.rule_id = rule.id
        return moves
    if rule.items is not None:
        for item in rule.items:
            if view.outcome(item) == FAIL and est < rule.spec.max_points:
                for gaps in _condition_gaps(ladder, rule, item, view)[:1]:
                    for gap in gaps:
                        gap.points_gain = min(rule.spec.per_item, rule.spec.max_points - est)
                        moves.append(gap)
        return moves
    if rule.bands is None:
        return moves
    chosen = []
    up = _next_band_up(rule, est)
    if up is not None:
        chosen.append(rule.bands[up])
        top = max((b for b in rule.bands if b.condition is not None), key=lambda b: b.est)
        if top is not chosen[0]:
            chosen.append(top)
    for band in chosen:
        for option in _condition_gaps(ladder, rule, band.condition, view)[:1]:
            if len(option) == 1:
                gap = option[0]
                gap.points_gain = band.est - est
                gap.kind = "indicator"
                moves.append(gap)
    return moves


def ladder_gaps(rs: RuleSet, g: GroupResult, i: int, view: RowView) -> list[Gap]:
    ladder = rs.ladder
    gaps: list[Gap] = []
    for rule in rs.gates:
        if g.outcomes[rule.id][i] == FAIL:
            options = _condition_gaps(ladder, rule, rule.condition, view)
            for n, option in enumerate(options):
                for gap in option:
                    gap.option = n if len(options) > 1 else None
                    gaps.append(gap)
    if rs.scored and g.status[i] not in (PASS, REVIEW) and g.direct[i] != PASS:
        gaps += _score_plan(rs, g, i, view)
    if rs.directs and g.status[i] == FAIL and g.gate[i] != FAIL:
        for rule in rs.directs:
            for n, option in enumerate(_condition_gaps(ladder, rule, rule.condition, view)[:1]):
                for gap in option:
                    gap.kind = "direct"
                    gap.option = n
                    gaps.append(gap)
    return gaps


def _score_plan(rs: RuleSet, g: GroupResult, i: int, view: RowView) -> list[Gap]:
    """Points short of the pass mark and the quickest indicator moves that cover them."""
    pm = rs.spec.pass_mark
    ((op, mark),) = pm.total.items()
    need_total = mark + (1 if op == "gt" else 0)
    total_est = g.total.est[i]
    if math.isnan(total_est):
        return []
    short: dict[str, float] = {}
    if total_est < need_total:
        short["total"] = need_total - total_est
    for key, minimum in pm.minimums.items():
        part = g.group_totals.get(key) or g.scores[key]
        if part.est[i] < minimum:
            short[key] = minimum - part.est[i]
    if not short:
        return []
    moves = []
    for rule in rs.indicators:
        est = g.scores[rule.id].est[i]
        if not math.isnan(est):
            moves += [m for m in _indicator_moves(rs.ladder, rule, est, view) if m.points_gain]
    # quickest first, then the most points; one move per indicator
    moves.sort(key=lambda m: (m.lead_months, -(m.points_gain or 0)))
    plan, used, gained = [], set(), 0.0
    need = short.get("total", 0.0)
    for move in moves:
        if move.rule_id in used:
            continue
        rule = rs.rule(move.rule_id)
        group_short = short.get(rule.spec.group or "", 0) or short.get(rule.id, 0)
        if gained >= need and not group_short:
            continue
        plan.append(move)
        used.add(move.rule_id)
        gained += move.points_gain or 0
        if rule.spec.group in short:
            short[rule.spec.group] -= move.points_gain or 0
            if short[rule.spec.group] <= 0:
                del short[rule.spec.group]
    uncovered = gained < need or any(k != "total" for k in short)
    groups = {k: v for k, v in short.items() if k != "total"}
    zh, en = pass_mark_text(total_est, op, mark, need, groups)
    head = Gap(
        ladder=rs.ladder,
        rule_id="pass_mark",
        kind="score",
        change=need,
        unit="points",
        zh=zh + ("；以下可量化措施尚不足以补齐，还需提升评审或自评类指标" if uncovered else ""),
        en=en + ("; the measurable moves below do not cover it all" if uncovered else ""),
        lead_months=max((m.lead_months for m in plan), default=0),
        points_gain=None,
    )
    return [head, *plan]


# ---- putting one ladder together --------------------------------------------------------


def ladder_assessment(ev: Evaluation, ladder: str, row: int, view: RowView) -> LadderAssessment:
    res = ev.ladders[ladder]
    name_zh, name_en = LADDER_NAMES[ladder]
    held = None
    if ladder in HELD_FIELD:
        value = ev.frame.num(HELD_FIELD[ladder])[row]
        held = None if math.isnan(value) else bool(value == 1)
    found = res.group_of(row)
    choice = _choice_warnings(ev, ladder, row, found[0].ruleset if found else None)
    if found is None:
        refused = bool(choice)
        return LadderAssessment(
            ladder=ladder,
            name_zh=name_zh,
            name_en=name_en,
            status="undetermined",
            held=held,
            notes_zh=[choice[0].zh if refused else "评价日期无适用的认定标准"],
            notes_en=[choice[0].en if refused else "No rule set in force on the assessment date"],
            warnings=choice,
            worth=ladder_worth(ev, ladder, row),
        )
    g, i = found
    rs = g.ruleset
    trace = [_rule_entry(rs, rule, g, i, view) for rule in rs.rules]
    pm = rs.spec.pass_mark
    notes_zh = [n.zh for n in rs.spec.notes]
    notes_en = [n.en for n in rs.spec.notes]
    if ladder == "high_tech" and is_unknown(view.cols["total_income_y0"][0]):
        notes_zh.append("未填写总收入，已以营业收入代替计算高新技术产品（服务）收入占比。")
        notes_en.append("Total income was empty; operating revenue stood in for it.")
    status = STATUS_OF_CODE[res.status[row]]
    expert = _expert_fields(rs, res.expert_lo[row], res.expert_hi[row], g.gate[i] == FAIL)
    review_zh, review_en = _review_items(rs, trace) if status == MANUAL_REVIEW else ([], [])
    return LadderAssessment(
        ladder=ladder,
        name_zh=name_zh,
        name_en=name_en,
        status=status,
        held=held,
        score=None if math.isnan(res.score[row]) else float(res.score[row]),
        score_min=None if math.isnan(res.score_lo[row]) else float(res.score_lo[row]),
        score_max=None if math.isnan(res.score_hi[row]) else float(res.score_hi[row]),
        pass_mark=(
            f"{'>' if 'gt' in pm.total else '≥'}{next(iter(pm.total.values())):g}" if pm else None
        ),
        **expert,
        route=res.route[row] or None,
        ruleset=rs.key,
        title_zh=rs.spec.title.zh,
        documents=[f"{d.number} {d.title}" for d in rs.spec.documents],
        failed=[x for x in res.failed[row].split(";") if x],
        missing=[x for x in res.missing[row].split(";") if x],
        trace=trace,
        gaps=ladder_gaps(rs, g, i, view),
        notes_zh=notes_zh,
        notes_en=notes_en,
        not_evaluated_zh=[n.zh for n in rs.spec.not_evaluated if not n.review],
        not_evaluated_en=[n.en for n in rs.spec.not_evaluated if not n.review],
        review_zh=review_zh,
        review_en=review_en,
        warnings=choice + _fired_warnings(rs, ladder, res, row),
        worth=ladder_worth(ev, ladder, row),
        checked=rs.spec.checked,
        sureness=rs.spec.sureness,
    )


def _expert_fields(rs: RuleSet, lo: float, hi: float, gate_failed: bool) -> dict:
    """The expert range beside the point estimate, and whether the pass mark falls inside it
    (not worth saying when a hard condition fails anyway)."""
    if rs.spec.pass_mark is None or math.isnan(lo) or math.isnan(hi) or lo == hi:
        return {}
    ((op, mark),) = rs.spec.pass_mark.total.items()
    can_pass = hi > mark if op == "gt" else hi >= mark
    can_fail = lo <= mark if op == "gt" else lo < mark
    out = {"expert_min": float(lo), "expert_max": float(hi)}
    if can_pass and can_fail and not gate_failed:
        out["expert_note_zh"] = "达标线处于专家评分区间内，结果取决于评审"
        out["expert_note_en"] = "The pass mark lies inside the experts' range; the review decides"
    return out


def _choice_warnings(ev: Evaluation, ladder: str, row: int, rs) -> list[WarningItem]:
    """What the choice of rule set tells a person: an expired regional round, refused; a
    region without its own pack, with the fallback named."""
    if not ev.ladders[ladder].notes[row]:
        return []
    region = ev.frame.text("region_code")[row] or None
    day = ev.ref_date[row].astype(dt.date)
    expired = expired_round(ev.rulesets, ladder, day, ev.mode, region)
    if expired is not None:
        return [
            WarningItem(
                ladder=ladder,
                id="expired_round",
                zh=refusal_text(expired),
                en=refusal_text(expired, "en"),
                source=expired.key,
            )
        ]
    return [
        WarningItem(
            ladder=ladder,
            id="no_region_pack",
            zh=fallback_text(rs, region),
            en=fallback_text(rs, region, "en"),
            source=rs.key,
        )
    ]


def _fired_warnings(rs: RuleSet, ladder: str, res, row: int) -> list[WarningItem]:
    fired = set(res.warning_ids[row].split(";")) - {""}
    return [
        WarningItem(ladder=ladder, id=spec.id, zh=spec.zh, en=spec.en, source=rs.cite(spec.source))
        for spec, _ in rs.warnings
        if spec.id in fired
    ]


def review_summary(la: LadderAssessment | dict, lang: str = "zh") -> str:
    """The one line a manual-review ladder reads everywhere (pages, PDF, CLI), from a result
    or from its stored JSON."""
    items = la.get(f"review_{lang}", []) if isinstance(la, dict) else getattr(la, f"review_{lang}")
    if lang == "zh":
        return "其余条件均满足，待人工审核：" + "；".join(items)
    return "Every other condition is met; needs manual review: " + "; ".join(items)


def upgrade_path(ladders: dict[str, LadderAssessment], next_rung: str) -> list[PathStep]:
    """The ladders from the next rung upward, with what each needs and how long it takes."""
    steps = []
    start = PATH.index(next_rung) if next_rung in PATH else len(PATH)
    for ladder in PATH[start:]:
        la = ladders[ladder]
        if la.held:
            continue
        needs_zh = []
        needs_en = []
        lead = 0
        # the first option of every failed gate, then the score plan
        for gap in la.gaps:
            if gap.kind == "direct" or (gap.option not in (None, 0)):
                continue
            needs_zh.append(gap.zh)
            needs_en.append(gap.en)
            lead = max(lead, gap.lead_months)
        if la.status == "undetermined" and la.missing:
            needs_zh.append("补充数据：" + "、".join(FIELDS[f].label_zh for f in la.missing))
            needs_en.append("Provide: " + ", ".join(la.missing))
        if la.status == MANUAL_REVIEW:
            needs_zh.append(review_summary(la, "zh"))
            needs_en.append(review_summary(la, "en"))
        steps.append(
            PathStep(
                ladder=ladder,
                name_zh=la.name_zh,
                status=la.status,
                needs_zh=needs_zh,
                needs_en=needs_en,
                lead_months=lead,
            )
        )
    return steps
