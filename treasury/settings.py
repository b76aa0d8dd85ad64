"""Configuration from the environment (prefix TREASURY_), built once per entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the service; no module reads the environment on its own."""

    model_config = SettingsConfigDict(env_prefix="TREASURY_", extra="ignore")

    database_url: str = "sqlite:///./treasury.db"
    scheduler: Literal["on", "off"] = "on"
    timezone: str = "Asia/Shanghai"
    # Largest request body accepted, in bytes (DESIGN §4.2: 2 MiB).
    max_body_bytes: int = 2 * 1024 * 1024
    # How long a request waits for another in flight with the same Idempotency-Key before a 409.
    idempotency_wait_seconds: float = 10.0
    database_pool_size: int = 10
    log_level: str = "info"
    # Signs the officers' page (/review) session cookies. Unset: a random key per process, so
    # sessions end when the process restarts and do not span processes (set it, at least 32
    # random characters, when running several API processes or behind a load balancer).
    session_secret: SecretStr | None = None
    # Where the scheduler's daily `audit.anchor` job (and `treasury audit anchor --save`) keeps the
    # audit chain's head, outside the database; `treasury audit verify` checks against the latest.
    audit_anchor_dir: Path = Path("audit-anchors")
    # How long an audit event may stay unsealed after it was recorded before `treasury audit
    # verify` reports it as not sealed by the application (the sealer runs within a minute).
    audit_seal_grace_seconds: float = 300.0
    # How soon after a commit that recorded audit events they are sealed into the chain: a burst
    # of writes within it is hashed in one block.
    audit_seal_delay_seconds: float = Field(default=0.5, ge=0, le=60)
    # The market-data feed: `GET {market_data_url}/{YYYY-MM-DD}` answers that day's snapshot
    # document. Pulled by `treasury market-data pull` and, when set, by the scheduler's
    # `hedging.market_data` job at 18:00 Shanghai (before the 18:30 revaluation). Unset: no pull.
    market_data_url: str | None = None
