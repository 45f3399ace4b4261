"""How numbers read to a person: a probability is never a promise."""

import pytest

from scoring.formatting import fmt_chance

CASES = [
    (0.0, "<1%"),
    (0.0099, "<1%"),
    (0.01, "1%"),
    (0.5, "50%"),
    (0.99, "99%"),
    (0.9901, ">99%"),
    (1.0, ">99%"),
    (None, "—"),
    (float("nan"), "—"),
]


@pytest.mark.parametrize(("p", "text"), CASES)
def test_a_probability_never_reads_as_zero_or_certain(p, text):
    assert fmt_chance(p) == text
