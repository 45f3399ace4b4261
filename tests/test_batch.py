"""The spreadsheet batch on real files made here: every row ends scored or rejected."""

import contextlib
import subprocess
import sys
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from batch import BatchError, Limits, read_tables, run, write_template
from batch.template import template_header
from batch.writers import output_label
from scoring import OUTPUT_COLUMNS, assess_frame
from scoring.fields import ENUMS, FIELDS
from scoring.formatting import ENUM_ZH
from scoring.vocabulary import LADDER_NAMES
from tests.conftest import ROOT

SAMPLES = ROOT / "data" / "sample_firms.csv"


def _samples() -> pd.DataFrame:
    return pd.read_csv(SAMPLES, dtype=str, keep_default_na=False)


def _sheet(path, name):
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    return pd.DataFrame(rows[1:], columns=rows[0])


def _xlsx(path, rows, *, title=None, formulas=None):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("企业数据")
    r = 0
    if title:
        ws.merge_range(0, 0, 0, 3, title)
        r = 1
    for row in rows:
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
        r += 1
    for (fr, fc), (formula, cached) in (formulas or {}).items():
        ws.write_formula(fr, fc, formula, None, cached)
    wb.close()


def test_xlsx_with_wan_yuan_headers_title_row_and_blank_rows(tmp_path):
    source = tmp_path / "in.xlsx"
    _xlsx(
        source,
        [
            ["企业名称", "营业收入（y0）（万元）", "研发费用(y0)(千元)", "职工总数", "备注"],
            ["甲公司", 1234.5, 600, 100, "保留"],
            [None, None, None, None, None],
            ["乙公司", "1,000", "abc", 50, None],
        ],
        title="2025年度企业名单（合并单元格标题）",
    )
    (table,) = read_tables(source)
    assert table.header_row == 1
    assert [c.field for c in table.columns] == [
        "name",
        "revenue_y0",
        "rd_expense_y0",
        "employees",
        None,
    ]
    out = tmp_path / "out.xlsx"
    summary = run(source, out)
    assert (summary.rows_in, summary.scored, summary.rejected) == (3, 2, 1)
    results = _sheet(out, "评价结果")
    assert results["备注"].tolist()[0] == "保留"  # unknown columns pass through
    rejected = _sheet(out, "未评价行")
    assert rejected["行号"].tolist() == [4]  # sheet row of the blank row
    assert "空行" in rejected["未评价原因"][0]
    errors = results["数据问题\nrow_errors"].tolist()
    assert "rd_expense_y0" in errors[2] and "不是有效数字" in errors[2]


def test_row_numbers_count_leading_empty_rows_and_late_text_is_kept(tmp_path):
    """Data starting on sheet row 4, and a text cell far below the rows a reader samples for
    types: the message names the real sheet row and the text is reported, not dropped."""
    source = tmp_path / "in.xlsx"
    wb = xlsxwriter.Workbook(str(source))
    ws = wb.add_worksheet("企业数据")
    ws.write_row(3, 1, ["企业名称", "职工总数"])
    for i in range(1500):
        ws.write_row(4 + i, 1, [f"公司{i}", 10 + i])
    ws.write(4 + 1400, 2, "约两百人")
    wb.close()
    (table,) = read_tables(source)
    assert table.header_row == 3
    out = tmp_path / "out.xlsx"
    run(source, out)
    results = _sheet(out, "评价结果")
    assert results["职工总数"].tolist()[1400] == "约两百人"
    assert "employees" in results["数据问题\nrow_errors"].tolist()[1400]
    assert table.sheet_rows().tolist()[1400] == 4 + 1400 + 1  # 1-based row in the file


def test_legacy_xls_with_title_row_reads_like_xlsx(tmp_path):
    import xlwt

    source = tmp_path / "in.xls"
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("企业数据")
    ws.write(1, 0, "企业名单（旧版Excel）")
    for c, h in enumerate(["企业名称", "营业收入（y0）（万元）", "职工总数"]):
        ws.write(2, c, h)
    for c, v in enumerate(["甲公司", 1234.5, 100]):
        ws.write(3, c, v)
    book.save(str(source))
    (table,) = read_tables(source)
    assert table.format == "xls" and table.header_row == 2
    assert table.sheet_rows().tolist() == [4]
    summary = run(source, tmp_path / "out.xlsx")
    assert (summary.rows_in, summary.scored, summary.rejected) == (1, 1, 0)
    (scored,) = read_tables(tmp_path / "out.xlsx")
    assert scored.data["营业收入（y0）（万元）"].tolist() == [1234.5]


