"""Typed rows from the files a bureau has (xlsx, xls, CSV in UTF-8 or GBK, Parquet): history
panels for the readiness model, and firms for per-firm reports.

The same readers and header mapping as the batch (Chinese labels, units such as 万元), plus
the panel's own columns: the firm key and the two statuses the input contract lacks. Values
are parsed by the scoring core's parser, so a panel means what a batch file means.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from batch.headers import normalize
from batch.readers import BatchError, read_tables
from batch.run import prepare
from scoring.fields import canonicalize

# panel-only columns: canonical name → Chinese header in the panel template
PANEL_COLUMNS = {
    "firm_id": "企业标识",
    "is_gazelle": "当年是否瞪羚企业",
    "is_little_giant": "当年是否专精特新“小巨人”企业",
}
_PANEL_LOOKUP = {normalize(k): k for k in PANEL_COLUMNS} | {
    normalize(v): k for k, v in PANEL_COLUMNS.items()
}
_BOOL = {"1": 1.0, "1.0": 1.0, "true": 1.0, "是": 1.0, "y": 1.0}
_BOOL |= {"0": 0.0, "0.0": 0.0, "false": 0.0, "否": 0.0, "n": 0.0}


def typed_tables(path: Path):
    """Each table of a file as (table, its contract fields parsed — money in yuan —, which rows
    are data rather than blank or template rows, the count of unreadable cells)."""
    for table in read_tables(Path(path)):
        canonical, scale, reasons, _ = prepare(table)
        typed = canonicalize(canonical, scale)
        frame = pd.DataFrame(
            {name: typed.columns[name] for name in canonical.columns}, index=canonical.index
        )
        yield table, frame, (reasons == "").to_numpy(), len(typed.errors)


def read_panel(path: Path) -> pd.DataFrame:
    """The panel as typed contract columns (money in yuan) plus ``firm_id``, ``is_gazelle``
    and ``is_little_giant``. Template notes and example rows are dropped."""
    parts, cell_errors = [], 0
    for table, frame, data_rows, errors in typed_tables(path):
        cell_errors += errors
        for header in table.data.columns:
            name = _PANEL_LOOKUP.get(normalize(header))
            if name == "firm_id":
                frame[name] = table.data[header].astype("string").str.strip()
            elif name:
                text = table.data[header].astype("string").str.strip().str.lower()
                frame[name] = text.map(_BOOL).astype(float)
        parts.append(frame[data_rows])
    panel = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if "firm_id" not in panel and "credit_code" in panel:
        panel["firm_id"] = panel["credit_code"]  # the usual stable key when none is given
    if "firm_id" not in panel:
        raise BatchError(
            "历史面板缺少“企业标识”列（或统一社会信用代码）",
            "the panel needs a firm_id column (or credit_code)",
        )
    panel.attrs["cell_errors"] = cell_errors  # unreadable cells, read as unknown
    return panel


def _unknown(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
