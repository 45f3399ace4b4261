"""Gaps are the least change in the firm's own units; the path orders the ladders."""

import datetime as dt

import pytest

from scoring import assess

HNTE = {
    "name": "甲",
    "fiscal_year": 2025,
    "registered_on": "2015-01-01",
    "high_tech_field": "electronic_information",
    "employees": 100,
    "tech_staff": 8,
    "revenue_y0": 40e6,
    "revenue_y1": 40e6,
    "revenue_y2": 40e6,
    "rd_expense_y0": 2e6,
    "rd_expense_y1": 1.5e6,
    "rd_expense_y2": 1.5e6,
    "rd_expense_domestic_3y": 5e6,
    "high_tech_income_y0": 30e6,
    "total_income_y0": 40e6,
    "ip_class1": 0,
    "ip_class2": 2,
    "major_incident_1y": False,
}


def _gaps(result, ladder, rule_id):
    return [g for g in result.ladders[ladder].gaps if g.rule_id == rule_id]


def test_tech_staff_gap_counts_new_hires_at_current_headcount():
    (gap,) = _gaps(assess(HNTE), "high_tech", "tech_staff_ratio")
    # (8 + k) / (100 + k) >= 10 %  ->  k = 3 (2 would give 9.8 %)
    assert (gap.field, gap.change, gap.unit) == ("tech_staff", 3, "persons")
    assert "3" in gap.zh


def test_rd_gap_is_yuan_over_the_three_year_window():
    (gap,) = _gaps(assess(HNTE), "high_tech", "rd_ratio")
    # 5 % of CNY 120 m = CNY 6 m; the firm spent CNY 5 m
    assert gap.field == "rd_expense_y0"
    assert gap.change == pytest.approx(1_000_000)
    assert gap.unit == "CNY"
    assert "100.00万元" in gap.zh and "近三年" in gap.zh
    assert "¥1.00M" in gap.en


def test_passing_rules_have_no_gap():
    firm = {**HNTE, "tech_staff": 20}
    assert _gaps(assess(firm), "high_tech", "tech_staff_ratio") == []


def test_ip_gap_counts_items():
    firm = {
        "name": "甲",
        "fiscal_year": 2025,
        "region_code": "370102",
        "ip_class1": 1,
        "ip_class2": 3,
        "standards_led": 0,
    }
    options = _gaps(assess(firm, as_of=dt.date(2023, 7, 1)), "gazelle", "ip")  # Shandong 2023
    changes = {(g.field, g.change) for g in options}
    assert ("ip_class1", 1) in changes  # one more invention patent
    assert ("ip_class2", 5) in changes  # or five more class-II items
    assert len({g.option for g in options}) == 3


def test_a_firm_cannot_get_younger_so_age_routes_offer_no_gap():
    firm = {
        "name": "甲",
        "fiscal_year": 2025,
        "registered_on": "2005-01-01",
        "region_code": "210112",
        "revenue_y0": 20e6,
    }
    gaps = _gaps(assess(firm), "gazelle", "age")
    assert gaps == []


def test_registration_age_gap_in_days():
    firm = {**HNTE, "tech_staff": 20, "registered_on": "2026-01-01"}
    (gap,) = _gaps(assess(firm), "high_tech", "registered_one_year")
    assert gap.unit == "days"
    assert gap.change == 365 - 181  # judged on 2026-07-01


def test_debt_ratio_gap_reduces_liabilities():
    firm = {"name": "甲", "fiscal_year": 2025, "total_assets_y0": 10e6, "total_liabilities_y0": 9e6}
    (gap,) = _gaps(assess(firm), "srdi_sme", "debt_ratio")
    assert gap.field == "total_liabilities_y0"
    assert gap.change == pytest.approx(-1_000_000)
    assert "减少" in gap.zh


def test_score_plan_covers_the_shortfall_with_the_quickest_moves():
    firm = {
        **HNTE,
        "tech_staff": 20,
        "rd_expense_y2": 2.5e6,
        "rd_expense_domestic_3y": 6e6,
        "hte_advancement": 4,
        "hte_core_support": 4,
        "ip_acquisition": "self_developed",
        "standards_led": 0,
        "tech_conversions_3y": 3,
        "rd_mgmt_system": True,
        "rd_mgmt_institution": True,
        "rd_mgmt_incentive": False,
        "rd_mgmt_talent": False,
        "net_assets_y0": 10e6,
        "net_assets_y1": 10e6,
        "net_assets_y2": 10e6,
    }
    result = assess(firm)
    la = result.ladders["high_tech"]
    assert la.status == "ineligible" and la.failed == ["pass_mark"]
    head, *plan = [g for g in la.gaps if g.kind in ("score", "indicator")]
    assert head.rule_id == "pass_mark"
    assert head.change == 71 - la.score
    assert sum(g.points_gain for g in plan) >= head.change
    leads = [g.lead_months for g in plan]
    assert leads == sorted(leads)
    assert {"mgmt_incentive", "mgmt_talent"} <= {g.rule_id for g in plan}


