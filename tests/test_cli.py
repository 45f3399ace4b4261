"""The tiering command line, run as a user runs it (a real process, real files)."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from scoring import OUTPUT_COLUMNS
from scoring.readiness.predict import READINESS_COLUMNS
from tests.conftest import ROOT

EXAMPLE = ROOT / "data" / "example_firm.json"


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "tiering.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=ROOT,
        timeout=120,
    )


def test_assess_prints_the_verdict_in_chinese():
    out = run("assess", str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    assert "科技型中小企业" in out.stdout and "高新技术企业" in out.stdout
    assert "下一目标" in out.stdout
    assert "还差" in out.stdout


def test_assess_in_english():
    out = run("assess", str(EXAMPLE), "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "High-tech enterprise" in out.stdout and "Next rung" in out.stdout


def test_assess_json_is_the_full_result():
    out = run("assess", str(EXAMPLE), "--json")
    data = json.loads(out.stdout)
    assert set(data["ladders"]) == {
        "tech_sme",
        "innovative_sme",
        "high_tech",
        "srdi_sme",
        "gazelle",
        "little_giant",
    }
    trace = data["ladders"]["high_tech"]["trace"]
    assert all("source" in t for t in trace)


def test_assess_from_stdin_and_review_mode():
    firm = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    out = run("assess", "-", "--json", "--mode", "review", stdin=json.dumps(firm))
    assert json.loads(out.stdout)["mode"] == "review"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "不是有效的JSON"),
        ("[1, 2]", "企业数据应为键值对象"),
        ('{"revenue_y0": 1}', "缺少企业名称"),
        ('{"name": "甲", "revenu": 1}', "未知字段"),
    ],
)
def test_assess_bad_input_is_a_clear_error(payload, message):
    out = run("assess", "-", stdin=payload)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_assess_refuses_an_impossible_value_unless_lenient():
    firm = json.loads(EXAMPLE.read_text(encoding="utf-8")) | {"employees": -5}
    out = run("assess", "-", stdin=json.dumps(firm))
    assert out.returncode == 2 and "职工总数" in out.stderr and "不能为负数" in out.stderr
    lenient = run("assess", "-", "--json", "--lenient", stdin=json.dumps(firm))
    assert lenient.returncode == 0
    issues = json.loads(lenient.stdout)["input_issues"]
    assert [(i["field"], i["severity"]) for i in issues] == [("employees", "error")]


def test_batch_writes_the_output_contract(tmp_path):
    target = tmp_path / "out.csv"
    out = run("batch", str(ROOT / "data" / "sample_firms.csv"), "-o", str(target))
    assert out.returncode == 0, out.stderr
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM so Excel opens it as UTF-8
    result = pd.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    source = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    # the output contract, then the readiness columns (the shipped model is current)
    assert list(result.columns) == list(source.columns) + OUTPUT_COLUMNS + READINESS_COLUMNS
    assert len(result) == len(source)
    assert (result["name"] == source["name"]).all()  # input order kept
    scored = (result["row_status"] == "scored").sum()
    rejected = (result["row_status"] == "rejected").sum()
    assert scored + rejected == len(source)
    assert f"已评价 {scored} 行 + 未评价 {rejected} 行" in out.stdout


def test_batch_reads_gbk_and_neutralises_formulas(tmp_path):
    source = tmp_path / "gbk.csv"
    text = (
        "name,employees,tech_staff,industry_code\n=1+2甲公司,100,30,@SUM(A1)\n乙公司,50,abc,C3484\n"
    )
    source.write_bytes(text.encode("gbk"))
    target = tmp_path / "out.csv"
    out = run("batch", str(source), "-o", str(target))
    assert out.returncode == 0, out.stderr
    result = pd.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert result.loc[0, "name"] == "'=1+2甲公司"
    assert result.loc[0, "industry_code"] == "'@SUM(A1)"
    assert "tech_staff" in result.loc[1, "row_errors"]


def test_batch_unreadable_file_exits_non_zero(tmp_path):
    out = run("batch", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv"))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_criteria_list_and_show():
    listed = run("criteria", "list", "--as-of", "2026-07-01")
    assert listed.returncode == 0
    assert "high_tech@2016" in listed.stdout and "gazelle/shandong@2023" in listed.stdout
    shown = run("criteria", "show", "high_tech")
    assert "第十一条（五）" in shown.stdout and "rd_ratio" in shown.stdout
    regional = run("criteria", "show", "gazelle/liaoning")
    assert "辽宁" in regional.stdout
    missing = run("criteria", "show", "gazelle/atlantis")
    assert missing.returncode == 2
