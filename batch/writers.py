"""Writing results people can use: xlsx (results, rejected rows, gaps, summary) or CSV.

No exported cell can run as a formula: text starting with = + - @ (or a tab / carriage return)
gets a leading apostrophe, and xlsx cells are written as plain strings. The large sheets are
written by rustpy-xlsxwriter (the Rust rust_xlsxwriter engine), about 8× faster than the
pure-Python xlsxwriter on a 100,000-row result.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from batch.headers import map_header
from scoring import LADDERS, OUTPUT_COLUMNS
from scoring.fields import FIELDS
from scoring.readiness.predict import READINESS_COLUMNS
from scoring.vocabulary import LADDER_NAMES, ROUTE_ZH, ROW_STATUS_ZH, STATUS_ZH

PART_ZH = {
    "status": "结果",
    "score": "得分",
    "route": "判定依据",
    "failed": "未满足规则",
    "missing": "缺少数据",
    "readiness": "12个月内晋级概率",
    "worth_yearly": "每年税收优惠(元)",
    "worth_once": "一次性奖励(元)",
    "readiness_24m": "24个月内晋级概率",
}
OTHER_ZH = {
    "row_status": "行状态",
    "row_errors": "数据问题",
    "gazelle_ruleset": "瞪羚企业适用规则",
    "next_rung": "建议下一目标",
    "criteria_version": "规则版本",
    "warnings": "提示（不影响结果）",
    "readiness_model": "晋级概率模型版本",
}
RISKY = r"^[=+\-@\t\r]"
RISKY_FIRST = "=+-@\t\r"
_NUMERIC = re.compile(r"[+-]?\d+(\.\d+)?%?")


def output_label(column: str) -> str:
    """Chinese header over the contract name: ``高新技术企业·结果`` / ``high_tech_status``."""
    if column in OTHER_ZH:
        return f"{OTHER_ZH[column]}\n{column}"
    for ladder in LADDERS:
        if column.startswith(ladder + "_"):
            part = column[len(ladder) + 1 :]
            return f"{LADDER_NAMES[ladder][0]}·{PART_ZH.get(part, part)}\n{column}"
    return column


XLSX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell
CUT_MARK = "…（内容过长，已截断）"


def _safe_header(name) -> str:
    text = str(name)
    return "'" + text if text[:1] in RISKY_FIRST and not _NUMERIC.fullmatch(text) else text


def neutralize(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula get a leading apostrophe, and so do
    headers (a pass-through column named ``=HYPERLINK(...)``)."""
    out = df.copy()
    out.columns = [_safe_header(c) for c in out.columns]
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = pd.Series(series.cat.categories.astype(str))
            fixed = cats.where(~_risky(cats), "'" + cats)
            if (fixed != cats).any():
                out[col] = series.cat.rename_categories(list(fixed))
            continue
        if series.dtype != object and not pd.api.types.is_string_dtype(series):
            continue
        try:  # mixed cells as read: .str looks at the text ones only
            starts = series.str[:1].isin(list(RISKY_FIRST)).to_numpy(dtype=bool)
        except AttributeError:  # an object column without any text
            continue
        if starts.any():
            text = series.astype("string")
            out[col] = series.where(~(_risky(text) & starts), "'" + text)
    return out


def _risky(text: pd.Series) -> pd.Series:
    numeric = text.str.fullmatch(r"[+-]?\d+(\.\d+)?%?").fillna(False)
    return text.str.match(RISKY).fillna(False) & ~numeric


def write_csv(results: pd.DataFrame, path: Path, *, append: bool = False) -> None:
    """The output contract as CSV, UTF-8 with BOM so Excel opens it in the right encoding."""
    neutralize(_whole_numbers(results)).to_csv(
        path,
        index=False,
        mode="a" if append else "w",
        header=not append,
        encoding="utf-8" if append else "utf-8-sig",
        # CRLF records (RFC 4180): a cell holding a lone CR or LF is then quoted, so it can
        # never start a record of its own (one that begins with a live formula)
        lineterminator="\r\n",
        quoting=csv.QUOTE_MINIMAL,
    )


def _whole_numbers(results: pd.DataFrame) -> pd.DataFrame:
    """Echoed input numbers as they were typed: a reader gives every number cell as a float,
    and 440112 (a region code, a head count) must not come back as "440112.0"."""
    contract = set(OUTPUT_COLUMNS) | set(READINESS_COLUMNS)
    out = None
    for col in results.columns:
        values = results[col]
        if col in contract or values.dtype.kind != "f":
            continue
        array = values.to_numpy()
        whole = np.isfinite(array) & (array == np.floor(array)) & (np.abs(array) < 2**53)
        known = ~np.isnan(array)
        if not (whole & known).any():
            continue
        out = results.copy() if out is None else out
        if (whole | ~known).all():
            out[col] = values.astype("Int64")
        else:  # mixed: each whole number without ".0", the others as read
            text = values.map(repr, na_action="ignore").astype(object)
            text[whole] = array[whole].astype(np.int64).astype(str)
            out[col] = text
    return results if out is None else out


