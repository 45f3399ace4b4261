"""Metrics: the quantities rules compare, computed column-wise over all firms at once.

A metric is a short vector formula over contract fields. NaN means *unknown* (an input is
missing). Where the official formula has no value (a non-positive base for a growth rate),
the metric is -inf: known, and failing every minimum.

Each metric may carry a *lever*: given the threshold a rule needs, the least change to one
input field that reaches it (``raise rd_expense over 3 years by ¥1.24M``). Gaps use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring.fields import FIELDS, NUMERIC_TYPES, CanonicalFrame

Array = np.ndarray


@dataclass(frozen=True)
class Lever:
    """How to move a metric: change ``field`` by ``delta(cols, target)`` (in the field's unit)."""

    field: str
    delta: Callable[[dict[str, Array], float], Array]
    lead_months: int  # how long such a change takes to show in the firm's figures


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # ratio, money, count, years, days, bool, points, text
    inputs: tuple[str, ...]  # fields whose absence makes the metric unknown
    zh: str
    en: str
    func: Callable[[dict[str, Array]], Array]
    lever: Lever | None = None
    optional: tuple[str, ...] = field(default=())  # read when present, not reported missing


METRICS: dict[str, Metric] = {}


def metric(name: str, unit: str, inputs: tuple[str, ...], zh: str, en: str, **kw):
    def register(func):
        METRICS[name] = Metric(name, unit, inputs, zh, en, func, **kw)
        return func

    return register


def div(num: Array, den: Array) -> Array:
    """Ratio with the conventions used by every rule: 0/0 = 0, x/0 = +inf, NaN stays NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    zero = den == 0
    out = np.where(zero & (num == 0), 0.0, out)
    return np.where(zero & (num > 0), np.inf, out)


def growth(new: Array, base: Array, years: int = 1) -> Array:
    """Compound growth rate over ``years``; -inf (not computable) when the base is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.power(np.maximum(new, 0) / base, 1.0 / years) - 1.0
    return np.where(base > 0, out, np.where(np.isnan(base) | np.isnan(new), np.nan, -np.inf))


def kleene_or(*values: Array) -> Array:
    """Tri-state OR over 1/0/NaN arrays."""
    stack = np.vstack(values)
    any_true = (stack == 1).any(axis=0)
    all_false = (stack == 0).all(axis=0)
    return np.where(any_true, 1.0, np.where(all_false, 0.0, np.nan))


# ---- levers ---------------------------------------------------------------------------


def _raise_field(name: str, integer: bool = False, lead: int = 12) -> Lever:
    def delta(c, t):
        d = t - c[name]
        return np.ceil(d) if integer else d

    return Lever(name, delta, lead)


def _raise_numerator(
    num: str, den: Callable[[dict], Array], cur: Callable[[dict], Array], lead: int = 12
) -> Lever:
    return Lever(num, lambda c, t: t * den(c) - cur(c), lead)


def _hire(staff: str) -> Lever:
    # (s + k) / (e + k) >= t  <=>  k >= (t*e - s) / (1 - t)
    return Lever(staff, lambda c, t: np.ceil((t * c["employees"] - c[staff]) / max(1e-9, 1 - t)), 3)


def _sum(c: dict, names: list[str]) -> Array:
    return np.sum([c[n] for n in names], axis=0)


# ---- age and time ---------------------------------------------------------------------


@metric(
    "firm_age_days", "days", ("registered_on",), "成立天数(至评价日)", "Days since registration"
)
def _age_days(c):
    days = (c["_ref_date"] - c["registered_on"]).astype("timedelta64[D]").astype(float)
    return np.where(np.isnat(c["registered_on"]), np.nan, days)


@metric("registered_on_day", "date", ("registered_on",), "成立日期", "Date of registration")
def _registered_day(c):
    days = c["registered_on"].astype("datetime64[D]").astype("int64").astype(float)
    return np.where(np.isnat(c["registered_on"]), np.nan, days)


@metric(
    "firm_age_years",
    "years",
    ("registered_on", "fiscal_year"),
    "成立年限(至评价年度末)",
    "Years from registration to the end of y0",
)
def _age_years(c):
    end = (c["fiscal_year"] - 1970 + 1).astype("float")  # years since 1970 at the end of y0
    reg = c["registered_on"].astype("datetime64[D]").astype(float) / 365.2425
    out = end - reg
    return np.where(np.isnat(c["registered_on"]), np.nan, out)


@metric(
    "operating_fiscal_years",
    "years",
    ("registered_on", "fiscal_year"),
    "经营会计年度数",
    "Fiscal years in operation up to y0",
)
def _operating_years(c):
    reg_year = c["registered_on"].astype("datetime64[Y]").astype(float) + 1970
    out = c["fiscal_year"] - reg_year + 1
    return np.where(np.isnat(c["registered_on"]), np.nan, np.maximum(out, 0))


def _window_years(c) -> Array:
    """Fiscal years counted in a three-year window: fewer when the firm is younger (HNTE rule).

    Unknown age counts as three years, so a young firm that leaves registered_on empty is
    asked for all three years rather than silently judged on fewer.
    """
    if "_window_years" not in c:  # computed once per frame, read by several metrics
        years = METRICS["operating_fiscal_years"].func(c)
        c["_window_years"] = np.where(np.isnan(years), 3, np.clip(years, 1, 3))
    return c["_window_years"]


def _window_sum(c, base: str) -> Array:
    years = _window_years(c)
    total = np.zeros(len(years))
    for k in range(3):
        value = c[f"{base}_y{k}"]
        used = k < years
        total = total + np.where(used, value, 0.0)  # NaN in a used year keeps the sum NaN
    return total


# ---- people ---------------------------------------------------------------------------


@metric(
    "tech_staff_ratio",
    "ratio",
    ("tech_staff", "employees"),
    "科技人员占职工总数比例",
    "Tech staff ÷ employees",
    lever=_hire("tech_staff"),
)
def _tech_ratio(c):
    return div(c["tech_staff"], c["employees"])


@metric(
    "rd_staff_ratio",
    "ratio",
    ("rd_staff", "employees"),
    "研发人员占职工总数比例",
    "R&D staff ÷ employees",
    lever=_hire("rd_staff"),
)
def _rd_staff_ratio(c):
    return div(c["rd_staff"], c["employees"])


# ---- R&D ------------------------------------------------------------------------------

for _k in range(3):
    metric(
        f"rd_ratio_y{_k}",
        "ratio",
        (f"rd_expense_y{_k}", f"revenue_y{_k}"),
        f"研发费用占营业收入比例(y{_k})",
        f"R&D expense ÷ revenue (y{_k})",
        lever=_raise_numerator(
            f"rd_expense_y{_k}",
            lambda c, k=_k: c[f"revenue_y{k}"],
            lambda c, k=_k: c[f"rd_expense_y{k}"],
        ),
    )(lambda c, k=_k: div(c[f"rd_expense_y{k}"], c[f"revenue_y{k}"]))


@metric(
    "rd_cost_ratio_y0",
    "ratio",
    ("rd_expense_y0", "cost_expense_total_y0"),
    "研发费用占成本费用支出总额比例(y0)",
    "R&D expense ÷ total costs and expenses (y0)",
    lever=_raise_numerator(
        "rd_expense_y0", lambda c: c["cost_expense_total_y0"], lambda c: c["rd_expense_y0"]
    ),
)
def _rd_cost_ratio(c):
    return div(c["rd_expense_y0"], c["cost_expense_total_y0"])


@metric(
    "rd_ratio_3y",
    "ratio",
    ("rd_expense_y0", "rd_expense_y1", "rd_expense_y2", "revenue_y0", "revenue_y1", "revenue_y2"),
    "近三年研发费用总额占同期销售收入总额比例",
    "R&D ÷ sales summed over the last three fiscal years",
    lever=_raise_numerator(
        "rd_expense_y0",
        lambda c: _window_sum(c, "revenue"),
        lambda c: _window_sum(c, "rd_expense"),
    ),
    optional=("registered_on",),
)
def _rd_ratio_3y(c):
    return div(_window_sum(c, "rd_expense"), _window_sum(c, "revenue"))


@metric(
    "rd_domestic_share",
    "ratio",
    ("rd_expense_domestic_3y", "rd_expense_y0", "rd_expense_y1", "rd_expense_y2"),
    "境内研发费用占全部研发费用比例",
    "Domestic R&D ÷ all R&D (three years)",
    lever=_raise_numerator(
        "rd_expense_domestic_3y",
        lambda c: _window_sum(c, "rd_expense"),
        lambda c: c["rd_expense_domestic_3y"],
    ),
    optional=("registered_on",),
)
def _rd_domestic(c):
    return div(c["rd_expense_domestic_3y"], _window_sum(c, "rd_expense"))


@metric(
    "rd_expense_total_2y",
    "money",
    ("rd_expense_y0", "rd_expense_y1"),
    "近两年研发费用总额",
    "R&D expense of y0 + y1",
    lever=Lever("rd_expense_y0", lambda c, t: t - c["rd_expense_y0"] - c["rd_expense_y1"], 12),
)
def _rd_total_2y(c):
    return c["rd_expense_y0"] + c["rd_expense_y1"]


@metric(
    "rd_expense_avg_2y",
    "money",
    ("rd_expense_y0", "rd_expense_y1"),
    "近两年研发费用平均值",
    "Average R&D expense of y0 and y1",
    lever=Lever("rd_expense_y0", lambda c, t: 2 * t - c["rd_expense_y0"] - c["rd_expense_y1"], 12),
)
def _rd_avg_2y(c):
    return (c["rd_expense_y0"] + c["rd_expense_y1"]) / 2


@metric(
    "rd_intensity_3y",
    "ratio",
    ("rd_expense_y0", "rd_expense_y1", "rd_expense_y2", "revenue_y0", "revenue_y1", "revenue_y2"),
    "近三年研发投入强度(研发费用合计÷营业收入合计)",
    "R&D ÷ revenue summed over y0..y2",
    lever=_raise_numerator(
        "rd_expense_y0",
        lambda c: _sum(c, ["revenue_y0", "revenue_y1", "revenue_y2"]),
        lambda c: _sum(c, ["rd_expense_y0", "rd_expense_y1", "rd_expense_y2"]),
    ),
)
def _rd_intensity(c):
    return div(
        _sum(c, ["rd_expense_y0", "rd_expense_y1", "rd_expense_y2"]),
        _sum(c, ["revenue_y0", "revenue_y1", "revenue_y2"]),
    )


# ---- income and balance sheet ---------------------------------------------------------


def _total_income(c) -> Array:
    # total_income_y0 when given; revenue_y0 otherwise (the result notes the substitution)
    return np.where(np.isnan(c["total_income_y0"]), c["revenue_y0"], c["total_income_y0"])


@metric(
    "high_tech_income_share",
    "ratio",
    ("high_tech_income_y0", "revenue_y0"),
    "高新技术产品(服务)收入占总收入比例",
    "High-tech income ÷ total income (y0)",
    lever=Lever(
        "high_tech_income_y0", lambda c, t: t * _total_income(c) - c["high_tech_income_y0"], 12
    ),
    optional=("total_income_y0",),
)
def _hti_share(c):
    return div(c["high_tech_income_y0"], _total_income(c))


@metric(
    "main_revenue_share_y0",
    "ratio",
    ("main_revenue_y0", "revenue_y0"),
    "主营业务收入占营业收入比例(y0)",
    "Main-business revenue ÷ operating revenue (y0)",
    lever=_raise_numerator(
        "main_revenue_y0", lambda c: c["revenue_y0"], lambda c: c["main_revenue_y0"]
    ),
)
def _main_share(c):
    return div(c["main_revenue_y0"], c["revenue_y0"])


@metric(
    "main_revenue_growth_y0",
    "ratio",
    ("main_revenue_y0", "main_revenue_y1"),
    "主营业务收入增长率(y0)",
    "Main-business revenue growth in y0",
    lever=Lever(
        "main_revenue_y0", lambda c, t: c["main_revenue_y1"] * (1 + t) - c["main_revenue_y0"], 12
    ),
)
def _main_growth(c):
    return growth(c["main_revenue_y0"], c["main_revenue_y1"])


@metric(
    "main_revenue_growth_avg_2y",
    "ratio",
    ("main_revenue_y0", "main_revenue_y1", "main_revenue_y2"),
    "近两年主营业务收入平均增长率",
    "Mean of the last two yearly main-business revenue growth rates",
    lever=Lever(
        "main_revenue_y0",
        lambda c, t: (
            c["main_revenue_y1"] * (1 + 2 * t - growth(c["main_revenue_y1"], c["main_revenue_y2"]))
            - c["main_revenue_y0"]
        ),
        12,
    ),
)
def _main_growth_avg(c):
    return (
        growth(c["main_revenue_y0"], c["main_revenue_y1"])
        + growth(c["main_revenue_y1"], c["main_revenue_y2"])
    ) / 2


@metric(
    "revenue_growth_y0",
    "ratio",
    ("revenue_y0", "revenue_y1"),
    "营业收入同比增长率(y0)",
    "Revenue growth in y0",
    lever=Lever("revenue_y0", lambda c, t: c["revenue_y1"] * (1 + t) - c["revenue_y0"], 12),
)
def _rev_growth(c):
    return growth(c["revenue_y0"], c["revenue_y1"])


@metric(
    "revenue_growth_y1",
    "ratio",
    ("revenue_y1", "revenue_y2"),
    "营业收入同比增长率(y1)",
    "Revenue growth in y1",
)
def _rev_growth1(c):
    return growth(c["revenue_y1"], c["revenue_y2"])


@metric(
    "revenue_growth_y2",
    "ratio",
    ("revenue_y2", "revenue_y3"),
    "营业收入同比增长率(y2)",
    "Revenue growth in y2",
)
def _rev_growth2(c):
    return growth(c["revenue_y2"], c["revenue_y3"])


@metric(
    "revenue_growth_avg_3y",
    "ratio",
    ("revenue_y0", "revenue_y1", "revenue_y2", "revenue_y3"),
    "近三年营业收入平均增长率(逐年增长率的算术平均)",
    "Mean of the three yearly revenue growth rates (y3 → y0)",
)
def _rev_growth_avg(c):
    return (_rev_growth(c) + _rev_growth1(c) + _rev_growth2(c)) / 3


@metric(
    "revenue_min_4y",
    "money",
    ("revenue_y0", "revenue_y1", "revenue_y2", "revenue_y3"),
    "近四年营业收入最低值",
    "Lowest revenue of y3..y0",
)
def _rev_min4(c):
    return np.min([c[f"revenue_y{k}"] for k in range(4)], axis=0)


@metric(
    "net_profit_growth_y0",
    "ratio",
    ("net_profit_y0", "net_profit_y1"),
    "净利润同比增长率(y0)",
    "Net-profit growth in y0",
)
def _np_growth(c):
    return growth(c["net_profit_y0"], c["net_profit_y1"])


@metric(
    "net_profit_growth_avg_3y",
    "ratio",
    ("net_profit_y0", "net_profit_y1", "net_profit_y2", "net_profit_y3"),
    "近三年净利润平均增长率(逐年增长率的算术平均)",
    "Mean of the three yearly net-profit growth rates (y3 → y0)",
)
def _np_growth_avg(c):
    rates = [growth(c[f"net_profit_y{k}"], c[f"net_profit_y{k + 1}"]) for k in range(3)]
    return np.sum(rates, axis=0) / 3


@metric(
    "main_revenue_growth_y1",
    "ratio",
    ("main_revenue_y1", "main_revenue_y2"),
    "主营业务收入增长率(y1)",
    "Main-business revenue growth in y1",
)
def _main_growth1(c):
    return growth(c["main_revenue_y1"], c["main_revenue_y2"])


@metric(
    "revenue_cagr_2y",
    "ratio",
    ("revenue_y0", "revenue_y2"),
    "近两年营业收入复合增长率",
    "Two-year revenue CAGR (y2 → y0)",
    lever=Lever("revenue_y0", lambda c, t: c["revenue_y2"] * (1 + t) ** 2 - c["revenue_y0"], 12),
)
def _rev_cagr2(c):
    return growth(c["revenue_y0"], c["revenue_y2"], 2)


@metric(
    "revenue_cagr_3y",
    "ratio",
    ("revenue_y0", "revenue_y3"),
    "近三年营业收入复合增长率",
    "Three-year revenue CAGR (y3 → y0)",
    lever=Lever("revenue_y0", lambda c, t: c["revenue_y3"] * (1 + t) ** 3 - c["revenue_y0"], 12),
)
def _rev_cagr3(c):
    return growth(c["revenue_y0"], c["revenue_y3"], 3)


@metric(
    "net_profit_cagr_2y",
    "ratio",
    ("net_profit_y0", "net_profit_y2"),
    "近两年净利润复合增长率",
    "Two-year net-profit CAGR (y2 → y0)",
    lever=Lever(
        "net_profit_y0", lambda c, t: c["net_profit_y2"] * (1 + t) ** 2 - c["net_profit_y0"], 12
    ),
)
def _np_cagr2(c):
    return growth(c["net_profit_y0"], c["net_profit_y2"], 2)


def _hnte_growth(c, base: str) -> Array:
    """HNTE growth rate (工作指引): ½ × (X2/X1 + X3/X2) − 1 with X1 the oldest year.

    If X1 is 0 the rate is X3/X2 − 1; if X2 is 0 it scores nothing (-inf here). A firm with
    two fiscal years uses X3/X2 − 1; with one, growth scores nothing.
    """
    x1, x2, x3 = c[f"{base}_y2"], c[f"{base}_y1"], c[f"{base}_y0"]
    years = _window_years(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        full = 0.5 * (x2 / x1 + x3 / x2) - 1
        short = x3 / x2 - 1
    out = np.where((years >= 3) & (x1 != 0), full, short)
    out = np.where(x2 == 0, -np.inf, out)
    out = np.where(years <= 1, -np.inf, out)
    # only the years the firm operated are needed
    needed_nan = np.isnan(x3) | np.isnan(x2) | ((years >= 3) & np.isnan(x1))
    return np.where(needed_nan & (years > 1), np.nan, out)


def _hnte_growth_lever(base: str) -> Lever:
    """The latest year's value that brings the HNTE growth rate to ``t``."""

    def delta(c, t):
        x1, x2, x3 = c[f"{base}_y2"], c[f"{base}_y1"], c[f"{base}_y0"]
        full = _window_years(c) >= 3
        with np.errstate(divide="ignore", invalid="ignore"):
            target = np.where(full & (x1 != 0), x2 * (2 * (1 + t) - x2 / x1), x2 * (1 + t))
        return target - x3

    return Lever(f"{base}_y0", delta, 12)


@metric(
    "hnte_net_asset_growth",
    "ratio",
    ("net_assets_y0", "net_assets_y1", "net_assets_y2"),
    "净资产增长率(高企口径)",
    "Net-asset growth rate (HNTE formula)",
    lever=_hnte_growth_lever("net_assets"),
    optional=("registered_on",),
)
def _hnte_na_growth(c):
    return _hnte_growth(c, "net_assets")


@metric(
    "hnte_sales_growth",
    "ratio",
    ("revenue_y0", "revenue_y1", "revenue_y2"),
    "销售收入增长率(高企口径)",
    "Sales growth rate (HNTE formula)",
    lever=_hnte_growth_lever("revenue"),
    optional=("registered_on",),
)
def _hnte_sales_growth(c):
    return _hnte_growth(c, "revenue")


for _k in range(2):
    metric(
        f"debt_ratio_y{_k}",
        "ratio",
        (f"total_liabilities_y{_k}", f"total_assets_y{_k}"),
        f"资产负债率(y{_k})",
        f"Debt ratio: liabilities ÷ assets (y{_k})",
        lever=Lever(
            f"total_liabilities_y{_k}",
            lambda c, t, k=_k: t * c[f"total_assets_y{k}"] - c[f"total_liabilities_y{k}"],
            12,
        ),
    )(lambda c, k=_k: div(c[f"total_liabilities_y{k}"], c[f"total_assets_y{k}"]))


@metric(
    "net_margin_y0",
    "ratio",
    ("net_profit_y0", "revenue_y0"),
    "净利润率(y0)",
    "Net profit ÷ revenue (y0)",
    lever=_raise_numerator(
        "net_profit_y0", lambda c: c["revenue_y0"], lambda c: c["net_profit_y0"]
    ),
)
def _net_margin(c):
    return div(c["net_profit_y0"], c["revenue_y0"])


@metric(
    "equity_financing_2y",
    "money",
    ("equity_financing_y0", "equity_financing_y1"),
    "近两年新增股权融资(合格机构投资者实缴)",
    "New equity financing in y0 + y1",
    lever=Lever(
        "equity_financing_y0",
        lambda c, t: t - c["equity_financing_y0"] - c["equity_financing_y1"],
        6,
    ),
)
def _eq2(c):
    return c["equity_financing_y0"] + c["equity_financing_y1"]


@metric(
    "equity_financing_3y",
    "money",
    ("equity_financing_y0", "equity_financing_y1", "equity_financing_y2"),
    "近三年新增股权融资(合格机构投资者实缴)",
    "New equity financing in y0..y2",
    lever=Lever(
        "equity_financing_y0",
        lambda c, t: (
            t - _sum(c, ["equity_financing_y0", "equity_financing_y1", "equity_financing_y2"])
        ),
        6,
    ),
)
def _eq3(c):
    return _sum(c, ["equity_financing_y0", "equity_financing_y1", "equity_financing_y2"])


# ---- IP, achievements, status ---------------------------------------------------------


@metric(
    "ip_granted_in_application_year",
    "bool",
    ("ip_class1_newest_grant_year",),
    "最新Ⅰ类知识产权于申报当年授权",
    "The newest class-I IP was granted in the application year",
)
def _ip_this_year(c):
    year = c["_ref_date"].astype("datetime64[Y]").astype("int64") + 1970
    granted = c["ip_class1_newest_grant_year"]
    return np.where(np.isnan(granted), np.nan, (granted == year).astype(float))


@metric(
    "is_manufacturing",
    "bool",
    ("industry_code",),
    "属于制造业(国民经济行业门类C)",
    "Manufacturing (GB/T 4754 section C, divisions 13–43)",
)
def _manufacturing(c):
    codes, uniques = pd.factorize(pd.Series(c["industry_code"], dtype=object), use_na_sentinel=True)
    per_code = np.array([_is_manufacturing_code(u) for u in uniques] + [np.nan])
    return per_code[codes]  # the sentinel -1 picks the trailing NaN


def _is_manufacturing_code(code) -> float:
    text = str(code).strip().upper()
    if not text:
        return np.nan
    if text[0].isalpha():
        return 1.0 if text[0] == "C" else 0.0
    return 1.0 if text[:2].isdigit() and 13 <= int(text[:2]) <= 43 else 0.0


@metric(
    "ip_total",
    "count",
    ("ip_class1", "ip_class2"),
    "Ⅰ类与Ⅱ类知识产权合计",
    "Class-I plus class-II IP",
    lever=Lever("ip_class2", lambda c, t: np.ceil(t - c["ip_class1"] - c["ip_class2"]), 6),
)
def _ip_total(c):
    return c["ip_class1"] + c["ip_class2"]


@metric(
    "conversions_per_year",
    "count",
    ("tech_conversions_3y",),
    "近三年科技成果转化年均数",
    "Technology conversions per year (last three years)",
    lever=Lever(
        "tech_conversions_3y",
        lambda c, t: np.ceil(t * _window_years(c) - c["tech_conversions_3y"]),
        12,
    ),
    optional=("registered_on",),
)
def _conversions(c):
    return c["tech_conversions_3y"] / _window_years(c)


@metric(
    "national_award_3y_known",
    "bool",
    ("national_award_3y",),
    "近三年获国家级科技奖励(前三名)",
    "National S&T award in the last three years (top three)",
    optional=("national_award_5y",),
)
def _national_award_3y(c):
    # no award in five years implies none in three
    derived = np.where(c["national_award_5y"] == 0, 0.0, np.nan)
    return np.where(np.isnan(c["national_award_3y"]), derived, c["national_award_3y"])


@metric(
    "holds_tech_or_innovative",
    "bool",
    ("is_tech_sme", "is_innovative_sme"),
    "已是科技型或创新型中小企业",
    "Holds tech-SME or innovative-SME status",
)
def _holds_base_tier(c):
    return kleene_or(c["is_tech_sme"], c["is_innovative_sme"])


@metric(
    "srdi_niche_points",
    "points",
    ("niche_years",),
    "细分市场年限得分(每满2年1分)",
    "Niche-years points (1 per full 2 years, max 5)",
)
def _niche_points(c):
    return np.minimum(5.0, np.floor(c["niche_years"] / 2))


@metric(
    "ip_class1_main_own",
    "count",
    ("ip_class1_main_product", "ip_acquisition"),
    "与主导产品相关的自有(非受让)Ⅰ类知识产权数",
    "Own (not transferred-in) class-I IP related to the leading product",
    lever=_raise_field("ip_class1_main_product", integer=True, lead=24),
)
def _ip1_own(c):
    acquired = c["ip_acquisition"] == "acquired"
    known = ~np.asarray([v is None for v in c["ip_acquisition"]])
    out = np.where(acquired, 0.0, c["ip_class1_main_product"])
    return np.where(known, out, np.nan)


@metric(
    "maker_china_best_rank",
    "count",
    (),
    "近三年“创客中国”大赛最好名次",
    "Best Maker China rank in the last three years",
)
def _maker_rank(c):
    # the contract defines an empty cell as "no ranking", so it is known and fails every rank cap
    return np.where(np.isnan(c["maker_china_rank"]), np.inf, c["maker_china_rank"])


# ---- every contract field is also a metric of the same name ---------------------------

_LEAD = {
    "ip_class1": 24,
    "ip_class1_main_product": 24,
    "ip_class1_high_value": 24,
    "ip_class2": 6,
    "tech_conversions_3y": 12,
    "standards_led": 18,
    "niche_years": 12,
    "employees": 3,
    "tech_staff": 3,
    "rd_staff": 3,
}
for _name, _spec in FIELDS.items():
    if _name in METRICS:
        continue
    _unit = {
        "money": "money",
        "integer": "count",
        "number": "number",
        "bool": "bool",
        "date": "date",
    }.get(_spec.type, "text")
    if _spec.unit == "ratio":
        _unit = "ratio"
    if _spec.unit == "years":
        _unit = "years"
    if _spec.unit == "points":
        _unit = "points"
    _lever = None
    if _spec.type in NUMERIC_TYPES and _name != "fiscal_year":
        _lever = _raise_field(_name, integer=_spec.type == "integer", lead=_LEAD.get(_name, 12))
    METRICS[_name] = Metric(
        _name,
        _unit,
        (_name,),
        _spec.label_zh,
        _name.replace("_", " "),
        (lambda c, n=_name: c[n]),
        _lever,
    )


def compute(frame: CanonicalFrame, names: set[str]) -> dict[str, Array]:
    """Evaluate the named metrics over the whole frame."""
    cols = frame.columns
    return {name: METRICS[name].func(cols) for name in names}
