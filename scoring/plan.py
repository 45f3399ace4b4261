"""The least-cost plan to a target rung: which changes, what they cost, how long they take.

The options are the gap engine's own (``Assessment.ladders[target].gaps``): one alternative per
failed gate (a rule's alternatives are numbered), and for a scored ladder any set of indicator
gaps whose points close the shortfall. Each combination is priced with the unit costs in
``criteria/plan/costs.yaml`` (editable assumptions, each with its source); combinations whose
changes cannot show by the target year are dropped; the cheapest are re-scored together through
the engine in one vectorized pass and the cheapest that reaches the target is the plan. A plan
that re-scoring does not confirm is never shown as reaching it. Changes are applied to the
latest year's figures, as the gaps are: a stated simplification (the next application reads
next year's figures, assumed to repeat this year's plus the change).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from criteria import DIR as CRITERIA_DIR
from scoring.api import assess, firm_dict, score_firms
from scoring.engine import STATUS_OF_CODE
from scoring.explain import review_summary
from scoring.fields import FIELDS
from scoring.formatting import fmt_chance
from scoring.models import Assessment, Gap, Plan, PlanStep
from scoring.options import Options
from scoring.readiness.predict import resolve
from scoring.rulesets import RuleFileError, read_data_file
from scoring.vocabulary import ELIGIBLE, LADDER_ZH, MANUAL_REVIEW, PATH, STATUS_ZH

MAX_SUBSETS = 4096  # indicator subsets tried for a score shortfall (2^12)
RESCORED = 24  # cheapest combinations re-scored per round
ROUNDS = 3  # a re-scored combination that still fails adds the gaps it then shows


class CostSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per: float = Field(ge=0)
    lead_months: int = Field(ge=0)
    zh: str
    source: str
    sureness: Literal["high", "medium", "low"]


class CostFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["plan_costs"]
    checked: str
    costs: dict[str, CostSpec]


@cache
def load_costs(path: Path = CRITERIA_DIR / "plan" / "costs.yaml") -> CostFile:
    data = read_data_file(path, CostFile)
    unknown = set(data.costs) - set(FIELDS)
    if unknown:
        raise RuleFileError(f"{path}: costs for fields that do not exist: {sorted(unknown)}")
    return data


def _price(gap: Gap, costs: dict[str, CostSpec]) -> PlanStep:
    spec = FIELDS.get(gap.field or "")
    cost_spec = costs.get(gap.field or "")
    amount = None if gap.change is None else abs(float(gap.change))
    if cost_spec is None:
        cost = None
    elif amount is None:  # a yes/no condition: one unit
        cost = cost_spec.per
    else:
        cost = cost_spec.per * amount
    return PlanStep(
        rule_id=gap.rule_id,
        field=gap.field or "",
        label_zh=spec.label_zh if spec else (gap.field or ""),
        zh=gap.zh,
        action_zh=cost_spec.zh if cost_spec else "（无法以投入计价：需经营或市场变化）",
        change=None if gap.change is None else float(gap.change),
        unit=gap.unit,
        cost=cost,
        lead_months=cost_spec.lead_months if cost_spec else gap.lead_months,
        source=cost_spec.source if cost_spec else None,
        sureness=cost_spec.sureness if cost_spec else None,
    )


def _applicable(gap: Gap, firm: dict) -> bool:
    """A gap a plan can act on: it changes an input field by an amount or sets a yes/no."""
    spec = FIELDS.get(gap.field or "")
    if spec is None or gap.kind in ("direct", "score"):
        return False
    if spec.type == "bool":
        return True
    return (
        gap.change is not None
        and spec.type in ("money", "integer", "number")
        and (gap.field in firm)
    )


def _options(la, firm: dict) -> tuple[list[list[list[Gap]]], list[Gap], float]:
    """(per failed gate: its alternatives, each a list of gaps), the indicator gaps, and the
    points the score still needs (0 when the score is not short)."""
    gates: dict[str, dict[int, list[Gap]]] = {}
    indicators, short = [], 0.0
    for gap in la.gaps:
        if gap.kind == "score":
            short = float(gap.change or 0)
        elif gap.kind == "indicator":
            if _applicable(gap, firm) and gap.points_gain:
                indicators.append(gap)
        elif gap.kind == "gate" and _applicable(gap, firm):
            gates.setdefault(gap.rule_id, {}).setdefault(gap.option or 0, []).append(gap)
        elif gap.kind == "gate":
            gates.setdefault(gap.rule_id, {})
    return [list(alts.values()) for alts in gates.values()], indicators, short


def _indicator_sets(indicators: list[Gap], short: float) -> list[tuple[Gap, ...]]:
    if short <= 0:
        return [()]
    found = []
    for size in range(1, len(indicators) + 1):
        for combo in itertools.combinations(indicators, size):
            if sum(g.points_gain or 0 for g in combo) >= short:
                found.append(combo)
            if len(found) >= MAX_SUBSETS:
                return found
    return found


def _end_state(firm: dict, gaps: list[Gap]) -> dict:
    out = dict(firm)
    for gap in gaps:
        spec = FIELDS[gap.field]
        if spec.type == "bool":
            out[gap.field] = True
        else:
            new = float(firm[gap.field]) + float(gap.change)
            out[gap.field] = round(new) if spec.type == "integer" else new
    return out


def _total(steps: list[PlanStep]) -> tuple[float, int]:
    """Sort key: priced cost (an unpriced step counts as infinitely dear), then lead."""
    cost = sum(math.inf if s.cost is None else s.cost for s in steps)
    return cost, max((s.lead_months for s in steps), default=0)


def default_target(result: Assessment) -> str | None:
    """The next rung that is not met yet (held or eligible rungs are passed over)."""
    for step in result.path:
        if step.status not in (ELIGIBLE,):
            return step.ladder
    return None


def plan_for(
    firm: Any,
    target: str | None = None,
    by_year: int | None = None,
    costs: dict[str, float] | None = None,
    options: Options | None = None,
    today: dt.date | None = None,
) -> Plan | None:
    """The least-cost plan that takes ``firm`` to ``target`` (default: its next unmet rung)
    by ``by_year`` (default: next year). ``costs``: per-field unit costs replacing the
    file's. None when there is nothing to plan (every rung met)."""
    options = Options.of(options).replace(actions=False)  # the readiness actions: not used
    today = today or options.today or dt.date.today()
    data = firm_dict(firm)
    first = score_firms([data], options.replace(readiness=None))  # the model runs at the end
    before = first.assessments()[0]
    target = target or default_target(before)
    if target is None:
        return None
    if target not in PATH:
        raise ValueError(f"unknown ladder: {target}")
    years = [by_year] if by_year else [today.year + k for k in (1, 2, 3)]
    file = load_costs()
    unknown = set(costs or {}) - set(file.costs)
    if unknown:
        raise ValueError(
            f"no unit cost to replace for {sorted(unknown)}; priced: {sorted(file.costs)}"
        )
    specs = {
        k: v.model_copy(update={"per": costs[k]}) if costs and k in costs else v
        for k, v in file.costs.items()
    }
    la = before.ladders[target]
    base = Plan(
        target=target,
        target_zh=LADDER_ZH[target],
        by_year=years[0],
        status_before=la.status,
        reachable=la.status == ELIGIBLE,
        status_after=la.status,
        score_before=la.score,
        score_after=la.score,
        zh="",
        costs_checked=file.checked,
        readiness_before=None,
    )
    if la.status == ELIGIBLE:
        return base.model_copy(update={"zh": f"已满足{LADDER_ZH[target]}条件，可准备申报"})
    if la.status == MANUAL_REVIEW:
        return base.model_copy(update={"zh": review_summary(la)})
    if la.status == "undetermined" and la.missing:
        return base.model_copy(update={"zh": f"先补充数据（{_labels(la.missing)}）才能制定方案"})
    for year in years:
        months = max(0, (year - today.year) * 12 + 7 - today.month)  # to mid-year's windows
        found = _search(data, before, target, specs, months, options)
        if found["best"] is not None or found["missing"] or year == years[-1]:
            break
    tried, rescored, best = found["tried"], found["rescored"], found["best"]
    base = base.model_copy(update={"by_year": year, "tried": tried, "rescored": rescored})
    if best is None:
        name = LADDER_ZH[target]
        if found["missing"]:
            why = f"按所列措施补足后，还需补充数据（{_labels(found['missing'])}）才能判断{name}"
        elif found["slow"] is not None:
            why = f"所需措施最短约{found['slow']}个月，{year}年申报前来不及"
        elif tried:
            why = f"在{year}年前，所列措施的组合经重新评价均未达到{name}条件"
        else:
            why = "所缺条件无法通过投入补足（见“还差”），暂无可计算的方案"
        return base.model_copy(update={"zh": why})
    (_, lead), _, steps = best[0]
    # the end state as the search re-scored it; the model reads it and the firm as it is
    ev, row = found["ev"], found["row"]
    result = ev.ladders[target]
    status_after = STATUS_OF_CODE[result.status[row]]
    score_after = None if math.isnan(result.score[row]) else float(result.score[row])
    bundle = resolve(options.readiness)
    chance_before = _chance(first.ev, 0, bundle, target)
    chance_after = _chance(ev, row, bundle, target)
    priced = [s.cost for s in steps if s.cost is not None]
    unpriced = [s.label_zh for s in steps if s.cost is None]
    total = sum(priced) if priced else None
    money = f"约{total / 10000:,.1f}万元" if total is not None else "无法定价"
    extra = f"（另有无法定价的：{'、'.join(unpriced)}）" if unpriced else ""
    return base.model_copy(
        update={
            "reachable": True,
            "status_after": status_after,
            "score_after": score_after,
            "readiness_before": chance_before,
            "steps": steps,
            "cost": total,
            "unpriced": unpriced,
            "lead_months": lead,
            "readiness_after": chance_after,
            "zh": f"达到{LADDER_ZH[target]}的最省方案：{len(steps)}项措施，{money}{extra}，"
            f"约{lead}个月后体现（目标{year}年申报，经重新评价确认）",
        }
    )


