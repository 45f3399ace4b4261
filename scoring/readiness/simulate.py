"""A synthetic history panel (合成数据): firm trajectories that meet the real rules.

Every number below is an assumption of this simulator, listed with its reasoning in
docs/readiness.md; none is a published statistic of real firms. Each simulated year the firms
are scored by the real engine (``scoring.assess_frame``), eligible firms apply with a
propensity, and reviews approve with some noise; certificates lapse after their validity.
Seeded and reproducible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from scoring.conditions import PASS
from scoring.engine import REVIEW
from scoring.frames import iter_evaluations
from scoring.readiness.panel import STATUS
from scoring.vocabulary import LADDERS, PATH

REGIONS = np.array(["440112", "370102", "210112", "110108", "430100", "320507"], dtype=object)
HT_FIELDS = np.array(
    ["electronic_information", "advanced_manufacturing", "biomedicine", "new_materials", "none"],
    dtype=object,
)


@dataclass(frozen=True)
class Assumptions:
    """The simulator's parameters (see docs/readiness.md for the reasoning behind each)."""

    burn_in_years: int = 6  # simulated before the first panel year: 3 give revenue y1..y3,
    # the rest let statuses settle so the first recorded year is not "nobody holds anything"
    revenue_log_mean: float = 16.6  # median revenue about CNY 16 m
    revenue_log_sd: float = 1.2
    growth_mean: float = 0.08  # firms' own long-run growth: N(mean, sd)
    growth_firm_sd: float = 0.10
    growth_noise_sd: float = 0.15  # year-to-year shocks
    growth_persistence: float = 0.5  # AR(1) pull of last year's deviation
    rd_log_mean: float = -3.4  # R&D ÷ revenue: median about 3.3 %
    rd_log_sd: float = 0.7
    rd_persistence: float = 0.8
    rd_noise_sd: float = 0.2
    ip1_per_million_rd: float = 0.10  # class-I IP granted per CNY 1 m of R&D a year
    ip2_per_million_rd: float = 0.6
    productivity_low: float = 3e5  # revenue per employee, uniform
    productivity_high: float = 1.2e6
    mgmt_adoption: float = 0.15  # yearly chance an R&D-intensive firm adds a management system
    propensity: dict = field(
        default_factory=lambda: {
            "tech_sme": 0.70,
            "innovative_sme": 0.45,
            "high_tech": 0.55,
            "srdi_sme": 0.40,
            "gazelle": 0.50,
            "little_giant": 0.30,
        }
    )
    # firms already holding lower rungs are in the bureau's pipeline and apply more readily:
    # log-odds added to the propensity per lower rung held
    engagement_per_rung: float = 0.8
    approve_if_eligible: float = 0.85  # review noise: eligible applicants still fail sometimes
    approve_if_not: float = 0.005  # … and a few ineligible ones pass (rules are not all data)
    validity_years: dict = field(
        default_factory=lambda: {
            "tech_sme": 1,
            "innovative_sme": 3,
            "high_tech": 3,
            "srdi_sme": 3,
            "gazelle": 1,
            "little_giant": 3,
        }
    )


