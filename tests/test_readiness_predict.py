"""Readiness wherever results are given: the shipped model through scoring.assess,
assess_frame and the batch, labelled as trained on simulated data, with actions that re-score."""

import json

import numpy as np
import pandas as pd
import pytest

import scoring
from scoring.readiness.bundle import MODELS_DIR
from scoring.readiness.predict import READINESS_COLUMNS, current_bundle
from tests.conftest import ROOT, TODAY

SAMPLES = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
EXAMPLE = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shipped():
    bundle = current_bundle()
    assert bundle is not None, "the models folder's CURRENT names no model"
    return bundle


def _firms() -> list[dict]:
    return [{k: v for k, v in r.items() if v != ""} for r in SAMPLES.to_dict("records")]


def test_the_shipped_model_is_current_synthetic_and_says_so(shipped):
    assert shipped.version == (MODELS_DIR / "CURRENT").read_text().strip()
    assert shipped.meta["synthetic"] is True
    card = (MODELS_DIR / shipped.version / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "合成数据" in card and "基于模拟数据训练" in card
    result = scoring.assess(EXAMPLE, today=TODAY)
    r = result.readiness
    assert r.model_version == shipped.version and r.synthetic
    assert r.note_zh.startswith("基于模拟数据训练")


def test_held_ladders_and_withheld_models_show_no_figure(shipped):
    result = scoring.assess({**EXAMPLE, "is_high_tech": True}, today=TODAY)
    assert result.readiness.within_12m["high_tech"] is None
    assert result.readiness.within_24m["high_tech"] is None
    for ladder in scoring.LADDERS:
        if f"{ladder}/1" not in shipped.models:
            assert result.readiness.within_12m[ladder] is None, ladder


def test_probabilities_are_probabilities_and_24_months_never_below_12(shipped):
    for result in scoring.api.assess_many(_firms(), today=TODAY):
        if isinstance(result, scoring.InputError):
            continue
        for ladder, p12 in result.readiness.within_12m.items():
            p24 = result.readiness.within_24m[ladder]
            for p in (p12, p24):
                assert p is None or 0.0 <= p <= 1.0
            if p12 is not None and p24 is not None:
                assert p24 >= p12 - 1e-12, (result.name, ladder)


def test_without_a_model_there_is_no_readiness():
    assert scoring.assess(EXAMPLE, today=TODAY, readiness=None).readiness is None
    out = scoring.assess_frame(pd.DataFrame([EXAMPLE]), today=TODAY, readiness=None)
    assert list(out.columns[-len(scoring.OUTPUT_COLUMNS) :]) == scoring.OUTPUT_COLUMNS
    assert not any(c in out.columns for c in READINESS_COLUMNS)


def test_every_entry_point_gives_the_same_figure(shipped):
    """One scoring path: a firm's probability alone, in a batch, and in a frame agree."""
    firms = _firms()
    frame = scoring.assess_frame(SAMPLES.replace("", None), today=TODAY)
    assert list(frame.columns[-len(READINESS_COLUMNS) :]) == READINESS_COLUMNS
    for i, firm in enumerate(firms):
        if "name" not in firm:
            assert np.isnan(frame["high_tech_readiness"].iloc[i])
            assert frame["readiness_model"].iloc[i] == ""
            continue
        alone = scoring.assess(firm, today=TODAY).readiness
        for ladder in scoring.LADDERS:
            got = frame[f"{ladder}_readiness"].iloc[i]
            want = alone.within_12m[ladder]
            assert (np.isnan(got) and want is None) or got == pytest.approx(want), (i, ladder)
        assert "基于模拟数据训练" in frame["readiness_model"].iloc[i]


def test_actions_are_gaps_that_re_score_to_their_probability(shipped):
    """Closing an action's gap and assessing again gives the probability the action claims,
    sorted by gain, each raising it (a change that does not is no action)."""
    checked = 0
    for firm in _firms():
        if "name" not in firm:
            continue
        result = scoring.assess(firm, today=TODAY)
        r = result.readiness
        gains = [a.gain for a in r.actions]
        assert gains == sorted(gains, reverse=True)
        if r.actions:
            assert r.actions_ladder in [step.ladder for step in result.path]
            action = r.actions[0]
            typed = scoring.assess(firm, today=TODAY, readiness=None)
            gap = next(
                g for g in typed.ladders[r.actions_ladder].gaps if g.rule_id == action.rule_id
            )
            current = float(str(firm[gap.field]).replace(",", ""))
            changed = {**firm, gap.field: current + action.change}
            again = scoring.assess(changed, today=TODAY).readiness
            assert again.within_12m[r.actions_ladder] == pytest.approx(action.probability)
            checked += 1
    assert checked >= 3


def test_an_empty_frame_scores_with_readiness_columns(shipped):
    out = scoring.assess_frame(pd.DataFrame(columns=["name"]), today=TODAY)
    assert len(out) == 0 and all(c in out.columns for c in READINESS_COLUMNS)
