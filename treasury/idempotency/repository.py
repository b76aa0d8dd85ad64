"""Claiming an idempotency key inside the caller's unit of work."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from treasury.db.dialects import DIALECTS, conflict_insert
from treasury.db.prepared import Prepared
from treasury.errors import IdempotencyKeyInFlight, IdempotencyKeyReused, ValidationFailed
from treasury.idempotency.tables import IdempotencyKeyRow

MAX_KEY_LENGTH = 255
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL SQLSTATE of a lock_timeout
_KEYS = cast(Table, IdempotencyKeyRow.__table__)  # for the insert in `_insert_or_wait`
_CLAIM_KEYS = (
    "tenant_id",
    "scope",
    "key",
    "request_sha256",
    "result_id",
    "response_status",
    "created_at",
)
# Insert-or-nothing per dialect, compiled once and run on the driver's cursor (every money-moving
# request claims its key by it).
_CLAIMS = {
    dialect: conflict_insert(_KEYS, dialect).on_conflict_do_nothing().returning(_KEYS.c.key)
    for dialect in DIALECTS
}
# On PostgreSQL the claim that inserts also gives the transaction's lock timeout back (SET LOCAL
# lock_timeout = 0) in its RETURNING, evaluated once the row is in: one round trip less on every
# money-moving request. A claim that inserts nothing resets it by a statement of its own.
_CLAIMS["postgresql"] = _CLAIMS["postgresql"].returning(func.set_config("lock_timeout", "0", True))
_PREPARED_CLAIMS = {dialect: Prepared(claim, _CLAIM_KEYS) for dialect, claim in _CLAIMS.items()}
# set_config(..., is_local => true) is SET LOCAL: it lasts until this transaction ends.
_SET_LOCK_TIMEOUT = Prepared(
    select(func.set_config("lock_timeout", bindparam("timeout"), True)), ("timeout",)
)


@dataclass(frozen=True)
class PriorResult:
    """What the first request with this key produced."""

    result_id: str
    response_status: int


def request_digest(document: Any) -> str:
    """SHA-256 of the canonical JSON of a request (sorted keys, no whitespace)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(
    session: Session,
    *,
    tenant_id: str,
    scope: str,
    key: str,
    request_sha256: str,
    result_id: str,
    response_status: int,
    created_at: datetime,
    wait_seconds: float,
) -> PriorResult | None:
    """Claim `key` for a request about to produce `result_id`; or return the prior result.

    The claim is a row written in the caller's transaction: it commits or rolls back with the work.
    A duplicate arriving while the first is in flight waits for it (PostgreSQL's unique-index
    lock; SQLite runs writers one at a time) and then replays; past `wait_seconds` it gets 409.

    Raises:
        ValidationFailed: an empty or overlong key.
        IdempotencyKeyReused: the key came before with another request.
        IdempotencyKeyInFlight: the first request did not finish within the wait.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    values = {
        "tenant_id": tenant_id,
        "scope": scope,
        "key": key,
        "request_sha256": request_sha256,
        "result_id": result_id,
        "response_status": response_status,
        "created_at": created_at,
    }
    if _insert_or_wait(session, values, wait_seconds):
        return None
    prior = session.get(IdempotencyKeyRow, (tenant_id, scope, key), populate_existing=True)
    assert prior is not None
    if prior.request_sha256 != request_sha256:
        raise IdempotencyKeyReused(f"Idempotency-Key {key!r} was used with another request")
    return PriorResult(prior.result_id, prior.response_status)


def _insert_or_wait(session: Session, values: dict[str, Any], wait_seconds: float) -> bool:
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    if on_postgresql:
        _set_lock_timeout(session, f"{int(wait_seconds * 1000)}ms")
    statement = _PREPARED_CLAIMS["postgresql" if on_postgresql else "sqlite"]
    try:
        # In the unit of work's transaction: the claim is no ORM object.
        inserted = bool(statement.rows(session, values))
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise IdempotencyKeyInFlight(
                f"a request with Idempotency-Key {values['key']!r} is still in flight"
            ) from error
        raise
    if on_postgresql and not inserted:  # an inserting claim reset it in its RETURNING
        _set_lock_timeout(session, "0")  # later row locks of this transaction wait as usual
    return inserted


def _set_lock_timeout(session: Session, timeout: str) -> None:
    _SET_LOCK_TIMEOUT.rows(session, {"timeout": timeout})