def write_parquet_chunk(results: pd.DataFrame, path: Path, writer=None):
    """Append a chunk to a Parquet file (text as plain strings so every chunk shares a schema)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = results.copy()
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype) or frame[col].dtype == object:
            frame[col] = frame[col].astype(str).where(frame[col].notna(), None)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if writer is None:
        writer = pq.ParquetWriter(str(path), table.schema)
    writer.write_table(table.cast(writer.schema))
    return writer


def _for_humans(results: pd.DataFrame) -> pd.DataFrame:
    """Contract values in Chinese for the xlsx sheet (the CSV keeps the contract values).

    The contract's text columns are categoricals: only their few categories are translated.
    """
    out = results.copy()
    rungs = {k: v[0] for k, v in LADDER_NAMES.items()}
    translate = {"row_status": ROW_STATUS_ZH, "next_rung": rungs}
    for ladder in LADDERS:
        translate[f"{ladder}_status"] = STATUS_ZH
        translate[f"{ladder}_route"] = ROUTE_ZH
    for col, names in translate.items():
        values = out[col].astype("category")
        out[col] = values.cat.rename_categories(
            [names.get(str(c), "") for c in values.cat.categories]
        )
    contract = set(OUTPUT_COLUMNS) | set(READINESS_COLUMNS)
    out.columns = [output_label(c) if c in contract else c for c in out.columns]
    return out


def write_xlsx(
    path: Path,
    results: pd.DataFrame,
    rejected: pd.DataFrame,
    gaps: pd.DataFrame,
    near: pd.DataFrame,
    summary: list[dict],
) -> None:
    from rustpy_xlsxwriter import FastExcel, Format

    green = Format().set_background_color("#C6EFCE").set_font_color("#006100")
    red = Format().set_background_color("#FFC7CE").set_font_color("#9C0006")
    amber = Format().set_background_color("#FFEB9C").set_font_color("#9C5700")
    header = Format().set_bold().set_text_wrap().set_background_color("#DDEBF7")
    # the writer stores every number as a double ("3.0"): show row numbers as whole numbers
    row_number = {"行号": Format().set_num_format("0")}
    human = neutralize(numbers_as_numbers(_for_humans(results)))
    rejected = numbers_as_numbers(rejected)
    colours = {}
    for ladder in LADDERS:
        colours[output_label(f"{ladder}_status")] = [
            {"type": "text", "criteria": "begins_with", "value": "符合", "format": green},
            {"type": "text", "criteria": "begins_with", "value": "不符合", "format": red},
            {"type": "text", "criteria": "begins_with", "value": "待定", "format": amber},
            {"type": "text", "criteria": "begins_with", "value": "需人工", "format": amber},
        ]
    book = FastExcel(str(path), sanitize_formulas=True).freeze(row=1, col=1)
    book.sheet(
        "评价结果",
        _blank_nan(human),
        autofilter=True,
        header_format=header,
        conditional_formats=colours,
        column_width=14,
    )
    book.sheet(
        "未评价行",
        _blank_nan(neutralize(rejected)) if len(rejected) else [{"说明": "全部行均已评价"}],
        header_format=header,
        column_formats=row_number if len(rejected) else None,
        column_width=16,
    )
    book.sheet(
        "差距明细",
        _blank_nan(neutralize(gaps)) if len(gaps) else [{"说明": "没有未满足的规则"}],
        autofilter=True,
        header_format=header,
        column_formats=row_number if len(gaps) else None,
        column_width=16,
    )
    book.sheet(
        "临近门槛",
        _blank_nan(neutralize(near)) if len(near) else [{"说明": "没有只差一项条件的企业"}],
        autofilter=True,
        header_format=header,
        column_formats=row_number if len(near) else None,
        column_width=16,
    )
    summary = [
        {k: _cut_long(pd.Series([v], dtype=object))[0] for k, v in r.items()} for r in summary
    ]
    book.sheet("汇总", summary, header_format=header, column_width=24)
    book.save()


_NUMERIC_TYPES = ("money", "number", "integer")


def numbers_as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """The sheet's own numeric columns echoed back as numbers where a cell reads as one (a
    CSV gives text, and a spreadsheet cannot sum text); other cells, and every column that is
    not a numeric field (codes, names), are kept exactly as read. For the xlsx only: CSV is
    text anyway and Parquet needs one type per column."""
    out = frame
    for header in frame.columns:
        field = FIELDS.get(map_header(header).field or "")
        values = frame[header]
        if field is None or field.type not in _NUMERIC_TYPES:
            continue
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        found = (numbers.notna() & values.map(lambda v: isinstance(v, str)).astype(bool)).to_numpy()
        if not found.any():
            continue
        exact = found & (numbers == numbers.round()).to_numpy() & (numbers.abs() < 2**53).to_numpy()
        cells = values.to_numpy(dtype=object, copy=True)
        cells[found] = numbers.to_numpy()[found]
        cells[exact] = numbers.to_numpy()[exact].astype(np.int64)
        if out is frame:
            out = frame.copy()
        out[header] = cells
    return out


def _blank_nan(df: pd.DataFrame) -> pd.DataFrame:
    """Cells the writer can take: NaN and None are written as empty cells already; dates
    become text and categoricals plain values (the Rust writer skips categorical data)."""
    out = df.reset_index(drop=True)  # the writer would add a non-range index as a column
    for col in out.columns:
        if out[col].dtype.kind == "M":
            out[col] = out[col].dt.strftime("%Y-%m-%d").astype(object).where(out[col].notna(), None)
        elif isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = _cut_long(out[col])
    return out


def _cut_long(values: pd.Series) -> pd.Series:
    """Text past Excel's cell limit, cut and marked (the writer would fail on it)."""
    try:
        long = (values.str.len() > XLSX_CELL_CHARS).fillna(False).to_numpy(dtype=bool)
    except AttributeError:  # no text in the column
        return values
    if not long.any():
        return values
    keep = XLSX_CELL_CHARS - len(CUT_MARK)
    out = values.copy()
    out[long] = values[long].str.slice(0, keep) + CUT_MARK
    return out
