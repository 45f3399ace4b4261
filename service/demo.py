"""Demo data: the sample firms (fictitious, marked 示例·) in a demo bureau's pool, and accounts.

Accounts (stated in the README; for a local demo only):
  bureau  / bureau-demo-2026   科技局 (bureau) seeing region codes 3301, 4401, 37, 21, 11, 31
  firm    / firm-demo-2026     a firm user
  admin   / admin-demo-2026    administrator
"""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session, select

from service import store
from service.config import ROOT
from service.db import engine_for
from service.models import Assessment, Firm, User
from service.security import hash_password

DEMO_USERS = [
    ("bureau", "bureau-demo-2026", "bureau", "示例区科技局", "3301,4401,37,21,11,31,32,44"),
    ("firm", "firm-demo-2026", "firm", "示例企业用户", ""),
    ("admin", "admin-demo-2026", "admin", "管理员", ""),
]


def ensure_user(session: Session, username, password, role, display, regions="") -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = User(
            username=username,
            password_hash=hash_password(password),
            role=role,
            display_name=display,
            region_codes=regions,
        )
        session.add(user)
        session.commit()
        session.refresh(user)
    return user


def load_demo(database_url: str) -> int:
    """Accounts and the sample firms (once). Returns the number of firms added."""
    with Session(engine_for(database_url)) as session:
        users = {u[0]: ensure_user(session, *u) for u in DEMO_USERS}
        bureau = users["bureau"]
        if session.exec(select(Firm).where(Firm.owner_id == bureau.id)).first() is not None:
            return 0
        samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
        added = 0
        for _, row in samples.iterrows():
            data = store.clean_input(row.to_dict())
            if data.get("name"):  # the sample file has one deliberate row without a name
                # a spreadsheet's rows, as the batch reads them: a bad cell is unknown, said so
                store.assess_and_store(session, bureau, data, lenient=True)
                added += 1
        return added


def assessment_count(database_url: str) -> int:
    with Session(engine_for(database_url)) as session:
        return len(session.exec(select(Assessment.id)).all())