def _search(data, before, target, specs, months, options) -> dict:
    """Price every combination of the gap engine's options, drop those too slow for
    ``months``, re-score the cheapest in one pass; a round that reaches nothing goes on from
    the cheapest end states' own remaining gaps."""
    tried = rescored = 0
    slow = None
    missing: list[str] = []
    chosen: list[list[Gap]] = [[]]
    plain = options.replace(readiness=None)
    for _ in range(ROUNDS):
        candidates = []
        for prefix in chosen:
            state = _end_state(data, prefix) if prefix else data
            now = before if not prefix else assess(state, plain)
            gates, indicators, short = _options(now.ladders[target], state)
            if any(not alts for alts in gates):  # a failed rule no change can pass
                continue
            for pick in itertools.product(*gates) if gates else [()]:
                gate_gaps = [g for alt in pick for g in alt]
                for extra in _indicator_sets(indicators, short):
                    gaps = prefix + gate_gaps + list(extra)
                    if not gaps:
                        continue
                    steps = [_price(g, specs) for g in gaps]
                    tried += 1
                    lead = max(s.lead_months for s in steps)
                    if lead > months:
                        slow = lead if slow is None else min(slow, lead)
                        continue
                    candidates.append((_total(steps), gaps, steps))
        if not candidates:
            break
        candidates.sort(key=lambda c: c[0])
        top = candidates[:RESCORED]
        states = [_end_state(data, gaps) for _, gaps, _ in top]
        ev = score_firms([firm_dict(s) for s in states], plain).ev
        codes, lacking = ev.ladders[target].status, ev.ladders[target].missing
        rescored += len(top)
        for i, code in enumerate(codes):
            if STATUS_OF_CODE[code] in (ELIGIBLE, MANUAL_REVIEW):
                found = {"best": (top[i], states[i]), "tried": tried, "rescored": rescored}
                return {**found, "ev": ev, "row": i}  # the end state's evaluation is kept
            if STATUS_OF_CODE[code] == "undetermined" and not missing:
                missing = [f for f in lacking[i].split(";") if f]
        if missing:
            break
        chosen = [gaps for _, gaps, _ in top[:4]]
    return {"best": None, "tried": tried, "rescored": rescored, "slow": slow, "missing": missing}


