"""The history panel's labels, and the synthetic panel simulator."""

import numpy as np
import pandas as pd
import pytest

from scoring import assess_frame
from scoring.readiness import PanelError, derive_labels, simulate_panel


def _panel(rows):
    base = {
        k: 0.0
        for k in (
            "is_tech_sme",
            "is_innovative_sme",
            "is_srdi_sme",
            "is_gazelle",
            "is_little_giant",
        )
    }
    return pd.DataFrame(
        [{**base, "firm_id": f, "fiscal_year": y, "is_high_tech": h} for f, y, h in rows]
    )


def test_labels_gain_within_horizon_hold_and_censoring():
    panel = _panel(
        [
            ("A", 2020, 0),
            ("A", 2021, 0),
            ("A", 2022, 1),
            ("A", 2023, 1),
            ("B", 2020, 0),
            ("B", 2021, 0),
            ("B", 2022, 0),
            ("B", 2023, 0),
        ]
    )
    labels = derive_labels(panel)
    a = labels[panel["firm_id"] == "A"]["high_tech_in_1y"].tolist()
    a2 = labels[panel["firm_id"] == "A"]["high_tech_in_2y"].tolist()
    assert a[:2] == [0.0, 1.0] and np.isnan(a[2]) and np.isnan(a[3])  # held: not at risk
    assert a2[:2] == [1.0, 1.0]  # 2020 gains by 2022, two years on
    b = labels[panel["firm_id"] == "B"]["high_tech_in_1y"].tolist()
    assert b[:3] == [0.0, 0.0, 0.0] and np.isnan(b[3])  # last year: not seen a year later
    b2 = labels[panel["firm_id"] == "B"]["high_tech_in_2y"].tolist()
    assert b2[:2] == [0.0, 0.0] and np.isnan(b2[2])  # 2022 + 2 is past the panel's end


def test_a_gap_year_is_not_observed_and_repeats_are_refused():
    panel = _panel([("A", 2020, 0), ("A", 2022, 1)])  # 2021 missing
    labels = derive_labels(panel)
    assert np.isnan(labels["high_tech_in_1y"].iloc[0])  # 2021 unseen, the panel goes on: unknown
    assert labels["high_tech_in_2y"].iloc[0] == 1.0
    with pytest.raises(PanelError):
        derive_labels(_panel([("A", 2020, 0), ("A", 2020, 1)]))
    with pytest.raises(PanelError):
        derive_labels(pd.DataFrame({"fiscal_year": [2020]}))


def test_simulated_panel_is_reproducible_and_follows_the_rules():
    one = simulate_panel(300, 4, seed=7)
    again = simulate_panel(300, 4, seed=7)
    pd.testing.assert_frame_equal(one, again)
    assert len(one) == 1200 and one["name"].str.startswith("合成企业").all()
    assert sorted(one["fiscal_year"].unique()) == [2021, 2022, 2023, 2024]
    # gains follow the real rules: most firms that gain a ladder were eligible the year before
    scored = assess_frame(one.drop(columns=["firm_id"]))
    labels = derive_labels(one)
    for ladder in ("tech_sme", "high_tech"):
        gained = labels[f"{ladder}_in_1y"] == 1
        eligible = scored[f"{ladder}_status"].astype(str) == "eligible"
        assert gained.sum() > 0
        assert (eligible & gained).sum() / gained.sum() > 0.6
        rate_eligible = labels.loc[eligible, f"{ladder}_in_1y"].mean()
        rate_other = labels.loc[~eligible, f"{ladder}_in_1y"].mean()
        assert rate_eligible > 5 * rate_other  # eligibility drives the outcome
