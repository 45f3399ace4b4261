"""Rule files: schema validation, selection by date, mode and region, overrides, citations."""

import datetime as dt
import shutil

import pytest
import yaml

from criteria import DIR as CRITERIA_DIR
from scoring import RuleFileError, assess, what_if
from scoring.rulesets import LADDERS, load_all, select, with_overrides


def _copy_criteria(tmp_path):
    target = tmp_path / "criteria"
    shutil.copytree(CRITERIA_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_every_shipped_rule_file_loads_and_cites_its_source():
    rulesets = load_all()
    assert {rs.ladder for rs in rulesets} == set(LADDERS)
    for rs in rulesets:
        for rule in rs.rules:
            src = rule.spec.source
            assert rs.document(src.doc).number
            assert src.article.strip(), f"{rs.key}:{rule.id} has no article"
        assert rs.spec.effective.start


def test_at_least_three_regional_gazelle_sets_plus_national():
    gazelle = [rs for rs in load_all() if rs.ladder == "gazelle"]
    assert sum(1 for rs in gazelle if rs.spec.regions) >= 3
    assert any(not rs.spec.regions for rs in gazelle)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"][0].pop("source"), "rules.0.source"),
        (lambda d: d["rules"][0].update(kind="rule"), "rules.0.kind"),
        (
            lambda d: d["rules"][0].update(condition={"metric": "no_such_metric", "min": 1}),
            "unknown metric 'no_such_metric'",
        ),
        (
            lambda d: d["rules"][0].update(condition={"metric": "employees", "atleast": 1}),
            "unknown keys ['atleast']",
        ),
        (lambda d: d["rules"][0]["source"].update(doc="nope"), "unknown document 'nope'"),
        (lambda d: d["rules"][6]["bands"].pop(), "catch-all"),
        (lambda d: d.update(surprise=1), "surprise"),
        (lambda d: d["pass_mark"].update(minimums={"nonexistent": 3}), "nonexistent"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "duplicate rule id"),
        (lambda d: d["rules"][6].update(short_zh="一个过长的图表标签名"), "short_zh"),
    ],
)
def test_malformed_rule_file_fails_loudly_with_file_and_key(tmp_path, change, message):
    directory = _copy_criteria(tmp_path)
    path = directory / "tech_sme" / "2022.yaml"
    _edit(path, change)
    with pytest.raises(RuleFileError) as info:
        load_all.__wrapped__(directory)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_invalid_yaml_names_the_file(tmp_path):
    directory = _copy_criteria(tmp_path)
    path = directory / "high_tech" / "2016.yaml"
    path.write_text("ladder: [high_tech\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"2016\.yaml: not valid YAML"):
        load_all.__wrapped__(directory)


def test_a_new_rule_file_is_picked_up_without_code(tmp_path):
    directory = _copy_criteria(tmp_path)
    src = directory / "gazelle" / "liaoning.yaml"
    dst = directory / "gazelle" / "dalian.yaml"
    _edit(src, lambda d: None)
    dst.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    _edit(
        dst,
        lambda d: d.update(
            regions=["2102"],
            region_name="大连市",
            version="2024",
            effective={"from": dt.date(2024, 1, 1)},
        ),
    )
    rulesets = load_all.__wrapped__(directory)
    chosen = select(rulesets, "gazelle", dt.date(2026, 7, 1), "new", "210211")
    assert chosen.key == "gazelle/dalian@2024"
    assert select(rulesets, "gazelle", dt.date(2022, 7, 1), "new", "210112").key == (
        "gazelle/liaoning@2022"
    )


def test_rule_set_chosen_by_date_and_mode():
    rulesets = load_all()
    day_before = dt.date(2026, 3, 31)
    day_of = dt.date(2026, 4, 1)
    assert select(rulesets, "srdi_sme", day_before, "new", None).key == "srdi_sme@2022"
    assert select(rulesets, "srdi_sme", day_of, "new", None).key == "srdi_sme@2026"
    assert select(rulesets, "little_giant", day_before, "review", None).key == "little_giant@2022"
    assert select(rulesets, "little_giant", day_of, "review", None).key == (
        "little_giant/2022_review@2022"
    )
    assert select(rulesets, "little_giant", day_of, "new", None).key == "little_giant@2026"
    assert select(rulesets, "srdi_sme", dt.date(2021, 1, 1), "new", None) is None


def test_fiscal_year_picks_the_application_year():
    firm = {"name": "甲", "fiscal_year": 2024}
    assert "srdi_sme@2022" in assess(firm).criteria_version
    firm["fiscal_year"] = 2025
    assert "srdi_sme@2026" in assess(firm).criteria_version


def test_no_rule_set_in_force_is_undetermined_not_a_crash():
    result = assess({"name": "甲", "fiscal_year": 2015})
    assert result.ladders["srdi_sme"].status == "undetermined"
    assert result.ladders["srdi_sme"].ruleset is None
    assert result.ladders["high_tech"].ruleset == "high_tech@2016"


def test_override_a_band_threshold():
    base = {
        "name": "甲",
        "fiscal_year": 2025,
        "revenue_y0": 40e6,
        "revenue_y1": 40e6,
        "revenue_y2": 40e6,
        "rd_expense_y0": 2.2e6,
        "rd_expense_y1": 2.2e6,
        "rd_expense_y2": 2.2e6,
    }
    change = what_if(base, overrides={"high_tech.rd_ratio.bands[0].min": 0.06})
    before = {t.rule_id: t for t in change.before.ladders["high_tech"].trace}
    after = {t.rule_id: t for t in change.after.ladders["high_tech"].trace}
    assert before["rd_ratio"].outcome == "pass"
    assert after["rd_ratio"].outcome == "fail"
    assert after["rd_ratio"].threshold_zh == "≥ 6.00%"
    assert [c.ladder for c in change.changes] == ["high_tech"]
    assert change.changes[0].failed_added == ["rd_ratio"]


def test_override_the_pass_mark():
    rulesets = with_overrides({"tech_sme.pass_mark.total.min": 70})
    rs = next(r for r in rulesets if r.ladder == "tech_sme")
    assert rs.spec.pass_mark.total == {"min": 70}


@pytest.mark.parametrize(
    "key",
    [
        "high_tech.no_such_rule.min",
        "nowhere.rd_ratio.min",
        "high_tech.rd_ratio.bands[9].min",
        "high_tech.rd_ratio.nothing",
    ],
)
def test_bad_override_is_a_clear_error(key):
    with pytest.raises(RuleFileError, match="override"):
        with_overrides({key: 1})


def test_what_if_changed_inputs_reports_the_difference():
    firm = {
        "name": "甲",
        "fiscal_year": 2025,
        "employees": 100,
        "tech_staff": 8,
        "revenue_y0": 1e7,
        "rd_expense_y0": 6e5,
        "total_assets_y0": 1e7,
        "ip_class1": 1,
        "restricted_industry": False,
        "major_incident_1y": False,
        "on_dishonesty_list": False,
        "is_high_tech": False,
        "national_award_5y": False,
        "rd_institution_level": "none",
        "standards_led": 0,
    }
    change = what_if(firm, {"tech_staff": 10})
    tech = next(c for c in change.changes if c.ladder == "tech_sme")
    assert (tech.status_before, tech.status_after) == ("ineligible", "eligible")
    assert (tech.score_before, tech.score_after) == (80, 84)


# ---- dated values: a changed number is a few lines -------------------------------------------

HNTE_FIRM = {
    "name": "甲",
    "registered_on": "2015-01-01",
    "employees": 100,
    "tech_staff": 11,  # 11 %: passes 10 %, fails 12 %
    "revenue_y0": 40e6,
    "revenue_y1": 40e6,
    "revenue_y2": 40e6,
    "rd_expense_y0": 3e6,
    "rd_expense_y1": 2e6,
    "rd_expense_y2": 2e6,
}


def _dated_high_tech(tmp_path, where="condition"):
    target = _copy_criteria(tmp_path)

    def change(data):
        data["documents"].append(
            {"key": "notice2026", "number": "国科发火〔2026〕1号（测试）", "title": "测试通知"}
        )
        rule = next(r for r in data["rules"] if r["id"] == "tech_staff_ratio")
        if where == "condition":
            rule["values"] = {
                dt.date(2026, 4, 1): {
                    "condition": {"metric": "tech_staff_ratio", "min": 0.12},
                    "source": {"doc": "notice2026", "article": "第三条", "evidence": "assumption"},
                }
            }
        else:  # on the leaf itself: only the number changes
            rule["condition"]["values"] = {dt.date(2026, 4, 1): {"min": 0.12}}

    _edit(target / "high_tech" / "2016.yaml", change)
    return target


@pytest.mark.parametrize("where", ["condition", "leaf"])
def test_a_dated_value_applies_from_its_date_inclusive(tmp_path, where):
    from scoring.options import Options

    folder = _dated_high_tech(tmp_path, where)
    versions = [rs for rs in load_all(folder) if rs.ladder == "high_tech"]
    assert sorted(rs.key for rs in versions) == ["high_tech@2016", "high_tech@2016+2026-04-01"]
    before, after = sorted(versions, key=lambda rs: rs.spec.effective.start)
    assert before.spec.effective.end == dt.date(2026, 3, 31)
    assert after.spec.effective.start == dt.date(2026, 4, 1)

    def outcome(day):
        result = assess(HNTE_FIRM, Options(as_of=day, criteria=folder, readiness=None))
        la = result.ladders["high_tech"]
        entry = next(t for t in la.trace if t.rule_id == "tech_staff_ratio")
        return entry.outcome, entry.threshold_zh, la.ruleset, entry.source

    assert outcome(dt.date(2026, 3, 31))[:3] == ("pass", "≥ 10.00%", "high_tech@2016")
    late = outcome(dt.date(2026, 4, 1))
    assert late[:3] == ("fail", "≥ 12.00%", "high_tech@2016+2026-04-01")
    if where == "condition":
        assert late[3].startswith("国科发火〔2026〕1号")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({dt.date(2015, 1, 1): {"min": 0.2}}, "effective period"),
        ({"soon": {"min": 0.2}}, "a date"),
        ([0.2], "a mapping"),
    ],
)
def test_bad_dated_values_name_the_file(tmp_path, values, message):
    target = _copy_criteria(tmp_path)

    def change(data):
        rule = next(r for r in data["rules"] if r["id"] == "tech_staff_ratio")
        rule["condition"]["values"] = values

    _edit(target / "high_tech" / "2016.yaml", change)
    with pytest.raises(RuleFileError) as caught:
        load_all(target)
    assert "2016.yaml" in str(caught.value) and message in str(caught.value)
