"""User accounts: self sign-up of a firm, and what an administrator does (create, disable,
enable, reset a password). The CLI (`tiering users`), the sign-up page and the admin page all
call these, so the rules and the audit trail are the same everywhere."""

from __future__ import annotations

import re

import pandas as pd
from sqlmodel import Session, select

from scoring.fields import credit_code_valid
from service import audit
from service.errors import ApiError
from service.models import ROLES, Firm, User
from service.security import hash_password

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD = 10
REGIONS = re.compile(r"^(\d{2,6})(,\d{2,6})*$")


def invalid(field: str, zh: str, en: str) -> ApiError:
    return ApiError(422, "invalid_account", zh, en, field=field)


def check_username(session: Session, username: str) -> str:
    name = username.strip()
    if not USERNAME.match(name):
        raise invalid(
            "username",
            "用户名应为3–64位字母、数字或 _ . @ -",
            "username: 3-64 letters, digits or _ . @ -",
        )
    if session.exec(select(User).where(User.username == name)).first() is not None:
        raise invalid("username", "该用户名已被使用", "username taken")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise invalid(
            "password",
            f"密码至少{MIN_PASSWORD}位",
            f"password: at least {MIN_PASSWORD} characters",
        )
    if len(password) > 256:
        raise invalid("password", "密码过长（最多256位）", "password too long")
    return password


def check_credit_code(code: str) -> str:
    text = code.strip().upper()
    if not credit_code_valid(pd.Series([text]))[0]:
        raise invalid(
            "credit_code",
            "统一社会信用代码应为18位且校验位正确",
            "credit code: 18 characters with a valid check character (GB 32100-2015)",
        )
    return text


def sign_up_firm(
    session: Session, username: str, password: str, firm_name: str, credit_code: str
) -> tuple[User, Firm]:
    """A firm's own account and its firm record (no assessment yet: nothing is shown to the
    bureau until the firm assesses and shares)."""
    name = check_username(session, username)
    check_password(password)
    code = check_credit_code(credit_code)
    firm_name = firm_name.strip()
    if not firm_name or len(firm_name) > 200:
        raise invalid("firm_name", "请填写企业名称（最多200字）", "firm name required (≤200)")
    user = User(
        username=name, password_hash=hash_password(password), role="firm", display_name=firm_name
    )
    session.add(user)
    session.flush()
    firm = Firm(
        owner_id=user.id,
        name=firm_name,
        credit_code=code,
        profile={"name": firm_name, "credit_code": code},
    )
    session.add(firm)
    session.flush()
    audit.record(session, user, "user.signup", "user", user.id, firm_id=firm.id)
    session.commit()
    session.refresh(user)
    session.refresh(firm)
    return user, firm


def create_user(
    session: Session,
    by: User | None,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    regions: str = "",
) -> User:
    name = check_username(session, username)
    check_password(password)
    if role not in ROLES:
        raise invalid("role", "角色无效", "unknown role")
    regions = regions.replace(" ", "").strip(",")
    if role == "bureau" and not REGIONS.match(regions):
        raise invalid(
            "regions",
            "科技管理部门账号需填写管辖的行政区划代码（2–6位数字，多个用逗号分隔）",
            "bureau: region code prefixes (2-6 digits, comma-separated)",
        )
    user = User(
        username=name,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name.strip()[:128] or name,
        region_codes=regions if role == "bureau" else "",
    )
    session.add(user)
    session.flush()
    audit.record(session, by, "user.create", "user", user.id, role=role, regions=regions)
    session.commit()
    session.refresh(user)
    return user


def set_active(session: Session, by: User | None, user: User, active: bool) -> None:
    """Disabling ends every session of the user at once (session generation)."""
    user.is_active = active
    if not active:
        user.session_generation += 1
    session.add(user)
    audit.record(session, by, "user.enable" if active else "user.disable", "user", user.id)
    session.commit()


def reset_password(session: Session, by: User | None, user: User, password: str) -> None:
    check_password(password)
    user.password_hash = hash_password(password)
    user.is_active = True
    user.session_generation += 1
    session.add(user)
    audit.record(session, by, "user.reset_password", "user", user.id)
    session.commit()
