"""Benchmark: what the worth calculator (scoring.benefits) adds to scoring a frame.

    python bench/bench_worth.py [--firms 1000000] [--repeat 3]

Times, on synthetic firms (合成数据), the engine's evaluation, the output columns (which
include the worth columns) and the worth calculator alone; prints medians and the worth's
share of evaluation + columns (issue 16 target: at most 10 %). Record results in
docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import synthetic_firms
from scoring.benefits import worth_columns
from scoring.engine import evaluate
from scoring.fields import canonicalize
from scoring.frames import result_columns


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    df = synthetic_firms(args.firms, seed=1)
    df["taxable_income_y0"] = df["revenue_y0"] * 0.08  # synthetic, so the tax line is computed
    frame = canonicalize(df)
    times: dict[str, list[float]] = {"evaluate": [], "columns": [], "worth": []}
    for _ in range(args.repeat):
        t = time.perf_counter()
        ev = evaluate(frame)
        times["evaluate"].append(time.perf_counter() - t)
        t = time.perf_counter()
        result_columns(ev)
        times["columns"].append(time.perf_counter() - t)
        t = time.perf_counter()
        worth_columns(ev.frame, ev.ref_date)
        times["worth"].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    share = med["worth"] / (med["evaluate"] + med["columns"])
    print(
        f"{args.firms:,} firms, median of {args.repeat}: evaluate {med['evaluate']:.2f} s, "
        f"output columns {med['columns']:.2f} s (worth included), worth alone "
        f"{med['worth']:.3f} s = {share:.1%} of evaluate + columns"
    )


if __name__ == "__main__":
    main()
