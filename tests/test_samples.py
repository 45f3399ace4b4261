"""The shipped sample firms: fictitious, valid, and covering every ladder's outcomes."""

import pandas as pd

from scoring import LADDERS, assess_frame
from scoring.fields import credit_code_valid
from scoring.rulesets import load_all, refusal_text
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
        assert {"eligible", "ineligible", "undetermined"} <= seen, (ladder, seen)
    # the state only a person or the MIIT platform can settle shows in the demo too
    for ladder in ("srdi_sme", "gazelle", "little_giant"):
        assert "manual_review" in set(scored[f"{ladder}_status"]), ladder
    routes = set()
    for ladder in ("tech_sme", "innovative_sme", "srdi_sme"):
        routes |= set(scored[f"{ladder}_route"])
    assert {"direct", "score", "gate"} <= routes
    # every regional gazelle pack applies to a sample firm, or refuses it with its round's end
    packs = {rs.name for rs in load_all() if rs.ladder == "gazelle"}
    applied = {key.split("@")[0] for key in set(scored["gazelle_ruleset"]) if key}
    refused = {
        rs.name
        for rs in load_all()
        if rs.ladder == "gazelle"
        and rs.spec.regions
        and refusal_text(rs) in "".join(scored["warnings"])
    }
    assert packs == applied | refused, packs - applied - refused
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
