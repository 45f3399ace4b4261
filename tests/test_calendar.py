"""The filing calendar: both sides of every window boundary, certificate expiry, yearly duties,
stored results refreshed as the year turns, and the .ics file parsed back."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from icalendar import Calendar as ICal

from scoring.api import assess
from scoring.filing_calendar import (
    _status,
    firm_calendar,
    load_calendar,
    pool_outlook,
    refreshed,
    renewal_due,
    to_ics,
    window_for,
)
from scoring.rulesets import RuleFileError
from tests.conftest import ROOT

D = dt.date
EXAMPLE_FILE = ROOT / "data" / "example_firm.json"
EXAMPLE = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (D(2026, 5, 31), "upcoming"),  # the day before tech-SME 2026 opens (06-01)
        (D(2026, 6, 1), "open"),  # opens, inclusive
        (D(2026, 8, 31), "open"),  # closes, inclusive
        (D(2026, 9, 1), "last_seen"),  # the day after: never upcoming again
        (D(2027, 3, 1), "last_seen"),  # a later year: the 2026 window is history
    ],
)
def test_a_window_is_open_only_between_its_dates_and_last_seen_after(today, status):
    w = window_for("tech_sme", "330106", today)
    assert (w.status, w.seen_year, w.start, w.end) == (status, 2026, D(2026, 6, 1), D(2026, 8, 31))
    assert ("上次所见" in w.zh) == (status == "last_seen")


def test_the_newest_year_wins_and_the_most_specific_region_breaks_a_tie():
    # Guangdong has its own 2026 tech-SME window (batch deadlines); elsewhere the national one
    gd = window_for("tech_sme", "440106", D(2026, 7, 1))
    assert gd.region_name == "广东省" and "6月30日" in gd.zh
    assert window_for("tech_sme", "330106", D(2026, 7, 1)).region_name is None
    # Guangzhou's HNTE notice (2026, title only) is newer than Guangdong's 2025 window
    gz = window_for("high_tech", "440106", D(2026, 7, 1))
    assert (gz.seen_year, gz.status, gz.end) == (2026, "announced", None)
    assert window_for("high_tech", "440305", D(2026, 7, 1)).seen_year == 2025  # Shenzhen
    assert window_for("innovative_sme", "330106", D(2026, 7, 1)) is None  # none seen
    # and a firm aiming at it is told so, not left to read silence as "no deadline"
    events = firm_calendar({"region_code": "330106"}, ["innovative_sme"], D(2026, 7, 1), {})
    assert [(e.status, e.ladder) for e in events] == [("none", "innovative_sme")]
    assert "尚未收录本地区的申报窗口" in events[0].zh


@pytest.mark.parametrize(
    ("certified", "expires"),
    [
        ("2024-12-01", D(2027, 11, 30)),
        ("2024-02-29", D(2027, 2, 27)),
        ("2023-01-01", D(2025, 12, 31)),
    ],
)
def test_a_certificate_expires_three_years_on_less_a_day_the_same_in_a_pool(certified, expires):
    events = firm_calendar(
        {"high_tech_certified_on": certified}, [], D(2026, 12, 3), held={"high_tech": True}
    )
    (expiry,) = [e for e in events if e.kind == "expiry"]
    assert expiry.end == expires
    assert expiry.status == ("past" if expires < D(2026, 12, 3) else "due")
    assert f"{expires.year}年须重新申请认定" in expiry.zh
    dates = np.array([certified, "NaT"], "datetime64[D]")
    on, ladder = renewal_due({"high_tech_certified_on": dates})
    assert on[0] == np.datetime64(expires) and np.isnat(on[1])
    assert list(ladder) == ["high_tech", ""]


def test_yearly_duties_only_for_titles_held_and_on_their_next_date():
    on_the_day = firm_calendar({}, [], D(2027, 5, 31), held={"high_tech": True})
    assert [e.end for e in on_the_day if e.kind == "duty"] == [D(2027, 5, 31)]  # inclusive
    after = firm_calendar({}, [], D(2027, 6, 1), held={"high_tech": True})
    assert [e.end for e in after if e.kind == "duty"] == [D(2028, 5, 31)]
    assert not [e for e in firm_calendar({}, [], D(2027, 6, 1), held={}) if e.kind == "duty"]


def test_an_empty_certificate_date_gives_no_expiry():
    events = firm_calendar(
        {"high_tech_certified_on": "", "srdi_sme_certified_on": None}, [], D(2026, 1, 1), {}
    )
    assert not [e for e in events if e.kind == "expiry"]


def test_every_result_carries_its_calendar_and_path_windows():
    firm = dict(EXAMPLE, region_code="440106", is_high_tech=1, high_tech_certified_on="2024-12-01")
    result = assess(firm, today=D(2026, 5, 1))
    kinds = {(e.ladder, e.kind) for e in result.calendar}
    assert {("high_tech", "expiry"), ("high_tech", "duty"), ("tech_sme", "duty")} <= kinds
    assert result.next_zh == result.calendar[0].zh
    assert result.calendar[0].status == "open"  # the little-giant window (04-25 → 05-25)
    step = next(s for s in result.path if s.ladder == "little_giant")
    assert step.window_zh and "进行中" in step.window_zh


def test_a_stored_result_is_refreshed_so_a_passed_window_reads_last_seen():
    firm = dict(EXAMPLE, region_code="440106")
    stored = assess(firm, today=D(2026, 5, 1)).model_dump(mode="json")
    lg = [e for e in stored["calendar"] if e["ladder"] == "little_giant"]
    assert lg[0]["status"] == "open"
    later = refreshed(stored, firm, D(2026, 12, 3))
    lg = [e for e in later["calendar"] if e["ladder"] == "little_giant"]
    assert lg[0]["status"] == "last_seen"
    assert all("进行中" not in (s["window_zh"] or "") for s in later["path"])


def test_the_ics_file_parses_back_with_only_what_lies_ahead():
    firm = dict(EXAMPLE, region_code="440106", is_high_tech=1, high_tech_certified_on="2024-12-01")
    today = D(2026, 5, 1)
    result = assess(firm, today=today)
    cal = ICal.from_ical(to_ics(result.calendar, result.name, today))
    events = list(cal.walk("VEVENT"))
    ahead = [
        e for e in result.calendar if e.status not in ("last_seen", "past", "announced", "none")
    ]
    assert len(events) == len(ahead) > 0
    starts = sorted(e.decoded("dtstart") for e in events)
    assert starts[0] >= D(2026, 4, 25) and D(2027, 11, 30) in starts
    summaries = [str(e.get("summary")) for e in events]
    assert '专精特新"小巨人"企业：申报窗口' in summaries
    assert all(e.decoded("dtend") > e.decoded("dtstart") for e in events)  # all-day, exclusive
    assert len({str(e.get("uid")) for e in events}) == len(events)


def test_the_cli_writes_the_calendar(tmp_path):
    out = tmp_path / "firm.ics"
    done = subprocess.run(
        [sys.executable, "-m", "tiering.cli", "assess", str(EXAMPLE_FILE), "--ics", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "申报日历（以当年通知为准）" in done.stdout
    assert list(ICal.from_ical(out.read_bytes()).walk("VEVENT"))  # the yearly tech-SME update


def test_a_pool_outlook_lists_certificates_expiring_by_the_end_of_next_year():
    pool = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["甲", "乙", "丙"],
            "renewal_on": ["2027-11-30", "2029-01-01", None],
            "renewal_ladder": ["high_tech", "high_tech", ""],
        }
    )
    outlook = pool_outlook(pool, "4401", D(2026, 12, 3))
    assert [d["name"] for d in outlook["due"]] == ["甲"]
    assert {w.ladder for w in outlook["windows"]} >= {"high_tech", "tech_sme", "srdi_sme"}
    edge = pool.assign(renewal_on=["2027-12-31", "2028-01-01", None])
    assert [d["name"] for d in pool_outlook(edge, "", D(2026, 12, 3))["due"]] == ["甲"]


def test_the_calendar_file_is_schema_checked(tmp_path):
    data = yaml.safe_load((ROOT / "criteria" / "calendar" / "calendar.yaml").read_text("utf-8"))
    data["windows"][0]["source"]["doc"] = "nowhere"
    bad = tmp_path / "calendar.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleFileError, match="unknown document"):
        load_calendar.__wrapped__(bad)
    data["windows"][0]["surely"] = "x"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleFileError):
        load_calendar.__wrapped__(bad)


def _region_of(window) -> str:
    """A region only this window (and the national ones) applies to."""
    return (window.region or "65").ljust(6, "9")


@pytest.mark.parametrize("window", load_calendar().data.windows, ids=lambda w: w.id)
def test_both_sides_of_every_window_in_the_file(window):
    region = _region_of(window)
    one = dt.timedelta(days=1)

    def status_on(day):
        shown = window_for(window.ladder, region, day)
        return (
            shown.status if shown.seen_year == window.year and shown.end == window.closes else None
        )

    if window.opens:
        assert status_on(window.opens - one) in ("upcoming", None)  # another may be open then
        assert status_on(window.opens) in ("open", "announced")
    if window.closes:
        assert status_on(window.closes) in ("open", "announced")  # the last day counts
        assert status_on(window.closes + one) in ("last_seen", None)
    assert _status(window, D(window.year + 1, 1, 1)) == "last_seen"  # never projected
