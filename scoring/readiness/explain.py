"""Per-firm readiness explanations: which action raises the chance of a ladder most.

For each gap the rules report for a ladder (the least change that passes a failed rule), the
firm's latest year is changed by exactly that much, re-scored through the engine and the
model, and the gain in probability is measured; sorted by gain. Every variant of every firm
is scored in one vectorized pass. The estimators' monotone constraints keep the signs
consistent feature by feature; a change to one input can still move two features in opposite
directions, so only changes that raise the probability are listed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from scoring.explain import RowView, ladder_assessment
from scoring.fields import FIELDS
from scoring.frames import iter_evaluations
from scoring.models import Gap, ReadinessAction
from scoring.options import Options
from scoring.readiness.bundle import ReadinessBundle
from scoring.readiness.features import build_features, single_year_features
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
    firm = _known_fields(history.iloc[-1].to_dict())
    ((_, ev),) = iter_evaluations(pd.DataFrame([firm]))
    gaps = ladder_assessment(ev, ladder, 0, RowView(ev, 0)).gaps
    records = history.to_dict("records")
    ((base, actions),) = _score_actions([(records, firm, gaps, model)], build_features)
    return {
        "ladder": ladder,
        "probability": base,
        "actions": [a.model_dump() for a in actions[:limit]],
    }


def firm_actions(
    bundle: ReadinessBundle,
    firms: list[tuple[dict, list[str], dict[str, list[Gap]]]],
    *,
    horizon: int = 1,
    limit: int = 5,
    options: Options | None = None,
) -> list[tuple[str | None, list[ReadinessAction]]]:
    """For firms given as one year each (assessments): (known input fields, the ladders of
    its upgrade path in order, each ladder's gaps). The actions are for the first ladder of
    the path with a gap that an amount closes; all firms are re-scored in one pass, with the
    assessment's ``options`` (as_of, mode, today, overrides)."""

    def featurize(frame: pd.DataFrame) -> pd.DataFrame:
        parts = [
            single_year_features(ev).set_axis(rows)
            for rows, ev in iter_evaluations(frame.drop(columns=["firm_id"]), options)
        ]
        return pd.concat(parts)

    chosen, items = [], []
    for data, path, gaps in firms:
        firm = _known_fields(data)
        ladder = next(
            (
                k
                for k in path
                if f"{k}/{horizon}" in bundle.models and _closable(gaps.get(k, []), firm)
            ),
            None,
        )
        chosen.append(ladder)
        if ladder is not None:
            items.append(([firm], firm, gaps[ladder], bundle.models[f"{ladder}/{horizon}"]))
    scored = iter(_score_actions(items, featurize)) if items else iter(())
    return [(k, next(scored)[1][:limit] if k else []) for k in chosen]


def _score_actions(
    items: list[tuple[list[dict], dict, list[Gap], object]], featurize
) -> list[tuple[float, list[ReadinessAction]]]:
    """Per (history rows, latest known fields, gaps, model): the base probability and the
    actions sorted by gain. One feature pass (``featurize``) for all; one prediction per
    model."""
    rows, last, plans, owners = [], [], [], []
    for k, (history, firm, gaps, model) in enumerate(items):
        plan = _closable(gaps, firm)
        changes = [{}] + [{gap.field: float(firm[gap.field]) + gap.change} for gap in plan]
        for g, change in enumerate(changes):
            rows += [{**r, "firm_id": f"{k}#{g}"} for r in history[:-1]]
            rows.append({**history[-1], **change, "firm_id": f"{k}#{g}"})
            last.append(len(rows) - 1)
            owners.append(model)
        plans.append(plan)
    features = featurize(pd.DataFrame(rows)).iloc[last]
    p = np.empty(len(last))
    for model in {id(m): m for m in owners}.values():
        mine = np.array([o is model for o in owners])
        p[mine] = model.predict_proba(features[mine])[:, 1]
    out, at = [], 0
    for plan in plans:
        base = float(p[at])
        actions = [
            ReadinessAction(
                rule_id=gap.rule_id,
                field=gap.field,
                change=gap.change,
                zh=gap.zh,
                en=gap.en,
                lead_months=gap.lead_months,
                probability=float(p[at + 1 + g]),
                gain=float(p[at + 1 + g]) - base,
            )
            for g, gap in enumerate(plan)
        ]
        # an input that closes one gap can move another indicator the wrong way (more revenue
        # at the same R&D lowers the R&D ratio), so a gap's change can leave the chance flat
        # or a hair lower: only a change that raises it is an action
        actions = sorted((a for a in actions if a.gain > 0), key=lambda a: -a.gain)
        out.append((base, actions))
        at += 1 + len(plan)
    return out


def _closable(gaps: list[Gap], firm: dict) -> list[Gap]:
    """Gaps with an amount to add to a known number (dates, yes/no and categories have none;
    an unknown value is not zero, so there is nothing to add the change to)."""
    out = []
    for gap in gaps:
        spec = FIELDS.get(gap.field or "")
        if spec is None or spec.type not in NUMERIC or gap.change is None:
            continue
        if gap.field in firm:
            out.append(gap)
    return out


def _known_fields(row: dict) -> dict:
    return {k: v for k, v in row.items() if k in FIELDS and _known(v)}


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
