"""A treasurer cancelling a held transfer while an officer approves it: exactly one wins.

Both go through the use cases the API calls, from two threads released together, on SQLite
(writers one at a time) and PostgreSQL (row locks: review item, then transfer, then balances).
The winner's outcome is the whole truth: cancelled with the reservation released and nothing
posted, or booked with one entry and the cancellation refused.
"""

from __future__ import annotations

import uuid
from functools import partial

import pytest
from fastapi.testclient import TestClient

from compliance.model import Decision
from tests.integration.test_reviews import (
    _audit_sealed_before_the_app_closes,  # noqa: F401 (the autouse fixture, for these tests)
    decide,
    funded_books,
    get_review,
    get_transfer,
    held_transfer,
    journal_entries_of,
    money,
    new_officer,
    principal_of,
    race,
)
from tests.support import TenantFixture
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import Conflict, NotCancellable
from treasury.payments.model import TransferStatus
from treasury.payments.service import cancellation
from treasury.payments.service.reviews import DecisionResult
from treasury.payments.service.transfers import IdempotencyOptions, TransferResult


def cancel(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, transfer_id: str
) -> TransferResult:
    """The treasurer's cancellation of a transfer seen held, through the use case."""
    request = cancellation.CancellationRequest(
        transfer_id=transfer_id,
        reason="paid by cheque instead",
        expected_status=TransferStatus.HELD,
    )
    return cancellation.cancel_transfer(
        uow_factory(),
        principal=principal_of(uow_factory, tenant.treasurer),
        request=request,
        idempotency_options=IdempotencyOptions(
            key=uuid.uuid4().hex,
            request_document={"transfer_id": transfer_id, "reason": request.reason},
            wait_seconds=5.0,
        ),
    )


@pytest.mark.parametrize("round_", range(3))
def test_a_cancellation_racing_an_approval_one_wins_the_other_conflicts(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, round_: int
) -> None:
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)
    officer = new_officer(uow_factory, tenant)
    calls = [
        partial(decide, uow_factory, officer, transfer["review_id"], Decision.APPROVE),
        partial(cancel, uow_factory, tenant, transfer["id"]),
    ]
    if round_ % 2:
        calls.reverse()

    outcomes = race(calls)  # type: ignore[arg-type]

    won = [o for o in outcomes if isinstance(o, DecisionResult | TransferResult)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    final = get_transfer(client, tenant, transfer["id"])
    review = get_review(client, tenant, transfer["review_id"])
    if isinstance(won[0], TransferResult):
        assert not isinstance(lost[0], NotCancellable)  # the officer found the review closed
        assert (final["status"], review["status"]) == ("cancelled", "cancelled")
        assert journal_entries_of(uow_factory, transfer["id"]) == 0
        assert money(client, tenant, ledger.capital) == ("1000000.00", "1000000.00")
    else:
        assert isinstance(lost[0], NotCancellable)
        assert (final["status"], review["status"]) == ("booked", "approved")
        assert journal_entries_of(uow_factory, transfer["id"]) == 1
        assert money(client, tenant, ledger.capital) == ("900000.00", "900000.00")
