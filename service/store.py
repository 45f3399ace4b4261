"""What the service does with the database: who sees what, firms, assessments, targets.

Routes stay thin and call these. Scoring is always ``scoring`` (one scoring path).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import or_
from sqlmodel import Session, select

from scoring.api import Evaluated, firm_dict, input_hash, score_firms
from scoring.options import Options
from scoring.vocabulary import LADDERS
from service.errors import not_found
from service.models import Assessment, Firm, Target, User, now

PROFILE_KEYS = ("name", "credit_code", "region_code", "industry_code")


def end_sessions(session: Session, user: User) -> None:
    """Every session of ``user`` ends (logout, password change, deactivation)."""
    user.session_generation += 1
    session.add(user)
    session.commit()


def visible_firms(user: User):
    """Firms a user may see: a firm user its own; a bureau its own and its regions'; admin all."""
    query = select(Firm)
    if user.role == "admin":
        return query
    if user.role == "bureau":
        regions = [Firm.region_code.startswith(r) for r in user.regions()]
        return query.where(or_(Firm.owner_id == user.id, *regions))
    return query.where(Firm.owner_id == user.id)


def get_firm(session: Session, user: User, firm_id: int) -> Firm:
    firm = session.exec(visible_firms(user).where(Firm.id == firm_id)).first()
    if firm is None:
        raise not_found("企业", "firm")
    return firm


def get_assessment(session: Session, user: User, assessment_id: int) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise not_found("评价记录", "assessment")
    get_firm(session, user, row.firm_id)  # 404 unless the user may see the firm
    return row


def clean_input(data: dict[str, Any]) -> dict[str, Any]:
    """Blank form values are unknown: left out, never zero."""
    return {
        k: v
        for k, v in data.items()
        if v is not None and not (isinstance(v, str) and not v.strip())
    }


def latest_summary(scored: Evaluated, row: int = 0) -> dict[str, Any]:
    """The output contract row and the near-threshold list of one scored firm, for the
    dashboard: read from the evaluation the stored assessment came from (never re-scored)."""
    near = scored.near()
    return _summary_row(scored.contract().iloc[row], near[near["row"] == row])


def _summary_row(row: pd.Series, near: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float | np.floating):
            out[key] = None if math.isnan(value) else float(value)
        else:
            out[key] = str(value)
    out["near"] = [
        {"ladder": r.ladder, "rule_id": r.rule_id, "shortfall": float(r.shortfall), "zh": r.zh}
        for r in near.itertuples()
    ]
    return out


def save_firm(
    session: Session, user: User, data: dict[str, Any], scored: Evaluated, firm: Firm | None = None
) -> Firm:
    """The firm's identity as the scoring parser validated it: a region or credit code that
    failed its check is stored as unknown, so bureau visibility (by region prefix) never
    rests on a malformed code."""
    firm = firm or Firm(owner_id=user.id, name=str(data["name"]))
    firm.name = str(data["name"])
    frame = scored.ev.frame
    for key in PROFILE_KEYS[1:]:
        value = frame.text(key)[0]
        setattr(firm, key, None if value is None or value == "" else str(value))
    firm.profile = data
    firm.updated_at = now()
    session.add(firm)
    session.flush()
    return firm


def assess_and_store(
    session: Session,
    user: User,
    data: dict[str, Any],
    *,
    firm: Firm | None = None,
    options: Options | None = None,
) -> Assessment:
    """Assess a firm, store the firm (new or updated) and the assessment with its snapshot;
    the stored result and the dashboard's summary come from one evaluation."""
    options = options or Options()
    data = clean_input(data)
    scored = score_firms([firm_dict(data)], options)  # raises InputError on bad input
    result = scored.assessments()[0]
    firm = save_firm(session, user, data, scored, firm)
    row = Assessment(
        firm_id=firm.id,
        owner_id=user.id,
        input_snapshot=_jsonable(data),
        input_hash=input_hash(data),
        criteria_versions=result.criteria_version.split(";") if result.criteria_version else [],
        model_version=result.readiness.model_version if result.readiness else None,
        mode=options.mode,
        as_of=options.as_of,
        result=result.model_dump(mode="json"),
    )
    session.add(row)
    session.flush()
    firm.latest = latest_summary(scored)
    firm.latest_assessment_id = row.id
    session.add(firm)
    session.commit()
    session.refresh(row)
    return row


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


def pool_frame(session: Session, user: User) -> pd.DataFrame:
    """The firms a user sees, one row each: identity plus the latest output contract."""
    firms = session.exec(visible_firms(user)).all()
    rows = []
    for f in firms:
        latest = dict(f.latest or {})
        near = latest.pop("near", [])
        rows.append(
            {
                "id": f.id,
                "name": f.name,
                "credit_code": f.credit_code or "",
                "region_code": f.region_code or "",
                "industry_code": f.industry_code or "",
                "near": near,
                **latest,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(
            columns=["id", "name", "credit_code", "region_code", "industry_code", "near"]
        )
    for ladder in LADDERS:
        col = f"{ladder}_status"
        if col not in frame:
            frame[col] = ""
    return frame


def target_progress(session: Session, user: User, pool: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for t in session.exec(select(Target).where(Target.owner_id == user.id)).all():
        current = ladder_count(pool, t.ladder)
        gained = current - t.baseline
        out.append(
            {
                "id": t.id,
                "ladder": t.ladder,
                "year": t.year,
                "increase": t.increase,
                "baseline": t.baseline,
                "current": current,
                "gained": gained,
                "share": max(0.0, min(1.0, gained / t.increase)) if t.increase > 0 else 1.0,
                "note": t.note,
            }
        )
    return out


def create_target(
    session: Session, user: User, ladder: str, year: int, increase: int, note: str = ""
) -> Target:
    """A goal counted from today's pool: the baseline is the number meeting the ladder now."""
    baseline = ladder_count(pool_frame(session, user), ladder)
    target = Target(
        owner_id=user.id, ladder=ladder, year=year, increase=increase, baseline=baseline, note=note
    )
    session.add(target)
    session.commit()
    session.refresh(target)
    return target


def ladder_count(pool: pd.DataFrame, ladder: str) -> int:
    """Firms that meet a ladder today (by their latest assessment)."""
    if pool.empty:
        return 0
    eligible = pool[f"{ladder}_status"] == "eligible"
    return int(eligible.sum())
