"""Benchmark: the spreadsheet batch end to end, and the 1M-row Parquet paths.

    python bench/bench_batch.py xlsx [--firms 100000]      # read + validate + score + write xlsx
    python bench/bench_batch.py parquet [--firms 1000000]  # pandas, Dask 1 and 2 workers

The input files are synthetic (合成数据) and made before timing. Peak memory is the largest
resident set of the process and its children (the Dask workers). Record results in
docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from batch import readers
from batch.run import run
from batch.template import template_header
from bench.synthetic import synthetic_firms
from scoring.fields import FIELDS


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def chinese_sheet(df: pd.DataFrame) -> pd.DataFrame:
    """Synthetic firms as a person's sheet: Chinese headers, money in 万元, 是/否."""
    out = pd.DataFrame(index=df.index)
    for name in df.columns:
        spec = FIELDS[name]
        col = df[name]
        if spec.type == "money":
            col = (col / 1e4).round(2)  # as people type it: 万元 to two decimals
        elif spec.type == "bool":
            col = col.map({1.0: "是", 0.0: "否"})
        elif spec.unit == "ratio":
            col = (col * 100).round(2)
        elif spec.type == "date":
            col = col.dt.strftime("%Y-%m-%d")
        out[template_header(name)] = col
    return out


def bench_xlsx(firms: int, workdir: Path) -> None:
    from rustpy_xlsxwriter import FastExcel

    source = workdir / "firms.xlsx"
    sheet = chinese_sheet(synthetic_firms(firms, seed=3))
    FastExcel(str(source)).sheet("企业数据", sheet.astype(object).where(sheet.notna(), None)).save()
    print(f"input: {firms:,} rows × {sheet.shape[1]} columns, {source.stat().st_size / 1e6:.1f} MB")
    for reader in ("fastexcel", "openpyxl"):
        original = readers.read_excel
        if reader == "openpyxl":
            readers.read_excel = lambda path, limits, fmt: readers.read_excel_openpyxl(path, limits)
        try:
            t0 = time.perf_counter()
            list(readers.read_tables(source))
            read = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary = run(source, workdir / f"out_{reader}.xlsx")
            total = time.perf_counter() - t0
        finally:
            readers.read_excel = original
        print(
            f"[{reader}] read alone {read:.2f} s; end to end (read, validate, score, gaps, "
            f"write xlsx) {total:.2f} s; rows {summary.rows_in:,} = {summary.scored:,} scored "
            f"+ {summary.rejected:,} rejected; peak RSS {peak_mb()[0]:,.0f} MB"
        )


def bench_parquet(firms: int, workdir: Path) -> None:
    from batch.distributed import run_dask

    source = workdir / "firms.parquet"
    synthetic_firms(firms, seed=5).to_parquet(source, row_group_size=200_000)
    print(f"input: {firms:,} rows, {source.stat().st_size / 1e6:.1f} MB Parquet")
    t0 = time.perf_counter()
    summary = run(source, workdir / "out.parquet")
    print(
        f"[pandas] {time.perf_counter() - t0:.2f} s end to end ({summary.rows_in:,} rows); "
        f"peak RSS {peak_mb()[0]:,.0f} MB"
    )
    for workers in (1, 2):
        t0 = time.perf_counter()
        rows = run_dask(source, workdir / f"out_dask{workers}", workers=workers)
        print(
            f"[dask, {workers} worker(s)] {time.perf_counter() - t0:.2f} s end to end "
            f"({rows:,} rows, cluster start included); peak RSS of a worker "
            f"{peak_mb()[1]:,.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["xlsx", "parquet"])
    parser.add_argument("--firms", type=int)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="tiering-bench-"))
    try:
        if args.what == "xlsx":
            bench_xlsx(args.firms or 100_000, workdir)
        else:
            bench_parquet(args.firms or 1_000_000, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