def simulate_panel(
    firms: int,
    years: int,
    *,
    seed: int = 0,
    start_year: int = 2021,
    assume: Assumptions | None = None,
) -> pd.DataFrame:
    """``firms`` × ``years`` rows (fiscal years ``start_year`` …), statuses as of each year."""
    a = assume or Assumptions()
    rng = np.random.default_rng(seed)
    n = firms
    static = _static(rng, n, start_year)
    total = a.burn_in_years + years
    # revenue and R&D paths, oldest first
    mu = rng.normal(a.growth_mean, a.growth_firm_sd, n)
    rev = np.exp(rng.normal(a.revenue_log_mean, a.revenue_log_sd, n))
    rd_base = rng.normal(a.rd_log_mean, a.rd_log_sd, n)
    log_rd = rd_base.copy()
    dev = np.zeros(n)
    revenue, rd = [], []
    for _ in range(total):
        dev = a.growth_persistence * dev + rng.normal(0, a.growth_noise_sd, n)
        rev = rev * np.exp(np.clip(mu + dev, -0.6, 1.0))
        log_rd = (
            (1 - a.rd_persistence) * rd_base
            + a.rd_persistence * log_rd
            + rng.normal(0, a.rd_noise_sd, n)
        )
        revenue.append(np.round(rev, -3))
        rd.append(np.round(rev * np.clip(np.exp(log_rd), 0, 0.4), -2))
    productivity = rng.uniform(a.productivity_low, a.productivity_high, n)
    tech_share = rng.uniform(0.03, 0.45, n)
    ip1 = rng.poisson(0.5, n).astype(float)
    ip2 = rng.poisson(2.0, n).astype(float)
    mgmt = {k: rng.random(n) < 0.3 for k in ("system", "institution", "incentive", "talent")}
    held = {ladder: np.zeros(n, dtype=bool) for ladder in LADDERS}
    since = {ladder: np.full(n, -99) for ladder in LADDERS}
    rows = []
    for t in range(3, total):
        year = start_year + t - a.burn_in_years
        grants = rd[t] / 1e6
        ip1 += rng.poisson(a.ip1_per_million_rd * grants)
        ip2 += rng.poisson(a.ip2_per_million_rd * grants)
        intensive = rd[t] / np.maximum(revenue[t], 1) > 0.03
        for k in mgmt:
            mgmt[k] |= intensive & (rng.random(n) < a.mgmt_adoption)
        frame = _year_frame(
            static, year, t, revenue, rd, productivity, tech_share, ip1, ip2, mgmt, rng
        )
        for ladder in LADDERS:  # certificates past their validity lapse before this year's record
            lapsed = held[ladder] & (year - since[ladder] >= a.validity_years[ladder])
            held[ladder] &= ~lapsed
            frame[STATUS[ladder]] = held[ladder].astype(float)
        ((_, ev),) = iter_evaluations(frame, chunk_rows=max(len(frame), 1))
        status = {k: ev.ladders[k].status for k in LADDERS}  # the rules alone decide applications
        if t >= a.burn_in_years:
            rows.append(frame)
        engaged = {ladder: sum(held[k] for k in PATH[: PATH.index(ladder)]) for ladder in LADDERS}
        for ladder in LADDERS:  # this year's applications, decided during the next year
            eligible = (status[ladder] == PASS) | (status[ladder] == REVIEW)
            odds = np.log(a.propensity[ladder] / (1 - a.propensity[ladder]))
            propensity = 1 / (1 + np.exp(-(odds + a.engagement_per_rung * engaged[ladder])))
            applies = ~held[ladder] & (rng.random(n) < propensity)
            approve = rng.random(n) < np.where(eligible, a.approve_if_eligible, a.approve_if_not)
            new = applies & approve
            held[ladder] |= new
            since[ladder] = np.where(new, year + 1, since[ladder])
    panel = pd.concat(rows, ignore_index=True)
    return panel.sort_values(["firm_id", "fiscal_year"], kind="stable").reset_index(drop=True)


def assumptions_table(a: Assumptions | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        [{"parameter": k, "value": v} for k, v in asdict(a or Assumptions()).items()]
    )


def _static(rng, n, start_year) -> dict[str, np.ndarray]:
    return {
        "firm_id": np.char.add("SYN", np.char.zfill(np.arange(n).astype(str), 7)).astype(object),
        "name": np.char.add("合成企业", np.arange(n).astype(str)).astype(object),
        "region_code": rng.choice(REGIONS, n),
        "registered_on": np.datetime64(f"{start_year - 15}-01-01")
        + rng.integers(0, 365 * 14, n).astype("timedelta64[D]"),
        "high_tech_field": rng.choice(HT_FIELDS, n, p=[0.3, 0.3, 0.15, 0.15, 0.1]),
        "ip_acquisition": rng.choice(["self_developed", "mixed", "acquired"], n, p=[0.7, 0.2, 0.1]),
        "niche_share": rng.uniform(0.0, 0.25, n),
        "quality": rng.random(n) < 0.5,
        "brand": rng.random(n) < 0.4,
        "key_field": rng.random(n) < 0.5,
        "incident": rng.random(n) < 0.02,
        "dishonest": rng.random(n) < 0.02,
    }


