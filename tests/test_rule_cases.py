"""Declarative rule cases (tests/cases/*.yaml): a base firm, changes, and the expected result.

Policy experts can add cases without touching Python: see tests/cases/README.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from scoring import assess, assess_frame
from tests.conftest import TODAY

CASE_DIR = Path(__file__).parent / "cases"


def _load():
    for path in sorted(CASE_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            yield pytest.param(spec, case, id=f"{path.stem}: {case['name']}")


def _firm(spec: dict, case: dict) -> dict:
    firm = {**spec.get("base", {}), **(case.get("with") or {})}
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in firm.items()
        if v is not None
    }


def _options(spec: dict, case: dict) -> dict:
    as_of = case.get("as_of", spec.get("as_of"))
    return dict(
        as_of=dt.date.fromisoformat(str(as_of)) if as_of else None,
        mode=case.get("mode", spec.get("mode", "new")),
        today=TODAY,
    )


def _flatten(entries):
    for entry in entries:
        yield entry
        yield from _flatten(entry.parts)


@pytest.mark.parametrize(("spec", "case"), list(_load()))
def test_rule_case(spec, case):
    result = assess(_firm(spec, case), overrides=case.get("overrides"), **_options(spec, case))
    ladder = case.get("ladder", spec["ladder"])
    la = result.ladders[ladder]
    expect = case["expect"]
    if "status" in expect:
        assert la.status == expect["status"], (la.failed, la.missing, la.score)
    if "score" in expect:
        assert la.score == expect["score"], [(t.rule_id, t.points) for t in la.trace]
    if "route" in expect:
        assert la.route == expect["route"]
    if "failed" in expect:
        assert la.failed == expect["failed"]
    if "missing" in expect:
        assert la.missing == expect["missing"]
    if "ruleset" in expect:
        assert la.ruleset == expect["ruleset"]
    trace = {t.rule_id: t for t in la.trace}
    for rule_id, points in (expect.get("points") or {}).items():
        assert trace[rule_id].points == points, trace[rule_id]
    for rule_id, outcome in (expect.get("gate") or {}).items():
        assert trace[rule_id].outcome == outcome, trace[rule_id]
    for rule_id, outcome in (expect.get("parts") or {}).items():
        part = next(p for p in _flatten(la.trace) if p.rule_id == rule_id)
        assert part.outcome == outcome, part
    if "expert" in expect:  # [lo, hi], or null for no expert range
        spread = None if la.expert_min is None else [la.expert_min, la.expert_max]
        assert spread == expect["expert"]
    if "expert_inside" in expect:
        assert (la.expert_note_zh is not None) == expect["expert_inside"]
    if "warnings" in expect:  # exactly these warning ids on this ladder
        assert sorted(w.id for w in la.warnings) == sorted(expect["warnings"]), la.warnings
    for key in ("yearly", "once", "once_up_to", "small_low_profit"):  # what the ladder is worth
        if f"worth_{key}" in expect:
            assert getattr(la.worth, key) == expect[f"worth_{key}"], la.worth
    if "worth_lines" in expect:  # the benefit ids listed, in order
        assert [w.id for w in la.worth.lines] == expect["worth_lines"], la.worth.lines
    if "note" in expect:  # a text the ladder's warnings or notes contain
        texts = [w.zh for w in la.warnings] + la.notes_zh
        assert any(expect["note"] in t for t in texts), texts


def _files():
    for path in sorted(CASE_DIR.glob("*.yaml")):
        yield pytest.param(path, id=path.stem)


@pytest.mark.parametrize("path", list(_files()))
def test_cases_score_the_same_in_one_frame(path):
    """The batch path gives each firm exactly what the single-firm path gives it."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [c for c in spec["cases"] if not c.get("overrides")]
    groups: dict[tuple, list[dict]] = {}
    for case in cases:
        opts = _options(spec, case)
        groups.setdefault((opts["as_of"], opts["mode"]), []).append(case)
    for (as_of, mode), members in groups.items():
        firms = [_firm(spec, c) for c in members]
        frame = assess_frame(pd.DataFrame(firms), as_of=as_of, mode=mode, today=TODAY)
        for i, firm in enumerate(firms):
            single = assess(firm, as_of=as_of, mode=mode, today=TODAY)
            for ladder, la in single.ladders.items():
                row = frame.iloc[i]
                assert row[f"{ladder}_status"] == la.status
                score = row[f"{ladder}_score"]
                assert (pd.isna(score) and la.score is None) or score == la.score
                assert row[f"{ladder}_failed"] == ";".join(la.failed)
                assert row[f"{ladder}_missing"] == ";".join(la.missing)
                assert (row[f"{ladder}_route"] or None) == la.route
            mine = [w.zh for w in single.warnings]
            assert all(text in (frame.iloc[i]["warnings"] or "") for text in mine)
