"""The batch: a spreadsheet in, every row scored or rejected with a reason, a spreadsheet out.

Rows in = rows scored + rows rejected, always; the summary says so. Row problems are results;
only a file that cannot be read at all raises ``BatchError``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from batch.readers import TEMPLATE_MARKERS, BatchError, Limits, Table, read_tables
from batch.writers import STATUS_ZH, write_csv, write_parquet_chunk, write_xlsx
from scoring import LADDERS
from scoring.api import collect_results, iter_evaluations
from scoring.gaps import gaps_frame
from scoring.rulesets import LADDER_NAMES

DEFAULT_LIMITS = Limits()
XLSX_ROWS = 1_048_576  # rows in one Excel sheet, header included


@dataclass
class Summary:
    rows_in: int = 0
    scored: int = 0
    rejected: int = 0
    status: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in LADDERS})
    versions: Counter = field(default_factory=Counter)
    near: int = 0
    recognized: list[str] = field(default_factory=list)
    passed_through: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, results: pd.DataFrame) -> None:
        self.rows_in += len(results)
        scored = results["row_status"].astype(str) == "scored"
        self.scored += int(scored.sum())
        self.rejected += int((~scored).sum())
        for ladder in LADDERS:
            self.status[ladder].update(results.loc[scored, f"{ladder}_status"].astype(str))
        self.versions.update(results.loc[scored, "criteria_version"].astype(str))

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
            for status in ("eligible", "ineligible", "undetermined"):
                out.append(
                    {
                        "项目": f"{LADDER_NAMES[ladder][0]}·{STATUS_ZH[status]}",
                        "数值": self.status[ladder].get(status, 0),
                    }
                )
        out.append(
            {"项目": "临近门槛企业数（某一梯度只差一项基本条件或不足10分）", "数值": self.near}
        )
        for version, count in self.versions.most_common():
            out.append({"项目": f"规则版本 {version}", "数值": count})
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
            parts = "  ".join(
                f"{STATUS_ZH[s]} {self.status[ladder].get(s, 0)}"
                for s in ("eligible", "ineligible", "undetermined")
            )
            lines.append(f"  {LADDER_NAMES[ladder][0]}: {parts}")
        lines.append(f"  临近门槛：{self.near} 家")
        lines += [f"  说明：{n}" for n in self.notes]
        return "\n".join(lines)


def prepare(table: Table) -> tuple[pd.DataFrame, dict[str, float], pd.Series, pd.Series]:
    """Canonical columns, unit multipliers, rows to reject before scoring, and row warnings."""
    used: dict[str, Any] = {}
    for col in table.columns:
        if col.field and col.field not in used:
            used[col.field] = col
    data = table.data
    canonical = pd.DataFrame({f: data[c.header] for f, c in used.items()}, index=data.index)
    for f, c in used.items():
        if c.unit in ("%", "％") and canonical[f].dtype == object:
            canonical[f] = canonical[f].map(lambda v: v.rstrip("%％") if isinstance(v, str) else v)
    scale = {f: c.scale for f, c in used.items() if c.scale != 1.0}
    blank = np.ones(len(data), dtype=bool)
    for col in data.columns:
        values = data[col]
        empty = values.isna().to_numpy().copy()
        if values.dtype == object:
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
        names = canonical["name"].astype(str).str.strip()
        template = names.str.startswith(TEMPLATE_MARKERS)
        reasons[template & ~blank] = "模板说明行或示例行，未评价"
        canonical.loc[template | blank, "name"] = None
    warnings = pd.Series("", index=data.index, dtype=object)
    if "credit_code" in canonical:
        codes = canonical["credit_code"].astype(str).str.strip().str.upper()
        codes = codes.where(~codes.isin(["", "NONE", "NAN"]) & (reasons == ""))
        dup = codes.notna() & codes.duplicated(keep=False)
        if dup.any():
            rows = table.sheet_rows()
            first = rows[dup].groupby(codes[dup]).transform(lambda r: "、".join(map(str, r)))
            warnings[dup] = "【提示】统一社会信用代码重复（第" + first + "行）"
    return canonical, scale, reasons, warnings


def score_table(
    table: Table,
    *,
    as_of: dt.date | None = None,
    mode: str = "new",
    overrides: dict | None = None,
    today: dt.date | None = None,
    chunk_rows: int = 200_000,
    with_gaps: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Results (the sheet's own columns, then the output contract) and the gaps table."""
    canonical, scale, reasons, warnings = prepare(table)
    gap_parts: list[pd.DataFrame] = []

    def keep_gaps(rows, ev):
        if with_gaps:
            gap_parts.append(gaps_frame(ev, rows))

    n = len(canonical)
    evaluations = iter_evaluations(
        canonical.reset_index(drop=True),
        as_of=as_of,
        mode=mode,
        overrides=overrides,
        today=today,
        chunk_rows=chunk_rows,
        scale=scale,
    )
    contract = collect_results(n, evaluations, keep_gaps)
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
        rows = table.sheet_rows().to_numpy()
        name_col = next((c.header for c in table.columns if c.field == "name"), None)
        names = table.data[name_col].to_numpy() if name_col else np.full(len(table.data), "")
        gaps.insert(0, "行号", rows[gaps["row"]])
        gaps.insert(1, "企业名称", names[gaps["row"]])
        gaps.insert(2, "梯度", gaps["ladder"].map(lambda k: LADDER_NAMES[k][0]))
        gaps = gaps.drop(columns=["row"]).rename(
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
            }
        )
    return results, gaps


