"""Writes data/sample_firms.csv: fictitious firms (虚构示例) covering every ladder's outcomes.

Run ``python data/make_sample_firms.py``. Names, codes and figures are invented; the credit
codes carry valid GB 32100-2015 check characters but belong to no real firm.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from scoring.fields import FIELDS

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(region: str, rng: random.Random) -> str:
    body = (
        "91" + region + "".join(rng.choice(ALPHABET[:10]) for _ in range(8)) + rng.choice(ALPHABET)
    )
    check = (31 - sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 31) % 31
    return body + ALPHABET[check]


WAN = 10_000

# A mid-sized, well-documented manufacturer that most ladders can judge.
BASE = dict(
    fiscal_year=2025,
    region_code="320507",
    industry_code="C3484",
    registered_on="2014-05-12",
    in_high_tech_zone=0,
    high_tech_field="advanced_manufacturing",
    employees=180,
    tech_staff=45,
    rd_staff=30,
    revenue_y0=8600 * WAN,
    revenue_y1=7400 * WAN,
    revenue_y2=6300 * WAN,
    revenue_y3=5200 * WAN,
    main_revenue_y0=8200 * WAN,
    main_revenue_y1=7000 * WAN,
    main_revenue_y2=6000 * WAN,
    high_tech_income_y0=6900 * WAN,
    total_income_y0=8700 * WAN,
    total_assets_y0=9800 * WAN,
    total_liabilities_y0=4100 * WAN,
    total_assets_y1=8600 * WAN,
    total_liabilities_y1=3900 * WAN,
    net_assets_y0=5700 * WAN,
    net_assets_y1=4700 * WAN,
    net_assets_y2=4000 * WAN,
    net_profit_y0=900 * WAN,
    net_profit_y1=760 * WAN,
    net_profit_y2=610 * WAN,
    cost_expense_total_y0=7600 * WAN,
    rd_expense_y0=520 * WAN,
    rd_expense_y1=430 * WAN,
    rd_expense_y2=360 * WAN,
    rd_expense_domestic_3y=1310 * WAN,
    equity_financing_y0=0,
    equity_financing_y1=0,
    equity_financing_y2=0,
    ip_class1=5,
    ip_class2=14,
    ip_class1_main_product=5,
    ip_acquisition="self_developed",
    standards_led=1,
    tech_conversions_3y=14,
    national_award_5y=0,
    provincial_award_3y=0,
    maker_china_rank="",
    rd_institution_level="municipal",
    niche_years=8,
    niche_market_share=0.12,
    key_field=1,
    quality_certified=1,
    own_brand=1,
    digital_level=3,
    hte_advancement=6,
    hte_core_support=6,
    rd_mgmt_system=1,
    rd_mgmt_institution=1,
    rd_mgmt_incentive=1,
    rd_mgmt_talent=1,
    is_high_tech=1,
    high_tech_certified_on="2023-11-20",
    is_tech_sme=1,
    is_srdi_sme=1,
    major_incident_1y=0,
    on_dishonesty_list=0,
    restricted_industry=0,
    is_innovative_sme=1,
    strategic_emerging=1,
    national_award_3y=0,
    ip_class1_high_value=1,
    srdi_local_points=10,
    srdi_dev_score=72,
)

# A young software start-up with small numbers.
STARTUP = dict(
    BASE,
    registered_on="2021-03-02",
    industry_code="I6513",
    high_tech_field="electronic_information",
    employees=26,
    tech_staff=14,
    rd_staff=12,
    revenue_y0=760 * WAN,
    revenue_y1=520 * WAN,
    revenue_y2=300 * WAN,
    revenue_y3=90 * WAN,
    main_revenue_y0=740 * WAN,
    main_revenue_y1=500 * WAN,
    main_revenue_y2=290 * WAN,
    high_tech_income_y0=700 * WAN,
    total_income_y0=770 * WAN,
    total_assets_y0=900 * WAN,
    total_liabilities_y0=380 * WAN,
    total_assets_y1=700 * WAN,
    total_liabilities_y1=330 * WAN,
    net_assets_y0=520 * WAN,
    net_assets_y1=370 * WAN,
    net_assets_y2=260 * WAN,
    net_profit_y0=60 * WAN,
    net_profit_y1=20 * WAN,
    net_profit_y2=-40 * WAN,
    cost_expense_total_y0=690 * WAN,
    rd_expense_y0=95 * WAN,
    rd_expense_y1=80 * WAN,
    rd_expense_y2=60 * WAN,
    rd_expense_domestic_3y=235 * WAN,
    ip_class1=0,
    ip_class2=6,
    ip_class1_main_product=0,
    ip_class1_high_value=0,
    standards_led=0,
    tech_conversions_3y=4,
    rd_institution_level="none",
    niche_years=3,
    niche_market_share=0.01,
    key_field=0,
    quality_certified=0,
    own_brand=1,
    digital_level=2,
    hte_advancement=4,
    hte_core_support=4,
    rd_mgmt_incentive=0,
    is_high_tech=0,
    high_tech_certified_on="",
    is_tech_sme=0,
    is_srdi_sme=0,
    is_innovative_sme=0,
    strategic_emerging=1,
    srdi_local_points=4,
    srdi_dev_score=38,
)

# Sales of exactly CNY 50 m and three-year R&D of exactly 5 %: on the high-tech edge.
HNTE_EDGE = dict(
    BASE,
    revenue_y0=5000 * WAN,
    revenue_y1=4400 * WAN,
    revenue_y2=3900 * WAN,
    rd_expense_y0=250 * WAN,
    rd_expense_y1=200 * WAN,
    rd_expense_y2=215 * WAN,
    rd_expense_domestic_3y=665 * WAN,
    is_high_tech=0,
)

# A firm that meets the 2026 little-giant conditions (with and without its platform score).
LITTLE_GIANT = dict(
    BASE,
    ip_class1_main_product=6,
    ip_class1=8,
    rd_expense_y0=620 * WAN,
    rd_expense_y1=580 * WAN,
    main_revenue_y0=8400 * WAN,
)

FIRMS: list[tuple[str, dict]] = [
    ("示例·云杉软件科技有限公司", dict(STARTUP)),
    ("示例·青禾智能装备有限公司", dict(BASE)),
    (
        "示例·北辰精密机械股份有限公司",
        dict(
            BASE,
            employees=820,
            tech_staff=150,
            rd_staff=90,
            revenue_y0=42000 * WAN,
            total_assets_y0=51000 * WAN,
            is_srdi_sme=0,
            srdi_dev_score=55,
        ),
    ),
    (
        "示例·晨光包装制品有限公司",
        dict(
            STARTUP,
            tech_staff=2,
            rd_staff=1,
            ip_class2=0,
            rd_expense_y0=5 * WAN,
            high_tech_field="none",
        ),
    ),
    ("示例·鼎盛铸造有限公司", dict(STARTUP, restricted_industry=1, industry_code="C3110")),
    ("示例·星河光电技术有限公司（高企临界）", dict(HNTE_EDGE)),
    (
        "示例·星河光电技术有限公司（差一点）",
        dict(HNTE_EDGE, rd_expense_y2=214 * WAN, rd_expense_domestic_3y=664 * WAN),
    ),
    (
        "示例·远帆新材料有限公司（缺自评）",
        dict(
            BASE, hte_advancement="", hte_core_support="", is_high_tech=0, high_tech_certified_on=""
        ),
    ),
    (
        "示例·初芽生物科技有限公司",
        dict(
            STARTUP,
            registered_on="2025-09-01",
            fiscal_year=2025,
            revenue_y1="",
            revenue_y2="",
            revenue_y3="",
            rd_expense_y1="",
            rd_expense_y2="",
            main_revenue_y1="",
            main_revenue_y2="",
            high_tech_field="biomedicine",
        ),
    ),
    (
        "示例·汇智检测技术有限公司",
        dict(
            STARTUP,
            revenue_y0=2600 * WAN,
            main_revenue_y0=2500 * WAN,
            main_revenue_y1=2000 * WAN,
            rd_expense_y0=150 * WAN,
            total_liabilities_y0=300 * WAN,
            provincial_award_3y=0,
        ),
    ),
    (
        "示例·融创数据服务有限公司",
        dict(
            STARTUP,
            equity_financing_y0=300 * WAN,
            equity_financing_y1=250 * WAN,
            strategic_emerging=0,
        ),
    ),
    ("示例·精工传感器有限公司（专精特新）", dict(BASE, is_srdi_sme=0, niche_market_share=0.04)),
    ("示例·精工传感器有限公司（评价分不足）", dict(BASE, is_srdi_sme=0, srdi_dev_score=46)),
    ("示例·华岳液压科技股份有限公司（小巨人）", dict(LITTLE_GIANT)),
    (
        "示例·华岳液压科技股份有限公司（营收不足）",
        dict(BASE, revenue_y0=4800 * WAN, main_revenue_y0=4500 * WAN),
    ),
    (
        "示例·黄埔瞪羚医疗器械有限公司",
        dict(BASE, region_code="440112", revenue_y3=4000 * WAN, high_tech_field="biomedicine"),
    ),
    (
        "示例·泉城瞪羚信息技术有限公司",
        dict(
            BASE,
            region_code="370102",
            revenue_y0=9000 * WAN,
            revenue_y2=6000 * WAN,
            rd_expense_y1=420 * WAN,
        ),
    ),
    ("示例·沈阳瞪羚机器人有限公司", dict(BASE, region_code="210112", revenue_y3=4500 * WAN)),
    (
        "示例·长沙高新区瞪羚电子有限公司",
        dict(BASE, region_code="430100", in_high_tech_zone=1, revenue_y3=4500 * WAN),
    ),
    (
        "示例·慢行贸易服务有限公司",
        dict(BASE, region_code="430100", in_high_tech_zone=0, revenue_y3=8000 * WAN),
    ),
    ("示例·失信示例有限公司", dict(STARTUP, on_dishonesty_list=1)),
    (
        "示例·填报有误有限公司",
        dict(
            STARTUP, revenue_y0="七百万", credit_code_override="91110000ABCDEFGH12", employees="-3"
        ),
    ),
    ("", dict(STARTUP)),
    ("示例·往年申报机械有限公司（2024年度）", dict(BASE, fiscal_year=2024, is_srdi_sme=0)),
    (
        "示例·往年申报创客有限公司（2024年度）",
        dict(
            STARTUP,
            fiscal_year=2024,
            maker_china_rank=320,
            revenue_y0=1500 * WAN,
            rd_expense_y0=160 * WAN,
            main_revenue_y0=1450 * WAN,
        ),
    ),
    (
        "示例·往年小巨人股份有限公司（2024年度）",
        dict(BASE, fiscal_year=2024, niche_market_share=0.15, ip_class1_main_product=3),
    ),
    (
        "示例·往年数据不全有限公司（2024年度）",
        dict(name_only=True, fiscal_year=2024, employees=40, tech_staff=10, revenue_y0=1200 * WAN),
    ),
    ("示例·只有名称有限公司", dict(name_only=True)),
    ("示例·国奖直通装备有限公司", dict(STARTUP, national_award_5y=1, tech_staff=2)),
    (
        "示例·省级研发中心科技有限公司",
        dict(STARTUP, rd_institution_level="provincial", tech_staff=3),
    ),
    ("示例·标准主导仪器有限公司", dict(STARTUP, standards_led=2, tech_staff=3)),
    ("示例·高负债制造有限公司", dict(BASE, total_liabilities_y0=8600 * WAN, is_srdi_sme=0)),
    (
        "示例·研发外包有限公司",
        dict(BASE, rd_expense_domestic_3y=700 * WAN, is_high_tech=0, high_tech_certified_on=""),
    ),
    (
        "示例·收入结构偏离有限公司",
        dict(BASE, high_tech_income_y0=4000 * WAN, is_high_tech=0, high_tech_certified_on=""),
    ),
    # one firm per regional gazelle pack (issue 15), each showing what its pack says today
    ("示例·园区纳米科技有限公司（往年标准）", dict(BASE, region_code="320571", is_listed=0)),
    (
        "示例·浦江瞪羚智能有限公司（待人工审核）",
        dict(BASE, region_code="310115", registered_on="2018-03-01", is_listed=0),
    ),
    (
        "示例·金陵瞪羚装备有限公司（2024年度）",
        dict(BASE, region_code="320102", fiscal_year=2024, revenue_y3=4800 * WAN, is_listed=0),
    ),
    (
        "示例·光谷瞪羚光电有限公司",
        dict(BASE, region_code="420171", registered_on="2018-03-01"),
    ),
    (
        "示例·滨江瞪羚数字有限公司",
        dict(
            BASE,
            region_code="330108",
            main_revenue_y0=10100 * WAN,
            main_revenue_y1=8400 * WAN,
            main_revenue_y2=7000 * WAN,
        ),
    ),
    ("示例·盐城瞪羚新能源有限公司（往年标准）", dict(BASE, region_code="320902")),
    ("示例·郑州高新区瞪羚电子有限公司", dict(BASE, region_code="410171", revenue_y3=4800 * WAN)),
    ("示例·济南高新区瞪羚软件有限公司", dict(BASE, region_code="370171")),
    ("示例·合肥瞪羚量子有限公司（待人工审核）", dict(BASE, region_code="340104")),
    ("示例·深圳瞪羚芯片有限公司（待人工审核）", dict(BASE, region_code="440305")),
    ("示例·华岳液压科技股份有限公司（待平台评分）", dict(LITTLE_GIANT, srdi_dev_score="")),
]


def main() -> None:
    rng = random.Random(20261122)
    columns = list(FIELDS)
    rows = []
    for name, spec in FIRMS:
        spec = {k: v for k, v in spec.items() if k != "name_only"}
        row = {k: spec.get(k, "") for k in columns}
        override = spec.get("credit_code_override")
        row["credit_code"] = override or credit_code(str(row["region_code"] or "110108"), rng)
        row["name"] = name
        rows.append(row)
    out = Path(__file__).with_name("sample_firms.csv")
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else _cell(v)) for k, v in row.items()})
    print(f"wrote {len(rows)} firms to {out}")


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


if __name__ == "__main__":
    main()
