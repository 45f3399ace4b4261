"""Stateless assessment: one firm in, the full result out; what-if; the least-cost plan."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

import scoring
from scoring.api import WhatIf, refuse_unusable
from scoring.models import Assessment, Firm, IsoDate, Plan
from scoring.options import Options
from scoring.plan import plan_for
from scoring.vocabulary import LADDERS
from service.batching import AssessBatcher
from service.deps import LENIENT
from service.errors import ApiError

router = APIRouter(tags=["assess"])


class WhatIfRequest(BaseModel):
    firm: Firm
    changes: dict[str, Any] = Field(default_factory=dict, description="changed input fields")
    overrides: dict[str, float] = Field(
        default_factory=dict,
        description='rule parameters, e.g. {"high_tech.rd_ratio.bands[0].min": 0.06}',
    )
    as_of: IsoDate | None = None
    mode: Literal["new", "review"] = "new"


def _json(model: BaseModel) -> Response:
    """The model as JSON directly: it is already validated, and re-validating a 70 KB result
    on the way out doubled the request time."""
    return Response(model.model_dump_json(), media_type="application/json")


# Scoring is CPU-bound Python: a few at a time per process, instead of forty threads
# fighting over the interpreter lock, keeps throughput up and latency even under load.
SCORING = anyio.CapacityLimiter(2)


BATCHER = AssessBatcher(SCORING)


@router.post("/assess", response_model=Assessment)
async def assess(
    firm: Firm,
    as_of: IsoDate | None = None,
    mode: Literal["new", "review"] = "new",
    actions: bool = True,
    lenient: bool = LENIENT,
):
    """Every ladder: status, score, route, trace, gaps, upgrade path, rule-set versions, and
    the readiness probabilities. ``actions=false`` leaves out the readiness actions (each gap
    closed and re-scored: a second pass, about half the time of a request)."""
    result = await BATCHER.assess(firm, Options(as_of=as_of, mode=mode, actions=actions))
    return _json(refuse_unusable(result, lenient=lenient))


@router.post("/what-if", response_model=WhatIf)
def what_if(request: WhatIfRequest, lenient: bool = LENIENT):
    """The firm before and after changed inputs and/or rule parameters, and what moved."""
    try:
        result = scoring.what_if(
            request.firm,
            request.changes,
            request.overrides or None,
            Options(as_of=request.as_of, mode=request.mode),
        )
        refuse_unusable(result.before, lenient=lenient)
        refuse_unusable(result.after, lenient=lenient)
        return _json(result)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        if isinstance(exc, scoring.InputError):
            raise
        raise ApiError(
            422, "invalid_override", "参数调整无效（路径或数值不对）", f"invalid override: {exc}"
        ) from exc


class PlanRequest(BaseModel):
    firm: Firm
    target: Literal[LADDERS] | None = Field(  # type: ignore[valid-type]
        default=None, description="the rung to reach (default: the next one not met)"
    )
    by_year: int | None = Field(
        default=None, ge=2000, le=2100, description="file by this year (default: earliest)"
    )
    costs: dict[str, Annotated[float, Field(ge=0, le=1e12)]] = Field(
        default_factory=dict,
        description="unit costs replacing criteria/plan/costs.yaml, e.g. "
        '{"tech_staff": 180000} (yuan per unit)',
    )
    as_of: IsoDate | None = None
    mode: Literal["new", "review"] = "new"


@router.post("/plan", response_model=Plan | None)
async def plan(request: PlanRequest, lenient: bool = LENIENT):
    """The least-cost combination of changes that reaches the target rung by the year,
    verified by re-scoring its end state, with the readiness model's chance before and
    after. ``null`` when every rung is met."""
    options = Options(as_of=request.as_of, mode=request.mode)
    refuse_unusable(scoring.assess(request.firm, options.replace(readiness=None)), lenient=lenient)
    try:
        found = await anyio.to_thread.run_sync(
            lambda: plan_for(
                request.firm, request.target, request.by_year, request.costs or None, options
            ),
            limiter=SCORING,
        )
    except ValueError as exc:
        if isinstance(exc, scoring.InputError):
            raise
        raise ApiError(422, "invalid_cost", "单位成本只能替换已定价的字段", str(exc)) from exc
    return Response(
        "null" if found is None else found.model_dump_json(), media_type="application/json"
    )
