"""Unfinished forms and results waiting for an account.

A signed-in user's form is saved as they type (one draft per user and firm, server-side);
an anonymous visitor's stays in their browser (``static/steps.js``). A visitor who asks to
keep an anonymous result gets a pending save, found again after sign-up or sign-in through
the session, for a day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlmodel import Session, select

from scoring.fields import FIELDS
from service.models import Draft, PendingSave, User, now

PENDING_HOURS = 24
MAX_VALUE = 200  # characters per form value (the inputs' own maxlength)


def form_only(values: dict) -> dict[str, str]:
    """Only the form's own fields, as short strings (a draft is never trusted input)."""
    return {
        k: str(v)[:MAX_VALUE] for k, v in values.items() if k in FIELDS and str(v or "").strip()
    }


def draft_key(firm_id: int | None) -> str:
    return str(firm_id) if firm_id else "new"


def save_draft(session: Session, user: User, firm_id: int | None, values: dict) -> Draft:
    key = draft_key(firm_id)
    row = session.exec(select(Draft).where(Draft.user_id == user.id, Draft.key == key)).first()
    row = row or Draft(user_id=user.id, key=key)
    row.values, row.updated_at = form_only(values), now()
    session.add(row)
    session.commit()
    return row


def load_draft(session: Session, user: User, firm_id: int | None) -> Draft | None:
    return session.exec(
        select(Draft).where(Draft.user_id == user.id, Draft.key == draft_key(firm_id))
    ).first()


def clear_draft(session: Session, user: User, firm_id: int | None) -> None:
    session.exec(delete(Draft).where(Draft.user_id == user.id, Draft.key == draft_key(firm_id)))
    session.commit()


def stash(session: Session, values: dict, private: bool) -> str:
    _expire(session)
    row = PendingSave(values=form_only(values), private=private)
    session.add(row)
    session.commit()
    return row.token


def take(session: Session, token: str | None) -> PendingSave | None:
    """The pending save of this session, removed from the table (it is used once)."""
    _expire(session)
    row = session.get(PendingSave, token) if token else None
    if row is not None:
        session.delete(row)
        session.commit()
    return row


def _expire(session: Session) -> None:
    cutoff = now() - dt.timedelta(hours=PENDING_HOURS)
    session.exec(delete(PendingSave).where(PendingSave.created_at < cutoff))
