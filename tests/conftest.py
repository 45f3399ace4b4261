import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 22)  # fixed so results never depend on the day the tests run


def _sample_rows() -> tuple[int, int]:
    """Rows of data/sample_firms.csv, and how many of them name a firm (the rest are rejected)."""
    import csv

    with (ROOT / "data" / "sample_firms.csv").open(encoding="utf-8") as fh:
        names = [row["name"] for row in csv.DictReader(fh)]
    return len(names), sum(1 for n in names if n.strip())


SAMPLE_ROWS, SAMPLE_NAMED = _sample_rows()


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (the browser tests screenshot failures)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
