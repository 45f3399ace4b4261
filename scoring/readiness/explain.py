"""Per-firm readiness explanations: which action raises the chance of the next rung most.

For each gap the rules report for a ladder (the least change that passes a failed rule), the
firm's latest year is changed by exactly that much, re-scored through the engine and the
model, and the gain in probability is measured. Sorted by gain. The model's monotone
constraints keep the signs consistent: closing a gap never lowers the probability through the
constrained features.
"""

from __future__ import annotations

import math

import pandas as pd

import scoring
from scoring.fields import FIELDS
from scoring.readiness.bundle import ReadinessBundle
from scoring.readiness.features import build_features
from scoring.readiness.panel import check_panel

NUMERIC = ("money", "integer", "number")


def top_actions(
    bundle: ReadinessBundle,
    history: pd.DataFrame,
    ladder: str,
    *,
    horizon: int = 1,
    limit: int = 5,
) -> dict:
    """``history``: one firm's panel rows (the last is the year assessed)."""
    history = check_panel(history)
    model = bundle.models.get(f"{ladder}/{horizon}")
    if model is None:
        return {"ladder": ladder, "probability": None, "actions": []}
    current = history.iloc[-1].to_dict()
    firm = {k: v for k, v in current.items() if k in FIELDS and _known(v)}
    base = _probability(model, history)
    gaps = scoring.assess(firm).ladders[ladder].gaps
    actions = []
    for gap in gaps:
        spec = FIELDS.get(gap.field or "")
        if spec is None or spec.type not in NUMERIC or gap.change is None:
            continue  # dates, yes/no and categories have no amount to add
        if gap.field not in firm:
            continue  # an unknown value is not zero: there is nothing to add the change to
        changed = history.copy()
        value = float(firm[gap.field]) + gap.change
        changed.loc[changed.index[-1], gap.field] = value
        p = _probability(model, changed)
        actions.append(
            {
                "rule_id": gap.rule_id,
                "field": gap.field,
                "change": gap.change,
                "zh": gap.zh,
                "probability": p,
                "gain": p - base,
                "lead_months": gap.lead_months,
            }
        )
    actions.sort(key=lambda a: -a["gain"])
    return {"ladder": ladder, "probability": base, "actions": actions[:limit]}


def _probability(model, history: pd.DataFrame) -> float:
    features = build_features(history)
    return float(model.predict_proba(features.iloc[[-1]])[:, 1][0])


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
