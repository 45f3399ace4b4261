"""Chart geometry shared by the web pages and the PDF reports (the SVG itself is drawn by the
Jinja macros in ``reports/templates/macros.html``)."""

from __future__ import annotations

import math
from typing import Any


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
        # two lines (name, points): above the axis end at the top, beside it at the sides;
        # labels near the top and bottom sit further out so neighbours do not overlap
        sin, cos = math.sin(angle), math.cos(angle)
        lift = 12 if sin < -0.3 else (4 if abs(sin) <= 0.3 else -4)
        out = r + 16 + 18 * abs(sin)
        labels.append(
            {
                "x": c + out * cos,
                "y": c + out * sin - lift,
                "text": axis_label(t),
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


def axis_label(entry: dict[str, Any]) -> str:
    """An indicator's short name: ``short_zh`` from its rule file, else the start of its text."""
    if entry.get("short_zh"):
        return entry["short_zh"]
    text = entry.get("zh") or entry["rule_id"]
    text = text.split("——")[-1].split("（")[0]
    return text if len(text) <= 7 else text[:6] + "…"
