"""The batch: a spreadsheet in, every row scored or rejected with a reason, a spreadsheet out.

Rows in = rows scored + rows rejected, always; the summary says so. Row problems are results;
only a file that cannot be read at all raises ``BatchError``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from batch.readers import BatchError, Limits, Table, read_tables
from batch.writers import write_csv, write_parquet_chunk, write_xlsx
from scoring import LADDERS
from scoring.api import collect_results
from scoring.fields import FIELDS
from scoring.frames import CHUNK_ROWS, iter_evaluations
from scoring.gaps import (
    GAP_COLUMNS,
    NEAR_POINTS,
    NEAR_SHARE,
    gap_focus,
    gaps_frame,
    near_masks,
    near_threshold,
)
from scoring.options import Options
from scoring.readiness.predict import resolve
from scoring.vocabulary import LADDER_NAMES, PATH, STATUS_ZH, STATUSES

DEFAULT_LIMITS = Limits()
XLSX_ROWS = 1_048_576  # rows in one Excel sheet, header included


@dataclass
class Summary:
    rows_in: int = 0
    scored: int = 0
    rejected: int = 0
    status: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in LADDERS})
    versions: Counter = field(default_factory=Counter)
    models: Counter = field(default_factory=Counter)  # readiness model labels of scored rows
    near: Counter = field(default_factory=Counter)  # firms one rule short, per ladder
    near_any: int | None = None  # firms near at least one ladder (xlsx output only)
    gap_scope: str = ""
    recognized: list[str] = field(default_factory=list)
    passed_through: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reports: int | None = None  # PDF reports written (``run(..., reports=)``)

    def add(self, results: pd.DataFrame) -> None:
        self.rows_in += len(results)
        scored = results["row_status"].astype(str) == "scored"
        self.scored += int(scored.sum())
        self.rejected += int((~scored).sum())
        for ladder in LADDERS:
            self.status[ladder].update(_counts(results.loc[scored, f"{ladder}_status"]))
        self.versions.update(_counts(results.loc[scored, "criteria_version"]))
        if "readiness_model" in results:
            self.models.update(_counts(results.loc[scored, "readiness_model"]))

    def describe(self, table: Table) -> None:
        """What the file's header meant: recognized and passed-through columns, notes."""
        self.recognized = [
            f"{c.header}→{c.field}" + (f"（×{c.scale:g}）" if c.scale != 1 else "")
            for c in table.columns
            if c.field
        ]
        self.passed_through = [c.header for c in table.columns if not c.field]
        if table.header_row > 0:
            self.notes.append(f"表头位于第{table.header_row + 1}行，其上方内容已略过")
        if table.encoding:
            self.notes.append(f"文件编码：{table.encoding}")
        self.notes += table.notes

    def add_near(self, near: pd.DataFrame) -> None:
        """Count a chunk's near-threshold sheet (one row per firm and ladder)."""
        by_name = {v[0]: k for k, v in LADDER_NAMES.items()}
        self.near.update(near["梯度"].map(by_name))
        self.near_any = (self.near_any or 0) + int(near["行号"].nunique())

    def rows(self) -> list[dict[str, Any]]:
        """The summary sheet: one item per row, in Chinese."""
        out = [
            {"项目": "输入行数", "数值": self.rows_in},
            {"项目": "已评价行数", "数值": self.scored},
            {"项目": "未评价行数（原因见“未评价行”）", "数值": self.rejected},
            {
                "项目": "核对：输入 = 已评价 + 未评价",
                "数值": "一致" if self.rows_in == self.scored + self.rejected else "不一致",
            },
        ]
        for ladder in LADDERS:
            for status in STATUSES:
                out.append(
                    {
                        "项目": f"{LADDER_NAMES[ladder][0]}·{STATUS_ZH[status]}",
                        "数值": self.status[ladder].get(status, 0),
                    }
                )
        out.append(
            {
                "项目": (
                    "临近门槛企业数（某一梯度只差一项条件且差距小："
                    f"总分差不足{NEAR_POINTS:g}分、数量差1、或数值距门槛{NEAR_SHARE:.0%}以内）"
                ),
                "数值": self.near_any,
            }
        )
        for ladder in LADDERS:
            out.append(
                {"项目": f"临近门槛·{LADDER_NAMES[ladder][0]}", "数值": self.near.get(ladder, 0)}
            )
        if self.gap_scope:
            out.append({"项目": "差距明细范围", "数值": self.gap_scope})
        for version, count in self.versions.most_common():
            out.append({"项目": f"规则版本 {version}", "数值": count})
        for model, count in self.models.most_common():
            out.append({"项目": f"晋级概率模型 {model}", "数值": count})
        out.append({"项目": "识别的列", "数值": "、".join(self.recognized)})
        if self.passed_through:
            out.append({"项目": "未识别、原样保留的列", "数值": "、".join(self.passed_through)})
        for note in self.notes:
            out.append({"项目": "说明", "数值": note})
        out.append({"项目": "用时（秒）", "数值": round(self.seconds, 2)})
        return out

    def text(self) -> str:
        lines = [f"输入 {self.rows_in} 行 = 已评价 {self.scored} 行 + 未评价 {self.rejected} 行"]
        for ladder in LADDERS:
            parts = "  ".join(f"{STATUS_ZH[s]} {self.status[ladder].get(s, 0)}" for s in STATUSES)
            lines.append(f"  {LADDER_NAMES[ladder][0]}: {parts}")
        if self.near_any is not None:
            lines.append(f"  临近门槛：{self.near_any} 家（见“临近门槛”表）")
        lines += [f"  晋级概率模型：{m}" for m in self.models]
        lines += [f"  说明：{n}" for n in self.notes]
        return "\n".join(lines)


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().items() if v}


