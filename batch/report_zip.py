"""One PDF guidance report per firm of a batch, into a zip (``tiering batch --reports``)."""

from __future__ import annotations

import collections
import concurrent.futures as cf
import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd

from batch.panel import firm_rows
from batch.writers import neutralize
from reports import firm_report_html
from reports.render import render_isolated, workers
from scoring.api import InputError, assess_many

CHUNK = 200  # firms assessed together
COLUMNS = ["行号", "企业名称", "统一社会信用代码", "文件"]


def write_report_zip(source: Path, target: Path, created: dt.date | None = None) -> int:
    """A report for every firm of ``source`` that the batch scores. Members are named by the
    firm's row in the file (``000012.pdf``), never by text a user typed; 目录.csv lists row,
    name, credit code and file. Returns the number of reports. Renders on every rendering
    process (``reports.render.workers``) while this one scores and writes the next pages."""
    created = created or dt.date.today()
    threads = workers()
    index = []
    with zipfile.ZipFile(target, "w") as archive, cf.ThreadPoolExecutor(threads) as pool:
        pending: collections.deque = collections.deque()

        def finish_one() -> None:
            row, result, job = pending.popleft()
            member = f"{row:06d}.pdf"
            archive.writestr(member, job.result(), compress_type=zipfile.ZIP_STORED)
            index.append([row, result.name, result.credit_code or "", member])

        for row, result in _assessed(source):
            html = firm_report_html(result, created)
            pending.append((row, result, pool.submit(render_isolated, html)))
            if len(pending) >= threads * 2:  # a few in flight, the rest not yet rendered
                finish_one()
        while pending:
            finish_one()
        text = io.StringIO()
        neutralize(pd.DataFrame(index, columns=COLUMNS)).to_csv(text, index=False)
        archive.writestr("目录.csv", text.getvalue().encode("utf-8-sig"))
    return len(index)


def _assessed(source: Path):
    rows, firms = [], []
    for row, firm in firm_rows(source):
        rows.append(row)
        firms.append(firm)
        if len(firms) == CHUNK:
            yield from _chunk(rows, firms)
            rows, firms = [], []
    yield from _chunk(rows, firms)


def _chunk(rows, firms):
    for row, result in zip(rows, assess_many(firms) if firms else [], strict=True):
        if not isinstance(result, InputError):
            yield row, result
