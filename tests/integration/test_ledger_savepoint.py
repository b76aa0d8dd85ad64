"""`ledger.repository.savepoint`: an item of a batch rolled back takes its cached rows with it.

A payment run takes each item through the pipeline in a savepoint of one transaction. What the
ledger remembers per transaction (internal accounts found or made, balance rows locked) must not
outlive a savepoint that was rolled back: the account made inside it no longer exists, and on
PostgreSQL the row lock taken inside it is released.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.support import TenantFixture
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger import posting, repository
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.ledger.tables import LedgerAccountRow
from treasury.money import Money


class ItemFailed(Exception):
    """What an item of a batch raises after it wrote something."""


def test_an_internal_account_made_in_a_rolled_back_savepoint_is_made_again(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    entity_id = str(uuid.uuid4())
    with uow_factory() as uow:
        now = uow.clock.now()

        def suspense() -> LedgerAccountRow:
            return repository.internal_account(
                uow.session,
                tenant_id=tenant.id,
                entity_id=entity_id,
                kind=LedgerAccountKind.SUSPENSE,
                currency="CNY",
                created_at=now,
            )

        def clearing() -> LedgerAccountRow:
            return repository.internal_account(
                uow.session,
                tenant_id=tenant.id,
                entity_id=entity_id,
                kind=LedgerAccountKind.FX_CLEARING,
                currency="CNY",
                created_at=now,
            )

        made_inside: list[str] = []

        def item() -> None:
            with repository.savepoint(uow.session):
                made_inside.append(suspense().id)
                raise ItemFailed

        with pytest.raises(ItemFailed):
            item()
        again = suspense()
        assert [again.id] != made_inside  # the first one went with the savepoint
        entry = JournalEntry(
            id=str(uuid.uuid4()),
            value_date=date(2026, 11, 26),
            kind="test",
            description="after a rolled-back item",
            postings=(
                Posting(
                    debit_account_id=clearing().id,
                    credit_account_id=again.id,
                    amount=Money.of("5.00", "CNY"),
                ),
            ),
        )
        posting.post_entry(uow.session, tenant_id=tenant.id, entry=entry, posted_at=now)
        uow.commit()

    with uow_factory() as uow:
        found = repository.accounts_by_key(uow.session, tenant.id, [f"{entity_id}:suspense:CNY"])
        assert [row.id for row in found.values()] == [again.id]
        assert found[f"{entity_id}:suspense:CNY"].balance_minor == -500


def test_an_account_made_before_the_savepoint_is_still_known_after_it(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    entity_id = str(uuid.uuid4())
    with uow_factory() as uow:
        now = uow.clock.now()
        first = repository.internal_account(
            uow.session,
            tenant_id=tenant.id,
            entity_id=entity_id,
            kind=LedgerAccountKind.SUSPENSE,
            currency="CNY",
            created_at=now,
        )
        with pytest.raises(ItemFailed), repository.savepoint(uow.session):
            raise ItemFailed
        second = repository.internal_account(
            uow.session,
            tenant_id=tenant.id,
            entity_id=entity_id,
            kind=LedgerAccountKind.SUSPENSE,
            currency="CNY",
            created_at=now,
        )
        assert second.id == first.id
        uow.commit()