def near_threshold(results: pd.DataFrame) -> int:
    """Firms that miss some ladder by a single gate or by less than 10 points."""
    near = np.zeros(len(results), dtype=bool)
    for ladder in LADDERS:
        status = results[f"{ladder}_status"].astype(str)
        failed = results[f"{ladder}_failed"].astype(str)
        single = (status == "ineligible") & (failed != "") & ~failed.str.contains(";")
        near |= single.to_numpy()
    return int(near.sum())


def run(
    path: Path,
    output: Path,
    *,
    limits: Limits = DEFAULT_LIMITS,
    as_of: dt.date | None = None,
    mode: str = "new",
    overrides: dict | None = None,
    chunk_rows: int = 200_000,
    progress=None,
) -> Summary:
    """Score a file into ``output`` (.xlsx, or .csv for the plain output contract)."""
    started = time.perf_counter()
    output = Path(output)
    fmt = output.suffix.lower()
    if fmt not in (".xlsx", ".csv", ".parquet"):
        raise BatchError(
            "输出文件须为 .xlsx、.csv 或 .parquet", "output must be .xlsx, .csv or .parquet"
        )
    parquet = None
    summary = Summary()
    collected: list[pd.DataFrame] = []
    sheet_rows: list[pd.Series] = []
    gaps: list[pd.DataFrame] = []
    first = True
    for table in read_tables(Path(path), limits, chunk_rows):
        if first:
            summary.recognized = [
                f"{c.header}→{c.field}" + (f"（×{c.scale:g}）" if c.scale != 1 else "")
                for c in table.columns
                if c.field
            ]
            summary.passed_through = [c.header for c in table.columns if not c.field]
            if table.header_row > 0:
                summary.notes.append(f"表头位于第{table.header_row + 1}行，其上方内容已略过")
            if table.encoding:
                summary.notes.append(f"文件编码：{table.encoding}")
        results, table_gaps = score_table(
            table,
            as_of=as_of,
            mode=mode,
            overrides=overrides,
            chunk_rows=chunk_rows,
            with_gaps=fmt == ".xlsx",
        )
        summary.add(results)
        summary.near += near_threshold(results)
        if fmt == ".csv":
            write_csv(results, output, append=not first)
        elif fmt == ".parquet":
            parquet = write_parquet_chunk(results, output, parquet)
        else:
            collected.append(results)
            sheet_rows.append(table.sheet_rows())
            gaps.append(table_gaps)
        if progress is not None:
            progress(summary.rows_in)
        first = False
    if parquet is not None:
        parquet.close()
    if fmt == ".xlsx":
        results = pd.concat(collected)
        is_rejected = (results["row_status"].astype(str) == "rejected").to_numpy()
        rejected = results[is_rejected]
        rejected.insert(0, "行号", pd.concat(sheet_rows).to_numpy()[is_rejected])
        all_gaps = pd.concat(gaps, ignore_index=True) if gaps else pd.DataFrame()
        if len(all_gaps) > XLSX_ROWS - 1:
            spill = output.with_name(output.stem + "_差距明细.csv")
            write_csv(all_gaps, spill)
            summary.notes.append(
                f"差距明细共{len(all_gaps)}行，超过Excel单表上限，表内列出前{XLSX_ROWS - 1}行；"
                f"完整明细见 {spill.name}"
            )
            all_gaps = all_gaps.head(XLSX_ROWS - 1)
        summary.seconds = time.perf_counter() - started
        write_xlsx(output, results, _rejected_sheet(rejected), all_gaps, summary.rows())
    summary.seconds = time.perf_counter() - started
    return summary


def _rejected_sheet(rejected: pd.DataFrame) -> pd.DataFrame:
    keep = [
        c
        for c in rejected.columns
        if not c.endswith(("_status", "_score", "_route", "_failed", "_missing"))
        and c not in ("row_status", "gazelle_ruleset", "next_rung", "criteria_version")
    ]
    out = rejected[keep].rename(columns={"row_errors": "未评价原因"})
    return out
