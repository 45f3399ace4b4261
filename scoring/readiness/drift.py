"""Drift: do the firms being scored look like the ones the model was trained on?

At training time the distribution of the main features is kept with the model (decile bins
of the training rows, plus the share unknown). For new firms the same bins give the
population stability index (PSI) per feature: Σ (new − ref) · ln(new / ref) over the bins.
Usual reading: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a major one (retrain,
or read the probabilities with care).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.readiness.features import LOG_FIELDS, PROFILE
from scoring.vocabulary import LADDERS

FEATURES = [
    *PROFILE,
    *[f"log_{name}" for name in LOG_FIELDS],
    *[f"{ladder}_score" for ladder in ("tech_sme", "innovative_sme", "high_tech", "srdi_sme")],
    *[f"{ladder}_eligible" for ladder in LADDERS],
]
FLOOR = 1e-4  # an empty bin counts as this share, so the logarithm stays finite
MODERATE, MAJOR = 0.10, 0.25


def reference(X: pd.DataFrame, bins: int = 10) -> dict[str, dict]:
    """Per feature: the inner bin edges (training deciles) and the share of rows in each bin,
    the last share being the unknown rows."""
    out = {}
    for name in FEATURES:
        if name not in X:
            continue
        values = X[name].to_numpy(dtype=float)
        known = values[~np.isnan(values)]
        if len(known) == 0:
            continue
        edges = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1]))
        out[name] = {"edges": edges.tolist(), "shares": _shares(values, edges).tolist()}
    return out


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    unknown = np.isnan(values)
    which = np.where(unknown, len(edges) + 1, np.searchsorted(edges, values, side="right"))
    counts = np.bincount(which, minlength=len(edges) + 2).astype(float)
    return counts / max(len(values), 1)


def psi_table(ref: dict[str, dict], X: pd.DataFrame) -> pd.DataFrame:
    """PSI per feature of ``X`` against ``ref``, the largest first, with a verdict."""
    rows = []
    for name, spec in ref.items():
        if name not in X:
            continue
        expected = np.maximum(np.asarray(spec["shares"], dtype=float), FLOOR)
        actual = np.maximum(
            _shares(X[name].to_numpy(dtype=float), np.asarray(spec["edges"], dtype=float)), FLOOR
        )
        psi = float(np.sum((actual - expected) * np.log(actual / expected)))
        rows.append(
            {
                "feature": name,
                "psi": psi,
                "verdict": "major" if psi > MAJOR else "moderate" if psi > MODERATE else "stable",
                "unknown_ref": float(spec["shares"][-1]),
                "unknown_new": float(np.isnan(X[name].to_numpy(dtype=float)).mean()),
            }
        )
    frame = pd.DataFrame(rows, columns=["feature", "psi", "verdict", "unknown_ref", "unknown_new"])
    return frame.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


VERDICT_ZH = {"stable": "稳定", "moderate": "轻度偏移", "major": "显著偏移"}
