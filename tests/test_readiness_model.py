"""The readiness model on a small synthetic panel: calibrated, better than chance, monotone."""

import numpy as np
import pytest

from scoring.readiness import derive_labels, simulate_panel
from scoring.readiness.evaluate import evaluate, expected_calibration_error, split
from scoring.readiness.features import build_features
from scoring.readiness.model import ReadinessModel


@pytest.fixture(scope="module")
def panel():
    return simulate_panel(4000, 5, seed=11)


def test_expected_calibration_error_on_known_cases():
    assert expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.0)
    assert expected_calibration_error([1, 1], [0.0, 0.0]) == pytest.approx(1.0)


def test_model_ranks_well_and_is_calibrated_on_held_out_firms_and_years(panel):
    report = evaluate(panel, ladders=("tech_sme", "high_tech"), horizons=(1,)).table
    for row in report.itertuples():
        assert row.model_auc > 0.8, row
        assert row.model_ece < 0.05, row


def test_more_rd_never_lowers_readiness(panel):
    X = build_features(panel)
    y = derive_labels(panel)["high_tech_in_1y"]
    train, test = split(panel, y)
    model = ReadinessModel(ladder="high_tech", horizon=1, max_iter=60).fit(
        X[train], y[train].astype(int)
    )
    base = X[test].head(300)
    p0 = model.predict_proba(base)[:, 1]
    more = base.assign(
        rd_ratio_3y=base["rd_ratio_3y"] + 0.02, rd_ratio_y0=base["rd_ratio_y0"] + 0.02
    )
    p1 = model.predict_proba(more)[:, 1]
    assert np.all(p1 >= p0 - 1e-9)
