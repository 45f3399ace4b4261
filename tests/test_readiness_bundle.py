"""Readiness bundles: trained, saved with skops, loaded only from trusted types, versioned."""

import numpy as np
import pytest

from scoring.readiness import simulate_panel
from scoring.readiness.bundle import load, train, use, versions
from scoring.readiness.features import build_features
from tiering.cli import main


@pytest.fixture(scope="module")
def trained():
    panel = simulate_panel(1500, 4, seed=5)
    return panel, train(panel, trained_on="test panel", synthetic=True, evaluate_first=False)


def test_save_load_round_trip_predicts_the_same(trained, tmp_path):
    panel, bundle = trained
    folder = bundle.save(tmp_path)
    assert folder.name == bundle.version and len(bundle.version) == 12
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert bundle.version in card and "合成数据" in card and "Not** an official" in card
    again = load(bundle.version, tmp_path)
    X = build_features(panel.head(200))
    a, b = bundle.predict(X), again.predict(X)
    assert list(a.columns) == list(b.columns) and len(a.columns) >= 2
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
    held = X["tech_sme_held"] == 1
    assert a.loc[held, "tech_sme_readiness"].isna().all()  # held: no probability shown
    assert ((a.dropna() >= 0) & (a.dropna() <= 1)).all().all()
    assert again.meta["synthetic"] is True and again.meta["features"]


def test_altered_model_files_and_unknown_versions_are_refused(trained, tmp_path):
    _, bundle = trained
    folder = bundle.save(tmp_path)
    assert load(None, tmp_path) is None  # nothing chosen yet
    use(bundle.version, tmp_path)
    assert load(None, tmp_path).version == bundle.version
    assert [v["current"] for v in versions(tmp_path)] == [True]
    with pytest.raises(FileNotFoundError):
        load("000000000000", tmp_path)
    data = bytearray((folder / "model.skops").read_bytes())
    data[-40] ^= 0xFF  # one byte changed
    (folder / "model.skops").write_bytes(bytes(data))
    with pytest.raises(Exception):  # noqa: B017 - a damaged zip or a hash mismatch, either way refused
        load(bundle.version, tmp_path)


def test_synth_train_and_list_from_the_command_line(tmp_path, capsys):
    panel = tmp_path / "panel.parquet"
    assert main(["synth", "--firms", "600", "--years", "4", "--seed", "2", "-o", str(panel)]) == 0
    assert "合成数据" in capsys.readouterr().out
    models = tmp_path / "models"
    assert main(["train", str(panel), "--synthetic", "--models-dir", str(models), "--use"]) == 0
    assert main(["models", "list", "--models-dir", str(models)]) == 0
    out = capsys.readouterr().out
    assert "合成数据" in out and "*" in out


def test_top_actions_are_gaps_sorted_by_gain_and_never_negative(trained):
    from scoring.readiness.explain import top_actions

    panel, bundle = trained
    firm_ids = panel.loc[
        (panel["is_high_tech"] == 0) & (panel["fiscal_year"] == panel["fiscal_year"].max()),
        "firm_id",
    ].head(40)
    seen = 0
    for firm_id in firm_ids:
        history = panel[panel["firm_id"] == firm_id]
        result = top_actions(bundle, history, "high_tech", horizon=1)
        gains = [a["gain"] for a in result["actions"]]
        assert gains == sorted(gains, reverse=True)
        assert all(g >= -1e-9 for g in gains), result
        seen += bool(result["actions"])
    assert seen > 0


def test_a_panel_without_a_ladders_status_trains_the_others_and_reports_progress():
    """A bureau's pool has no 小巨人 or gazelle lists (no such input field): those ladders
    get no model, the others train, and every step is reported."""
    panel = simulate_panel(500, 4, seed=3).drop(columns=["is_gazelle", "is_little_giant"])
    steps = []
    bundle = train(
        panel, trained_on="pool", synthetic=True, progress=lambda d, t: steps.append((d, t))
    )
    assert steps == [(i, 24) for i in range(1, 25)]
    assert bundle.models and not any(
        k.split("/")[0] in ("gazelle", "little_giant") for k in bundle.models
    )
    skipped = {r["ladder"] for r in bundle.meta["evaluation"] if r.get("model_auc") is None}
    assert {"gazelle", "little_giant"} <= skipped
