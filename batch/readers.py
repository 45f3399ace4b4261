"""Reading the spreadsheets people have: xlsx, xls, CSV (UTF-8, BOM, GBK/GB18030), Parquet.

Defences come first: size limits, zip-bomb checks on xlsx before any XML is parsed, no formula
is evaluated (xlsx cells give their cached value), and every failure to read a file is a
``BatchError`` with a Chinese and an English message, never a traceback.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from batch.headers import Column, header_score, is_output_column, map_header

# fastexcel logs a warning for every column it reads as text; those are expected here.
logging.getLogger("fastexcel").setLevel(logging.ERROR)

HEADER_SCAN_ROWS = 30
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# The first <row> holding a cell with a value (<v>) or inline text (<is>).
_VALUE_ROW = re.compile(rb'<row\b[^>]*?\br="(\d+)"(?:(?!</row>).)*?<(?:v|is)>', re.S)
TEMPLATE_MARKERS = ("【填写说明】", "【示例】")
NO_ROWS_ZH, NO_ROWS_EN = "文件中没有数据行（只有表头或为空表）", "the file has no data rows"


class BatchError(Exception):
    """The file cannot be read at all (not a row problem: those are results)."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 200 * 1024 * 1024  # the file on disk
    max_rows: int = 1_048_576  # data rows (an xlsx sheet's own limit)
    max_unzipped_bytes: int = 1024 * 1024 * 1024  # all xlsx members together, uncompressed
    max_zip_ratio: float = 200.0  # uncompressed ÷ compressed for any xlsx member
    max_zip_members: int = 10_000


@dataclass
class Table:
    """A sheet's data rows as read (text or typed cells), with what its header meant."""

    data: pd.DataFrame  # original headers as column names, one row per data row
    columns: list[Column]
    header_row: int  # 0-based row of the header in the file
    format: str
    encoding: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    # (data row index, header, message): cells the reader saw but could not give a value
    cell_notes: list[tuple[int, str, str]] = field(default_factory=list)

    def sheet_rows(self) -> pd.Series:
        """1-based row numbers in the original file, for messages people can find."""
        return pd.Series(self.data.index + self.header_row + 2, index=self.data.index)


