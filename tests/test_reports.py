"""PDF reports, checked as a reader would: pdftotext finds what the result says, pdffonts shows
the fonts embedded, and hostile input stays text, fetches nothing and attaches nothing."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import subprocess
import threading

import pandas as pd
import pytest

import reports
import scoring
from batch import run
from reports.render import STATIC, ReportError, _fetcher_class, render_isolated
from scoring.explain import review_summary
from scoring.fields import FIELDS
from scoring.vocabulary import FREE_FILING_ZH, PATH
from tests.conftest import ROOT, TODAY
from tiering.cli import main

SAMPLES = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
EXAMPLE = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))
STATUS = {
    "eligible": "符合",
    "ineligible": "不符合",
    "undetermined": "待定（缺数据）",
    "manual_review": "需人工审核",
}
DAY = dt.date(2026, 11, 24)


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_pages(path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", out.stdout).group(1))


def fonts(path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    return [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]


@pytest.fixture(scope="module")
def example_pdf(tmp_path_factory):
    result = scoring.assess(EXAMPLE, today=TODAY)
    path = tmp_path_factory.mktemp("r") / "example.pdf"
    path.write_bytes(reports.firm_report_pdf(result, DAY))  # the isolated worker process
    return result, path


def test_the_firm_report_says_what_the_result_says(example_pdf):
    result, path = example_pdf
    text = squeeze(pdf_text(path))
    assert "企业梯度培育诊断报告" in text and squeeze(result.name) in text
    assert result.credit_code in text and result.input_hash[:12] in text
    assert result.readiness.model_version in text and "基于模拟数据训练" in text
    for key in PATH:
        ladder = result.ladders[key]
        assert squeeze(ladder.name_zh) in text
        if ladder.score is not None:
            assert f"{ladder.score:g}分" in text or f"{ladder.score:g}/100" in text, key
    # every rule cites "[n] article", and the documents list gives [n] as that very document
    listed = text[text.index("附录二") :]
    for key in PATH:
        for entry in result.ladders[key].trace:
            number, _, article = entry.source.partition(" ")
            cited = re.findall(r"\[(\d+)\]" + re.escape(squeeze(article)), text)
            assert cited, entry.source
            document = re.escape(squeeze(number))
            assert any(re.search(rf"\[{n}\]{document}", listed) for n in cited), entry.source
    assert "不是任何主管部门的认定结论" in text  # the disclaimer
    assert 4 <= pdf_pages(path) <= 10  # every rule, the worth lines and the calendar


def test_the_report_gives_amounts_in_their_units_and_the_band_reached(example_pdf):
    result, path = example_pdf
    text = squeeze(pdf_text(path))
    share = next(g for g in result.ladders["little_giant"].gaps if g.unit == "ratio")
    assert f"+{share.change * 100:.2f}个百分点" in text  # a share in points, not "0.04 ratio"
    money = next(g for g in result.ladders["little_giant"].gaps if g.unit == "CNY")
    assert f"+{money.change / 1e4:,.2f}万元" in text
    staff = next(t for t in result.ladders["tech_sme"].trace if t.rule_id == "tech_staff")
    assert squeeze(f"本档{staff.band_zh}上一档{staff.next_band_zh}") in text
    assert "科技人员" in text and "技术先进程度" in text  # radar axes by their short names
    direct = [t for t in result.ladders["tech_sme"].trace if t.kind == "direct"]
    assert direct and all("【直通】" + t.zh[:8] in text for t in direct)  # marked as routes
    conversions = next(t for t in result.ladders["high_tech"].trace if t.rule_id == "conversions")
    assert conversions.value_zh == "2.33"  # an average of counts, not 2.33333


def test_fonts_are_embedded_subset_and_one_cjk_family(example_pdf):
    _, path = example_pdf
    rows = fonts(path)
    assert rows, "no fonts listed"
    for row in rows:
        name, emb, sub = row[0], row[-5], row[-4]
        assert emb == "yes" and sub == "yes", row
        assert "Noto-Sans-CJK-SC" in name, row  # one family, no fallback font
    assert len(rows) == 1, rows  # and one weight: a second one would embed a second subset


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_every_sample_firm_gets_its_own_statuses_and_scores(index, tmp_path):
    firm = {k: v for k, v in SAMPLES.iloc[index].items() if v != ""}
    if "name" not in firm:
        pytest.skip("a row without a name is rejected, never reported")
    result = scoring.assess(firm, today=TODAY)
    path = tmp_path / "r.pdf"
    path.write_bytes(reports.firm_report_pdf(result, DAY, isolated=False))
    text = squeeze(pdf_text(path))
    assert squeeze(result.name) in text
    summary = text[text.index("一、总体情况") :]
    for key in PATH:
        ladder = result.ladders[key]
        status = STATUS[ladder.status]
        assert squeeze(ladder.name_zh) + status in summary or (
            ladder.held and squeeze(ladder.name_zh) + "已获得" in summary
        ), (key, status)
        if ladder.score is not None:
            assert f"{ladder.score:g}" in summary, key
        if ladder.status == "manual_review":  # says what waits for a person, and where
            assert squeeze(review_summary(ladder))[:40] in text, key
        if ladder.expert_note_zh:
            assert squeeze(ladder.expert_note_zh) in text, key
    for warning in result.warnings:  # every warning, whole
        assert squeeze(warning.zh) in text, warning.id
    assert "规则最近一次与原文核对" in text and squeeze(FREE_FILING_ZH)[:30] in text
    if result.materials:  # what to prepare for the next rung
        assert squeeze(f"申报{result.materials.name_zh}需准备的材料") in text
    for key in PATH:  # what each rung is worth
        assert squeeze(result.ladders[key].worth.summary_zh) in text, key
    assert 4 <= pdf_pages(path) <= 10  # every rule of six ladders and the calendar: 4-10 pages


HOSTILE = [
    '<img src="file:///etc/passwd">',
    "<link rel=attachment href=file:///etc/passwd>",
    "<script>alert(1)</script>",
]


@pytest.fixture
def counting_server():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()


def test_hostile_names_render_as_text_fetch_nothing_and_attach_nothing(counting_server, tmp_path):
    port, hits = counting_server
    url = f"http://127.0.0.1:{port}/steal.png"
    name = "".join(HOSTILE) + f'<img src="{url}">' + f"<link rel=stylesheet href={url}>"
    result = scoring.assess({**EXAMPLE, "name": "恶意" + name}, today=TODAY)
    path = tmp_path / "hostile.pdf"
    path.write_bytes(reports.firm_report_pdf(result, DAY))
    text = squeeze(pdf_text(path))
    for piece in HOSTILE:
        assert squeeze(piece) in text, piece  # shown literally
    assert "root:x:0:0" not in text  # /etc/passwd was not read into the document
    assert hits == []  # no request reached the local server
    listed = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True)
    assert listed.stdout.strip().startswith("0 embedded files"), listed.stdout


def test_the_fetcher_serves_only_data_uris_and_the_reports_static_files():
    fetcher = _fetcher_class()()
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x", "https://example.com/a.css"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    with pytest.raises(ValueError):
        fetcher.fetch((STATIC / ".." / "render.py").as_uri())  # a way out of static/
    assert fetcher.fetch("data:text/plain,hello") is not None
    assert fetcher.fetch((STATIC / "report.css").as_uri()) is not None


def test_a_render_past_its_time_limit_fails_cleanly_and_the_next_one_works(example_pdf):
    result, _ = example_pdf
    html = reports.firm_report_html(result, DAY)
    slow = html.replace("<body>", "<body>" + "<table><tr><td>x</td></tr></table>" * 20000)
    with pytest.raises(ReportError):
        render_isolated(slow, timeout=0.5)
    assert render_isolated(html).startswith(b"%PDF")


def test_pool_report_from_a_batch_workbook_and_the_command_line(tmp_path):
    results = tmp_path / "results.xlsx"
    run(ROOT / "data" / "sample_firms.csv", results)
    output = tmp_path / "pool.pdf"
    assert main(["report", "--pool", str(results), "--region", "示例区", "-o", str(output)]) == 0
    text = squeeze(pdf_text(output))
    assert "区域科技企业梯度培育分析报告" in text and "示例区" in text
    scored = scoring.assess_frame(SAMPLES.replace("", None))
    scored = scored[scored["row_status"] == "scored"]
    eligible = int((scored["high_tech_status"] == "eligible").sum())
    table = text[text.index("一、各梯度分布") :]
    assert f"高新技术企业{eligible}" in table
    assert "优先走访企业" in text and "最常见的差距" in text
    assert "基于模拟数据训练" in text


def test_firm_report_from_the_command_line(tmp_path):
    output = tmp_path / "firm.pdf"
    assert main(["report", str(ROOT / "data" / "example_firm.json"), "-o", str(output)]) == 0
    assert output.read_bytes().startswith(b"%PDF")
    assert main(["report", "-o", str(output)]) == 2  # neither a firm nor a pool
    not_results = ["report", "--pool", str(ROOT / "data" / "sample_firms.csv"), "-o", str(output)]
    assert main(not_results) == 2  # an input sheet, not results: a clear error


def test_every_character_has_a_glyph_in_the_one_font(example_pdf):
    """Nothing in the report falls back to another font or to a missing glyph: every
    character of its text is in Noto Sans CJK SC."""
    from fontTools.ttLib import TTCollection

    _, path = example_pdf
    collection = TTCollection("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    face = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    cmap = face.getBestCmap()
    text = pdf_text(path)
    assert len(text) > 2000
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in cmap})
    assert missing == [], missing


def test_batch_writes_one_report_per_scored_firm_into_a_zip(tmp_path):
    import zipfile

    source = tmp_path / "firms.csv"
    source.write_text(
        "企业名称,营业收入(y0)(万元),职工总数\n"
        '=HYPERLINK("http://x"),5000,120\n'
        ",,\n"  # a blank row: rejected by the batch, no report
        "../../etc/passwd,300,12\n",
        encoding="utf-8",
    )
    target = tmp_path / "reports.zip"
    args = ["batch", str(source), "-o", str(tmp_path / "out.xlsx"), "--reports", str(target)]
    assert main(args) == 0
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        assert names == ["000002.pdf", "000004.pdf", "目录.csv"]  # rows, never user text
        index = archive.read("目录.csv").decode("utf-8-sig")
        assert "'=HYPERLINK" in index  # no live formula when the index opens in Excel
        (tmp_path / "r.pdf").write_bytes(archive.read("000004.pdf"))
    assert "../../etc/passwd" in pdf_text(tmp_path / "r.pdf")


def test_a_firm_with_little_data_is_told_what_to_fill_in(tmp_path):
    result = scoring.assess({"name": "只有名称的企业", "fiscal_year": 2025}, today=TODAY)
    path = tmp_path / "little.pdf"
    path.write_bytes(reports.firm_report_pdf(result, DAY, isolated=False))
    text = squeeze(pdf_text(path))
    plan = text[text.index("差距与行动计划") : text.index("各梯度逐条评价")]
    assert "补全以下数据后才能判断" in plan
    needed = {f for step in result.path for f in result.ladders[step.ladder].missing}
    assert needed
    for field in needed:  # each input a ladder on the path still needs is named
        assert squeeze(FIELDS[field].label_zh) in plan, field
    assert "待补充" in text and 4 <= pdf_pages(path) <= 8


def test_a_long_name_is_cut_in_the_running_header_and_whole_on_the_cover(tmp_path):
    name = "超长名称的企业" * 30  # 210 characters
    result = scoring.assess({**EXAMPLE, "name": name}, today=TODAY)
    path = tmp_path / "long.pdf"
    path.write_bytes(reports.firm_report_pdf(result, DAY, isolated=False))
    cover = squeeze(pdf_text(path).split("\f")[0])
    assert name in cover
    page_two = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(path), "-"], capture_output=True, text=True
    ).stdout
    assert name[:29] + "…" in squeeze(page_two) and name[:40] not in squeeze(page_two)


def test_the_pool_briefing_says_what_the_near_threshold_firms_would_unlock():
    import pandas as pd

    near = [{"ladder": "high_tech", "rule_id": "score", "shortfall": 0.05, "zh": "还差5分"}]
    pool = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["甲", "乙", "丙"],
            "region_code": ["320507"] * 3,
            "near": [near, near, []],
            "high_tech_status": ["ineligible", "ineligible", "eligible"],
            "high_tech_worth_yearly": [150000.0, None, 90000.0],
            "high_tech_worth_once": [250000.0, 250000.0, 250000.0],
        }
    )
    html = reports.pool_report_html(pool, DAY)
    block = squeeze(html[html.index('class="reach"') :])
    # two near firms: one with a known ¥150k a year, one unknown; the eligible firm is not near
    assert (
        "高新技术企业</td><td>2家</td><td>15.00万元</td><td>1家</td><td>50.00万元（2家）" in block
    )
