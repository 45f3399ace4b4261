"""The reliability diagram of a model version, drawn as SVG (no plotting library needed):
one small panel per ladder, predicted probability against the observed rate on the held-out
test rows, 12 months solid and 24 months dashed, the diagonal being perfect calibration."""

from __future__ import annotations

from html import escape

import pandas as pd

from scoring.vocabulary import LADDER_NAMES, LADDERS

SIZE, PAD, COLS = 180, 28, 3
STYLE = {1: ("#2f5597", ""), 2: ("#c55a11", ' stroke-dasharray="4 3"')}


def reliability_svg(bins: pd.DataFrame, title: str = "") -> str:
    """``bins``: columns ladder, horizon, predicted, observed, count (``evaluate.Report``)."""
    rows = (len(LADDERS) + COLS - 1) // COLS
    width, height = COLS * (SIZE + 2 * PAD), rows * (SIZE + 2 * PAD) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, sans-serif" '
        'font-size="11">',
        f'<text x="{PAD}" y="18" font-size="13">{escape(title)}</text>',
        f'<text x="{PAD}" y="34" fill="#555">横轴：预测概率；纵轴：实际比例（测试集）。'
        "实线 12 个月，虚线 24 个月；对角线为完全校准。</text>",
    ]
    for k, ladder in enumerate(LADDERS):
        x0 = (k % COLS) * (SIZE + 2 * PAD) + PAD
        y0 = (k // COLS) * (SIZE + 2 * PAD) + PAD + 40
        out.append(
            f'<rect x="{x0}" y="{y0}" width="{SIZE}" height="{SIZE}" fill="none" stroke="#999"/>'
            f'<line x1="{x0}" y1="{y0 + SIZE}" x2="{x0 + SIZE}" y2="{y0}" stroke="#ccc"/>'
            f'<text x="{x0}" y="{y0 - 6}">{escape(LADDER_NAMES[ladder][0])}</text>'
            f'<text x="{x0}" y="{y0 + SIZE + 12}" fill="#777">0</text>'
            f'<text x="{x0 + SIZE}" y="{y0 + SIZE + 12}" fill="#777" text-anchor="end">1</text>'
            f'<text x="{x0 - 4}" y="{y0 + 8}" fill="#777" text-anchor="end">1</text>'
        )
        mine = bins[bins["ladder"] == ladder] if len(bins) else bins
        if not len(mine):
            out.append(
                f'<text x="{x0 + 8}" y="{y0 + SIZE / 2}" fill="#999">样本过少，无模型</text>'
            )
            continue
        for horizon, (colour, dash) in STYLE.items():
            part = mine[mine["horizon"] == horizon].sort_values("predicted")
            points = [
                (x0 + p * SIZE, y0 + SIZE - o * SIZE)
                for p, o in zip(part["predicted"], part["observed"], strict=True)
            ]
            if points:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
                out.append(f'<polyline points="{path}" fill="none" stroke="{colour}"{dash}/>')
                out += [
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>'
                    for x, y in points
                ]
    out.append("</svg>")
    return "\n".join(out)