def sniff(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raise BatchError("文件已损坏或不是有效的xlsx文件", "not a valid xlsx file (damaged?)")
    if suffix == ".parquet":
        raise BatchError("文件已损坏或不是有效的Parquet文件", "not a valid Parquet file")
    return "csv"


def check_size(path: Path, limits: Limits) -> None:
    if not path.exists():
        raise BatchError(f"找不到文件：{path}", f"no such file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise BatchError("文件为空", "the file is empty")
    if size > limits.max_bytes:
        raise BatchError(
            f"文件过大（{size / 1e6:.0f} MB，上限 {limits.max_bytes / 1e6:.0f} MB）",
            f"file too large ({size} bytes, limit {limits.max_bytes})",
        )


def check_zip(path: Path, limits: Limits) -> set[str]:
    """Refuse zip bombs before the reader inflates a byte of XML; returns the members that
    hold a formula or an error cell (seen on the way, so a file without any is not read
    again for them)."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise BatchError(
            "文件已损坏或不完整，无法打开", f"damaged or truncated file: {exc}"
        ) from exc
    if len(members) > limits.max_zip_members:
        raise BatchError("文件结构异常（压缩成员过多）", "too many members in the xlsx archive")
    total = sum(m.file_size for m in members)
    if total > limits.max_unzipped_bytes:
        raise BatchError("文件解压后过大，疑似压缩炸弹，已拒绝", "uncompressed size over the limit")
    for m in members:
        if m.compress_size and m.file_size / m.compress_size > limits.max_zip_ratio:
            raise BatchError(*_bomb(m.filename, m.file_size / m.compress_size))
    return _check_inflated(path, members, limits)


def _bomb(member: str, ratio: float) -> tuple[str, str]:
    return "文件压缩比异常，疑似压缩炸弹，已拒绝", f"member {member} expands {ratio:.0f}×"


def _check_inflated(path: Path, members, limits: Limits) -> set[str]:
    """The sizes in a zip's directory are the sender's word, and a reader may inflate past
    them: inflate every member's raw deflate stream (1 MiB at a time, nothing kept, the
    declared sizes ignored) and stop as soon as the bytes actually produced pass the ratio or
    the total limit, before the spreadsheet reader inflates anything itself."""
    total = 0
    formulas: set[str] = set()
    with open(path, "rb") as fh:
        for m in members:
            if m.compress_type != zipfile.ZIP_DEFLATED:
                continue  # stored members are their own size on disk
            fh.seek(m.header_offset)
            local = fh.read(30)
            if len(local) < 30 or local[:4] != b"PK\x03\x04":
                raise BatchError("文件已损坏或不完整，无法打开", "damaged zip member header")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            fh.seek(m.header_offset + 30 + name_len + extra_len)
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            budget = max(int(max(m.compress_size, 1) * limits.max_zip_ratio), 1 << 20)
            produced, edge = 0, b""
            while not inflater.eof:
                raw = inflater.unconsumed_tail or fh.read(1 << 16)
                if not raw:
                    break  # truncated: the reader will say so
                try:
                    piece = inflater.decompress(raw, 1 << 20)
                except zlib.error as exc:
                    raise BatchError(
                        "文件已损坏或不完整，无法打开", f"damaged member {m.filename}: {exc}"
                    ) from exc
                produced += len(piece)
                total += len(piece)
                seen = edge + piece  # a tag cut between two pieces is seen whole
                if m.filename not in formulas and (b"<f" in seen or b't="e"' in seen):
                    formulas.add(m.filename)
                edge = piece[-8:]
                if produced > budget:
                    raise BatchError(*_bomb(m.filename, produced / max(m.compress_size, 1)))
                if total > limits.max_unzipped_bytes:
                    raise BatchError(
                        "文件解压后过大，疑似压缩炸弹，已拒绝", "uncompressed size over the limit"
                    )
    return formulas


def _find_header(rows: list[list[object]]) -> int:
    scores = [header_score(r) for r in rows[:HEADER_SCAN_ROWS]]
    best = max(scores, default=0)
    names_firms = best >= 1 and any(
        map_header(c).field == "name" for c in rows[scores.index(best)] if c not in (None, "")
    )
    if best < 2 and not names_firms:
        raise BatchError(
            "未找到可识别的表头：请使用模板中的中文列名或字段名（如“企业名称”“营业收入(y0)”）",
            "no recognizable header row (use the template's Chinese labels or field names)",
        )
    return scores.index(best)


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for i, h in enumerate(header):
        h = h or f"列{i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h}_{seen[h]}"
        else:
            seen[h] = 0
        names.append(h)
    return names


def read_excel(path: Path, limits: Limits, fmt: str) -> Table:
    """xlsx or xls through fastexcel (calamine in Rust, Arrow out): cached cell values, no
    formula evaluated. Each column comes typed: numbers as float64 when every cell is a
    number, otherwise text, so nothing is dropped by type guessing."""
    import fastexcel

    formulas = check_zip(path, limits) if fmt == "xlsx" else set()
    try:
        book = fastexcel.read_excel(str(path))
        name = _data_sheet(path, book.sheet_names)
        offset = _first_value_row(path, name) if fmt == "xlsx" else _calamine_start(path, name)
        data, header_at = _load_sheet(book, name, offset)
    except BatchError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise BatchError(
            "文件已损坏或格式不受支持，无法读取", f"cannot read the workbook: {exc}"
        ) from exc
    if len(data) > limits.max_rows:
        raise BatchError(f"行数超过上限 {limits.max_rows}", f"more than {limits.max_rows} rows")
    table = Table(data, [map_header(h) for h in data.columns], offset + header_at, fmt, sheet=name)
    if len(book.sheet_names) > 1:
        table.notes.append(f"读取的工作表：{name}")
    if fmt == "xlsx":
        with zipfile.ZipFile(path) as zf:
            member = _sheet_member(zf, name)
        if member in formulas:
            table.cell_notes = _formula_notes(path, name, table)
    return table


def _data_sheet(path: Path, names: list[str]) -> str:
    """The sheet named 企业数据 (the template's), else the visible sheet whose first rows name
    the most fields (a workbook often opens on an instructions sheet); ties go to the first."""
    from python_calamine import CalamineWorkbook

    if "企业数据" in names:
        return "企业数据"
    book = CalamineWorkbook.from_path(str(path))
    visible = [m.name for m in book.sheets_metadata if str(m.visible).endswith("Visible")]
    candidates = visible or names
    if len(candidates) == 1:
        return candidates[0]
    best, best_score = candidates[0], -1
    for name in candidates:
        try:
            rows = book.get_sheet_by_name(name).to_python(nrows=HEADER_SCAN_ROWS)
        except Exception:  # an unreadable sheet is not the data sheet
            continue
        score = max((header_score(r) for r in rows), default=0)
        if score > best_score:
            best, best_score = name, score
    return best


def _load_sheet(book, name: str, offset: int) -> tuple[pd.DataFrame, int]:
    """The sheet's data under its header row; a title above the header is skipped.

    The first load takes the first row holding a value (sheet row ``offset``) as the header,
    the common case; when a later row names more fields (a title line above the header), the
    sheet is loaded again from there. fastexcel counts ``header_row`` from the sheet's top.
    """
    sheet = book.load_sheet(name, header_row=0, schema_sample_rows=None)
    table = sheet.to_arrow()
    if table.num_columns == 0:
        raise BatchError("工作表为空", "the sheet is empty")
    first = [_header_text(c) for c in sheet.selected_columns]
    body = table.slice(0, HEADER_SCAN_ROWS - 1).to_pylist()
    header_at = _find_header([first] + [list(r.values()) for r in body])
    if header_at:
        sheet = book.load_sheet(name, header_row=offset + header_at, schema_sample_rows=None)
        table = sheet.to_arrow()
    names = _unique_names([_header_text(c) for c in sheet.selected_columns])
    return table.rename_columns(names).to_pandas(), header_at


def _header_text(column) -> str:
    return "" if column.column_name_from == "generated" else str(column.name).strip()


def _first_value_row(path: Path, sheet: str) -> int:
    """0-based sheet row of the first cell holding a value: where calamine's data begins.

    Only the workbook index and the start of the sheet's XML are read (never the whole sheet).
    """
    with zipfile.ZipFile(path) as zf, zf.open(_sheet_member(zf, sheet)) as fh:
        head = fh.read(4 << 20)
    found = _VALUE_ROW.search(head)
    return int(found.group(1)) - 1 if found else 0


_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"([^>]*?)(?<!/)>(.*?)</c>', re.S)
_CACHED = re.compile(rb"<v>[^<]+</v>")
_ERROR_VALUE = re.compile(rb"<v>([^<]*)</v>")


def _column_index(letters: bytes) -> int:
    out = 0
    for ch in letters:
        out = out * 26 + ch - 64
    return out - 1


def _formula_notes(path: Path, sheet: str, table: Table) -> list[tuple[int, str, str]]:
    """Cells of contract fields whose value the file does not hold: a formula never computed
    (files written by openpyxl and many exporters carry no cached value) or one whose result
    is an error (#DIV/0!). The reader gives both as empty; here they are named, so a filled
    field is not silently unknown. The sheet XML is streamed and only its cells with a
    formula or an error are looked at."""
    columns = {i: c.header for i, c in enumerate(table.columns) if c.field}
    if not columns:
        return []
    first_row = table.header_row + 2  # sheet row (1-based) of data row 0
    notes: list[tuple[int, str, str]] = []
    with zipfile.ZipFile(path) as zf, zf.open(_sheet_member(zf, sheet)) as fh:
        head = fh.read(1 << 16)
        dimension = re.search(rb'<dimension ref="([A-Z]{1,3})\d+', head)
        first_col = _column_index(dimension.group(1)) if dimension else 0
        tail = head
        while True:
            piece = fh.read(4 << 20)
            chunk = tail + piece
            if b"<f" in chunk or b't="e"' in chunk:
                cut = chunk.rfind(b"</c>") + 4 if piece else len(chunk)
                for match in _CELL.finditer(chunk, 0, cut):
                    attrs, body = match.group(3), match.group(4)
                    error = b't="e"' in attrs
                    if not error and (b"<f" not in body or _CACHED.search(body)):
                        continue
                    col = _column_index(match.group(1)) - first_col
                    row = int(match.group(2)) - first_row
                    if col not in columns or row < 0 or row >= len(table.data):
                        continue
                    if error:
                        value = _ERROR_VALUE.search(body)
                        shown = value.group(1).decode(errors="replace") if value else "#错误"
                        text = f"公式结果为错误值（{shown}），按未知处理"
                    else:
                        text = "公式未计算，请在Excel中打开并保存后再上传"
                    notes.append((int(table.data.index[row]), columns[col], text))
                tail = chunk[cut:]
            else:
                tail = chunk[-256:]  # a cell cut at the chunk's end is seen with the next
            if not piece:
                break
    return notes


def _sheet_member(zf: zipfile.ZipFile, sheet: str) -> str:
    import posixpath

    from defusedxml.ElementTree import fromstring

    book = fromstring(zf.read("xl/workbook.xml"))
    rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    rid = next(
        s.get(f"{{{_REL_NS}}}id")
        for s in book.iter(f"{{{_MAIN_NS}}}sheet")
        if s.get("name") == sheet
    )
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)


def _calamine_start(path: Path, sheet: str) -> int:
    """The same for .xls (at most 65,536 rows, so reading it whole is cheap)."""
    from python_calamine import CalamineWorkbook

    start = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).start
    return start[0] if start else 0


def read_excel_openpyxl(path: Path, limits: Limits) -> Table:
    """The same through openpyxl (read-only, cached values; defusedxml guards the XML).

    The comparison for the reader benchmark; fastexcel is the reader the batch uses.
    """
    import openpyxl

    check_zip(path, limits)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        name = "企业数据" if "企业数据" in wb.sheetnames else wb.sheetnames[0]
        rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()
    header_at = _find_header(rows)
    names = _unique_names([("" if h is None else str(h)).strip() for h in rows[header_at]])
    width = len(names)
    body = [(r + [None] * width)[:width] for r in rows[header_at + 1 :]]
    data = pd.DataFrame(body, columns=names, dtype=object).infer_objects()
    return Table(data, [map_header(h) for h in names], header_at, "xlsx", sheet=name)


def detect_encoding(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3:  # a character cut at the end of the sample
            return "utf-8"
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise BatchError(
            "无法识别文件编码（支持UTF-8与GBK/GB18030）", "unknown text encoding (UTF-8 or GBK)"
        ) from exc


def _file_encoding(path: Path) -> tuple[str, bytes]:
    """The encoding of a text file and its first MiB. A start in plain ASCII says nothing:
    the file is read on (a MiB at a time) to its first non-ASCII text, where GBK and UTF-8
    differ."""
    with open(path, "rb") as fh:
        sample = fh.read(1 << 20)
        piece = sample
        while piece.isascii() and len(piece) == 1 << 20:
            piece = fh.read(1 << 20)
        if piece is not sample and not piece.isascii():
            # the first non-ASCII piece decides; a character cut at its start is fine
            start = next(i for i, b in enumerate(piece) if b >= 0x80)
            return detect_encoding(piece[start:]), sample
    return detect_encoding(sample), sample


SEPARATORS = ",;\t|"
_SEPARATOR_ZH = {",": "逗号", ";": "分号", "\t": "制表符", "|": "竖线"}


def _separator(lines: list[str]) -> str:
    """The field separator of a CSV: the one of ``SEPARATORS`` that gives the header the
    most recognizable field names (Excel writes ';' where ',' is the decimal mark)."""
    best, best_score = ",", -1
    for sep in SEPARATORS:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))
        score = max((header_score(r) for r in rows), default=0)
        if score > best_score:
            best, best_score = sep, score
    return best


def read_csv(path: Path, limits: Limits, chunk_rows: int | None = None) -> Iterator[Table]:
    """CSV as text cells, in chunks when ``chunk_rows`` is given (bounded memory)."""
    encoding, sample = _file_encoding(path)
    text = sample.decode(encoding, errors="ignore")
    lines = text.splitlines()[:HEADER_SCAN_ROWS]
    sep = _separator(lines)
    head_rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))
    header_at = _find_header(head_rows)
    reader = pd.read_csv(
        path,
        encoding=encoding,
        sep=sep,
        skiprows=header_at,
        header=0,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        chunksize=chunk_rows or limits.max_rows + 1,
        on_bad_lines="error",
    )
    notes = [] if sep == "," else [f"分隔符：{_SEPARATOR_ZH[sep]}"]
    start = 0
    try:
        for chunk in reader:
            if start + len(chunk) > limits.max_rows:
                raise BatchError(
                    f"行数超过上限 {limits.max_rows}", f"more than {limits.max_rows} rows"
                )
            chunk.columns = _unique_names([str(c).strip() for c in chunk.columns])
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield Table(
                chunk,
                [map_header(c) for c in chunk.columns],
                header_at,
                "csv",
                encoding=encoding,
                notes=notes,
            )
    except pd.errors.ParserError as exc:
        raise BatchError("CSV格式错误（列数不一致或引号未闭合）", f"malformed CSV: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise BatchError(
            f"文件编码不一致：按{encoding}读取时第{exc.start}字节附近无法解码（请统一保存为UTF-8或GBK）",
            f"mixed text encodings: not {encoding} near byte {exc.start}",
        ) from exc


def read_parquet(path: Path, limits: Limits, chunk_rows: int) -> Iterator[Table]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise BatchError(
            "Parquet文件已损坏，无法读取", f"cannot read the Parquet file: {exc}"
        ) from exc
    if pf.metadata.num_rows > limits.max_rows:
        raise BatchError(f"行数超过上限 {limits.max_rows}", f"more than {limits.max_rows} rows")
    if pf.metadata.num_rows == 0:
        raise BatchError(NO_ROWS_ZH, NO_ROWS_EN)
    start = 0
    for batch in pf.iter_batches(batch_size=chunk_rows):
        chunk = batch.to_pandas()
        chunk.index = pd.RangeIndex(start, start + len(chunk))
        start += len(chunk)
        yield Table(chunk, [map_header(c) for c in chunk.columns], -1, "parquet")


def read_tables(
    path: Path, limits: Limits | None = None, chunk_rows: int = 200_000
) -> Iterator[Table]:
    """The file's data as one or more Tables (CSV and Parquet stream in chunks)."""
    limits = limits or Limits()
    path = Path(path)
    check_size(path, limits)
    fmt = sniff(path)
    if fmt in ("xlsx", "xls"):
        tables = iter([read_excel(path, limits, fmt)])
    elif fmt == "parquet":
        tables = read_parquet(path, limits, chunk_rows)
    else:
        tables = read_csv(path, limits, chunk_rows)
    for table in tables:
        yield without_template_rows(checked(table))


def without_template_rows(table: Table) -> Table:
    """Our template's 【填写说明】 and 【示例】 rows (its first data rows) left out and named in a
    note: they describe the columns, they are not firms, so they are not input rows."""
    name = next((c.header for c in table.columns if c.field == "name"), None)
    if name is None or not len(table.data):
        return table
    head = table.data[name].iloc[:5]
    marked = head[head.map(lambda v: isinstance(v, str) and v.strip().startswith(TEMPLATE_MARKERS))]
    if not len(marked):
        return table
    rows = "、".join(str(i + table.header_row + 2) for i in marked.index)
    note = f"第{rows}行是模板的填写说明或示例，已略过（不计入输入行）"
    drop = set(marked.index)
    return replace(
        table,
        data=table.data.drop(index=marked.index),
        notes=[*table.notes, note],
        cell_notes=[n for n in table.cell_notes if n[0] not in drop],
    )


def checked(table: Table) -> Table:
    """A table whose header the batch can trust: two columns naming one field are refused
    (which would win is a guess); the output columns of an earlier result (re-scoring last
    year's workbook) are left out and named in a note, since they are computed afresh."""
    seen: dict[str, str] = {}
    for col in table.columns:
        if col.field is None:
            continue
        if col.field in seen:
            raise BatchError(
                f"「{seen[col.field]}」与「{col.header}」对应同一字段（{col.field}），请删除其中一列",
                f"columns {seen[col.field]!r} and {col.header!r} both map to {col.field}",
            )
        seen[col.field] = col.header
    earlier = [c.header for c in table.columns if c.field is None and is_output_column(c.header)]
    if not earlier:
        return table
    note = f"输入中已有评价结果列（{len(earlier)}列，如“{earlier[0]}”），已忽略并重新评价"
    return replace(
        table,
        data=table.data.drop(columns=earlier),
        columns=[c for c in table.columns if c.header not in earlier],
        notes=[*table.notes, note],
    )