Prepared = tuple[pd.DataFrame, dict[str, float], pd.Series, pd.Series]


def prepare(table: Table, duplicates: dict[str, str] | None = None) -> Prepared:
    """Canonical columns, unit multipliers, rows to reject before scoring, and row warnings.

    Duplicate credit codes are looked for within the table, or taken from ``duplicates``
    (code → the file rows that hold it, found over the whole file: ``duplicate_codes``)."""
    used: dict[str, Any] = {}
    for col in table.columns:
        if col.field and col.field not in used:
            used[col.field] = col
    data = table.data
    canonical = pd.DataFrame({f: data[c.header] for f, c in used.items()}, index=data.index)
    for f, c in used.items():
        if c.unit in ("%", "％") and not pd.api.types.is_numeric_dtype(canonical[f]):
            canonical[f] = canonical[f].map(lambda v: v.rstrip("%％") if isinstance(v, str) else v)
    scale = {f: c.scale for f, c in used.items() if c.scale != 1.0}
    blank = np.ones(len(data), dtype=bool)
    for col in data.columns:
        values = data[col]
        empty = values.isna().to_numpy().copy()
        if isinstance(values.dtype, pd.StringDtype):
            empty |= values.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        elif values.dtype == object:
            empty |= np.fromiter(
                (isinstance(v, str) and not v.strip() for v in values), bool, len(values)
            )
        blank &= empty
        if not blank.any():
            break
    blank = pd.Series(blank, index=data.index)
    reasons = pd.Series("", index=data.index, dtype=object)
    reasons[blank] = "空行（无任何数据），未评价"
    if "name" in canonical:
        canonical.loc[blank, "name"] = None
    warnings = pd.Series("", index=data.index, dtype=object)
    labels = {c.header: c.field for c in table.columns if c.field}
    for index, header, text in table.cell_notes:
        field = labels[header]
        note = f"{FIELDS[field].label_zh}({field}): {text}"
        warnings[index] = note if not warnings[index] else warnings[index] + "；" + note
    if "credit_code" in canonical:
        codes = credit_codes(canonical["credit_code"], reasons)
        if duplicates is None:
            duplicates = duplicate_codes(codes, table.sheet_rows())
        rows = codes.map(duplicates)
        dup = rows.notna()
        if dup.any():
            text = "【提示】统一社会信用代码重复（第" + rows[dup] + "行）"
            warnings[dup] = np.where(warnings[dup] == "", text, warnings[dup] + "；" + text)
    return canonical, scale, reasons, warnings


