"""The least-cost plan: re-scored to its target, no cheaper single change reaches it, lead
times agree with the path and the readiness lines, costs editable, refusals worded."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest

from scoring.api import assess, firm_dict
from scoring.models import Assessment
from scoring.plan import (
    _applicable,
    _end_state,
    _price,
    attach_plan,
    load_costs,
    plan_for,
    readiness_lines,
)
from scoring.vocabulary import ELIGIBLE, MANUAL_REVIEW
from tests.conftest import ROOT

TODAY = dt.date(2026, 12, 3)
EXAMPLE = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))


def test_the_example_firm_plan_reaches_high_tech_when_re_scored():
    plan = plan_for(EXAMPLE, today=TODAY)
    assert plan.target == "high_tech" and plan.reachable and plan.steps
    assert plan.status_before == "ineligible" and plan.status_after == ELIGIBLE
    end = _end_state(firm_dict(EXAMPLE), [_gap(EXAMPLE, s) for s in plan.steps])
    assert assess(end).ladders["high_tech"].status == ELIGIBLE  # verified independently
    assert plan.cost == sum(s.cost for s in plan.steps)
    assert plan.lead_months == max(s.lead_months for s in plan.steps)
    # too slow for 2027 (7 months to mid-2027, the change takes 12): the earliest year is 2028
    assert plan.by_year == 2028
    hurried = plan_for(EXAMPLE, by_year=2027, today=TODAY)
    assert not hurried.reachable and "来不及" in hurried.zh


def _gap(firm, step):
    gaps = assess(firm).ladders["high_tech"].gaps
    return next(g for g in gaps if g.rule_id == step.rule_id and g.field == step.field)


def test_no_cheaper_single_change_among_the_options_reaches_the_target():
    plan = plan_for(EXAMPLE, today=TODAY)
    firm = firm_dict(EXAMPLE)
    costs = load_costs().costs
    for gap in assess(firm).ladders["high_tech"].gaps:
        if not _applicable(gap, firm):
            continue
        step = _price(gap, costs)
        if step.cost is not None and step.cost < plan.cost:
            end = _end_state(firm, [gap])
            assert assess(end).ladders["high_tech"].status != ELIGIBLE, gap.rule_id


def test_unit_costs_are_editable_and_change_the_choice_or_the_total():
    base = plan_for(EXAMPLE, today=TODAY)
    dearer = plan_for(EXAMPLE, today=TODAY, costs={"tech_conversions_3y": 40000})
    assert dearer.cost == pytest.approx(2 * base.cost) or dearer.steps != base.steps
    with pytest.raises(ValueError, match="no unit cost"):
        plan_for(EXAMPLE, today=TODAY, costs={"revenue_y0": 1})


def test_a_plan_that_ends_in_missing_data_says_which_and_never_claims_the_target():
    plan = plan_for(EXAMPLE, target="gazelle", today=TODAY)
    assert not plan.reachable and "还需补充数据" in plan.zh and "国家高新区" in plan.zh
    review = plan_for(EXAMPLE, target="srdi_sme", today=TODAY)
    assert review.status_before == MANUAL_REVIEW and "待人工审核" in review.zh


def test_the_path_the_plan_and_the_readiness_lines_say_one_lead_time():
    """The 约需12个月 vs 0 % contradiction: the path's lead for the target is the plan's, and
    the model's chance is worded as "as is" vs "after the plan, counted from its end"."""
    checked = 0
    sheet = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    for raw in sheet.to_dict("records"):
        row = {k: v for k, v in raw.items() if v != ""}
        if "name" not in row:  # the sheet's deliberately rejected rows
            continue
        plan = plan_for(row, today=TODAY)
        if plan is None or not plan.steps:
            continue
        result = assess(row)
        merged = Assessment.model_validate(attach_plan(result.model_dump(mode="json"), plan))
        (step,) = [s for s in merged.path if s.ladder == plan.target]
        assert step.lead_months == plan.lead_months
        for line in readiness_lines(plan):
            assert "维持现状" in line and f"按方案约{plan.lead_months}个月完成后" in line
            assert not re.search(r"(?<![\d.])0%|100%", line)  # <1% / >99%, never 0 or 100
        checked += 1
    assert checked >= 5


def test_a_plan_is_fast_enough_to_compute_on_a_page():
    plan = plan_for(EXAMPLE, today=TODAY)
    assert plan.tried >= 1 and plan.rescored >= 1  # the timing is in bench/bench_plan.py


def test_the_plans_as_is_chance_is_the_results_own():
    plan = plan_for(EXAMPLE, today=TODAY)
    result = assess(EXAMPLE)
    assert plan.readiness_before == result.readiness.within_12m[plan.target]
    end = _end_state(firm_dict(EXAMPLE), [_gap(EXAMPLE, s) for s in plan.steps])
    assert plan.readiness_after == assess(end).readiness.within_12m[plan.target]