def test_units_convert_to_yuan(tmp_path):
    source = tmp_path / "in.xlsx"
    _xlsx(
        source,
        [
            ["企业名称", "营业收入(y0)(万元)", "研发费用(y0)(千元)", "细分市场占有率(%)"],
            ["甲", 1234.5, 600, 12.5],
        ],
    )
    (table,) = read_tables(source)
    scales = {c.field: c.scale for c in table.columns}
    assert scales == {
        "name": 1.0,
        "revenue_y0": 1e4,
        "rd_expense_y0": 1e3,
        "niche_market_share": 0.01,
    }


def test_formulas_are_not_evaluated_and_cached_values_are_used(tmp_path):
    source = tmp_path / "in.xlsx"
    _xlsx(
        source,
        [["企业名称", "职工总数", "科技人员数"], ["甲", None, None]],
        formulas={(1, 1): ("=50+50", 100), (1, 2): ('=HYPERLINK("http://127.0.0.1")', "x")},
    )
    (table,) = read_tables(source)
    assert table.data.iloc[0].tolist() == ["甲", 100.0, "x"]
    summary = run(source, tmp_path / "out.xlsx")
    assert summary.scored == 1


def test_duplicate_credit_codes_are_flagged_and_still_scored(tmp_path):
    source = tmp_path / "dup.csv"
    source.write_text(
        "企业名称,统一社会信用代码\n甲,91350100M000100Y43\n乙,91350100M000100Y43\n丙,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    summary = run(source, out)
    assert summary.scored == 3
    result = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert "重复" in result.loc[0, "row_errors"] and "第2、3行" in result.loc[0, "row_errors"]
    assert result.loc[2, "row_errors"] == ""


def test_bom_csv_and_gbk_csv_read_the_same(tmp_path):
    text = "企业名称,职工总数,科技人员数\n甲公司,100,30\n"
    bom, gbk = tmp_path / "bom.csv", tmp_path / "gbk.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    gbk.write_bytes(text.encode("gbk"))
    (a,), (b,) = read_tables(bom), read_tables(gbk)
    assert a.encoding == "utf-8-sig" and b.encoding == "gb18030"
    pd.testing.assert_frame_equal(a.data, b.data)


def test_parquet_input(tmp_path):
    df = _samples().head(10)
    source = tmp_path / "in.parquet"
    df.to_parquet(source)
    out = tmp_path / "out.csv"
    summary = run(source, out)
    assert summary.rows_in == 10
    expected = assess_frame(df)
    got = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert got["high_tech_status"].tolist() == expected["high_tech_status"].astype(str).tolist()


def _zip_bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", "<a>" + "0" * 50_000_000 + "</a>")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_zip_bomb, "压缩"),
        (lambda p: p.write_bytes(b""), "文件为空"),
        (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 40), "损坏"),
        (lambda p: p.write_text("a,b,c\n1,2,3\n", encoding="utf-8"), "未找到可识别的表头"),
        (lambda p: p.write_bytes(bytes(range(256)) * 10), "编码"),
    ],
    ids=["zip bomb", "empty", "truncated xlsx", "no header", "binary junk"],
)
def test_unreadable_files_are_clear_errors(tmp_path, make, message):
    source = tmp_path / ("in.xlsx" if "bomb" in str(make) or message == "损坏" else "in.csv")
    make(source)
    with pytest.raises(BatchError) as info:
        run(source, tmp_path / "out.xlsx")
    assert message in info.value.zh
    cli = subprocess.run(
        [sys.executable, "-m", "tiering.cli", "batch", str(source), "-o", str(tmp_path / "o.xlsx")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert cli.returncode == 2
    assert message in cli.stderr and "Traceback" not in cli.stderr


def test_row_limit(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("企业名称\n" + "甲\n" * 11, encoding="utf-8")
    with pytest.raises(BatchError, match="行数超过上限"):
        run(source, tmp_path / "out.csv", limits=Limits(max_rows=10))


def test_xlsx_gives_numbers_as_numbers_and_row_numbers_as_integers(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "企业名称,统一社会信用代码,职工总数,营业收入(y0),地区代码\n"
        "甲公司,91330106MA2F0001X,50,1000000,330106\n"
        ",91330106MA2F0002X,30,一百万,330106\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.xlsx"
    run(source, out)
    results = pd.read_excel(out, sheet_name="评价结果", engine="openpyxl")
    assert results["职工总数"].tolist() == [50, 30]  # numbers a spreadsheet can sum
    assert results["营业收入(y0)"].tolist() == [1000000, "一百万"]  # unreadable text kept
    wb = openpyxl.load_workbook(out)
    rejected = wb["未评价行"]
    header = [c.value for c in rejected[1]]
    row = {h: c.value for h, c in zip(header, rejected[2], strict=True)}
    # xlsx keeps every number as a double; the row number is a number shown as a whole one
    assert row["行号"] == 3 and rejected["A2"].number_format == "0"
    assert row["职工总数"] == 30 and not isinstance(row["职工总数"], str)
    # codes are not numbers: the region code and the credit code stay text as written
    assert wb["评价结果"]["E2"].value == "330106" and row["统一社会信用代码"] == "91330106MA2F0002X"


def test_xlsx_output_is_safe_and_complete(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "企业名称,统一社会信用代码,备注\n=1+2,,@SUM(A1)\n-公司,,+86 10\n", encoding="utf-8"
    )
    out = tmp_path / "out.xlsx"
    run(source, out)
    with zipfile.ZipFile(out) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(zf.read(n).decode("utf-8") for n in sheets)
    assert "<f>" not in xml  # no formula anywhere
    assert "conditionalFormatting" in xml and "autoFilter" in xml and 'state="frozen"' in xml
    results = _sheet(out, "评价结果")
    assert results["企业名称"].tolist() == ["'=1+2", "'-公司"]
    assert results["备注"].tolist() == ["'@SUM(A1)", "'+86 10"]
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["评价结果", "未评价行", "差距明细", "临近门槛", "汇总"]
    for name in book.sheet_names:  # no stray index column on any sheet
        assert not any(str(h).startswith("__") for h in book.get_sheet_by_name(name).to_python()[0])
    summary = _sheet(out, "汇总")
    assert "一致" in summary["数值"].astype(str).tolist()
    # readiness columns with Chinese headers, and the model (trained on simulated data) named
    assert "高新技术企业·12个月内晋级概率\nhigh_tech_readiness" in results.columns
    assert "高新技术企业·24个月内晋级概率\nhigh_tech_readiness_24m" in results.columns
    model = results["晋级概率模型版本\nreadiness_model"].astype(str)
    assert model.str.contains("基于模拟数据训练").all()
    assert summary["项目"].astype(str).str.startswith("晋级概率模型").any()


def test_gaps_sheet_lists_the_least_change(tmp_path):
    out = tmp_path / "out.xlsx"
    run(SAMPLES, out)
    gaps = _sheet(out, "差距明细")
    assert {"行号", "企业名称", "梯度", "规则", "最少变动", "说明"} <= set(gaps.columns)
    edge = gaps[
        (gaps["企业名称"] == "示例·星河光电技术有限公司（差一点）") & (gaps["规则"] == "rd_ratio")
    ]
    assert len(edge) == 1
    assert edge["最少变动"].iloc[0] == pytest.approx(10_000)  # one more CNY 10,000 over 3 years
    assert "研发费用" in edge["说明"].iloc[0]


def test_gap_sheet_covers_next_rung_and_near_ladders_and_all_gaps_covers_every_failure(
    tmp_path,
):
    """Default gap sheet: per firm, its next rung not yet met plus ladders one rule short.
    --all-gaps: every failed rule of every ladder, checked against the results' failed lists."""
    run(SAMPLES, tmp_path / "focus.xlsx")
    run(SAMPLES, tmp_path / "all.xlsx", all_gaps=True)
    focus = _sheet(tmp_path / "focus.xlsx", "差距明细")
    every = _sheet(tmp_path / "all.xlsx", "差距明细")
    assert 0 < len(focus) < len(every)
    zh = {v: k for k, v in {k: LADDER_NAMES[k][0] for k in LADDER_NAMES}.items()}
    scored = assess_frame(_samples())
    for _, firm in scored.iterrows():
        if firm["row_status"] != "scored":
            continue
        name = firm["name"]
        listed = {zh[x] for x in focus.loc[focus["企业名称"] == name, "梯度"]}
        near = {
            zh[x]
            for x in focus.loc[(focus["企业名称"] == name) & (focus["临近门槛"] == "是"), "梯度"]
        }
        allowed = near | {_first_unmet_rung(firm)}
        assert listed <= allowed, (name, listed, allowed)
        for ladder in LADDER_NAMES:
            failed = {r for r in str(firm[f"{ladder}_failed"]).split(";") if r}
            rules = set(
                every.loc[
                    (every["企业名称"] == name) & (every["梯度"] == LADDER_NAMES[ladder][0]), "规则"
                ]
            )
            assert failed == rules, (name, ladder, failed, rules)


def _first_unmet_rung(firm) -> str | None:
    """The first ladder on the path not held, not barred by a size or industry ceiling, not met."""
    from scoring.rulesets import load_all
    from scoring.vocabulary import PATH

    ceilings = {r.id for rs in load_all() for r in rs.gates if r.spec.ceiling}
    held = {"tech_sme": "is_tech_sme", "high_tech": "is_high_tech", "srdi_sme": "is_srdi_sme"}
    for ladder in PATH:
        if firm.get(held.get(ladder, ""), "") in ("1", "是"):
            continue
        if not any(k.startswith(ladder) for k in str(firm["criteria_version"]).split(";")):
            continue  # no rule set applies (e.g. an expired regional round): nothing to aim at
        failed = set(str(firm[f"{ladder}_failed"]).split(";"))
        if firm[f"{ladder}_status"] != "eligible" and not failed & ceilings:
            return ladder
    return None


def test_near_threshold_sheet_lists_firms_one_small_step_short(tmp_path):
    out = tmp_path / "out.xlsx"
    summary = run(SAMPLES, out, all_gaps=True)
    near = _sheet(out, "临近门槛")
    assert list(near.columns) == ["行号", "企业名称", "梯度", "未满足规则", "距门槛（%）", "还差"]
    edge = near[near["企业名称"] == "示例·星河光电技术有限公司（差一点）"]
    assert edge["未满足规则"].tolist() == ["rd_ratio"] and "1.00万元" in edge["还差"].iloc[0]
    summary_sheet = _sheet(out, "汇总")
    count = summary_sheet.loc[summary_sheet["项目"].str.startswith("临近门槛企业数"), "数值"]
    assert int(count.iloc[0]) == summary.near_any == near["企业名称"].nunique() > 0
    # every listed (firm, ladder) is ineligible with exactly that one rule failing
    scored = assess_frame(_samples()).set_index("name")
    gaps = _sheet(out, "差距明细")
    for _, row in near.iterrows():
        ladder = next(k for k, v in LADDER_NAMES.items() if v[0] == row["梯度"])
        firm = scored.loc[row["企业名称"]]
        assert firm[f"{ladder}_status"] == "ineligible"
        assert firm[f"{ladder}_failed"] == row["未满足规则"]
        flagged = gaps[(gaps["企业名称"] == row["企业名称"]) & (gaps["梯度"] == row["梯度"])]
        assert (flagged["临近门槛"] == "是").all()
    # a single failed rule that is not listed is far by every measure, in every way through
    from scoring.rulesets import load_all

    ceilings = {r.id for rs in load_all() for r in rs.gates if r.spec.ceiling}
    listed = set(zip(near["企业名称"], near["梯度"], strict=True))
    unlisted = 0
    for name, firm in scored.iterrows():
        for k, (zh, *_) in LADDER_NAMES.items():
            rule = firm[f"{k}_failed"]
            if firm[f"{k}_status"] != "ineligible" or ";" in rule or rule in ceilings:
                continue
            if (name, zh) in listed:
                continue
            unlisted += 1
            rows = gaps[(gaps["企业名称"] == name) & (gaps["梯度"] == zh)]
            for _, way in rows.groupby(rows["可选方案"].astype(str)):
                unit, change = way["单位"], way["最少变动"].replace("", np.nan).astype(float).abs()
                cur, tgt = (
                    way["当前值"].replace("", np.nan).astype(float),
                    way["门槛"].replace("", np.nan).astype(float),
                )
                share = ((tgt - cur).abs() / tgt.abs()).fillna(np.inf)
                close = (
                    ((unit == "points") & (change < 10))
                    | (unit.isin(["items", "persons"]) & (change <= 1))
                    | ((unit != "points") & (share <= 0.2))
                )
                assert not close.all(), (name, k, way.to_dict("records"))
    assert unlisted > 0


def _fill_template(path, df):
    wb = openpyxl.load_workbook(path)
    ws = wb["企业数据"]
    headers = [c.value for c in ws[1]]
    columns = {template_header(name): name for name in FIELDS}
    for r, (_, firm) in enumerate(df.iterrows(), start=4):
        for c, header in enumerate(headers, start=1):
            name = columns[header]
            value = firm.get(name, "")
            if value in ("", None):
                continue
            spec = FIELDS[name]
            if spec.type == "money":
                with contextlib.suppress(ValueError):  # deliberate text errors stay text
                    value = float(value) / 1e4
            elif spec.type == "bool":
                value = {"1": "是", "0": "否"}.get(value, value)
            elif name in ENUMS:
                value = ENUM_ZH.get(value, value)
            elif spec.unit == "ratio":
                value = float(value) * 100
            ws.cell(row=r, column=c, value=value)
    wb.save(path)


def test_template_round_trip_scores_like_the_csv(tmp_path):
    template = tmp_path / "模板.xlsx"
    write_template(template)
    df = _samples()
    _fill_template(template, df)
    out = tmp_path / "out.xlsx"
    summary = run(template, out)
    # the notes and example rows are not firms: left out, named in the summary, not counted
    assert summary.rows_in == len(df)
    assert "第2、3行是模板的填写说明或示例，已略过（不计入输入行）" in summary.notes
    results = _sheet(out, "评价结果")
    assert not results["企业名称"].astype(str).str.startswith(("【填写说明】", "【示例】")).any()
    expected = assess_frame(df)
    for ladder in ("tech_sme", "high_tech", "srdi_sme", "gazelle", "little_giant"):
        score = results[output_label(f"{ladder}_score")].replace("", np.nan).astype(float)
        pd.testing.assert_series_equal(
            score, expected[f"{ladder}_score"].astype(float), check_names=False, atol=1e-9
        )
        failed = results[output_label(f"{ladder}_failed")].tolist()
        assert failed == expected[f"{ladder}_failed"].astype(str).tolist()


def test_template_has_dropdowns_notes_and_an_example(tmp_path):
    template = tmp_path / "t.xlsx"
    write_template(template)
    wb = openpyxl.load_workbook(template)
    ws = wb["企业数据"]
    assert ws.cell(1, 1).value == "企业名称"
    assert ws.cell(2, 1).value.startswith("【填写说明】")
    assert ws.cell(3, 1).value.startswith("【示例】")
    headers = [c.value for c in ws[1]]
    assert "营业收入(y0)(万元)" in headers
    sources = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"是,否"' in sources
    assert any("省级" in (s or "") for s in sources)


def test_dask_engine_matches_the_pandas_path(tmp_path):
    from batch.distributed import run_dask

    df = pd.concat([_samples()] * 3, ignore_index=True)
    source = tmp_path / "in.parquet"
    df.to_parquet(source, row_group_size=40)
    output = tmp_path / "out.parquet"
    rows = run_dask(source, output, workers=1, partition_rows=40)
    assert rows == len(df)
    got = pd.read_parquet(output)
    expected = assess_frame(df)
    for col in (
        "row_status",
        "high_tech_status",
        "high_tech_failed",
        "tech_sme_missing",
        "gazelle_ruleset",
        "next_rung",
        "criteria_version",
    ):
        assert got[col].tolist() == expected[col].astype(str).tolist(), col
    for col in ("tech_sme_score", "high_tech_score", "srdi_sme_score"):
        pd.testing.assert_series_equal(got[col], expected[col], check_names=False)


def test_dask_engine_matches_pandas_on_100000_synthetic_firms(tmp_path):
    from batch.distributed import run_dask
    from bench.synthetic import synthetic_firms

    df = synthetic_firms(100_000, seed=7)
    source = tmp_path / "synthetic.parquet"
    df.to_parquet(source, row_group_size=25_000)
    output = tmp_path / "out.parquet"
    assert run_dask(source, output, workers=2) == len(df)
    got = pd.read_parquet(output)
    expected = assess_frame(df)
    for col in OUTPUT_COLUMNS:
        if col.endswith(("_score", "_worth_yearly", "_worth_once")):
            pd.testing.assert_series_equal(got[col], expected[col], check_names=False)
        else:
            assert (got[col].to_numpy() == expected[col].astype(str).to_numpy()).all(), col


def test_streamed_csv_in_small_chunks_gives_the_same_file(tmp_path):
    whole, chunked = tmp_path / "whole.csv", tmp_path / "chunked.csv"
    run(SAMPLES, whole)
    run(SAMPLES, chunked, chunk_rows=4)
    assert whole.read_bytes() == chunked.read_bytes()


def test_parquet_output_streams_chunks(tmp_path):
    out = tmp_path / "out.parquet"
    summary = run(SAMPLES, out, chunk_rows=5)
    got = pd.read_parquet(out)
    assert len(got) == summary.rows_in == len(_samples())
    assert (
        got["high_tech_status"].tolist()
        == assess_frame(_samples())["high_tech_status"].astype(str).tolist()
    )