def test_next_rung_skips_held_and_capped_ladders():
    firm = {"name": "甲", "fiscal_year": 2025, "employees": 900, "is_high_tech": True}
    result = assess(firm)
    # too big for a tech SME (a size cap), so the path starts at the innovative SME
    assert result.ladders["tech_sme"].failed == ["employees_cap"]
    assert result.next_rung == "innovative_sme"
    held = assess({**firm, "is_innovative_sme": True})
    assert held.next_rung == "srdi_sme"  # high-tech is held too


def test_path_lists_each_rung_with_needs_and_lead_time():
    result = assess(HNTE)
    ladders = [s.ladder for s in result.path]
    assert ladders[0] == result.next_rung
    step = next(s for s in result.path if s.ladder == "high_tech")
    assert step.lead_months >= 3
    assert any("科技人员" in need for need in step.needs_zh)


def test_trace_shows_value_threshold_and_source():
    result = assess(HNTE)
    entry = next(t for t in result.ladders["high_tech"].trace if t.rule_id == "rd_ratio")
    assert entry.outcome == "fail"
    assert entry.value_zh == "4.17%"
    assert entry.threshold_zh == "≥ 5.00%"
    assert entry.source == "国科发火〔2016〕32号 第十一条（五）"
    assert entry.evidence == "verified"


@pytest.mark.parametrize(
    ("tech_staff", "band", "next_band", "points"),
    [
        (24, "≥ 20.00% → 12分", "≥ 25.00% → 16分", 12),  # 24 %: just under the 16-point band
        (25, "≥ 25.00% → 16分", "≥ 30.00% → 20分", 16),  # 25 % exactly: in it (含)
        (30, "≥ 30.00% → 20分", None, 20),  # the top band has none above it
    ],
)
def test_trace_names_the_band_reached_and_the_next_band_up(tech_staff, band, next_band, points):
    firm = {"name": "乙", "fiscal_year": 2025, "employees": 100, "tech_staff": tech_staff}
    entry = next(t for t in assess(firm).ladders["tech_sme"].trace if t.rule_id == "tech_staff")
    assert (entry.band_zh, entry.next_band_zh, entry.points) == (band, next_band, points)
    assert entry.short_zh == "科技人员"
    assert entry.band_zh in entry.threshold_zh  # one of the bands listed in full


def test_an_unknown_indicator_names_no_band():
    entry = next(
        t
        for t in assess({"name": "丙", "fiscal_year": 2025}).ladders["tech_sme"].trace
        if t.rule_id == "tech_staff"
    )
    assert entry.outcome == "unknown" and entry.band_zh is None and entry.next_band_zh is None


def test_a_typed_firm_model_is_accepted():
    from pydantic import ValidationError

    from scoring import Firm

    firm = Firm(name="甲", fiscal_year=2025, registered_on="2015-01-01", employees=100)
    assert assess(firm).ladders["high_tech"].status == "undetermined"
    with pytest.raises(ValidationError):
        Firm(name="甲", employees="很多")
    with pytest.raises(ValidationError):
        Firm(name="甲", revenu=1)


# ---- near a threshold: one failed rule, and a small step --------------------------------------


def _edge_firm() -> dict:
    import pandas as pd

    from tests.conftest import ROOT

    samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    (firm,) = samples[samples["name"] == "示例·星河光电技术有限公司（高企临界）"].to_dict("records")
    return firm


def _near(firms, overrides=None):
    import pandas as pd

    from scoring.api import iter_evaluations
    from scoring.gaps import near_threshold

    ((_, ev),) = iter_evaluations(pd.DataFrame(firms), overrides=overrides)
    near = near_threshold(ev)
    return {
        (int(r), k): (rule, s)
        for r, k, rule, s in near[["row", "ladder", "rule_id", "shortfall"]].itertuples(index=False)
    }


