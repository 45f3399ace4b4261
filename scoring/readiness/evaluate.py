"""Evaluation of the readiness model against its baselines, split by firm and by time."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from scoring.readiness.features import build_features
from scoring.readiness.model import (
    BLEND_WEIGHTS,
    MonotoneLogistic,
    ReadinessEstimator,
    ReadinessModel,
    RulesDistanceBaseline,
    logistic_baseline,
)
from scoring.readiness.panel import check_panel, derive_labels
from scoring.vocabulary import LADDERS

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


def _bucket(firm_ids: pd.Series) -> np.ndarray:
    digest = firm_ids.astype(str).map(lambda s: int(hashlib.sha256(s.encode()).hexdigest()[:8], 16))
    return (digest % 100).to_numpy()


SELECTION_FOLDS = 4


def selection_folds(panel: pd.DataFrame, train: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The training rows in ``SELECTION_FOLDS`` folds by firm (hash buckets 20–99, a fold of
    20 each) for choosing an estimator on out-of-fold predictions; the test firms (buckets
    0–19) are never looked at, so the test figures of the chosen estimator stay honest."""
    bucket = _bucket(panel["firm_id"])
    width = (100 - 20) // SELECTION_FOLDS
    out = []
    for k in range(SELECTION_FOLDS):
        inside = (bucket >= 20 + k * width) & (bucket < 20 + (k + 1) * width)
        out.append((train & ~inside, train & inside))
    return out


def select(X: pd.DataFrame, y: pd.Series, folds, ladder: str, h: int):
    """The estimator with the lowest out-of-fold Brier score over the training rows among
    the boosted model, the monotone logistic, the rules distance and their blends. Returns
    (kind, weight, {candidate: Brier}); too few gains to choose → the boosted model."""
    truth, probs = [], {"hgb": [], "logistic": [], "rules": []}
    for fit, check in folds:
        yf, yc = y[fit].astype(int), y[check].astype(int)
        if yf.sum() < 10 or yf.nunique() < 2 or not check.any():
            return "hgb", 1.0, {}
        truth.append(yc.to_numpy())
        for name, est in (
            ("hgb", ReadinessModel(ladder=ladder, horizon=h)),
            ("logistic", MonotoneLogistic(ladder=ladder)),
            ("rules", RulesDistanceBaseline(ladder=ladder)),
        ):
            probs[name].append(est.fit(X[fit], yf).predict_proba(X[check])[:, 1])
    truth = np.concatenate(truth)
    if len(set(truth)) < 2:
        return "hgb", 1.0, {}
    probs = {name: np.concatenate(p) for name, p in probs.items()}
    for w in BLEND_WEIGHTS:
        probs[f"blend{w:g}"] = w * probs["hgb"] + (1 - w) * probs["logistic"]
    briers = {name: float(brier_score_loss(truth, p)) for name, p in probs.items()}
    best = min(briers, key=lambda name: (briers[name], name != "hgb"))  # a tie keeps hgb
    if best.startswith("blend"):
        return "blend", float(best[5:]), briers
    return best, 1.0, briers


