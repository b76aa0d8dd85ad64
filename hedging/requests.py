"""A keyed request on a hedge (close it, pay its premium again, book its receipt): the hedge
locked, then the Idempotency-Key claimed.

The hedge comes first: a key's claim stores the id it answers for, so only an id of the tenant's
hedges is worth one — an id of nothing is a 404 that leaves no key behind (a longer id than ours
was a 500 on PostgreSQL). Every keyed request on a hedge locks it before its key, so two of them
queue on the hedge and the second finds the first's key.
"""

from __future__ import annotations

from hedging import repository
from hedging.tables import HedgeRow
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import NotFound
from treasury.idempotency.requests import IdempotentRequest, claim_or_replay

ANSWERED = 200


def locked_for_request(
    uow: UnitOfWork,
    idempotency: IdempotentRequest | None,
    *,
    tenant_id: str,
    hedge_id: str,
    scope: str,
) -> tuple[HedgeRow, bool]:
    """The tenant's hedge, locked, and whether the request replays one its key answered.

    Raises:
        NotFound: the hedge is not the tenant's.
        IdempotencyKeyReused, IdempotencyKeyInFlight: see `treasury.idempotency`.
    """
    row = repository.get_hedge(uow.session, tenant_id, hedge_id, for_update=True)
    if row is None:
        raise NotFound(f"hedge {hedge_id} not found")
    if idempotency is None:
        return row, False
    prior = claim_or_replay(
        uow,
        idempotency,
        tenant_id=tenant_id,
        scope=scope,
        result_id=hedge_id,
        response_status=ANSWERED,
    )
    return row, prior is not None