def test_near_share_boundary_is_inclusive():
    """Three-year R&D ratio at 4.0 % against 5 % is 20 % short: near; 3.99 % is not."""
    firm = _edge_firm()
    sales = sum(float(firm[f"revenue_y{i}"]) for i in range(3))
    rows = []
    for ratio in (0.04, 0.0399):
        rd = ratio * sales
        rows.append(
            dict(
                firm,
                rd_expense_y0=rd / 3,
                rd_expense_y1=rd / 3,
                rd_expense_y2=rd / 3,
                rd_expense_domestic_3y=rd,
            )
        )
    near = _near(rows)
    assert near[(0, "high_tech")][0] == "rd_ratio"
    assert near[(0, "high_tech")][1] == pytest.approx(0.2)
    assert (1, "high_tech") not in near


def test_near_points_boundary_is_strict():
    """Only the pass mark fails: 9 points short is near, 10 points short is not."""
    firm = _edge_firm()
    score = assess(firm).ladders["high_tech"].score
    near9 = _near([firm], {"high_tech.pass_mark.total.gt": score + 8})  # needs score + 9
    near10 = _near([firm], {"high_tech.pass_mark.total.gt": score + 9})  # needs score + 10
    assert near9[(0, "high_tech")][0] == "pass_mark"
    assert (0, "high_tech") not in near10


def test_two_failed_rules_or_a_ceiling_are_never_near():
    firm = _edge_firm()
    two = dict(firm, rd_expense_y2=float(firm["rd_expense_y2"]) - 1e4, tech_staff=1)
    capped = dict(firm, employees=600, tech_staff=120)  # tech-based SME cap: 500 staff
    near = _near([two, capped])
    assert (0, "high_tech") not in near
    assert (1, "tech_sme") not in near


def test_near_list_without_texts_has_the_same_firms_rules_and_distances():
    """The readiness features take the near list without its texts; it must be the same list."""
    import pandas as pd

    from bench.synthetic import synthetic_firms
    from scoring.api import iter_evaluations
    from scoring.gaps import near_threshold

    frame = synthetic_firms(5000, seed=4)
    ((_, numbers),) = iter_evaluations(frame)
    ((_, texts),) = iter_evaluations(frame)
    a, b = near_threshold(numbers, text=False), near_threshold(texts)
    keys = ["row", "ladder", "rule_id", "shortfall"]
    assert len(b) > 50
    pd.testing.assert_frame_equal(a[keys], b[keys])
    assert (a["zh"] == "").all() and (b["zh"] != "").all()


def test_one_wording_for_a_gap_on_the_page_the_cli_and_the_gap_sheet(tmp_path):
    """Every gate gap of every sample firm reads the same in its assessment (page, API, PDF),
    in the CLI and in the batch's gap sheet: one gap engine, one wording."""
    import subprocess
    import sys

    import pandas as pd

    from batch import run
    from tests.conftest import ROOT

    samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    run(ROOT / "data" / "sample_firms.csv", tmp_path / "all.xlsx", all_gaps=True)
    sheet = pd.read_excel(tmp_path / "all.xlsx", sheet_name="差距明细", dtype=object)
    texts = set(zip(sheet["企业名称"], sheet["规则"], sheet["说明"], strict=True))
    compared = 0
    for firm in samples.to_dict("records"):
        if not firm["name"]:
            continue
        known = {k: v for k, v in firm.items() if v != ""}
        result = assess(known, readiness=None)
        for la in result.ladders.values():
            for gap in la.gaps:
                if gap.kind == "gate":
                    assert (firm["name"], gap.rule_id, gap.zh) in texts, (firm["name"], gap.zh)
                    compared += 1
    assert compared > 30
    example = ROOT / "data" / "example_firm.json"
    printed = subprocess.run(
        [sys.executable, "-m", "tiering.cli", "assess", str(example)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    ).stdout
    import json

    result = assess(json.loads(example.read_text(encoding="utf-8")))
    gaps = [g for la in result.ladders.values() for g in la.gaps if g.kind != "direct"]
    assert gaps and all(f"→ {g.zh}" in printed for g in gaps)


def test_firm_age_gaps_are_in_the_gap_sheet_too():
    import numpy as np
    import pandas as pd

    from scoring.frames import iter_evaluations
    from scoring.gaps import gaps_frame

    firm = {**HNTE, "tech_staff": 20, "registered_on": "2026-01-01"}
    ((_, ev),) = iter_evaluations(pd.DataFrame([firm]))
    rows = gaps_frame(ev)
    age = rows[(rows["ladder"] == "high_tech") & (rows["rule_id"] == "registered_one_year")]
    (gap,) = _gaps(assess(firm), "high_tech", "registered_one_year")
    assert age["change"].tolist() == [gap.change] and age["unit"].tolist() == ["days"]
    assert age["zh"].tolist() == [gap.zh] and np.all(age["fixable"])
