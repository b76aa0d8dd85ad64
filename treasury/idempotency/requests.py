"""The one way a use case honours an Idempotency-Key: `claim_or_replay` inside its unit of work.

A money-moving request carries an `IdempotentRequest` (the key, the request it came with, how long
to wait for a first request still in flight). The use case claims the key for the id its work
will have before doing anything; a second request with the same key gets the first one's id back
and replays what that request produced, writing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from treasury.db.unit_of_work import UnitOfWork
from treasury.idempotency import repository


@dataclass(frozen=True)
class IdempotentRequest:
    """The key presented, the request it came with (path ids included), and how long to wait
    for one in flight."""

    key: str
    request_document: dict[str, Any]
    wait_seconds: float


def claim_or_replay(
    uow: UnitOfWork,
    request: IdempotentRequest,
    *,
    tenant_id: str,
    scope: str,
    result_id: str,
    response_status: int,
) -> str | None:
    """Claim the key for a request about to produce `result_id` (None: do the work), or the id
    the first request with this key produced (replay it). The claim commits or rolls back with
    the unit of work.

    Raises:
        ValidationFailed: an empty or overlong key.
        IdempotencyKeyReused: the key came before with another request.
        IdempotencyKeyInFlight: the first request did not finish within the wait.
    """
    prior = repository.claim(
        uow.session,
        tenant_id=tenant_id,
        scope=scope,
        key=request.key,
        request_sha256=repository.request_digest(request.request_document),
        result_id=result_id,
        response_status=response_status,
        created_at=uow.clock.now(),
        wait_seconds=request.wait_seconds,
    )
    return None if prior is None else prior.result_id
