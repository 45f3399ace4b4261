"""Sign-in throttling: failed attempts counted per account and per client address in the
database (so every web process sees the same counts); past a limit the key is locked for a
while, each lockout in a row twice as long as the one before (capped), and the page answers
429 with ``Retry-After``."""

from __future__ import annotations

import logging
import math

from sqlmodel import Session

from service.models import LoginThrottle

log = logging.getLogger("tiering.auth")
WINDOW_SECONDS = 15 * 60  # failures older than this are forgotten
LIMITS = {"user": 20, "ip": 50, "signup": 20}  # failures (sign-ups) per window before a lockout
LOCK_SECONDS = 15 * 60
MAX_LOCK_SECONDS = 24 * 3600


def keys(username: str, address: str | None) -> list[str]:
    return [f"user:{username.strip().lower()[:64]}", f"ip:{address or 'unknown'}"]


def signup_key(address: str | None) -> str:
    """Sign-ups from one address are counted (all of them: an address making accounts in
    bulk is locked like one guessing passwords)."""
    return f"signup:{address or 'unknown'}"


def retry_after(session: Session, names: list[str], t: float) -> int | None:
    """Seconds until the most locked of ``names`` may try again (None: not locked)."""
    waits = [
        row.locked_until - t
        for row in (session.get(LoginThrottle, k) for k in names)
        if row is not None and row.locked_until > t
    ]
    return math.ceil(max(waits)) if waits else None


def failed(session: Session, names: list[str], t: float) -> None:
    for name in names:
        row = session.get(LoginThrottle, name) or LoginThrottle(key=name, window_start=t)
        if t - row.window_start > WINDOW_SECONDS:
            row.failures, row.window_start = 0, t
        row.failures += 1
        if row.failures >= LIMITS[name.split(":", 1)[0]]:
            lock = min(LOCK_SECONDS * 2**row.lockouts, MAX_LOCK_SECONDS)
            row.locked_until, row.lockouts = t + lock, row.lockouts + 1
            row.failures, row.window_start = 0, t
            log.warning("sign-in locked for %s for %d s after repeated failures", name, lock)
        session.add(row)
    session.commit()


def succeeded(session: Session, account_key: str) -> None:
    """A good password clears the account's count (the address keeps its own)."""
    row = session.get(LoginThrottle, account_key)
    if row is not None:
        session.delete(row)
        session.commit()
