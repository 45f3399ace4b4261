"""Evaluation of the readiness model against its baselines, split by firm and by time."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from scoring.readiness.features import build_features
from scoring.readiness.model import ReadinessModel, RulesDistanceBaseline, logistic_baseline
from scoring.readiness.panel import check_panel, derive_labels
from scoring.rulesets import LADDERS

TEST_FIRMS = 0.2


def expected_calibration_error(y, p, bins: int = 10) -> float:
    """Mean |observed − predicted| over equal-width probability bins, weighted by count."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        at = which == b
        if at.any():
            total += at.sum() * abs(y[at].mean() - p[at].mean())
    return total / len(y)


def test_firm(firm_ids: pd.Series) -> np.ndarray:
    """A stable 20 % of firms held out (by a hash of the id, not by row order)."""
    digest = firm_ids.astype(str).map(lambda s: int(hashlib.sha256(s.encode()).hexdigest()[:8], 16))
    return (digest % 100 < TEST_FIRMS * 100).to_numpy()


def split(panel: pd.DataFrame, labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Train: other firms, years before the last labelled year. Test: held-out firms, that year."""
    known = labels.notna().to_numpy()
    years = panel["fiscal_year"].to_numpy()
    last = years[known].max()
    held_out = test_firm(panel["firm_id"])
    return known & ~held_out & (years < last), known & held_out & (years == last)


def evaluate(panel: pd.DataFrame, ladders=LADDERS, horizons=(1, 2)) -> pd.DataFrame:
    """AUC, Brier score and ECE of the model and both baselines per (ladder, horizon)."""
    panel = check_panel(panel)
    X = build_features(panel)
    labels = derive_labels(panel, horizons)
    rows = []
    for ladder in ladders:
        for h in horizons:
            y = labels[f"{ladder}_in_{h}y"]
            train, test = split(panel, y)
            if y[train].sum() < 10 or y[train].nunique() < 2 or y[test].nunique() < 2:
                rows.append({"ladder": ladder, "horizon": h, "note": "too few positives"})
                continue
            ytr, yte = y[train].astype(int), y[test].astype(int)
            result = {
                "ladder": ladder,
                "horizon": h,
                "train": int(train.sum()),
                "test": int(test.sum()),
                "positives_test": int(yte.sum()),
            }
            for name, est in (
                ("model", ReadinessModel(ladder=ladder, horizon=h)),
                ("rules", RulesDistanceBaseline(ladder=ladder)),
                ("logistic", logistic_baseline()),
            ):
                est.fit(X[train], ytr)
                p = est.predict_proba(X[test])[:, 1]
                result[f"{name}_auc"] = roc_auc_score(yte, p)
                result[f"{name}_brier"] = brier_score_loss(yte, p)
                result[f"{name}_ece"] = expected_calibration_error(yte, p)
            result["brier_gain_vs_rules"] = 1 - result["model_brier"] / result["rules_brier"]
            rows.append(result)
    return pd.DataFrame(rows)
