"""Choosing the readiness estimator per ladder and horizon: on out-of-fold Brier among
monotone candidates, never on the test firms, saved and loaded like the boosted model."""

import numpy as np
import pytest

from scoring.readiness import derive_labels, simulate_panel
from scoring.readiness.bundle import load, train
from scoring.readiness.evaluate import _bucket, evaluate, select, selection_folds, split
from scoring.readiness.features import build_features, monotone_directions
from scoring.readiness.model import MonotoneLogistic, ReadinessEstimator


@pytest.fixture(scope="module")
def panel():
    return simulate_panel(3000, 4, seed=7)


@pytest.fixture(scope="module")
def data(panel):
    return build_features(panel), derive_labels(panel)


def test_the_monotone_logistic_keeps_every_sign(panel, data):
    X, labels = data
    y = labels["high_tech_in_1y"]
    train_rows, test_rows = split(panel, y)
    model = MonotoneLogistic(ladder="high_tech").fit(X[train_rows], y[train_rows].astype(int))
    for coef, d in zip(model.coef_, monotone_directions(model.columns_, "high_tech"), strict=True):
        assert coef * d >= -1e-12  # +1 features never negative, −1 never positive
    base = X[test_rows].head(300)
    more = base.assign(
        rd_ratio_3y=base["rd_ratio_3y"] + 0.02, rd_ratio_y0=base["rd_ratio_y0"] + 0.02
    )
    assert np.all(model.predict_proba(more)[:, 1] >= model.predict_proba(base)[:, 1] - 1e-12)


def test_selection_folds_never_touch_the_test_firms(panel, data):
    _, labels = data
    y = labels["tech_sme_in_1y"]
    train_rows, test_rows = split(panel, y)
    bucket = _bucket(panel["firm_id"])
    folds = selection_folds(panel, train_rows)
    checked = np.zeros(len(panel), bool)
    for fit, check in folds:
        assert not (fit & check).any()
        assert not ((fit | check) & test_rows).any() and not ((fit | check) & (bucket < 20)).any()
        checked |= check
    assert (checked == train_rows).all()  # every training row validated exactly once


def test_the_chosen_estimator_has_the_lowest_out_of_fold_brier(panel, data):
    X, labels = data
    y = labels["innovative_sme_in_1y"]
    train_rows, _ = split(panel, y)
    kind, weight, briers = select(X, y, selection_folds(panel, train_rows), "innovative_sme", 1)
    name = f"blend{weight:g}" if kind == "blend" else kind
    assert set(briers) >= {"hgb", "logistic", "rules", "blend0.5"}
    assert briers[name] == min(briers.values())


def test_a_blend_is_the_weighted_mean_of_its_parts(panel, data):
    X, labels = data
    y = labels["tech_sme_in_2y"]
    known = y.notna()
    blend = ReadinessEstimator(ladder="tech_sme", horizon=2, kind="blend", weight=0.25)
    blend.fit(X[known], y[known].astype(int))
    hgb, logistic = (part.predict_proba(X.head(50))[:, 1] for part in blend.parts_)
    np.testing.assert_allclose(blend.predict_proba(X.head(50))[:, 1], 0.25 * hgb + 0.75 * logistic)
    with pytest.raises(ValueError, match="unknown estimator"):
        ReadinessEstimator(kind="forest").fit(X[known], y[known].astype(int))


def test_a_bundle_ships_the_chosen_estimators_names_them_and_round_trips(panel, tmp_path):
    bundle = train(panel, trained_on="test", synthetic=True)
    table = {(r["ladder"], r["horizon"]): r for r in bundle.meta["evaluation"]}
    for key, model in bundle.models.items():
        ladder, h = key.split("/")
        assert bundle.meta["estimators"][key] == table[(ladder, int(h))]["selected"]
        assert model.kind in ("hgb", "logistic", "rules", "blend")
    card = (bundle.save(tmp_path) / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "monotone logistic Brier" in card and "lowest Brier score" in card
    again = load(bundle.version, tmp_path)  # every shipped type is on the trusted list
    X = build_features(panel.head(200))
    np.testing.assert_allclose(bundle.predict(X).to_numpy(), again.predict(X).to_numpy())


def test_the_evaluation_reports_every_estimator_beside_the_chosen_one(panel):
    table = evaluate(panel, ladders=("tech_sme",), horizons=(1,)).table
    row = table.iloc[0]
    for name in ("selected", "model", "rules", "logistic", "mono_logistic"):
        assert 0 < row[f"{name}_brier"] < 1 and 0.5 < row[f"{name}_auc"] <= 1
    assert row["brier_gain_vs_rules"] == pytest.approx(
        1 - row["selected_brier"] / row["rules_brier"]
    )


def test_an_outlier_on_a_nearly_constant_feature_is_held_at_the_clip(panel, data):
    """A feature almost constant in training has a tiny deviation; one unusual firm must not
    become a certainty through it (the example firm read >99 % before the clip)."""
    from scoring.readiness.model import CLIP

    X, labels = data
    y = labels["high_tech_in_1y"]
    known = y.notna()
    model = MonotoneLogistic(ladder="high_tech").fit(X[known], y[known].astype(int))
    row = X[known].head(1)
    far = row.assign(**{c: row[c] * 0 + 1e6 for c in model.columns_})
    assert np.abs(model._matrix(far)).max() <= CLIP
    assert model.predict_proba(far)[0, 1] == pytest.approx(
        model.predict_proba(row.assign(**{c: row[c] * 0 + 1e9 for c in model.columns_}))[0, 1]
    )
