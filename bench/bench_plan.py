"""Benchmark: one firm's least-cost plan (scoring.plan.plan_for), warm, against one
assessment of the same firm in the same run.

    python bench/bench_plan.py [--repeat 15]

Firms: the example firm and every named sample firm (data/, synthetic, 合成数据) whose plan
has steps. Prints per firm the median plan time, the median assessment time and their ratio,
and the median over firms (issue 16 target: a plan for one firm at most 200 ms). Record
results in docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.api import assess
from scoring.plan import plan_for

ROOT = Path(__file__).resolve().parents[1]

TODAY = dt.date(2026, 12, 3)


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    firms = [json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))]
    sheet = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    for raw in sheet.to_dict("records"):
        row = {k: v for k, v in raw.items() if v != ""}
        if "name" in row:
            firms.append(row)
    plan_for(firms[0], today=TODAY)  # load the readiness model once
    plans, ratios = [], []
    for firm in firms:
        plan = plan_for(firm, today=TODAY)
        if plan is None or not plan.steps:
            continue
        p = median_time(lambda f=firm: plan_for(f, today=TODAY), args.repeat)
        a = median_time(lambda f=firm: assess(f), args.repeat)
        plans.append(p)
        ratios.append(p / a)
        print(
            f"{firm['name'][:24]:<24} {plan.target:<14} plan {p * 1000:7.1f} ms  "
            f"assess {a * 1000:6.1f} ms  ×{p / a:4.1f}  tried {plan.tried} rescored {plan.rescored}"
        )
    print(
        f"firms with a plan: {len(plans)}; median plan {statistics.median(plans) * 1000:.1f} ms, "
        f"max {max(plans) * 1000:.1f} ms; median plan/assess ×{statistics.median(ratios):.1f}"
    )


if __name__ == "__main__":
    main()
