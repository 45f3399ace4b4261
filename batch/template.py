"""`tiering template`: the input workbook a firm or bureau fills in.

Chinese headers with units (money in 万元, converted back to yuan on import), a notes row
explaining each field, dropdowns for yes/no and enumerations, number and date checks, and one
example row. The notes and example rows are marked (【填写说明】, 【示例】) and never scored.
Written with xlsxwriter, which supports data validation and cell notes fully.
"""

from __future__ import annotations

import json
from pathlib import Path

from scoring.fields import DEFINITIONS_ZH, ENUMS, FIELDS
from scoring.formatting import ENUM_ZH

DATA_ROWS = 5000
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example_firm.json"


def template_header(name: str) -> str:
    spec = FIELDS[name]
    if spec.type == "money":
        return f"{spec.label_zh}(万元)"
    if spec.unit == "ratio":
        return f"{spec.label_zh}(%)"
    return spec.label_zh


def _note(name: str) -> str:
    spec = FIELDS[name]
    if name == "name":
        return "【填写说明】必填；每行一家企业"
    if name in ENUMS:
        return "可选：" + "/".join(ENUM_ZH.get(v, v) for v in ENUMS[name])
    kinds = {
        "money": "金额，单位万元",
        "integer": "整数",
        "number": "数值",
        "bool": "是/否",
        "date": "日期，如2018-05-12",
        "text": "文本",
    }
    note = kinds[spec.type]
    if spec.unit == "ratio":
        note = "百分比，如12.5"
    if name in DEFINITIONS_ZH:
        note += "；" + DEFINITIONS_ZH[name]
    return note + "；不清楚可留空"


def _example_value(name: str, firm: dict):
    value = firm.get(name)
    if value is None:
        return None
    spec = FIELDS[name]
    if spec.type == "money":
        return value / 1e4
    if spec.type == "bool":
        return "是" if value else "否"
    if spec.unit == "ratio":
        return value * 100
    if name in ENUMS:
        return ENUM_ZH.get(value, value)
    if name == "name":
        return "【示例】" + value
    return value


PANEL_NOTES = {
    "firm_id": "【填写说明】必填；同一企业各年度相同（如统一社会信用代码）；每行一家企业一个年度",
    "is_gazelle": "是/否：该年度是否在瞪羚企业名单中",
    "is_little_giant": "是/否：该年度是否为专精特新“小巨人”企业",
}


def write_template(path: Path, panel: bool = False) -> None:
    """The input template; with ``panel`` the history panel template (one row per firm per
    fiscal year, with the firm key and every status column: docs/readiness.md)."""
    import xlsxwriter

    from batch.panel import PANEL_COLUMNS

    firm = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "border": 1})
    note = wb.add_format({"italic": True, "font_color": "#7F7F7F", "text_wrap": True})
    example = wb.add_format({"font_color": "#2F5597"})
    ws = wb.add_worksheet("历史面板" if panel else "企业数据")
    names = ["firm_id", *FIELDS, "is_gazelle", "is_little_giant"] if panel else list(FIELDS)
    last = DATA_ROWS + 2
    for col, name in enumerate(names):
        if name in PANEL_COLUMNS:
            ws.write_string(0, col, PANEL_COLUMNS[name], head)
            ws.write_string(1, col, PANEL_NOTES[name], note)
            ws.set_column(col, col, 16)
            if name != "firm_id":
                ws.data_validation(3, col, last, col, {"validate": "list", "source": ["是", "否"]})
            else:
                ws.write_string(2, col, "【示例】91440101MA5XXXXX0X", example)
            continue
        spec = FIELDS[name]
        ws.write_string(0, col, template_header(name), head)
        ws.write_comment(0, col, f"{name}\n{spec.definition}", {"x_scale": 2, "y_scale": 2})
        ws.write_string(1, col, _note(name), note)
        value = _example_value(name, firm)
        if value is not None:
            ws.write(2, col, value, example)
        ws.set_column(col, col, 16)
        if spec.type == "bool":
            rule = {"validate": "list", "source": ["是", "否"]}
        elif name in ENUMS:
            rule = {"validate": "list", "source": [ENUM_ZH.get(v, v) for v in ENUMS[name]]}
        elif spec.type == "integer":
            rule = {"validate": "integer", "criteria": ">=", "value": 0}
        elif spec.type in ("money", "number"):
            low = -1e12 if name.startswith(("net_profit", "net_assets")) else 0
            rule = {"validate": "decimal", "criteria": ">=", "value": low}
        elif spec.type == "date":
            rule = {
                "validate": "date",
                "criteria": "between",
                "minimum": __import__("datetime").date(1949, 10, 1),
                "maximum": __import__("datetime").date(2100, 12, 31),
            }
        else:
            continue
        rule |= {
            "error_title": "输入有误",
            "error_message": _note(name)[:255],
            "ignore_blank": True,
        }
        ws.data_validation(3, col, last, col, rule)
    ws.set_row(0, 48)
    ws.set_row(1, 36)
    ws.freeze_panes(1, 1)
    guide = wb.add_worksheet("字段说明")
    guide.write_row(
        0,
        0,
        [
            "列名",
            "字段名",
            "类型",
            "单位",
            "说明（英文，与公开数据契约一致）",
            "中文说明（易错口径）",
        ],
        head,
    )
    for row, name in enumerate(names, start=1):
        if name in PANEL_COLUMNS:
            kind = "text" if name == "firm_id" else "bool"
            guide.write_row(row, 0, [PANEL_COLUMNS[name], name, kind, "", PANEL_NOTES[name]])
            continue
        spec = FIELDS[name]
        guide.write_row(
            row,
            0,
            [
                template_header(name),
                name,
                spec.type,
                spec.unit,
                spec.definition,
                DEFINITIONS_ZH.get(name, ""),
            ],
        )
    guide.set_column(0, 1, 28)
    guide.set_column(4, 4, 100)
    guide.set_column(5, 5, 80)
    wb.close()