def credit_codes(values: pd.Series, reasons: pd.Series) -> pd.Series:
    """Credit codes as compared (trimmed, upper case); None on blank and rejected rows."""
    codes = values.astype(str).str.strip().str.upper()
    return codes.where(~codes.isin(["", "NONE", "NAN", "<NA>"]) & (reasons == ""))


def duplicate_codes(codes: pd.Series, sheet_rows: pd.Series) -> dict[str, str]:
    """Credit codes held by more than one row → those rows ("3、7")."""
    dup = codes.notna() & codes.duplicated(keep=False)
    if not dup.any():
        return {}
    rows = sheet_rows[dup].astype(str).groupby(codes[dup], sort=False).agg("、".join)
    return rows.to_dict()


def score_table(
    table: Table,
    options: Options | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    with_gaps: bool = True,
    all_gaps: bool = False,
    prepared: Prepared | None = None,
    rows: slice | None = None,
    on_evaluation=None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The pipeline's score step. Results (the sheet's own columns, then the output
    contract), and with ``with_gaps`` the gaps table and the firms near a ladder's threshold
    (``scoring.gaps.near_threshold``), as sheets in Chinese (the plain CSV/Parquet contract
    needs neither).

    Gaps cover each firm's next rung and the ladders it nearly meets, or every failed rule of
    every ladder with ``all_gaps``; see ``scoring.gaps.gap_focus``. A service worker scores a
    table in ``rows`` slices with the table ``prepared`` once (checks such as duplicate credit
    codes look at the whole table). ``on_evaluation(sheet_rows, ev)`` sees each scored chunk's
    evaluation (the report zip builds its assessments from it: nothing is scored twice).
    """
    options = options or Options()
    canonical, scale, reasons, warnings = prepared or prepare(table)
    if rows is not None:
        table = replace(table, data=table.data.iloc[rows])
        canonical, reasons, warnings = canonical.iloc[rows], reasons.iloc[rows], warnings.iloc[rows]
    n = len(canonical)
    gap_parts: list[pd.DataFrame] = []
    near_parts: list[pd.DataFrame] = []

    file_rows = table.sheet_rows().to_numpy()

    def on_chunk(rows, ev):
        if on_evaluation is not None:
            on_evaluation(file_rows[rows], ev)
        if not with_gaps:
            return
        near = near_threshold(ev)
        masks = near_masks(near, ev.frame.n)
        near_parts.append(near.assign(row=rows[near["row"].to_numpy(dtype=np.int64)]))
        part = gaps_frame(ev, focus=None if all_gaps else gap_focus(ev, masks))
        local = part["row"].to_numpy(dtype=np.int64)
        which = part["ladder"].map(LADDERS.index).to_numpy(dtype=np.int64)
        part["near"] = np.stack([masks[k] for k in LADDERS])[which, local]
        part["row"] = rows[local]
        gap_parts.append(part)

    evaluations = iter_evaluations(
        canonical.reset_index(drop=True), options, chunk_rows=chunk_rows, scale=scale
    )
    contract = collect_results(n, evaluations, on_chunk, readiness=resolve(options.readiness))
    contract.index = table.data.index
    special = (reasons != "").to_numpy()
    errors = contract["row_errors"].astype(object)
    errors[special] = reasons[special]
    has_warning = (warnings != "").to_numpy()
    errors[has_warning] = np.where(
        errors[has_warning] == "",
        warnings[has_warning],
        errors[has_warning] + "；" + warnings[has_warning],
    )
    contract["row_errors"] = errors
    results = pd.concat([table.data, contract], axis=1)
    gaps = pd.concat(gap_parts, ignore_index=True) if gap_parts else pd.DataFrame()
    if len(gaps):
        gaps = _gap_sheet(table, gaps[~special[gaps["row"].to_numpy()]])
    near = pd.concat(near_parts, ignore_index=True) if near_parts else None
    if near is not None:
        near = _near_sheet(table, near[~special[near["row"].to_numpy(dtype=np.int64)]])
    return results, gaps, near


def write_workbook(
    output: Path,
    results: pd.DataFrame,
    gaps: pd.DataFrame,
    near: pd.DataFrame,
    sheet_rows: np.ndarray,
    summary: Summary,
    *,
    all_gaps: bool = False,
    started: float | None = None,
) -> None:
    """The five-sheet result workbook from scored parts (``sheet_rows``: each result row's
    row number in the input file)."""
    is_rejected = (results["row_status"].astype(str) == "rejected").to_numpy()
    rejected = results[is_rejected]
    rejected.insert(0, "行号", sheet_rows[is_rejected])
    if len(gaps) > XLSX_ROWS - 1:
        spill = output.with_name(output.stem + "_差距明细.csv")
        write_csv(gaps, spill)
        summary.notes.append(
            f"差距明细共{len(gaps)}行，超过Excel单表上限，表内列出前{XLSX_ROWS - 1}行；"
            f"完整明细见 {spill.name}"
        )
        gaps = gaps.head(XLSX_ROWS - 1)
    summary.gap_scope = (
        "全部梯度的全部未满足规则"
        if all_gaps
        else "各企业的下一目标梯度，以及只差一项条件的梯度（--all-gaps 可列出全部）"
    )
    order = near["梯度"].map({LADDER_NAMES[k][0]: i for i, k in enumerate(PATH)})
    near = near.assign(_o=order).sort_values(["_o", "距门槛（%）"], kind="stable")
    near = near.drop(columns="_o")  # by ladder on the usual path, the closest first
    if started is not None:
        summary.seconds = time.perf_counter() - started
    write_xlsx(output, results, _rejected_sheet(rejected), gaps, near, summary.rows())


def _firm_columns(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """``row`` (a data row) → 行号 (its row in the file), 企业名称, and 梯度 in Chinese."""
    rows = table.sheet_rows().to_numpy()
    name_col = next((c.header for c in table.columns if c.field == "name"), None)
    names = table.data[name_col].to_numpy() if name_col else np.full(len(table.data), "")
    frame = frame.reset_index(drop=True)
    at = frame.pop("row").to_numpy(dtype=np.int64)
    frame.insert(0, "行号", rows[at])
    frame.insert(1, "企业名称", names[at])
    frame.insert(2, "梯度", frame.pop("ladder").map(lambda k: LADDER_NAMES[k][0]))
    return frame


def _near_sheet(table: Table, near: pd.DataFrame) -> pd.DataFrame:
    """Firms near a ladder, in Chinese (``write_workbook`` orders the whole list)."""
    near = near.assign(shortfall=(near["shortfall"] * 100).round(1))
    return _firm_columns(table, near).rename(
        columns={"rule_id": "未满足规则", "shortfall": "距门槛（%）", "zh": "还差"}
    )


# the gap sheet: what a person reads (the engine's English text and bookkeeping stay out)
SHEET_GAP_COLUMNS = [c for c in GAP_COLUMNS if c not in ("kind", "metric", "fixable", "en")] + [
    "near"
]


def _gap_sheet(table: Table, gaps: pd.DataFrame) -> pd.DataFrame:
    """Gap rows as people read them: sheet row, firm name, ladder in Chinese, Chinese headers."""
    gaps = _firm_columns(table, gaps[SHEET_GAP_COLUMNS])
    gaps["near"] = np.where(gaps["near"].to_numpy(dtype=bool), "是", "")
    return gaps.rename(
        columns={
            "rule_id": "规则",
            "option": "可选方案",
            "field": "调整字段",
            "current": "当前值",
            "target": "门槛",
            "change": "最少变动",
            "unit": "单位",
            "lead_months": "预计所需月数",
            "zh": "说明",
            "near": "临近门槛",
        }
    )


def run(
    path: Path,
    output: Path,
    options: Options | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    chunk_rows: int = CHUNK_ROWS,
    all_gaps: bool = False,
    progress=None,
    reports: Path | None = None,
) -> Summary:
    """The one batch pipeline (read → prepare → score → write): score a file into ``output``
    (.xlsx; .csv or .parquet for the plain output contract), and with ``reports`` a zip of
    every scored firm's PDF report built from the same evaluation and ``options``.

    The xlsx gap sheet lists each firm's next rung and the ladders it nearly meets; with
    ``all_gaps``, every failed rule of every ladder (past Excel's row limit, in a CSV beside).
    """
    started = time.perf_counter()
    output = Path(output)
    fmt = output.suffix.lower()
    if fmt not in (".xlsx", ".csv", ".parquet"):
        raise BatchError(
            "输出文件须为 .xlsx、.csv 或 .parquet", "output must be .xlsx, .csv or .parquet"
        )
    options = options or Options()
    parquet = None
    summary = Summary()
    collected: list[pd.DataFrame] = []
    sheet_rows: list[pd.Series] = []
    gaps: list[pd.DataFrame] = []
    near_lists: list[pd.DataFrame] = []
    first = True
    zipped = None
    if reports is not None:
        from batch.report_zip import ReportZip

        zipped = ReportZip(Path(reports))
    try:
        for table in read_tables(Path(path), limits, chunk_rows):
            if first:
                summary.describe(table)
            results, table_gaps, table_near = score_table(
                table,
                options,
                chunk_rows=chunk_rows,
                with_gaps=fmt == ".xlsx",
                all_gaps=all_gaps,
                on_evaluation=zipped.add if zipped is not None else None,
            )
            summary.add(results)
            if table_near is not None:
                summary.add_near(table_near)
            if fmt == ".csv":
                write_csv(results, output, append=not first)
            elif fmt == ".parquet":
                parquet = write_parquet_chunk(results, output, parquet)
            else:
                collected.append(results)
                sheet_rows.append(table.sheet_rows())
                gaps.append(table_gaps)
                near_lists.append(table_near)
            if progress is not None:
                progress(summary.rows_in)
            first = False
    finally:
        if zipped is not None:
            summary.reports = zipped.close()
    if parquet is not None:
        parquet.close()
    if fmt == ".xlsx":
        write_workbook(
            output,
            pd.concat(collected),
            pd.concat(gaps, ignore_index=True) if gaps else pd.DataFrame(),
            pd.concat(near_lists, ignore_index=True),
            pd.concat(sheet_rows).to_numpy(),
            summary,
            all_gaps=all_gaps,
            started=started,
        )
    summary.seconds = time.perf_counter() - started
    return summary


def _rejected_sheet(rejected: pd.DataFrame) -> pd.DataFrame:
    keep = [
        c
        for c in rejected.columns
        if not c.endswith(("_status", "_score", "_route", "_failed", "_missing", "_worth_yearly"))
        and not c.endswith("_worth_once")
        and not c.endswith(("_readiness", "_readiness_24m"))
        and c
        not in (
            "row_status",
            "gazelle_ruleset",
            "next_rung",
            "criteria_version",
            "warnings",
            "readiness_model",
        )
    ]
    out = rejected[keep].rename(columns={"row_errors": "未评价原因"})
    return out
