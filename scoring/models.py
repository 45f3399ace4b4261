"""The result of an assessment as plain data (pydantic models): what the API returns."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from scoring.fields import DEFINITIONS_ZH, FIELDS

_PY_TYPES = {
    "text": str,
    "integer": int,
    "number": float,
    "money": float,
    "bool": bool,
    "date": dt.date,  # IsoDate, see _firm_field
}


def finite(value: float | None) -> float | None:
    """inf and NaN (e.g. growth over a non-positive base) are not numbers JSON can carry:
    they become None, and the text fields say what they mean."""
    return value if value is None or math.isfinite(value) else None


Number = Annotated[float | None, AfterValidator(finite)]


def _iso_date(value):
    """A date is a date or 'YYYY-MM-DD': pydantic would also read 0 or 1700000000 as a Unix
    time, and a founding date of 1970-01-01 from a stray number is worse than an error."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        return dt.date.fromisoformat(value)
    raise ValueError("a date is written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


def _no_bool(value):
    """``true``/``false`` is not a number: a money or count field given one is an error (it
    would otherwise be stored as 1 or 0 yuan)."""
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    return value


# fields whose text has a fixed form: a firm saved with region "32" would be seen by the
# wrong bureau, so a malformed code is refused here as the batch parser refuses it
_PATTERNS = {"region_code": r"^\d{6}$"}


def _firm_field(name: str, spec):
    kind = IsoDate if spec.type == "date" else _PY_TYPES[spec.type]
    if spec.type in ("integer", "number", "money"):
        kind = Annotated[kind, BeforeValidator(_no_bool)]
    field = Field(
        ... if name == "name" else None,
        description=" ".join(
            x for x in (f"{spec.label_zh}. {spec.definition}", DEFINITIONS_ZH.get(name)) if x
        ),
        pattern=_PATTERNS.get(name),
    )
    return (kind if name == "name" else kind | None, field)


Firm = create_model(
    "Firm",
    __config__=ConfigDict(extra="forbid"),
    __doc__="One firm per the input contract (firm-fields.csv plus the extension fields). "
    "Every field but name may be left out: left out means unknown.",
    **{name: _firm_field(name, spec) for name, spec in FIELDS.items()},
)


class TraceEntry(BaseModel):
    """One rule (or one part of a compound rule) for one firm."""

    rule_id: str
    kind: str  # gate, indicator, direct, condition
    group: str | None = None
    zh: str
    en: str
    short_zh: str | None = None  # a scored indicator's label on charts
    outcome: Literal["pass", "fail", "unknown", "review", "scored"]
    value_zh: str | None = None
    value_en: str | None = None
    threshold_zh: str | None = None
    threshold_en: str | None = None
    points: Number = None
    points_min: Number = None  # least points possible with the missing inputs
    points_max_possible: Number = None
    points_available: Number = None
    band_range: list[float] | None = None  # expert-scored band: the official range
    band_zh: str | None = None  # the band the firm reached (scored indicators with bands)
    band_en: str | None = None
    next_band_zh: str | None = None  # the nearest band worth more points (none at the top)
    next_band_en: str | None = None
    source: str | None = None
    evidence: str | None = None
    note: str | None = None
    missing: list[str] = Field(default_factory=list)
    parts: list[TraceEntry] = Field(default_factory=list)


class Gap(BaseModel):
    """The least change that passes a failed rule (or reaches a higher band)."""

    ladder: str
    rule_id: str
    kind: str  # gate, indicator, direct, score
    metric: str | None = None
    field: str | None = None
    current: Number = None
    target: Number = None
    change: Number = None  # in ``unit``: yuan, persons, items, days, points
    unit: str | None = None
    zh: str
    en: str
    lead_months: int = 0
    points_gain: Number = None
    option: int | None = None  # alternatives of one rule share a rule_id, numbered


class LadderAssessment(BaseModel):
    ladder: str
    name_zh: str
    name_en: str
    status: Literal["eligible", "ineligible", "undetermined", "manual_review"]
    held: bool | None = None
    score: Number = None
    score_min: Number = None
    score_max: Number = None
    pass_mark: str | None = None
    # expert-scored bands (HNTE): the total the bands reached allow; ``score`` is its midpoint
    expert_min: Number = None
    expert_max: Number = None
    expert_note_zh: str | None = None  # set when the pass mark lies inside the range
    expert_note_en: str | None = None
    route: Literal["direct", "score", "gate"] | None = None
    ruleset: str | None = None
    title_zh: str | None = None
    documents: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    trace: list[TraceEntry] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    notes_zh: list[str] = Field(default_factory=list)
    notes_en: list[str] = Field(default_factory=list)
    not_evaluated_zh: list[str] = Field(default_factory=list)
    not_evaluated_en: list[str] = Field(default_factory=list)
    # manual_review: what waits for a person or the official platform
    review_zh: list[str] = Field(default_factory=list)
    review_en: list[str] = Field(default_factory=list)
    warnings: list[WarningItem] = Field(default_factory=list)
    worth: LadderWorth | None = None  # what the ladder is worth (scoring.benefits)
    checked: str | None = None  # when the rule set was last compared with its sources
    sureness: str | None = None  # high / medium / low


class WarningItem(BaseModel):
    """A flag that never changes a status (an on-site-check trigger, an IP caveat, an expired
    regional round or a region without its own rules)."""

    ladder: str
    id: str
    zh: str
    en: str
    source: str | None = None


class WorthLine(BaseModel):
    """One benefit of a ladder: a yearly tax item, a one-off award, a fund or a note."""

    ladder: str
    id: str
    kind: Literal["yearly", "one_off", "fund", "note"]
    zh: str
    en: str
    amount: Number = None  # yuan (a year for yearly items); None: unknown or not a cash item
    up_to: bool = False  # the source says 最高
    formula_zh: str | None = None
    missing: list[str] = Field(default_factory=list)  # inputs that would make it exact
    status: Literal["open", "closed"] = "open"
    source: str
    sureness: str
    checked: str


class LadderWorth(BaseModel):
    """What a ladder is worth to this firm, computed from its own figures."""

    yearly: Number = None  # yuan a year (tax); None: an input is missing
    once: Number = None  # the region's one-off award; None: none recorded for the region
    once_up_to: bool = False
    small_low_profit: bool | None = None
    lines: list[WorthLine] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    summary_zh: str


class Materials(BaseModel):
    """What to prepare for a ladder (criteria/materials/checklists.yaml)."""

    ladder: str
    name_zh: str
    items: list[str]
    source: str
    sureness: str
    checked: str


class PathStep(BaseModel):
    ladder: str
    name_zh: str
    status: str
    needs_zh: list[str]
    needs_en: list[str]
    lead_months: int
    window_zh: str | None = None  # the filing window to aim at (scoring.filing_calendar)


class CalendarEvent(BaseModel):
    """One dated item of a firm's calendar, with its source."""

    ladder: str
    kind: Literal["window", "expiry", "duty"]
    status: Literal["open", "upcoming", "announced", "last_seen", "due", "past", "none"]
    zh: str  # the line as the page, PDF and CLI print it
    start: dt.date | None = None
    end: dt.date | None = None
    seen_year: int | None = None  # windows: the year of the notice it was seen in
    region_name: str | None = None
    source: str
    sureness: str
    checked: str


class PlanStep(BaseModel):
    rule_id: str
    field: str
    label_zh: str
    zh: str  # the gap as the result words it
    action_zh: str  # what the firm does (from the cost file)
    change: float | None  # in the field's unit; None for a yes/no condition
    unit: str | None
    cost: float | None  # yuan; None when the change is not priced
    lead_months: int
    source: str | None = None
    sureness: str | None = None


class Plan(BaseModel):
    target: str
    target_zh: str
    by_year: int
    status_before: str
    reachable: bool  # re-scoring the end state reaches the target
    status_after: str | None = None
    score_before: float | None = None
    score_after: float | None = None
    steps: list[PlanStep] = []
    cost: float | None = None  # the priced steps' total (yuan)
    unpriced: list[str] = []  # steps without a cost (named; the total leaves them out)
    lead_months: int = 0
    tried: int = 0  # combinations priced
    rescored: int = 0  # combinations re-scored through the engine
    # the readiness model's 12-month chance as the firm is today, and counted from the day
    # the plan is done (its lead months later): two figures that never contradict the lead
    readiness_before: float | None = None
    readiness_after: float | None = None
    zh: str  # the one line
    costs_checked: str


class InputIssue(BaseModel):
    field: str
    value: str
    zh: str
    en: str
    severity: Literal["error", "warning"]


class ReadinessAction(BaseModel):
    """Closing one gap, and what it does to the probability of the ladder."""

    rule_id: str
    field: str | None
    change: Number
    zh: str
    en: str
    lead_months: int
    probability: float  # with the gap closed
    gain: float  # over the probability as things stand


class Readiness(BaseModel):
    """The readiness model's probabilities of holding each ladder within 12 and 24 months
    (None where the firm already holds it or no model exists for the ladder)."""

    model_version: str
    synthetic: bool  # trained on a simulated panel: every page and report says so
    note_zh: str
    note_en: str
    within_12m: dict[str, Number]
    within_24m: dict[str, Number]
    # which estimator gave each ladder's 12-month figure (hgb, logistic, rules, blend0.5 …)
    estimators: dict[str, str] = Field(default_factory=dict)
    estimators_24m: dict[str, str] = Field(default_factory=dict)
    actions_ladder: str | None = None  # the next rung, whose gaps the actions close
    actions: list[ReadinessAction] = Field(default_factory=list)  # by gain in 12 months


class Assessment(BaseModel):
    name: str | None
    credit_code: str | None
    fiscal_year: int | None
    reference_date: str
    mode: Literal["new", "review"]
    ladders: dict[str, LadderAssessment]
    next_rung: str | None
    path: list[PathStep]
    criteria_version: str
    input_issues: list[InputIssue] = Field(default_factory=list)
    # every ladder's warnings in one list (the batch's warnings column is the same texts)
    warnings: list[WarningItem] = Field(default_factory=list)
    materials: Materials | None = None  # what to prepare for the next rung
    # dated windows, renewals and duties (scoring.filing_calendar); ``next_zh``: the first
    calendar: list[CalendarEvent] = Field(default_factory=list)
    next_zh: str | None = None
    plan: Plan | None = None  # the least-cost plan (scoring.plan), where one was asked for
    input_hash: str
    readiness: Readiness | None = None
