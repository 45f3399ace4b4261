"""Synthetic firms for benchmarks (合成数据，仅用于性能测试): plausible ranges, no real firm."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.fields import FIELDS

REGIONS = np.array(["440112", "370102", "210112", "110108", "430100", "320507"], dtype=object)
FIELDS_HT = np.array(
    ["electronic_information", "advanced_manufacturing", "none", "biomedicine"], dtype=object
)
ACQ = np.array(["self_developed", "mixed", "acquired"], dtype=object)
LEVEL = np.array(["none", "own", "municipal", "provincial", "national"], dtype=object)


def synthetic_firms(n: int, seed: int = 0, missing: float = 0.05) -> pd.DataFrame:
    """``n`` firms with canonical columns; about ``missing`` of optional cells left empty."""
    rng = np.random.default_rng(seed)
    revenue = np.round(np.exp(rng.normal(17.0, 1.3, n)), -3)  # median about CNY 24 m
    growth = rng.normal(0.12, 0.2, (4, n))
    cols: dict[str, np.ndarray] = {
        "name": np.char.add("合成企业", np.arange(n).astype(str)).astype(object),
        "fiscal_year": rng.choice([2024, 2025], n).astype(float),
        "region_code": rng.choice(REGIONS, n),
        "registered_on": (
            np.datetime64("2005-01-01") + rng.integers(0, 7000, n).astype("timedelta64[D]")
        ),
        "high_tech_field": rng.choice(FIELDS_HT, n),
        "ip_acquisition": rng.choice(ACQ, n),
        "rd_institution_level": rng.choice(LEVEL, n, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
    }
    employees = np.maximum(3, np.round(revenue / rng.uniform(3e5, 1.2e6, n)))
    cols["employees"] = employees
    cols["tech_staff"] = np.floor(employees * rng.uniform(0.02, 0.5, n))
    cols["rd_staff"] = np.floor(cols["tech_staff"] * rng.uniform(0.3, 1.0, n))
    rev = revenue
    for k in range(4):
        cols[f"revenue_y{k}"] = rev
        rev = np.round(rev / (1 + np.clip(growth[k], -0.5, 2)), -3)
    rd_ratio = np.clip(rng.lognormal(-3.3, 0.7, n), 0, 0.5)
    for k in range(3):
        cols[f"main_revenue_y{k}"] = np.round(cols[f"revenue_y{k}"] * rng.uniform(0.5, 1, n), -3)
        cols[f"rd_expense_y{k}"] = np.round(
            cols[f"revenue_y{k}"] * rd_ratio * rng.uniform(0.8, 1.2, n)
        )
        cols[f"net_profit_y{k}"] = np.round(cols[f"revenue_y{k}"] * rng.normal(0.06, 0.08, n))
        cols[f"equity_financing_y{k}"] = np.where(
            rng.random(n) < 0.1, rng.uniform(1e6, 5e7, n), 0.0
        )
    assets = revenue * rng.uniform(0.6, 1.6, n)
    cols["total_assets_y0"] = assets
    cols["total_liabilities_y0"] = assets * rng.uniform(0.2, 0.9, n)
    cols["total_assets_y1"] = assets / 1.1
    cols["total_liabilities_y1"] = cols["total_liabilities_y0"] / 1.1
    for k in range(3):
        cols[f"net_assets_y{k}"] = (assets - cols["total_liabilities_y0"]) / (1.1**k)
    cols["high_tech_income_y0"] = revenue * rng.uniform(0.45, 0.98, n)
    cols["total_income_y0"] = revenue * 1.02
    cols["cost_expense_total_y0"] = revenue * rng.uniform(0.7, 1.0, n)
    rd3 = cols["rd_expense_y0"] + cols["rd_expense_y1"] + cols["rd_expense_y2"]
    cols["rd_expense_domestic_3y"] = rd3 * rng.uniform(0.55, 1.0, n)
    ip1 = rng.poisson(1.2, n).astype(float)
    cols["ip_class1"] = ip1
    cols["ip_class1_main_product"] = np.floor(ip1 * rng.uniform(0.5, 1, n))
    cols["ip_class1_high_value"] = np.floor(cols["ip_class1_main_product"] * rng.uniform(0, 0.5, n))
    cols["ip_class2"] = rng.poisson(5, n).astype(float)
    cols["standards_led"] = rng.poisson(0.3, n).astype(float)
    cols["tech_conversions_3y"] = rng.poisson(5, n).astype(float)
    cols["maker_china_rank"] = np.where(rng.random(n) < 0.02, rng.integers(1, 800, n), np.nan)
    cols["niche_years"] = rng.integers(0, 15, n).astype(float)
    cols["niche_market_share"] = rng.uniform(0, 0.3, n)
    cols["digital_level"] = rng.integers(1, 5, n).astype(float)
    cols["hte_advancement"] = rng.integers(2, 9, n).astype(float)
    cols["hte_core_support"] = rng.integers(2, 9, n).astype(float)
    cols["srdi_local_points"] = rng.integers(0, 16, n).astype(float)
    cols["srdi_dev_score"] = rng.integers(30, 90, n).astype(float)
    for name, spec in FIELDS.items():
        if spec.type == "bool" and name not in cols:
            cols[name] = (
                rng.random(n)
                < (
                    0.05
                    if "incident" in name or "dishonesty" in name or "restricted" in name
                    else 0.5
                )
            ).astype(float)
    df = pd.DataFrame(cols)
    optional = [c for c in df.columns if c not in ("name", "fiscal_year")]
    if missing:
        for c in optional:
            mask = rng.random(n) < missing
            if df[c].dtype.kind == "f":
                df.loc[mask, c] = np.nan
    return df
