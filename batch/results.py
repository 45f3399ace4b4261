"""Reading back what ``tiering batch`` wrote: the result workbook (or the plain CSV/Parquet
contract) as contract columns and values, for the pool report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from batch.readers import BatchError
from batch.writers import ROUTE_ZH, ROW_STATUS_ZH, STATUS_ZH
from scoring.vocabulary import LADDER_NAMES, LADDERS


def read_results(path: Path) -> tuple[pd.DataFrame, list[dict] | None]:
    """The scored rows with contract column names and values, and the near-threshold list
    (from the workbook's 临近门槛 sheet; None for CSV and Parquet, which do not carry it)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_path(str(path))
            rows = book.get_sheet_by_name("评价结果").to_python()
        except Exception as exc:  # not a result workbook of ours
            raise BatchError(
                "不是 tiering batch 生成的结果工作簿（缺少“评价结果”表）",
                f"not a result workbook: {exc}",
            ) from exc
        frame = pd.DataFrame(rows[1:], columns=[str(h).split("\n")[-1] for h in rows[0]])
        frame = _contract_values(frame)
        near = _near_sheet(book) if "临近门槛" in book.sheet_names else []
    elif suffix == ".csv":
        frame, near = (
            pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"),
            None,
        )
    elif suffix == ".parquet":
        frame, near = pd.read_parquet(path), None
    else:
        raise BatchError(
            "结果文件应为 .xlsx、.csv 或 .parquet", "results must be xlsx, csv or parquet"
        )
    if "row_status" not in frame:
        raise BatchError("文件中没有评价结果列（row_status）", "no row_status column: not results")
    frame = frame[frame["row_status"].astype(str) == "scored"].reset_index(drop=True)
    for col in frame.columns:
        if col.endswith(("_score", "_readiness", "_readiness_24m", "_worth_yearly", "_worth_once")):
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame, near


def _contract_values(frame: pd.DataFrame) -> pd.DataFrame:
    """The workbook shows statuses, routes and rungs in Chinese: back to contract values."""
    back = {
        "row_status": {v: k for k, v in ROW_STATUS_ZH.items()},
        "next_rung": {v[0]: k for k, v in LADDER_NAMES.items()},
    }
    for ladder in LADDERS:
        back[f"{ladder}_status"] = {v: k for k, v in STATUS_ZH.items() if v}
        back[f"{ladder}_route"] = {v: k for k, v in ROUTE_ZH.items() if v}
    for col, mapping in back.items():
        if col in frame:
            frame[col] = frame[col].map(lambda v, m=mapping: m.get(v, v))
    return frame


def _near_sheet(book) -> list[dict]:
    rows = book.get_sheet_by_name("临近门槛").to_python()
    if len(rows) < 2:
        return []
    near = pd.DataFrame(rows[1:], columns=rows[0])
    by_name = {v[0]: k for k, v in LADDER_NAMES.items()}
    return [
        {
            "name": r["企业名称"],
            "ladder": by_name.get(r["梯度"], ""),
            "zh": r["还差"],
            "shortfall": float(r["距门槛（%）"]) / 100 if r["距门槛（%）"] != "" else float("inf"),
        }
        for r in near.to_dict("records")
        if r["梯度"] in by_name
    ]
