"""What the service does with the database: who sees what, firms, assessments, targets.

Routes stay thin and call these. Scoring is always ``scoring`` (one scoring path).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from scoring.api import Evaluated, firm_dict, input_hash, refuse_unusable, score_firms
from scoring.filing_calendar import frame_renewals
from scoring.options import Options
from scoring.vocabulary import LADDERS
from service import audit
from service.errors import ApiError, not_found
from service.models import Assessment, BatchJob, Firm, Target, User, now

PROFILE_KEYS = ("name", "credit_code", "region_code", "industry_code")


def end_sessions(session: Session, user: User) -> None:
    """Every session of ``user`` ends (logout, password change, deactivation)."""
    user.session_generation += 1
    session.add(user)
    session.commit()


SOURCE_ZH = {"self": "企业自评", "bureau": "科技管理部门评价", "import": "批量导入"}


def visible_firms(user: User):
    """Firms a user may see: a firm user its own; a bureau its own and, in its regions, the
    firms that shared an assessment (a firm that kept every assessment private, or has none
    yet, stays out of the pool); admin all."""
    query = select(Firm)
    if user.role == "admin":
        return query
    if user.role == "bureau":
        regions = [Firm.region_code.startswith(r) for r in user.regions()]
        shared = Firm.latest_assessment_id.is_not(None)
        return query.where(or_(Firm.owner_id == user.id, and_(shared, or_(*regions))))
    return query.where(Firm.owner_id == user.id)


def require_bureau(user: User) -> User:
    """Bureau-only operations (the pool, imports, readiness models): 403 for a firm user."""
    if user.role not in ("bureau", "admin"):
        raise ApiError(403, "forbidden", "仅限科技管理部门账号", "bureau accounts only")
    return user


def owns(user: User, firm: Firm) -> bool:
    return firm.owner_id == user.id


def get_firm(session: Session, user: User, firm_id: int) -> Firm:
    firm = session.exec(visible_firms(user).where(Firm.id == firm_id)).first()
    if firm is None:
        raise not_found("企业", "firm")
    return firm


def get_assessment(session: Session, user: User, assessment_id: int) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise not_found("评价记录", "assessment")
    firm = get_firm(session, user, row.firm_id)  # 404 unless the user may see the firm
    if row.private and not owns(user, firm) and user.role != "admin":
        raise not_found("评价记录", "assessment")
    return row


def firm_assessments(session: Session, user: User, firm: Firm) -> list[Assessment]:
    """A firm's assessments the user may see, newest period first (its history)."""
    query = select(Assessment).where(Assessment.firm_id == firm.id)
    if not owns(user, firm) and user.role != "admin":
        query = query.where(Assessment.private == False)  # noqa: E712 (SQL, not Python)
    return list(session.exec(query.order_by(Assessment.period.desc(), Assessment.id.desc())).all())


def shown_profile(session: Session, user: User, firm: Firm) -> dict[str, Any]:
    """The firm's inputs as this user may see them: its owner the latest it entered; anyone
    else the inputs of the latest shared assessment (never those of a private one)."""
    if owns(user, firm) or user.role == "admin":
        return firm.profile
    row = session.get(Assessment, firm.latest_assessment_id) if firm.latest_assessment_id else None
    return dict(row.input_snapshot) if row else {}


def recent_assessments(session: Session, user: User, firms: list[Firm]) -> dict[int, Assessment]:
    """For a list of firms: the newest assessment of each the user may see."""
    own = [f.id for f in firms if owns(user, f) or user.role == "admin"]
    ids = {f.id: f.latest_assessment_id for f in firms if f.latest_assessment_id}
    if own:
        newest = session.exec(
            select(Assessment.firm_id, func.max(Assessment.id))
            .where(Assessment.firm_id.in_(own))
            .group_by(Assessment.firm_id)
        ).all()
        ids.update(dict(newest))
    rows = session.exec(select(Assessment).where(Assessment.id.in_(list(ids.values())))).all()
    return {r.firm_id: r for r in rows}


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
    out = _summary_row(scored.contract().iloc[row], near[near["row"] == row])
    on, ladder = frame_renewals(scored.ev)  # the calendar's certificate expiry, for the pool
    out["renewal_on"] = None if np.isnat(on[row]) else str(on[row])
    out["renewal_ladder"] = ladder[row]
    return out


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
    created = firm is None
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
    audit.record(session, user, "firm.create" if created else "firm.update", "firm", firm.id)
    return firm


def own_firm_for(session: Session, user: User, data: dict[str, Any]) -> Firm | None:
    """Which of the user's own firms an input belongs to: the one with its credit code, else
    the single firm of a new account that has not assessed yet (made at sign-up); none: a
    new firm."""
    own = session.exec(select(Firm).where(Firm.owner_id == user.id)).all()
    code = str(data.get("credit_code") or "").strip().upper()
    for firm in own:
        if code and firm.credit_code == code:
            return firm
    fresh = [f for f in own if f.latest_assessment_id is None and not _has_assessment(session, f)]
    if user.role == "firm" and len(own) == 1 and fresh:
        return fresh[0]
    return None


def _has_assessment(session: Session, firm: Firm) -> bool:
    return (
        session.exec(select(Assessment.id).where(Assessment.firm_id == firm.id).limit(1)).first()
        is not None
    )


def period_of(data: dict[str, Any]) -> int:
    """The fiscal year an input describes (its y0); without one, last calendar year (the
    latest complete fiscal year), so snapshots always order by the year they describe."""
    try:
        year = int(float(data.get("fiscal_year")))
        if 1980 <= year <= 2100:
            return year
    except (TypeError, ValueError):
        pass
    return dt.date.today().year - 1


