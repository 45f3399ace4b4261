"""Features of a firm-year for the readiness model: where the rules place it today (status,
score, failed rules, missing data, distance to the threshold), its profile, and its trajectory.

The engine computes the rule features (one scoring path); the trajectory needs the firm's
previous year in the panel and is unknown (NaN) without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.engine import FAIL, PASS, REVIEW, UNKNOWN, Evaluation
from scoring.frames import iter_evaluations
from scoring.gaps import near_threshold
from scoring.readiness.panel import STATUS
from scoring.vocabulary import LADDERS

# profile metrics, with the direction readiness can only follow (+1) or none (0)
PROFILE = {
    "rd_ratio_3y": 1,
    "rd_ratio_y0": 1,
    "tech_staff_ratio": 1,
    "revenue_growth_y0": 1,
    "revenue_cagr_2y": 1,
    "ip_class1": 1,
    "ip_class2": 1,
    "ip_total": 1,
    "high_tech_income_share": 1,
    "firm_age_years": 0,
    "debt_ratio_y0": 0,
    "net_margin_y0": 0,
}
LOG_FIELDS = ("revenue_y0", "employees")  # size, in logs; no direction imposed
TRAJECTORY = {"d_rd_ratio_y0": 1, "d_ip_class1": 1, "d_ip_total": 1, "d_tech_staff_ratio": 1}
NEAR_CAP = 0.99  # a near firm's distance stays below a far one's (1)
OWN = ("eligible", "undetermined", "score", "score_min", "failed", "missing", "shortfall")
OWN += ("ineligible_hard",)


def rule_features(panel: pd.DataFrame, chunk_rows: int = 200_000) -> pd.DataFrame:
    """Per row: for each ladder its status code, score, failed-rule count, missing-field
    count, whether it is near the threshold and how far (relative shortfall), plus metrics."""
    frame = panel.drop(columns=[c for c in ("firm_id",) if c in panel.columns])
    parts = [
        evaluation_features(ev).set_axis(rows)
        for rows, ev in iter_evaluations(frame.reset_index(drop=True), chunk_rows=chunk_rows)
    ]
    return pd.concat(parts).set_axis(panel.index)


def evaluation_features(ev: Evaluation) -> pd.DataFrame:
    """The rule and profile features of every row of one evaluated frame."""
    cols: dict[str, np.ndarray] = {}
    near = near_threshold(ev, text=False)  # the distances; the batch's texts when it made them
    for ladder in LADDERS:
        res = ev.ladders[ladder]
        # manual review counts as met here: every condition data can decide is (the model's
        # features mean what they meant before that state existed)
        met = (res.status == PASS) | (res.status == REVIEW)
        cols[f"{ladder}_eligible"] = met.astype(float)
        cols[f"{ladder}_undetermined"] = (res.status == UNKNOWN).astype(float)
        cols[f"{ladder}_score"] = res.score
        cols[f"{ladder}_score_min"] = res.score_lo
        counts = np.array(
            [len([r for r in c.split(";") if r]) for c in res.failed.categories], dtype=float
        )
        cols[f"{ladder}_failed"] = counts[res.failed.codes]
        missing = np.array(
            [len([r for r in c.split(";") if r]) for c in res.missing.categories], dtype=float
        )
        cols[f"{ladder}_missing"] = missing[res.missing.codes]
        shortfall = np.full(ev.frame.n, np.nan)
        mine = near[near["ladder"] == ladder]
        shortfall[mine["row"].to_numpy(dtype=np.int64)] = mine["shortfall"].to_numpy()
        is_near = ~np.isnan(shortfall)
        cols[f"{ladder}_near"] = is_near.astype(float)
        # the distance to the ladder: 0 when met, the relative shortfall when near (below 1),
        # 1 when further, unknown when undetermined; one ordered scale, so the model can hold
        # it monotone (a firm that closes a gap moves down it, never onto a "missing" branch)
        cols[f"{ladder}_shortfall"] = np.select(
            [met, is_near, res.status == FAIL],
            [0.0, np.minimum(shortfall, NEAR_CAP), 1.0],
            np.nan,
        )
        cols[f"{ladder}_ineligible_hard"] = (
            (res.status == FAIL) & (cols[f"{ladder}_failed"] > 1)
        ).astype(float)
    for name in PROFILE:
        values = np.asarray(ev.source[name], dtype=float)
        cols[name] = np.where(np.isfinite(values), values, np.nan)
    for name in LOG_FIELDS:
        cols[f"log_{name}"] = np.log1p(np.clip(ev.frame.num(name), 0, None))
    return pd.DataFrame(cols)


def single_year_features(ev: Evaluation) -> pd.DataFrame:
    """Features of firms given as one year each (an assessment, a batch row): the rule and
    profile features, no trajectory (it needs the firm's previous year: unknown, not zero),
    and the held status from the input's ``is_*`` fields where the contract has them."""
    X = evaluation_features(ev)
    for name in TRAJECTORY:
        X[name] = np.nan
    for ladder in LADDERS:
        field = STATUS[ladder]
        X[f"{ladder}_held"] = ev.frame.num(field) if field in ev.frame.columns else np.nan
    return X


def trajectory_features(panel: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Year-on-year changes against the same firm's previous fiscal year (NaN if absent)."""
    keyed = pd.DataFrame(
        {
            "firm_id": panel["firm_id"].to_numpy(),
            "fiscal_year": pd.to_numeric(panel["fiscal_year"], errors="coerce").to_numpy(
                dtype=float
            )
            if "fiscal_year" in panel
            else np.full(len(panel), np.nan),
            "rd_ratio_y0": rules["rd_ratio_y0"].to_numpy(),
            "ip_class1": rules["ip_class1"].to_numpy(),
            "ip_total": rules["ip_total"].to_numpy(),
            "tech_staff_ratio": rules["tech_staff_ratio"].to_numpy(),
        }
    )
    # a row without a year has no previous year (and must not be matched with itself)
    previous = keyed.dropna(subset=["fiscal_year"]).assign(
        fiscal_year=lambda k: k["fiscal_year"] + 1
    )
    merged = keyed.merge(previous, on=["firm_id", "fiscal_year"], how="left", suffixes=("", "_p"))
    out = pd.DataFrame(index=panel.index)
    for name in ("rd_ratio_y0", "ip_class1", "ip_total", "tech_staff_ratio"):
        out[f"d_{name}"] = (merged[name] - merged[f"{name}_p"]).to_numpy()
    return out


def build_features(panel: pd.DataFrame) -> pd.DataFrame:
    """All features for every panel row, plus the held status of each ladder."""
    rules = rule_features(panel)
    held = pd.DataFrame(
        {
            f"{ladder}_held": panel[STATUS[ladder]].to_numpy(dtype=float)
            if STATUS[ladder] in panel
            else np.nan
            for ladder in LADDERS
        },
        index=panel.index,
    )
    return pd.concat([rules, trajectory_features(panel, rules), held], axis=1)


def model_columns(columns, ladder: str) -> list[str]:
    """The features a ``ladder`` model uses: that ladder's own rule features, the profile,
    size, trajectory and the statuses held. Other ladders' rule features are left out: closing
    a gap of this ladder moves them in directions no constraint can vouch for (a size cap of
    one ladder is progress for another), and they added nothing measurable to its ranking."""
    own = {f"{ladder}_{part}" for part in OWN}
    shared = set(PROFILE) | set(TRAJECTORY) | {f"log_{name}" for name in LOG_FIELDS}
    return [c for c in columns if c in own or c in shared or c.endswith("_held")]


def monotone_directions(columns: list[str], ladder: str) -> list[int]:
    """+1 where more can only raise the chance of reaching ``ladder``; 0 where unknown."""
    out = []
    for c in columns:
        if c in PROFILE:
            out.append(PROFILE[c])
        elif c in TRAJECTORY:
            out.append(TRAJECTORY[c])
        elif c in (f"{ladder}_eligible", f"{ladder}_score", f"{ladder}_score_min"):
            out.append(1)
        elif c in (f"{ladder}_failed", f"{ladder}_shortfall", f"{ladder}_ineligible_hard"):
            out.append(-1)
        else:
            out.append(0)
    return out
