"""Both sides of every benefit's dates: an award counts from its first day to its last
(inclusive) and not a day outside, both in the worth calculator's selection and in the
免申即享 lists."""

from __future__ import annotations

import datetime as dt

import pytest

from scoring.benefits import load_benefits
from scoring.no_application import awards_for

ONE = dt.timedelta(days=1)
ITEMS = [b for b in load_benefits()]


@pytest.mark.parametrize("benefit", ITEMS, ids=lambda b: b.spec.id)
def test_both_sides_of_every_benefit_date(benefit):
    spec = benefit.spec
    start, end = spec.effective.start, spec.effective.end
    assert spec.in_force(start) and not spec.in_force(start - ONE)
    if end is not None:
        assert spec.in_force(end) and not spec.in_force(end + ONE)
    if spec.region is None or spec.kind not in ("one_off", "fund") or spec.status == "closed":
        return
    ids = lambda day: {b.spec.id for b in awards_for([spec.region], day)}  # noqa: E731
    assert spec.id in ids(start) and spec.id not in ids(start - ONE)
    if end is not None:
        assert spec.id in ids(end) and spec.id not in ids(end + ONE)


def _hangzhou_hnte(cert: str | None, held: bool = True) -> dict:
    import json

    from tests.conftest import ROOT

    firm = json.loads((ROOT / "data" / "example_firm.json").read_text(encoding="utf-8"))
    firm.update(region_code="330106", tech_conversions_3y=15, rd_mgmt_incentive=True)
    firm.update(is_high_tech=held, high_tech_certified_on=cert)
    return {k: v for k, v in firm.items() if v is not None}


@pytest.mark.parametrize(
    ("cert", "basis"),
    [
        ("2026-12-03", "payable"),  # certified on the day asked about
        ("2025-12-04", "payable"),  # 364 days before: within the year
        ("2025-12-03", None),  # 365 days before: an earlier year's recognition, not listed
        (None, "check"),  # held, no date given: listed for checking, never paid
    ],
)
def test_a_first_recognition_award_is_payable_within_the_year_before_the_date(cert, basis):
    from scoring.no_application import PoolFirm, award_lists

    (hnte,) = [
        al
        for al in award_lists([PoolFirm(1, _hangzhou_hnte(cert))], ["3301"], dt.date(2026, 12, 3))
        if al.award.spec.id == "hangzhou_hnte_new"
    ]
    assert [i.basis for i in hnte.items] == ([basis] if basis else [])
    paid = hnte.totals()["payable"]["amount"]
    assert paid == (200000 if basis == "payable" else 0)