def refresh_pool_row(session: Session, firm: Firm) -> None:
    """The pool reads a firm's latest shared snapshot: the newest period, then the newest
    record of that period (a private assessment never reaches it)."""
    row = session.exec(
        select(Assessment)
        .where(Assessment.firm_id == firm.id, Assessment.private == False)  # noqa: E712
        .order_by(Assessment.period.desc(), Assessment.id.desc())
        .limit(1)
    ).first()
    firm.latest = dict(row.summary) if row else {}
    firm.latest_assessment_id = row.id if row else None
    session.add(firm)


def assess_and_store(
    session: Session,
    user: User,
    data: dict[str, Any],
    *,
    firm: Firm | None = None,
    options: Options | None = None,
    private: bool = False,
    note: str = "",
    lenient: bool = False,
) -> Assessment:
    """Assess a firm and store the assessment with its snapshot, its author and where it came
    from; the stored result and the pool's summary come from one evaluation.

    The firm's owner updates its record (name, codes, profile). Anyone else who may see the
    firm (its region's bureau) adds an assessment of its own, annotated, and never changes
    the firm's data; only the owner may keep an assessment private."""
    options = options or Options()
    data = clean_input(data)
    scored = score_firms([firm_dict(data)], options)  # raises InputError on bad input
    result = refuse_unusable(scored.assessments()[0], lenient=lenient)
    own = firm is None or owns(user, firm)
    if own:
        firm = save_firm(session, user, data, scored, firm)
    elif user.role not in ("bureau", "admin"):
        raise ApiError(403, "forbidden", "不能修改其他企业的数据", "not your firm")
    row = Assessment(
        firm_id=firm.id,
        owner_id=firm.owner_id,
        author_id=user.id,
        source="self" if own else "bureau",
        private=bool(private) and own,
        note=note.strip()[:500],
        period=period_of(data),
        summary=latest_summary(scored),
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
    refresh_pool_row(session, firm)
    audit.record(
        session,
        user,
        "assessment.create",
        "assessment",
        row.id,
        firm_id=firm.id,
        source=row.source,
        private=row.private,
    )
    session.commit()
    session.refresh(row)
    return row


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as JSON: dates as ISO days, numpy scalars as Python numbers."""
    out = {}
    for k, v in data.items():
        if isinstance(v, np.datetime64):
            v = pd.Timestamp(v).date()
        elif isinstance(v, pd.Timestamp):
            v = v.date()
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v.isoformat() if isinstance(v, dt.date) else v
    return out


def pool_frame(session: Session, user: User) -> pd.DataFrame:
    """The firms a user sees, one row each: identity, the latest shared snapshot's output
    contract, and where that snapshot came from (self-assessed / imported from a file)."""
    firms = session.exec(visible_firms(user)).all()
    sources = pool_sources(session, [f.latest_assessment_id for f in firms])
    rows = []
    for f in firms:
        latest = dict(f.latest or {})
        near = latest.pop("near", [])
        period, source = sources.get(f.latest_assessment_id, (None, ""))
        rows.append(
            {
                "id": f.id,
                "name": f.name,
                "credit_code": f.credit_code or "",
                "region_code": f.region_code or "",
                "industry_code": f.industry_code or "",
                "near": near,
                "period": period,
                "source_zh": source,
                **latest,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(
            columns=[
                "id",
                "name",
                "credit_code",
                "region_code",
                "industry_code",
                "near",
                "period",
                "source_zh",
            ]
        )
    for ladder in LADDERS:
        col = f"{ladder}_status"
        if col not in frame:
            frame[col] = ""
    return frame


def pool_sources(session: Session, ids: list[int | None]) -> dict[int, tuple[int | None, str]]:
    """For assessment ids: (fiscal year, where it came from in words), in three queries."""
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = session.exec(select(Assessment).where(Assessment.id.in_(wanted))).all()
    authors = {r.author_id for r in rows if r.author_id}
    jobs = {r.import_job_id for r in rows if r.import_job_id}
    users = {u.id: u for u in session.exec(select(User).where(User.id.in_(authors))).all()}
    names = dict(
        session.exec(select(BatchJob.id, BatchJob.original_name).where(BatchJob.id.in_(jobs))).all()
    )
    return {r.id: (r.period, _source_text(r, users.get(r.author_id), names)) for r in rows}


def source_text(session: Session, row: Assessment) -> str:
    """Where a stored assessment came from, in words (shown next to every record)."""
    author = session.get(User, row.author_id) if row.author_id else None
    job = session.get(BatchJob, row.import_job_id) if row.import_job_id else None
    return _source_text(row, author, {job.id: job.original_name} if job else {})


def _source_text(row: Assessment, author: User | None, job_names: dict[str, str]) -> str:
    who = (author.display_name or author.username) if author else ""
    day = row.created_at.date().isoformat() if row.created_at else ""
    if row.source == "import":
        return f"导入自文件「{job_names.get(row.import_job_id, '')}」（{day}，{who}）"
    if row.source == "bureau":
        return f"科技管理部门评价（{who}，{day}）" + (f"：{row.note}" if row.note else "")
    return f"企业自评（{who}，{day}）"


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
    session.flush()
    audit.record(session, user, "target.create", "target", target.id, ladder=ladder, year=year)
    session.commit()
    session.refresh(target)
    return target


def ladder_count(pool: pd.DataFrame, ladder: str) -> int:
    """Firms that meet a ladder today (by their latest assessment)."""
    if pool.empty:
        return 0
    eligible = pool[f"{ladder}_status"] == "eligible"
    return int(eligible.sum())