def readiness_lines(plan: Plan) -> list[str]:
    """What the readiness model says beside the plan, worded so it cannot read as a promise
    nor contradict the plan's lead time."""
    if plan.readiness_before is None:
        return []
    line = f"模型估计（非官方判定）：维持现状，12个月内晋级概率 {fmt_chance(plan.readiness_before)}"
    if plan.readiness_after is not None and plan.steps:
        line += (
            f"；按方案约{plan.lead_months}个月完成后，其后12个月内 "
            f"{fmt_chance(plan.readiness_after)}"
        )
    return [line]


def _labels(fields: list[str]) -> str:
    return "、".join(FIELDS[f].label_zh if f in FIELDS else f for f in fields)


def _chance(ev, row: int, bundle, ladder: str) -> float | None:
    """The 12-month chance of ``ladder`` for one row of an evaluation: its one model only, on
    the features every result reads (the other models are not needed here)."""
    from scoring.readiness.features import single_year_features

    model = bundle.models.get(f"{ladder}/1") if bundle is not None else None
    if model is None:
        return None
    X = single_year_features(ev).iloc[[row]]
    held = X.get(f"{ladder}_held")
    if held is not None and held.to_numpy(dtype=float)[0] == 1:
        return None
    return float(model.predict_proba(X)[0, 1])


def plan_lines(plan: Plan) -> list[str]:
    """The plan as the CLI prints it (the page and the PDF lay out the same fields)."""
    lines = [plan.zh]
    for step in plan.steps:
        cost = "无法定价" if step.cost is None else f"{step.cost / 10000:,.1f}万元"
        lines.append(f"  · {step.action_zh}：{step.zh}（{cost}，约{step.lead_months}个月）")
    if plan.steps:
        before, after = STATUS_ZH[plan.status_before], STATUS_ZH[plan.status_after]
        lines.append(f"  重新评价：{before} → {after}")
    lines += [f"  {line}" for line in readiness_lines(plan)]
    lines.append(f"  单位成本为可修改的假设（criteria/plan/costs.yaml，核对{plan.costs_checked}）")
    return lines


def attach_plan(result: dict, plan: Plan | None) -> dict:
    """A result (its JSON) with its plan; the path's lead time for the plan's target becomes
    the plan's, so the path, the plan and the readiness lines say one number."""
    if plan is None:
        return result
    path = [
        {**s, "lead_months": plan.lead_months} if s["ladder"] == plan.target and plan.steps else s
        for s in result.get("path") or []
    ]
    return {**result, "plan": plan.model_dump(mode="json"), "path": path}
