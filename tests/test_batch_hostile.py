"""Hostile but realistic spreadsheets, built the way Excel or an exporter builds them, through
the one batch pipeline: every row scored or rejected with a reason, every cell read as meant,
no result cell or header that a spreadsheet would run, and the same verdict everywhere."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from batch import BatchError, read_tables, run
from batch.writers import CUT_MARK, XLSX_CELL_CHARS
from scoring.models import Firm
from scoring.options import Options

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "sample_firms.csv"
VALID_CODE = "91350100M000100Y43"  # passes the GB 32100-2015 check


def _firms(n: int = 3) -> pd.DataFrame:
    return pd.read_csv(SAMPLES, dtype=str, keep_default_na=False).head(n)


def _xlsx(path: Path, header: list, rows: list[list], formulas: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业数据"
    ws.append(header)
    for row in rows:
        ws.append(row)
    for line in ws.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and cell.value.startswith("=") and not formulas:
                cell.data_type = "s"  # text that looks like a formula, as exporters write it
    wb.save(path)
    return path


def _results(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name="评价结果", dtype=object)


def _errors(path: Path) -> list[str]:
    frame = _results(path)
    col = next(c for c in frame.columns if str(c).endswith("row_errors"))
    return frame[col].fillna("").astype(str).tolist()


def test_numeric_region_codes_are_codes_and_pick_the_regional_rules(tmp_path):
    source = _xlsx(
        tmp_path / "in.xlsx",
        ["企业名称", "所在地区代码", "营业收入(y0)"],
        [["甲公司", 440112, 1000], ["乙公司", 310115, 2000]],
    )
    run(source, tmp_path / "out.csv")
    got = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert got["row_errors"].tolist() == ["", ""]
    assert got["gazelle_ruleset"].str.contains("huangpu|shanghai", regex=True).all(), got[
        "gazelle_ruleset"
    ]
    assert got["所在地区代码"].tolist() == ["440112", "310115"]  # echoed without ".0"


def test_a_date_cell_is_a_date_whatever_else_the_column_holds(tmp_path):
    source = _xlsx(
        tmp_path / "in.xlsx",
        ["企业名称", "成立日期"],
        [["甲公司", dt.datetime(2020, 3, 5)], ["乙公司", "2019-01-02"], ["丙公司", "2020"]],
    )
    run(source, tmp_path / "out.xlsx")
    errors = _errors(tmp_path / "out.xlsx")
    assert errors[0] == "" and errors[1] == ""
    assert "只有年份" in errors[2]  # not 1905-07-12 (Excel serial day 2020)


def test_two_columns_for_one_field_are_refused_naming_both(tmp_path):
    source = _xlsx(
        tmp_path / "in.xlsx", ["企业名称", "revenue_y0", "营业收入(y0)"], [["甲公司", 1, 2]]
    )
    with pytest.raises(BatchError) as caught:
        run(source, tmp_path / "out.xlsx")
    assert "revenue_y0" in caught.value.zh and "营业收入(y0)" in caught.value.zh


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_csv_are_read(tmp_path, sep):
    source = tmp_path / "in.csv"
    _firms(4).to_csv(source, sep=sep, index=False)
    out = tmp_path / "out.csv"
    summary = run(source, out)
    assert summary.rows_in == 4
    expected = run(SAMPLES, tmp_path / "plain.csv")
    got = pd.read_csv(out)["high_tech_status"].tolist()
    assert got == pd.read_csv(tmp_path / "plain.csv")["high_tech_status"].head(4).tolist()
    assert expected.rows_in >= 4


def test_gbk_file_whose_chinese_starts_after_the_first_mebibyte(tmp_path):
    firms = _firms(1)
    head = firms.iloc[[0] * 12_000].assign(name="Ascii Co")  # > 1 MiB of plain ASCII
    tail = firms.assign(name="示例·晚到的中文企业")
    source = tmp_path / "in.csv"
    pd.concat([head, tail]).to_csv(source, index=False, encoding="gbk")
    assert source.stat().st_size > 1 << 20
    summary = run(source, tmp_path / "out.csv")
    assert summary.rows_in == 12_001
    got = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert got["name"].iloc[-1] == "示例·晚到的中文企业"


def test_carriage_returns_and_formula_headers_cannot_become_live_formulas(tmp_path):
    firms = _firms(2)
    firms["备注"] = ["\r=1+2", "line\n=SUM(A1)"]
    firms['=HYPERLINK("http://x","y")'] = ["a", "b"]
    source = _xlsx(tmp_path / "in.xlsx", list(firms.columns), firms.values.tolist())
    run(source, tmp_path / "out.csv")
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as fh:
        records = list(csv.reader(fh))
    assert len(records) == 3  # the header and the two rows: no cell started a record
    for record in records:
        for cell in record:
            assert not cell.startswith(("=", "+", "@", "\r", "\t")), cell
    assert '\'=HYPERLINK("http://x","y")' in records[0]
    run(source, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["评价结果"]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
            assert not str(cell.value or "").startswith("="), cell.value


def _bomb(path: Path, inflated: int = 48 << 20) -> Path:
    """A small valid workbook whose sharedStrings.xml inflates to ``inflated`` bytes while its
    zip headers declare 2 KB (and the CRC of the first 2 KB, so a reader that trusts the
    headers finds nothing wrong)."""
    import zlib

    good = _xlsx(path.with_name("good.xlsx"), ["企业名称"], [["甲公司"]])
    payload = b"<sst>" + b" " * inflated + b"</sst>"
    declared = 2048
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != "xl/sharedStrings.xml":
                zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/sharedStrings.xml", payload)
    raw = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    crc = zlib.crc32(payload[:declared]).to_bytes(4, "little")
    size = declared.to_bytes(4, "little")
    local = info.header_offset
    raw[local + 14 : local + 18] = crc
    raw[local + 22 : local + 26] = size
    # the central directory entry of the member
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        name_len = int.from_bytes(raw[at + 28 : at + 30], "little")
        name = bytes(raw[at + 46 : at + 46 + name_len])
        if name == b"xl/sharedStrings.xml":
            raw[at + 16 : at + 20] = crc
            raw[at + 24 : at + 28] = size
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))
    return path


def test_zip_bomb_with_understated_sizes_is_refused_by_the_bytes_inflated(tmp_path):
    bomb = _bomb(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 200_000
    declared = zipfile.ZipFile(bomb).getinfo("xl/sharedStrings.xml").file_size
    assert declared == 2048
    with pytest.raises(BatchError) as caught:
        list(read_tables(bomb))
    assert "压缩炸弹" in caught.value.zh


def test_last_years_result_is_rescored_with_a_note(tmp_path):
    first = tmp_path / "last_year.xlsx"
    run(SAMPLES, first)
    again = run(first, tmp_path / "this_year.xlsx")
    assert again.rows_in == again.scored + again.rejected > 0
    assert any("已有评价结果列" in note for note in again.notes)
    csv_again = run(first, tmp_path / "this_year.csv")
    assert csv_again.rows_in == again.rows_in
    got = pd.read_csv(tmp_path / "this_year.csv")
    assert list(got.columns).count("high_tech_status") == 1


def test_cells_past_excels_limit_are_cut_and_marked(tmp_path):
    firms = _firms(1)
    firms["说明"] = "长" * 40_000
    source = tmp_path / "in.csv"
    firms.to_csv(source, index=False)
    run(source, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["评价结果"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(2, header.index("说明") + 1).value
    assert len(cell) == XLSX_CELL_CHARS and cell.endswith(CUT_MARK)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_parquet_without_rows_is_a_clear_error(tmp_path, suffix):
    source = tmp_path / "empty.parquet"
    _firms(0).to_parquet(source)
    out = tmp_path / f"out{suffix}"
    with pytest.raises(BatchError) as caught:
        run(source, out)
    assert "没有数据行" in caught.value.zh
    assert not out.exists()


def test_percent_is_a_number_only_in_share_fields(tmp_path):
    firms = _firms(2)
    firms.loc[0, "revenue_y0"] = "5%"
    firms.loc[1, "ip_class1"] = "100%"
    source = tmp_path / "in.csv"
    firms.to_csv(source, index=False)
    run(source, tmp_path / "out.csv")
    errors = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)["row_errors"]
    assert "revenue_y0" in errors[0] or "营业收入" in errors[0]
    assert "不能填百分数" in errors[0] and "不能填百分数" in errors[1]


def test_booleans_are_not_money(tmp_path):
    firms = _firms(1).drop(columns=["revenue_y0"]).assign(revenue_y0=[True])
    source = tmp_path / "in.parquet"
    firms.to_parquet(source)
    run(source, tmp_path / "out.csv")
    errors = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)["row_errors"]
    assert "revenue_y0" in errors[0] or "营业收入" in errors[0]
    with pytest.raises(ValueError):
        Firm(name="甲", revenue_y0=False)  # the JSON API: false is not 0 yuan
    with pytest.raises(ValueError):
        Firm(name="甲", region_code="32")  # nor is "32" a region


# ---- one pipeline: pandas, the service worker and Dask agree ----------------------------


def _hostile_firms() -> pd.DataFrame:
    firms = _firms(6).copy()
    firms.loc[1, "name"] = "【填写说明】每行一家企业"
    firms.loc[2] = ""  # a blank row
    firms.loc[3, "credit_code"] = VALID_CODE
    firms.loc[4, "credit_code"] = VALID_CODE  # a duplicate
    firms.loc[5, "revenue_y0"] = "5%"
    return firms


def _row_outcomes(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return list(
        zip(
            frame["row_status"].astype(str),
            frame["row_errors"].fillna("").astype(str),
            strict=True,
        )
    )


def test_the_same_file_gives_the_same_rows_through_every_pipeline(tmp_path):
    from batch.distributed import run_dask

    source = tmp_path / "in.parquet"
    _hostile_firms().to_parquet(source)
    run(source, tmp_path / "pandas.parquet")
    pandas = pd.read_parquet(tmp_path / "pandas.parquet")
    assert run_dask(source, tmp_path / "dask", workers=1, partition_rows=2) == len(pandas)
    dask = pd.read_parquet(tmp_path / "dask")
    assert _row_outcomes(dask) == _row_outcomes(pandas)
    outcomes = _row_outcomes(pandas)
    assert len(outcomes) == 5  # the template's instruction row is not a firm: left out
    assert outcomes[1] == ("rejected", "空行（无任何数据），未评价")
    assert "统一社会信用代码重复" in outcomes[2][1] and "统一社会信用代码重复" in outcomes[3][1]
    assert "第4、5行" in outcomes[2][1]  # row numbers are still the file's own
    assert "不能填百分数" in outcomes[4][1]
    for col in ("high_tech_status", "tech_sme_score", "next_rung"):
        assert dask[col].astype(str).tolist() == pandas[col].astype(str).tolist(), col


def test_batch_reports_follow_the_batch_options(tmp_path):
    source = tmp_path / "in.csv"
    _firms(2).to_csv(source, index=False)
    options = Options(as_of=dt.date(2026, 3, 1), mode="review")
    summary = run(source, tmp_path / "out.xlsx", options, reports=tmp_path / "r.zip")
    assert summary.reports == 2
    with zipfile.ZipFile(tmp_path / "r.zip") as archive:
        pdf = archive.read(sorted(n for n in archive.namelist() if n.endswith(".pdf"))[0])
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "规则适用日期 2026-03-01" in text and "复核" in text
    sheet = _results(tmp_path / "out.xlsx")
    assert len(sheet) == 2


def test_cli_reports_honour_mode_and_date(tmp_path):
    source = tmp_path / "in.csv"
    _firms(1).to_csv(source, index=False)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tiering.cli",
            "batch",
            str(source),
            "-o",
            str(tmp_path / "o.xlsx"),
            "--reports",
            str(tmp_path / "r.zip"),
            "--mode",
            "review",
            "--as-of",
            "2026-03-01",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TIERING_REPORT_WORKERS": "1"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "r.zip") as archive:
        pdf = archive.read(next(n for n in archive.namelist() if n.endswith(".pdf")))
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout
    assert "复核".encode() in text and b"2026-03-01" in text


def test_csv_output_record_count_matches_rows(tmp_path):
    out = tmp_path / "o.csv"
    summary = run(SAMPLES, out)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.reader(fh))) == summary.rows_in + 1


def _with_error_cell(path: Path, cell: str, error: str = "#DIV/0!") -> Path:
    """Give ``cell`` (a formula written by openpyxl, so without a cached value) the cached
    error result Excel would store."""
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    out = path.with_name("error_" + path.name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(
                    rb'<c r="' + cell.encode() + rb'"><f>(.*?)</f><v\s*/>',
                    rb'<c r="'
                    + cell.encode()
                    + rb'" t="e"><f>\1</f><v>'
                    + error.encode()
                    + b"</v>",
                    data,
                )
            zout.writestr(info, data)
    return out


def test_formula_cells_without_a_value_are_named_not_silently_unknown(tmp_path):
    source = _xlsx(
        tmp_path / "in.xlsx",
        ["企业名称", "营业收入(y0)", "职工总数", "备注"],
        [["甲公司", "=1/0", 50, "=A1"], ["乙公司", "=2*3", 60, ""], ["丙公司", 700, 70, ""]],
        formulas=True,
    )
    source = _with_error_cell(source, "B2")
    run(source, tmp_path / "out.xlsx")
    errors = _errors(tmp_path / "out.xlsx")
    assert "公式结果为错误值（#DIV/0!）" in errors[0] and "营业收入" in errors[0]
    assert "公式未计算" in errors[1] and "营业收入" in errors[1]
    assert errors[2] == ""
    assert "备注" not in errors[0]  # a pass-through column is not scored: nothing to say


def test_the_data_sheet_is_found_behind_an_instructions_sheet(tmp_path):
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes.append(["请在第二个工作表填写企业数据"])
    notes.append(["金额单位：万元"])
    data = wb.create_sheet("名单")
    data.append(["企业名称", "营业收入(y0)(万元)", "职工总数"])
    data.append(["甲公司", 1000, 50])
    wb.save(tmp_path / "in.xlsx")
    summary = run(tmp_path / "in.xlsx", tmp_path / "out.xlsx")
    assert summary.rows_in == summary.scored == 1
    assert "读取的工作表：名单" in summary.notes


def test_xls_date_cells_mixed_with_text_are_dates(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("企业数据")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for col, head in enumerate(["企业名称", "成立日期"]):
        sheet.write(0, col, head)
    sheet.write(1, 0, "甲公司")
    sheet.write(1, 1, dt.datetime(2020, 3, 5), dates)
    sheet.write(2, 0, "乙公司")
    sheet.write(2, 1, "2019-01-02")
    book.save(str(tmp_path / "in.xls"))
    run(tmp_path / "in.xls", tmp_path / "out.xlsx")
    assert _errors(tmp_path / "out.xlsx") == ["", ""]


def test_a_score_that_cannot_be_computed_says_so_and_names_the_inputs(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame(
        [{"name": "甲公司", "fiscal_year": 2025, "employees": 100, "tech_staff": 5}]
    ).to_csv(source, index=False)
    run(source, tmp_path / "out.xlsx", all_gaps=True)
    gaps = pd.read_excel(tmp_path / "out.xlsx", sheet_name="差距明细", dtype=object)
    score = gaps[(gaps["梯度"] == "科技型中小企业") & (gaps["规则"] == "pass_mark")]["说明"]
    assert len(score) == 1
    text = score.iloc[0]
    assert "nan" not in text and "得分暂无法计算" in text and "研发费用(y0)" in text
