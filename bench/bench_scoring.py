"""Benchmark: score synthetic firms through every ladder with assess_frame.

    python bench/bench_scoring.py [--firms 1000000] [--naive 10000]

Prints wall times, firms per second, the peak resident memory, and the ratio against calling
scoring.assess once per firm (what a naive integration does). Record results in
docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import synthetic_firms
from scoring import assess, assess_frame


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    t0 = time.perf_counter()
    df = synthetic_firms(args.firms, seed=1)
    print(
        f"generated {len(df):,} synthetic firms in {time.perf_counter() - t0:.1f} s; "
        f"peak RSS so far {peak_rss_mb():,.0f} MB"
    )

    assess_frame(df.head(1000))  # warm caches (rule files, metric registry)
    base_rss = peak_rss_mb()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = assess_frame(df)
        times.append(time.perf_counter() - t0)
        del out
    vector = statistics.median(times)
    per_firm_vector = vector / len(df)
    print(
        f"assess_frame on {len(df):,} firms, {args.repeat} runs: median {vector:.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}; {len(df) / vector:,.0f} firms/s)"
    )
    print(
        f"peak RSS {peak_rss_mb():,.0f} MB ({peak_rss_mb() - base_rss:,.0f} MB above the "
        f"input frame)"
    )

    sample = df.head(args.naive)
    records = [
        {k: v for k, v in r.items() if v == v and v is not None} for r in sample.to_dict("records")
    ]
    for r in records:
        r["registered_on"] = str(r["registered_on"])[:10] if "registered_on" in r else None
        if r["registered_on"] is None:
            del r["registered_on"]
    t0 = time.perf_counter()
    for r in records:
        assess(r)
    naive = time.perf_counter() - t0
    per_firm_naive = naive / len(records)
    t0 = time.perf_counter()
    assess_frame(sample)
    small = time.perf_counter() - t0
    print(
        f"scoring.assess once per firm on {len(records):,} firms: {naive:.1f} s "
        f"({per_firm_naive * 1000:.2f} ms/firm)"
    )
    print(f"assess_frame on the same {len(records):,}: {small:.2f} s")
    print(f"per-firm ratio, naive ÷ vectorized (1M run): {per_firm_naive / per_firm_vector:,.0f}×")


if __name__ == "__main__":
    main()
