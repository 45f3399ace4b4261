"""The rule sets, with every rule's source document and article."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter

from scoring import LADDERS
from scoring.models import IsoDate
from scoring.rulesets import RuleSet, load_all
from service.api.responses import NOT_FOUND
from service.errors import ApiError

router = APIRouter(tags=["criteria"])


def ruleset_json(rs: RuleSet, day: dt.date) -> dict[str, Any]:
    spec = rs.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    for rule, raw in zip(rs.rules, spec["rules"], strict=True):
        raw["citation"] = rs.cite(rule.spec.source)
    return {
        "key": rs.key,
        "ladder": rs.ladder,
        "in_force": any(rs.applies(day, m) for m in rs.spec.modes),
        **spec,
    }


@router.get("/criteria")
def criteria(on: IsoDate | None = None) -> list[dict[str, Any]]:
    """Every rule set, and whether it is in force on ``on`` (default today)."""
    day = on or dt.date.today()
    return [ruleset_json(rs, day) for rs in load_all()]


@router.get("/criteria/{ladder}", responses=NOT_FOUND)
def ladder_criteria(ladder: str, on: IsoDate | None = None) -> list[dict[str, Any]]:
    """The rule sets of one ladder (all versions and regions)."""
    if ladder not in LADDERS:
        raise ApiError(
            404,
            "unknown_ladder",
            f"没有这个梯度：{ladder}",
            f"unknown ladder {ladder!r}",
            ladders=list(LADDERS),
        )
    day = on or dt.date.today()
    return [ruleset_json(rs, day) for rs in load_all() if rs.ladder == ladder]
