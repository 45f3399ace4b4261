"""Benchmark and evaluation of the readiness models on a synthetic panel (合成数据).

    python bench/bench_readiness.py [--firms 20000] [--years 5] [--seed 3] [--predict 1000000]
                                    [--no-evaluate]

Prints the simulation time, the evaluation (held-out firms, the last labelled year) of the
model against the rules-distance and logistic baselines, the training time of the full
bundle, and the time to score ``--predict`` firms with and without readiness (the difference
is the model's share). Record results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from bench.synthetic import synthetic_firms
from scoring.api import assess_frame
from scoring.readiness import simulate_panel
from scoring.readiness.bundle import train
from scoring.readiness.evaluate import evaluate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--predict", type=int, default=0, help="firms to score with readiness")
    parser.add_argument("--no-evaluate", action="store_true", help="time training only")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    t0 = time.perf_counter()
    panel = simulate_panel(args.firms, args.years, seed=args.seed)
    print(f"simulate {args.firms:,} × {args.years}: {time.perf_counter() - t0:.1f} s")
    if not args.no_evaluate:
        show_evaluation(panel)
    t0 = time.perf_counter()
    bundle = train(panel, trained_on="bench", synthetic=True, evaluate_first=False)
    print(f"train the bundle ({len(bundle.models)} models): {time.perf_counter() - t0:.1f} s")
    if args.predict:
        firms = synthetic_firms(args.predict, seed=1)
        t0 = time.perf_counter()
        assess_frame(firms, readiness=None)
        rules = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = assess_frame(firms, readiness=bundle)
        both = time.perf_counter() - t0
        shown = int(out["high_tech_readiness"].notna().sum())
        print(
            f"score {args.predict:,} firms: rules only {rules:.1f} s, with readiness {both:.1f} s "
            f"(the model's share {both - rules:.1f} s; {shown:,} high-tech probabilities)"
        )


def show_evaluation(panel: pd.DataFrame) -> None:
    t0 = time.perf_counter()
    report = evaluate(panel).table
    print(f"evaluate (chosen + 4 estimators × 12 transitions): {time.perf_counter() - t0:.1f} s")
    cols = [
        "ladder",
        "horizon",
        "test",
        "positives_test",
        "selected",
        "selected_auc",
        "model_auc",
        "rules_auc",
        "logistic_auc",
        "selected_brier",
        "model_brier",
        "mono_logistic_brier",
        "rules_brier",
        "logistic_brier",
        "brier_gain_vs_rules",
        "brier_gain_vs_logistic",
        "selected_ece",
    ]
    with pd.option_context("display.width", 200):
        print(report[[c for c in cols if c in report]].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
