"""Properties that must hold for every firm, checked on generated firms (hypothesis)."""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import LADDERS, assess, assess_frame
from tests.conftest import TODAY

SCORED = ("tech_sme", "innovative_sme", "high_tech", "srdi_sme")

money = st.one_of(st.none(), st.integers(0, 400_000_000).map(float))
small = st.one_of(st.none(), st.integers(0, 30))
flag = st.one_of(st.none(), st.booleans())


@st.composite
def firms(draw):
    employees = draw(st.one_of(st.none(), st.integers(1, 800)))
    firm = {
        "name": "生成企业",
        "fiscal_year": draw(st.sampled_from([2024, 2025])),
        "registered_on": draw(
            st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2025, 6, 1)))
        ),
        "region_code": draw(st.sampled_from([None, "440112", "370102", "210112", "110108"])),
        "employees": employees,
        "tech_staff": None if employees is None else draw(st.integers(0, employees)),
        "rd_staff": None if employees is None else draw(st.integers(0, employees)),
        "high_tech_field": draw(st.sampled_from([None, "electronic_information", "none"])),
        "ip_acquisition": draw(st.sampled_from([None, "self_developed", "mixed", "acquired"])),
        "rd_institution_level": draw(st.sampled_from([None, "none", "own", "provincial"])),
        "hte_advancement": draw(st.one_of(st.none(), st.integers(0, 8))),
        "hte_core_support": draw(st.one_of(st.none(), st.integers(0, 8))),
        "niche_years": draw(st.one_of(st.none(), st.integers(0, 12))),
        "srdi_local_points": draw(st.one_of(st.none(), st.integers(0, 15))),
        "srdi_dev_score": draw(st.one_of(st.none(), st.integers(30, 90))),
        "digital_level": draw(st.one_of(st.none(), st.integers(1, 4))),
    }
    for name in (
        "revenue_y0",
        "revenue_y1",
        "revenue_y2",
        "revenue_y3",
        "main_revenue_y0",
        "main_revenue_y1",
        "main_revenue_y2",
        "rd_expense_y0",
        "rd_expense_y1",
        "rd_expense_y2",
        "total_assets_y0",
        "total_liabilities_y0",
        "net_assets_y0",
        "net_assets_y1",
        "net_assets_y2",
        "cost_expense_total_y0",
        "net_profit_y0",
        "high_tech_income_y0",
        "rd_expense_domestic_3y",
        "equity_financing_y0",
        "equity_financing_y1",
        "equity_financing_y2",
    ):
        firm[name] = draw(money)
    for name in ("ip_class2", "standards_led", "tech_conversions_3y"):
        firm[name] = draw(small)
    ip1 = draw(small)
    firm["ip_class1"] = ip1
    firm["ip_class1_main_product"] = None if ip1 is None else draw(st.integers(0, ip1))
    for name in (
        "is_high_tech",
        "is_tech_sme",
        "is_srdi_sme",
        "major_incident_1y",
        "on_dishonesty_list",
        "restricted_industry",
        "key_field",
        "quality_certified",
        "own_brand",
        "rd_mgmt_system",
        "rd_mgmt_institution",
        "rd_mgmt_incentive",
        "rd_mgmt_talent",
        "provincial_award_3y",
        "national_award_5y",
        "in_high_tech_zone",
        "strategic_emerging",
    ):
        firm[name] = draw(flag)
    return {k: v for k, v in firm.items() if v is not None}


def _frame(rows):
    return assess_frame(pd.DataFrame(rows), today=TODAY)


def _scores(result, ladder):
    return result[f"{ladder}_score"].to_numpy(dtype=float)


COMMON = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(st.lists(firms(), min_size=1, max_size=12), st.integers(1, 5_000_000))
def test_more_rd_spend_never_lowers_a_score(rows, extra):
    more = [{**r, "rd_expense_y0": r.get("rd_expense_y0", 0.0) + extra} for r in rows]
    before, after = _frame(rows), _frame(more)
    for ladder in SCORED:
        b, a = _scores(before, ladder), _scores(after, ladder)
        known = ~np.isnan(b) & ~np.isnan(a)
        assert (a[known] >= b[known]).all(), ladder


@COMMON
@given(st.lists(firms(), min_size=1, max_size=12), st.integers(1, 5), st.integers(0, 5))
def test_more_ip_never_lowers_a_score(rows, more1, more2):
    more = [
        {
            **r,
            "ip_class1": r.get("ip_class1", 0) + more1,
            "ip_class1_main_product": r.get("ip_class1_main_product", 0) + more1,
            "ip_class2": r.get("ip_class2", 0) + more2,
        }
        for r in rows
    ]
    before, after = _frame(rows), _frame(more)
    for ladder in SCORED:
        b, a = _scores(before, ladder), _scores(after, ladder)
        known = ~np.isnan(b) & ~np.isnan(a)
        assert (a[known] >= b[known]).all(), ladder


FILLABLE = {
    "tech_staff": st.integers(0, 5),
    "employees": st.integers(5, 500),
    "rd_expense_y1": st.integers(0, 10_000_000).map(float),
    "is_high_tech": st.booleans(),
    "srdi_dev_score": st.integers(0, 100),
    "niche_years": st.integers(0, 12),
    "revenue_y3": st.integers(0, 100_000_000).map(float),
    "key_field": st.booleans(),
    "hte_advancement": st.integers(0, 8),
    "strategic_emerging": st.booleans(),
    "total_income_y0": st.integers(1, 400_000_000).map(float),
    "registered_on": st.dates(dt.date(2000, 1, 1), dt.date(2025, 6, 1)),
}


@COMMON
@given(firms(), st.sampled_from(sorted(FILLABLE)), st.data())
def test_filling_an_unknown_field_never_makes_an_eligible_firm_undetermined(firm, field, data):
    if field in firm:
        return
    before = assess(firm, today=TODAY)
    filled = {**firm, field: data.draw(FILLABLE[field])}
    if field == "tech_staff" and "employees" in filled:
        filled["tech_staff"] = min(filled["tech_staff"], filled["employees"])
    after = assess(filled, today=TODAY)
    for ladder in LADDERS:
        if before.ladders[ladder].status == "eligible":
            assert after.ladders[ladder].status != "undetermined", (ladder, field)


@COMMON
@given(st.lists(firms(), min_size=1, max_size=6))
def test_assess_equals_the_matching_row_of_assess_frame(rows):
    frame = _frame(rows)
    for i, firm in enumerate(rows):
        single = assess(firm, today=TODAY)
        row = frame.iloc[i]
        for ladder, la in single.ladders.items():
            assert row[f"{ladder}_status"] == la.status
            score = row[f"{ladder}_score"]
            assert (np.isnan(score) and la.score is None) or score == la.score
            assert row[f"{ladder}_failed"] == ";".join(la.failed)
            assert row[f"{ladder}_missing"] == ";".join(la.missing)
        assert (row["next_rung"] or None) == single.next_rung
        assert row["criteria_version"] == single.criteria_version
