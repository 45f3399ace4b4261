"""Jinja2 rendering for the pages: autoescaped templates, Chinese labels, SVG chart geometry."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from batch.writers import STATUS_ZH
from scoring import LADDERS
from scoring.engine import PATH
from scoring.fields import FIELDS
from scoring.rulesets import LADDER_NAMES
from service.deps import csrf_token

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
TEMPLATES.env.autoescape = True  # every page, whatever the file name
TEMPLATES.env.filters["field_labels"] = lambda names: "、".join(
    FIELDS[n].label_zh if n in FIELDS else str(n) for n in names or []
)

STATUS_CLASS = {"eligible": "ok", "ineligible": "no", "undetermined": "unknown"}
ROUTE_ZH = {"direct": "直通条件", "score": "评分达标", "gate": "基本条件"}
OUTCOME_ZH = {"pass": "满足", "fail": "不满足", "unknown": "待补充", "scored": "计分"}


def radar(trace: list[dict[str, Any]], size: int = 260) -> dict[str, Any] | None:
    """Polygon points for the scored indicators of one ladder: each axis is points ÷ maximum."""
    axes = [
        {**t, "points": t["points"] if t.get("points") is not None else t.get("points_min")}
        for t in trace
        if t.get("kind") == "indicator" and t.get("points_available")
    ]
    axes = [t for t in axes if t["points"] is not None]  # unknown points count as their minimum
    if len(axes) < 3:
        return None
    c, r = size / 2, size / 2 - 40
    shape, grid, labels = [], [], []
    for i, t in enumerate(axes):
        angle = -math.pi / 2 + 2 * math.pi * i / len(axes)
        share = max(0.0, min(1.0, t["points"] / t["points_available"]))
        shape.append(f"{c + r * share * math.cos(angle):.1f},{c + r * share * math.sin(angle):.1f}")
        grid.append((c + r * math.cos(angle), c + r * math.sin(angle)))
        labels.append(
            {
                "x": c + (r + 18) * math.cos(angle),
                "y": c + (r + 18) * math.sin(angle),
                "text": (t.get("zh") or t["rule_id"])[:8],
                "value": f"{t['points']:g}/{t['points_available']:g}",
            }
        )
    rings = [
        " ".join(f"{c + (x - c) * k:.1f},{c + (y - c) * k:.1f}" for x, y in grid)
        for k in (0.25, 0.5, 0.75, 1.0)
    ]
    return {
        "size": size,
        "center": c,
        "shape": " ".join(shape),
        "rings": rings,
        "spokes": grid,
        "labels": labels,
    }


def render(request: Request, name: str, context: dict[str, Any], status: int = 200):
    base = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf": csrf_token(request),
        "ladders": LADDERS,
        "path": PATH,
        "ladder_zh": {k: v[0] for k, v in LADDER_NAMES.items()},
        "status_zh": STATUS_ZH,
        "status_class": STATUS_CLASS,
        "route_zh": ROUTE_ZH,
        "outcome_zh": OUTCOME_ZH,
        "fields": FIELDS,
        "radar": radar,
    }
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status)
