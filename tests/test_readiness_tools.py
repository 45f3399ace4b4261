"""Readiness tooling: evaluation slices and reliability, models withheld when weak, drift,
the history panel template and reading a panel with Chinese headers and units."""

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from batch.panel import PANEL_COLUMNS, read_panel
from batch.template import template_header, write_template
from scoring.readiness import drift, simulate_panel
from scoring.readiness.bundle import MIN_AUC, train
from scoring.readiness.evaluate import evaluate, reliability_bins
from scoring.readiness.features import build_features
from tests.conftest import ROOT
from tiering.cli import main


@pytest.fixture(scope="module")
def panel():
    return simulate_panel(2500, 4, seed=11)


@pytest.fixture(scope="module")
def evaluated(panel):
    return train(panel, trained_on="tools test", synthetic=True)


def test_reliability_bins_count_every_row_once():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.05, 0.15, 0.95, 0.9, 0.55, 0.5])
    bins = reliability_bins(y, p)
    assert bins["count"].sum() == len(y)
    top = bins[bins["bin"] == 9].iloc[0]
    assert top["observed"] == 1.0 and top["predicted"] == pytest.approx(0.925)


def test_evaluation_reports_slices_and_reliability(panel):
    report = evaluate(panel, ladders=("tech_sme",), horizons=(1,))
    row = report.table.iloc[0]
    assert set(report.slices["by"]) == {"region", "industry", "size"}
    for by, part in report.slices.groupby("by"):
        assert part["n"].sum() == row["test"], by  # every test row in exactly one slice
    assert report.reliability["count"].sum() == row["test"]


def test_weak_models_are_not_shipped_and_the_card_says_so(evaluated, tmp_path):
    table = pd.DataFrame(evaluated.meta["evaluation"])
    for r in table.itertuples():
        shipped = f"{r.ladder}/{r.horizon}" in evaluated.models
        auc = getattr(r, "model_auc", None)
        if auc is None or pd.isna(auc) or auc < MIN_AUC:
            assert not shipped, r
    folder = evaluated.save(tmp_path)
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Metrics by slice" in card and "reliability.svg" in card
    if len(evaluated.models) < 2 * 6:
        assert "not shipped" in card
    svg = ET.fromstring((folder / "reliability.svg").read_text(encoding="utf-8"))
    assert svg.tag.endswith("svg") and len(list(svg.iter("{http://www.w3.org/2000/svg}circle")))


def test_drift_is_zero_on_the_training_data_and_large_on_shifted_firms(panel, evaluated):
    ref = evaluated.meta["reference"]
    X = build_features(panel)
    same = drift.psi_table(ref, X)
    assert (same["psi"] < 0.01).all(), same.head()
    shifted = X.assign(rd_ratio_3y=X["rd_ratio_3y"] * 3, log_revenue_y0=X["log_revenue_y0"] + 2)
    table = drift.psi_table(ref, shifted).set_index("feature")
    assert table.loc["rd_ratio_3y", "verdict"] == "major"
    assert table.loc["log_revenue_y0", "verdict"] == "major"
    assert table.loc["ip_total", "verdict"] == "stable"
    unknown = drift.psi_table(ref, X.assign(rd_ratio_3y=np.nan)).set_index("feature")
    assert unknown.loc["rd_ratio_3y", "unknown_new"] == 1.0
    assert unknown.loc["rd_ratio_3y", "verdict"] == "major"  # all unknown is a shift too


def test_drift_command_reads_a_batch_file(evaluated, tmp_path, capsys):
    models = tmp_path / "models"
    evaluated.save(models)
    code = main(
        [
            "drift",
            str(ROOT / "data" / "sample_firms.csv"),
            "--model",
            evaluated.version,
            "--models-dir",
            str(models),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "PSI" in out and "rd_ratio_3y" in out and "基于模拟数据训练" in out
    assert main(["drift", str(tmp_path / "missing.csv"), "--models-dir", str(models)]) == 2


def test_panel_template_reads_back_as_an_empty_panel(tmp_path):
    path = tmp_path / "panel.xlsx"
    assert main(["template", "--panel", "-o", str(path)]) == 0
    head = pd.read_excel(path, nrows=0, engine="calamine").columns.tolist()
    assert head[0] == PANEL_COLUMNS["firm_id"] and head[-1] == PANEL_COLUMNS["is_little_giant"]
    assert len(read_panel(path)) == 0  # the notes and example rows are not data


def test_a_panel_with_chinese_headers_and_wan_yuan_reads_as_the_original(panel, tmp_path):
    original = panel.head(60)
    sheet = pd.DataFrame()
    for col in original.columns:
        if col in PANEL_COLUMNS:
            values = original[col]
            if col != "firm_id":
                values = values.map({1.0: "是", 0.0: "否"})
            sheet[PANEL_COLUMNS[col]] = values
        else:
            header = template_header(col)
            values = original[col]
            if header.endswith("(万元)"):
                values = values / 1e4
            elif header.endswith("(%)"):
                values = values * 100
            sheet[header] = values
    path = tmp_path / "history.xlsx"
    sheet.to_excel(path, index=False)
    read = read_panel(path)
    assert len(read) == len(original)
    assert (read["firm_id"].to_numpy() == original["firm_id"].to_numpy()).all()
    for col in ("revenue_y0", "rd_expense_y0", "employees", "is_high_tech", "is_gazelle"):
        np.testing.assert_allclose(
            read[col].to_numpy(dtype=float), original[col].to_numpy(dtype=float), rtol=1e-9
        )


def test_a_panel_without_a_firm_key_is_refused(tmp_path):
    path = tmp_path / "nokey.csv"
    pd.DataFrame({"企业名称": ["甲"], "年度": [2024]}).to_csv(path, index=False)
    assert main(["train", str(path), "--models-dir", str(tmp_path / "m")]) == 2


def test_write_template_keeps_the_plain_template(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path)
    head = pd.read_excel(path, nrows=0, engine="calamine").columns.tolist()
    assert "企业标识" not in head and head[0] == template_header("name")
