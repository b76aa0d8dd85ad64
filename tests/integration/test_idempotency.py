"""Idempotency keys (invariant 4): a replay returns the original, another body is refused."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from tests.integration.builders import TenantBuilder, create_transfer, transfer_request
from tests.support import TenantFixture
from treasury.audit.tables import AuditEventRow
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import IdempotencyKeyReused, ValidationFailed
from treasury.idempotency import repository as keys
from treasury.idempotency.tables import IdempotencyKeyRow
from treasury.ledger.tables import JournalEntryRow, LedgerAccountRow, PostingRow
from treasury.money import Money
from treasury.payments.model import TransferStatus
from treasury.payments.tables import TransferRow


@dataclass(frozen=True)
class Snapshot:
    """Everything of a tenant that a request could have written."""

    transfers: int
    entries: int
    postings: int
    audit_events: int
    keys: tuple[tuple[str, str, str], ...]
    balances: tuple[tuple[str, int, int], ...]


def snapshot(uow_factory: UnitOfWorkFactory, tenant_id: str) -> Snapshot:
    with uow_factory() as uow:
        session = uow.session

        def count(column: InstrumentedAttribute[Any], tenant: InstrumentedAttribute[Any]) -> int:
            query = select(func.count(column)).where(tenant == tenant_id)
            return int(session.scalar(query) or 0)

        keys = session.execute(
            select(
                IdempotencyKeyRow.key, IdempotencyKeyRow.request_sha256, IdempotencyKeyRow.result_id
            )
            .where(IdempotencyKeyRow.tenant_id == tenant_id)
            .order_by(IdempotencyKeyRow.key)
        ).all()
        balances = session.execute(
            select(
                LedgerAccountRow.id, LedgerAccountRow.balance_minor, LedgerAccountRow.reserved_minor
            )
            .where(LedgerAccountRow.tenant_id == tenant_id)
            .order_by(LedgerAccountRow.id)
        ).all()
        return Snapshot(
            transfers=count(TransferRow.id, TransferRow.tenant_id),
            entries=count(JournalEntryRow.id, JournalEntryRow.tenant_id),
            postings=count(PostingRow.id, PostingRow.tenant_id),
            audit_events=count(AuditEventRow.id, AuditEventRow.tenant_id),
            keys=tuple((str(a), str(b), str(c)) for a, b, c in keys),
            balances=tuple((str(a), int(b), int(c)) for a, b, c in balances),
        )


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


@pytest.fixture
def accounts(books: TenantBuilder) -> tuple[str, str]:
    entity = books.entity()
    debtor, creditor = books.account(entity), books.account(entity)
    books.statement_line(debtor, cny("1000.00"), date(2026, 11, 20))
    return debtor, creditor


def test_a_replay_returns_the_original_and_writes_nothing(
    books: TenantBuilder, accounts: tuple[str, str]
) -> None:
    debtor, creditor = accounts
    key = uuid.uuid4().hex
    first = books.transfer(debtor, creditor, cny("100.00"), key=key)
    before = snapshot(books.uow_factory, books.tenant_id)

    replay = books.transfer(debtor, creditor, cny("100.00"), key=key)

    assert first.replayed is False
    assert replay.replayed is True
    assert replay.transfer == first.transfer
    assert snapshot(books.uow_factory, books.tenant_id) == before
    assert books.balance(debtor).balance == cny("900.00")


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    books: TenantBuilder, accounts: tuple[str, str]
) -> None:
    debtor, creditor = accounts
    key = uuid.uuid4().hex
    first = books.transfer(debtor, creditor, cny("100.00"), key=key)
    before = snapshot(books.uow_factory, books.tenant_id)

    with pytest.raises(IdempotencyKeyReused) as raised:
        books.transfer(debtor, creditor, cny("100.01"), key=key)

    assert raised.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert snapshot(books.uow_factory, books.tenant_id) == before
    assert books.balance(debtor).balance == cny("900.00")
    assert before.keys[0][2] == first.transfer.id


def test_a_key_that_was_refused_for_funds_replays_the_rejection(
    books: TenantBuilder, accounts: tuple[str, str]
) -> None:
    debtor, creditor = accounts
    key = uuid.uuid4().hex
    refused = books.transfer(debtor, creditor, cny("5000.00"), key=key)
    books.statement_line(debtor, cny("10000.00"), date(2026, 11, 21))

    replay = books.transfer(debtor, creditor, cny("5000.00"), key=key)

    assert refused.transfer.status is TransferStatus.REJECTED
    assert replay.replayed is True
    assert replay.transfer.id == refused.transfer.id
    assert replay.transfer.status is TransferStatus.REJECTED
    assert books.balance(debtor).balance == cny("11000.00")


def test_keys_belong_to_one_tenant(
    books: TenantBuilder,
    accounts: tuple[str, str],
    other_tenant: TenantFixture,
    uow_factory: UnitOfWorkFactory,
) -> None:
    debtor, creditor = accounts
    other = TenantBuilder.of(uow_factory, other_tenant)
    other_entity = other.entity()
    other_debtor, other_creditor = other.account(other_entity), other.account(other_entity)
    other.statement_line(other_debtor, cny("50.00"), date(2026, 11, 20))
    key = uuid.uuid4().hex

    mine = books.transfer(debtor, creditor, cny("10.00"), key=key)
    theirs = other.transfer(other_debtor, other_creditor, cny("10.00"), key=key)

    assert not mine.replayed
    assert not theirs.replayed
    assert mine.transfer.id != theirs.transfer.id
    assert other.balance(other_creditor).balance == cny("10.00")


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_empty_or_overlong_key_is_refused(
    books: TenantBuilder, accounts: tuple[str, str], key: str
) -> None:
    debtor, creditor = accounts
    before = snapshot(books.uow_factory, books.tenant_id)

    with pytest.raises(ValidationFailed, match="Idempotency-Key"):
        create_transfer(
            books.uow_factory,
            books.principal,
            transfer_request(debtor, creditor, cny("1.00")),
            key=key,
        )

    assert snapshot(books.uow_factory, books.tenant_id) == before


@pytest.mark.postgres_only
def test_a_claim_waits_for_its_key_only_and_the_work_after_it_waits_as_usual(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    """The claim bounds its own wait on an in-flight duplicate (lock_timeout) and gives the
    timeout back whether it inserts (in its RETURNING) or finds the key: the row locks of the
    work after it wait as long as they must."""

    def claimed(key: str) -> tuple[keys.PriorResult | None, str]:
        prior = keys.claim(
            uow.session,
            tenant_id=tenant.id,
            scope="transfers",
            key=key,
            request_sha256="a" * 64,
            result_id=str(uuid.uuid4()),
            response_status=201,
            created_at=uow.clock.now(),
            wait_seconds=2.5,
        )
        return prior, str(uow.session.scalar(select(func.current_setting("lock_timeout"))))

    key = uuid.uuid4().hex
    with uow_factory() as uow:
        assert claimed(key) == (None, "0")
        uow.commit()
    with uow_factory() as uow:
        prior, timeout = claimed(key)
        assert prior is not None
        assert timeout == "0"
