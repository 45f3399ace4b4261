"""Benchmark: PDF guidance reports.

    python bench/bench_reports.py [--warm 10] [--count 1000] [--workers 2] [--zip 1000]

One firm report in a warm process (median of ``--warm`` renders, in this process and through
the isolated rendering worker), then ``--count`` reports of the sample firms (cycled) through
``--workers`` rendering processes, then (``--zip N``) the whole ``tiering batch --reports``
path for a file of N firms: read, score, write each page, render, zip. Record results in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import reports  # noqa: E402
import scoring  # noqa: E402
from reports.render import html_to_pdf, render_isolated  # noqa: E402


def warm_median(render, html: str, runs: int) -> float:
    """Median seconds of ``runs`` renders after one to warm up (fonts, imports, the process)."""
    render(html)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        render(html)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", type=int, default=10)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--zip", type=int, default=0, help="firms in the end-to-end zip run")
    args = parser.parse_args()
    os.environ["TIERING_REPORT_WORKERS"] = str(args.workers)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    firms = [{k: v for k, v in r.items() if v != ""} for r in samples.to_dict("records")]
    results = [r for r in scoring.api.assess_many(firms) if not isinstance(r, scoring.InputError)]
    day = dt.date(2026, 11, 24)
    pages = [reports.firm_report_html(r, day) for r in results]

    for label, render in (("this process", html_to_pdf), ("rendering worker", render_isolated)):
        print(f"one report, {label}: median {warm_median(render, pages[0], args.warm):.2f} s")
    # what the per-ladder rule tables cost: the same report without them
    short = re.sub(r'<section class="ladder-section.*?</section>', "", pages[0], flags=re.S)
    print(
        f"the same without the per-ladder rule tables: median "
        f"{warm_median(render_isolated, short, args.warm):.2f} s"
    )
    # what WeasyPrint costs per table cell here: 450 cells of one line, then of two lines
    for label, text in (("one-line", "满足条件"), ("two-line", "企业申请认定时须注册成立一年以上")):
        cells = "".join(
            "<tr>" + f"<td style='width:16%'>{text}</td>" * 6 + "</tr>" for _ in range(75)
        )
        table = f"<html lang=zh-CN><body style='font-size:7pt'><table>{cells}</table></body>"
        print(f"450 {label} table cells: {warm_median(render_isolated, table, args.warm):.2f} s")

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(args.workers * 2) as pool:
        sizes = list(
            pool.map(lambda i: len(render_isolated(pages[i % len(pages)])), range(args.count))
        )
    elapsed = time.perf_counter() - t0
    print(
        f"{args.count} reports through {args.workers} rendering processes: {elapsed:.0f} s "
        f"({elapsed / args.count:.2f} s each; mean size {statistics.mean(sizes) / 1024:.0f} KB)"
    )
    if args.zip:
        zip_run(samples, args.zip)


def zip_run(samples: pd.DataFrame, count: int) -> None:
    """``tiering batch --reports`` on a CSV of ``count`` sample firms (cycled, renamed): the
    whole pipeline, the workbook and the zip from one evaluation."""
    from batch import run

    named = samples[samples["name"] != ""]
    rows = named.iloc[[i % len(named) for i in range(count)]].copy()
    rows["name"] = [f"{n}·{i:05d}" for i, n in enumerate(rows["name"])]
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "firms.csv", Path(tmp) / "reports.zip"
        rows.to_csv(source, index=False)
        t0 = time.perf_counter()
        made = run(source, Path(tmp) / "out.xlsx", reports=target).reports
        elapsed = time.perf_counter() - t0
        size = target.stat().st_size / 1024**2
    print(
        f"tiering batch --reports, {count} firms: {made} reports in {elapsed:.0f} s "
        f"({elapsed / made:.2f} s each; zip {size:.0f} MB)"
    )


if __name__ == "__main__":
    main()