def _year_frame(s, year, t, revenue, rd, productivity, tech_share, ip1, ip2, mgmt, rng):
    n = len(s["firm_id"])
    rev = revenue[t]
    employees = np.maximum(3, np.round(rev / productivity))
    tech = np.floor(employees * tech_share)
    assets = rev * 1.1
    liabilities = assets * 0.5
    cols = {
        "firm_id": s["firm_id"],
        "fiscal_year": np.full(n, float(year)),
        "name": s["name"],
        "region_code": s["region_code"],
        "registered_on": s["registered_on"],
        "high_tech_field": s["high_tech_field"],
        "ip_acquisition": s["ip_acquisition"],
        "employees": employees,
        "tech_staff": tech,
        "rd_staff": np.floor(tech * 0.7),
        "high_tech_income_y0": np.round(rev * 0.7, -3),
        "total_income_y0": np.round(rev * 1.02, -3),
        "total_assets_y0": assets,
        "total_assets_y1": revenue[t - 1] * 1.1,
        "total_liabilities_y0": liabilities,
        "total_liabilities_y1": revenue[t - 1] * 0.55,
        "cost_expense_total_y0": rev * 0.85,
        "rd_expense_domestic_3y": rd[t] + rd[t - 1] + rd[t - 2],
        "ip_class1": ip1.copy(),
        "ip_class2": ip2.copy(),
        "ip_class1_main_product": np.floor(ip1 * 0.7),
        "ip_class1_high_value": np.floor(ip1 * 0.2),
        "standards_led": np.zeros(n),
        "tech_conversions_3y": np.floor(ip1 + ip2 * 0.3),
        "niche_years": np.clip(
            year - s["registered_on"].astype("datetime64[Y]").astype(int) - 1970, 0, None
        ).astype(float),
        "niche_market_share": s["niche_share"],
        "key_field": s["key_field"].astype(float),
        "quality_certified": s["quality"].astype(float),
        "own_brand": s["brand"].astype(float),
        "digital_level": np.clip(np.round(rng.normal(2.2, 0.8, n)), 1, 4),
        "hte_advancement": np.clip(np.round(2 + ip1 / 2), 0, 8),
        "hte_core_support": np.clip(np.round(2 + ip1 / 2), 0, 8),
        "rd_mgmt_system": mgmt["system"].astype(float),
        "rd_mgmt_institution": mgmt["institution"].astype(float),
        "rd_mgmt_incentive": mgmt["incentive"].astype(float),
        "rd_mgmt_talent": mgmt["talent"].astype(float),
        "major_incident_1y": s["incident"].astype(float),
        "on_dishonesty_list": s["dishonest"].astype(float),
        "restricted_industry": np.zeros(n),
        "in_high_tech_zone": (s["region_code"] != "320507").astype(float),
    }
    for k in range(4):
        cols[f"revenue_y{k}"] = revenue[t - k]
    for k in range(3):
        cols[f"rd_expense_y{k}"] = rd[t - k]
        cols[f"main_revenue_y{k}"] = np.round(revenue[t - k] * 0.9, -3)
        cols[f"net_profit_y{k}"] = np.round(revenue[t - k] * 0.06, -3)
        cols[f"net_assets_y{k}"] = revenue[t - k] * 0.55
        cols[f"equity_financing_y{k}"] = np.zeros(n)
    return pd.DataFrame(cols)
