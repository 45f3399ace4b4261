"""One PDF guidance report per firm of a batch, into a zip (``tiering batch --reports``).

A writer of the one batch pipeline: it takes each scored chunk's evaluation from
``batch.run.score_table`` (so the reports say what the workbook says, with the same options)
and renders while the pipeline goes on.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import datetime as dt
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from batch.writers import neutralize
from reports import firm_report_html
from reports.render import render_isolated, workers
from scoring.api import Evaluated

COLUMNS = ["行号", "企业名称", "统一社会信用代码", "文件"]


class ReportZip:
    """Members are named by the firm's row in the file (``000012.pdf``), never by text a user
    typed; 目录.csv lists row, name, credit code and file. Renders on every rendering process
    (``reports.render.workers``) while the pipeline scores the next chunk."""

    def __init__(self, target: Path, created: dt.date | None = None):
        self.created = created or dt.date.today()
        self.threads = workers()
        self.archive = zipfile.ZipFile(target, "w")
        self.pool = cf.ThreadPoolExecutor(self.threads)
        self.pending: collections.deque = collections.deque()
        self.index: list[list] = []

    def add(self, file_rows: np.ndarray, ev) -> None:
        """The reports of one evaluated chunk (``file_rows``: each row's row in the file)."""
        for row, result in zip(file_rows, Evaluated(ev).assessments(), strict=True):
            if result is None:  # rejected rows (no name, blank, template) have no report
                continue
            html = firm_report_html(result, self.created)
            self.pending.append((int(row), result, self.pool.submit(render_isolated, html)))
            if len(self.pending) >= self.threads * 2:  # a few in flight, the rest not yet
                self._finish_one()

    def _finish_one(self) -> None:
        row, result, job = self.pending.popleft()
        member = f"{row:06d}.pdf"
        self.archive.writestr(member, job.result(), compress_type=zipfile.ZIP_STORED)
        self.index.append([row, result.name, result.credit_code or "", member])

    def close(self) -> int:
        """Write what is left and the index; returns the number of reports."""
        try:
            while self.pending:
                self._finish_one()
            text = io.StringIO()
            neutralize(pd.DataFrame(self.index, columns=COLUMNS)).to_csv(text, index=False)
            self.archive.writestr("目录.csv", text.getvalue().encode("utf-8-sig"))
        finally:
            self.pool.shutdown(cancel_futures=True)
            self.archive.close()
        return len(self.index)
