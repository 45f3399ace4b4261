"""Settings from the environment (prefix ``TIERING_``), one object for the whole service."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER_SECRET = "change-me-development-only"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIERING_", env_file=".env", extra="ignore")

    environment: str = "development"  # development | test | production
    database_url: str = f"sqlite:///{ROOT / 'var' / 'tiering.db'}"
    secret_key: str = PLACEHOLDER_SECRET
    data_dir: Path = (
        ROOT / "var"
    )  # uploaded files and batch results (names are ids, never user text)
    upload_max_bytes: int = 20 * 1024 * 1024
    batch_max_rows: int = 200_000
    batch_chunk_rows: int = 2_000  # one checkpoint per chunk
    lease_seconds: float = 30.0  # a job whose worker stops renewing is taken over after this
    max_attempts: int = 3  # a job whose worker died this many times is failed, not retried
    worker_poll_seconds: float = 1.0
    worker_chunk_pause: float = 0.0  # seconds between chunks (lets tests stop a worker mid-job)
    session_max_age: int = 8 * 3600
    secure_cookies: bool | None = None  # default: on in production (behind HTTPS), off otherwise

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is None:
            return self.environment == "production"
        return self.secure_cookies

    @model_validator(mode="after")
    def _install_secret(self) -> Settings:
        """In development the public placeholder is never the key: a random one is made once
        per install under the data dir (0600) and kept, so sessions survive restarts."""
        if self.environment == "development" and self.secret_key == PLACEHOLDER_SECRET:
            path = Path(self.data_dir) / ".secret_key"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
            self.secret_key = path.read_text().strip()
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment not in ("development", "test") and (
            self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "TIERING_SECRET_KEY must be set to a random value of 32+ characters outside "
                "development, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