def split(panel: pd.DataFrame, labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Train: other firms, years before the last labelled year. Test: held-out firms, that year."""
    known = labels.notna().to_numpy()
    if not known.any():  # no status for this ladder (e.g. a pool without 小巨人 lists)
        return known, known
    years = panel["fiscal_year"].to_numpy()
    last = years[known].max()
    held_out = test_firm(panel["firm_id"])
    return known & ~held_out & (years < last), known & held_out & (years == last)


SIZE_BANDS = (0, 20e6, 100e6, 400e6, np.inf)  # revenue y0, yuan
SIZE_LABELS = ("<2000万元", "2000万–1亿元", "1亿–4亿元", "≥4亿元")
MIN_SLICE_POSITIVES = 5  # fewer gains in a slice give an AUC that means nothing: not shown


@dataclass
class Report:
    """``table``: one row per (ladder, horizon) with each estimator's AUC, Brier and ECE;
    ``slices``: the model's metrics per region, industry and size band; ``reliability``: the
    model's calibration bins (mean predicted, observed rate, count) on the test rows."""

    table: pd.DataFrame
    slices: pd.DataFrame
    reliability: pd.DataFrame


def slice_keys(panel: pd.DataFrame) -> dict[str, pd.Series]:
    """The groups the metrics are broken down by: the province (first two digits of the
    region code), the industry (GB/T 4754 section of ``industry_code`` where given, else the
    high-tech field) and the revenue band."""
    region = panel.get("region_code", pd.Series("", index=panel.index)).astype("string")
    industry = panel.get("industry_code", pd.Series(pd.NA, index=panel.index)).astype("string")
    field = panel.get("high_tech_field", pd.Series(pd.NA, index=panel.index)).astype("string")
    revenue = pd.to_numeric(panel.get("revenue_y0"), errors="coerce")
    return {
        "region": region.str[:2].fillna("未知"),
        "industry": industry.str[:1].fillna(field).fillna("未知"),
        "size": pd.cut(revenue, SIZE_BANDS, labels=SIZE_LABELS, right=False)
        .astype("string")
        .fillna("未知"),
    }


def reliability_bins(y, p, bins: int = 10) -> pd.DataFrame:
    """Equal-width bins of predicted probability: mean prediction, observed rate, count."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    which = np.clip(np.digitize(p, np.linspace(0, 1, bins + 1)[1:-1]), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "y": y, "p": p}).groupby("bin")
    return pd.DataFrame(
        {"predicted": frame["p"].mean(), "observed": frame["y"].mean(), "count": frame.size()}
    ).reset_index()


def evaluate(panel: pd.DataFrame, ladders=LADDERS, horizons=(1, 2), progress=None) -> Report:
    """Per (ladder, horizon): the estimator chosen on validation firms (``select``) and its
    AUC, Brier score and ECE on the held-out test firms beside the boosted model, the rules
    distance, the (unconstrained) logistic baseline and the monotone logistic; the chosen
    estimator's metrics per slice and its reliability bins. ``progress()`` is called after each
    (ladder, horizon), e.g. to renew a job's lease."""
    panel = check_panel(panel)
    X = build_features(panel)
    labels = derive_labels(panel, horizons)
    keys = slice_keys(panel)
    rows, slices, bins = [], [], []
    for ladder in ladders:
        for h in horizons:
            if progress is not None:
                progress()
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
            kind, weight, briers = select(X, y, selection_folds(panel, train), ladder, h)
            chosen = ReadinessEstimator(ladder=ladder, horizon=h, kind=kind, weight=weight)
            result["selected"] = kind if kind != "blend" else f"blend{weight:g}"
            result["validation_brier"] = briers
            for name, est in (
                ("selected", chosen),
                ("model", ReadinessModel(ladder=ladder, horizon=h)),
                ("rules", RulesDistanceBaseline(ladder=ladder)),
                ("logistic", logistic_baseline()),
                ("mono_logistic", MonotoneLogistic(ladder=ladder)),
            ):
                est.fit(X[train], ytr)
                p = est.predict_proba(X[test])[:, 1]
                result[f"{name}_auc"] = roc_auc_score(yte, p)
                result[f"{name}_brier"] = brier_score_loss(yte, p)
                result[f"{name}_ece"] = expected_calibration_error(yte, p)
                if name == "selected":
                    model_p = p
            result["brier_gain_vs_rules"] = 1 - result["selected_brier"] / result["rules_brier"]
            result["brier_gain_vs_logistic"] = (
                1 - result["selected_brier"] / result["logistic_brier"]
            )
            rows.append(result)
            bins.append(reliability_bins(yte, model_p).assign(ladder=ladder, horizon=h))
            slices += _slice_rows(ladder, h, yte.to_numpy(), model_p, keys, test)
    return Report(
        pd.DataFrame(rows),
        pd.DataFrame(slices),
        pd.concat(bins, ignore_index=True) if bins else pd.DataFrame(),
    )


def _slice_rows(ladder, horizon, y, p, keys: dict[str, pd.Series], test) -> list[dict]:
    out = []
    for by, key in keys.items():
        values = key[test].to_numpy()
        for value in sorted(set(values)):
            at = values == value
            positives = int(y[at].sum())
            out.append(
                {
                    "ladder": ladder,
                    "horizon": horizon,
                    "by": by,
                    "slice": value,
                    "n": int(at.sum()),
                    "positives": positives,
                    "auc": roc_auc_score(y[at], p[at])
                    if MIN_SLICE_POSITIVES <= positives < at.sum()
                    else None,
                    "brier": brier_score_loss(y[at], p[at], labels=[0, 1]),
                    "mean_predicted": float(p[at].mean()),
                    "observed": float(y[at].mean()),
                }
            )
    return out
