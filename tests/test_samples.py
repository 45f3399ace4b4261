"""The shipped sample firms: fictitious, valid, and covering every ladder's outcomes."""

import pandas as pd

from scoring import LADDERS, assess_frame
from scoring.fields import credit_code_valid
from tests.conftest import ROOT, TODAY

SAMPLES = ROOT / "data" / "sample_firms.csv"


def _samples():
    return pd.read_csv(SAMPLES, dtype=str, keep_default_na=False)


def test_samples_are_labelled_fictitious():
    names = [n for n in _samples()["name"] if n]
    assert len(names) >= 30
    assert all(n.startswith("示例·") for n in names)


def test_sample_credit_codes_validate_except_the_deliberate_error():
    df = _samples()
    valid = credit_code_valid(df["credit_code"])
    bad = df.loc[~valid, "name"].tolist()
    assert bad == ["示例·填报有误有限公司"]


def test_samples_cover_every_outcome_of_every_ladder():
    result = assess_frame(_samples(), today=TODAY)
    scored = result[result["row_status"] == "scored"]
    for ladder in LADDERS:
        seen = set(scored[f"{ladder}_status"])
        assert seen == {"eligible", "ineligible", "undetermined"}, (ladder, seen)
    routes = set()
    for ladder in ("tech_sme", "innovative_sme", "srdi_sme"):
        routes |= set(scored[f"{ladder}_route"])
    assert {"direct", "score", "gate"} <= routes
    assert len(set(scored["gazelle_ruleset"])) >= 4
    assert (result["row_status"] == "rejected").sum() == 1
    assert len(result) == len(_samples())


def test_chunked_scoring_gives_the_same_result():
    df = _samples()
    whole = assess_frame(df, today=TODAY)
    chunked = assess_frame(df, today=TODAY, chunk_rows=7)
    pd.testing.assert_frame_equal(whole.astype(str), chunked.astype(str))


def test_an_empty_frame_gives_an_empty_result():
    result = assess_frame(pd.DataFrame({"name": pd.Series([], dtype=object)}), today=TODAY)
    assert len(result) == 0
    assert "high_tech_status" in result.columns
