"""Reservations: held transfers set money aside (available falls, balance stays) until decided."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from compliance.model import Decision, Finding, PaymentContext, Severity
from tests.integration.builders import TenantBuilder, principal_of
from tests.support import TenantFixture
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger.tables import JournalEntryRow, LedgerAccountRow
from treasury.money import Money
from treasury.payments import pipeline, screening
from treasury.payments.model import INSUFFICIENT_FUNDS_RULE, TransferStatus
from treasury.payments.service import reviews as review_service
from treasury.payments.tables import TransferRow

REVIEW_FINDING = Finding(
    rule="TEST_REVIEW",
    severity=Severity.REVIEW,
    message="held by the test",
    message_zh="测试挂起",
    rule_version="test-1",
)


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


@pytest.fixture
def funded(books: TenantBuilder) -> tuple[str, str]:
    """A debtor holding CNY 1000.00 and an empty creditor of the same entity."""
    entity = books.entity()
    debtor, creditor = books.account(entity), books.account(entity)
    books.statement_line(debtor, cny("1000.00"), date(2026, 11, 20))
    return debtor, creditor


@pytest.fixture
def review_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Screening finds a `review` on every payment, as a compliance rule would."""

    def screen(context: PaymentContext) -> list[Finding]:
        return [REVIEW_FINDING]

    monkeypatch.setattr(screening, "screen", screen)


def reserved_minor(uow_factory: UnitOfWorkFactory, account_id: str) -> int:
    with uow_factory() as uow:
        row = uow.session.get(LedgerAccountRow, account_id)
        assert row is not None
        return row.reserved_minor


def transfer_entries(uow_factory: UnitOfWorkFactory, tenant_id: str) -> int:
    with uow_factory() as uow:
        count = uow.session.scalar(
            select(func.count()).where(
                JournalEntryRow.tenant_id == tenant_id, JournalEntryRow.kind == "transfer"
            )
        )
        return int(count or 0)


def test_reserve_and_release_move_available_not_balance(
    books: TenantBuilder, funded: tuple[str, str], uow_factory: UnitOfWorkFactory
) -> None:
    debtor, _ = funded

    with uow_factory() as uow:
        pipeline.reserve(uow.session, books.tenant_id, debtor, cny("300.00"))
        uow.commit()
    reserved = books.balance(debtor)
    with uow_factory() as uow:
        pipeline.release(uow.session, books.tenant_id, debtor, cny("300.00"))
        uow.commit()
    released = books.balance(debtor)

    assert (reserved.balance, reserved.available) == (cny("1000.00"), cny("700.00"))
    assert (released.balance, released.available) == (cny("1000.00"), cny("1000.00"))
    assert reserved_minor(uow_factory, debtor) == 0


def test_a_reservation_left_uncommitted_is_rolled_back(
    books: TenantBuilder, funded: tuple[str, str], uow_factory: UnitOfWorkFactory
) -> None:
    debtor, _ = funded

    with uow_factory() as uow:
        pipeline.reserve(uow.session, books.tenant_id, debtor, cny("300.00"))

    assert books.balance(debtor).available == cny("1000.00")


def test_reserved_money_cannot_be_spent(
    books: TenantBuilder, funded: tuple[str, str], uow_factory: UnitOfWorkFactory
) -> None:
    debtor, creditor = funded
    with uow_factory() as uow:
        pipeline.reserve(uow.session, books.tenant_id, debtor, cny("800.00"))
        uow.commit()

    refused = books.transfer(debtor, creditor, cny("200.01")).transfer
    accepted = books.transfer(debtor, creditor, cny("200.00")).transfer

    assert refused.status is TransferStatus.REJECTED
    assert INSUFFICIENT_FUNDS_RULE in {finding.rule for finding in refused.findings}
    assert accepted.status is TransferStatus.BOOKED
    assert books.balance(debtor).balance == cny("800.00")
    assert books.balance(debtor).available == cny("0.00")


@pytest.mark.usefixtures("review_everything")
def test_a_held_transfer_reserves_its_amount(
    books: TenantBuilder, funded: tuple[str, str], uow_factory: UnitOfWorkFactory
) -> None:
    debtor, creditor = funded

    held = books.transfer(debtor, creditor, cny("400.00")).transfer

    assert held.status is TransferStatus.HELD
    assert held.journal_id is None
    assert held.review_id is not None
    assert [finding.rule for finding in held.findings] == ["TEST_REVIEW"]
    after = books.balance(debtor)
    assert (after.balance, after.available) == (cny("1000.00"), cny("600.00"))
    assert books.balance(creditor).balance == cny("0.00")
    assert reserved_minor(uow_factory, debtor) == 40000
    assert transfer_entries(uow_factory, books.tenant_id) == 0
    with uow_factory() as uow:
        row = uow.session.get(TransferRow, held.id)
        assert row is not None
        assert row.reserved_minor == 40000


@pytest.mark.usefixtures("review_everything")
def test_holds_beyond_what_is_available_are_rejected(
    books: TenantBuilder, funded: tuple[str, str], uow_factory: UnitOfWorkFactory
) -> None:
    debtor, creditor = funded

    first = books.transfer(debtor, creditor, cny("600.00")).transfer
    second = books.transfer(debtor, creditor, cny("400.01")).transfer
    third = books.transfer(debtor, creditor, cny("400.00")).transfer

    assert [first.status, second.status, third.status] == [
        TransferStatus.HELD,
        TransferStatus.REJECTED,
        TransferStatus.HELD,
    ]
    assert INSUFFICIENT_FUNDS_RULE in {finding.rule for finding in second.findings}
    assert books.balance(debtor).available == cny("0.00")
    assert reserved_minor(uow_factory, debtor) == 100000


@pytest.mark.usefixtures("review_everything")
@pytest.mark.parametrize(
    ("decision", "status", "debtor_balance"),
    [
        (Decision.APPROVE, TransferStatus.BOOKED, "600.00"),
        (Decision.REJECT, TransferStatus.REJECTED, "1000.00"),
    ],
)
def test_deciding_a_hold_releases_its_reservation(
    books: TenantBuilder,
    funded: tuple[str, str],
    tenant: TenantFixture,
    uow_factory: UnitOfWorkFactory,
    decision: Decision,
    status: TransferStatus,
    debtor_balance: str,
) -> None:
    debtor, creditor = funded
    held = books.transfer(debtor, creditor, cny("400.00")).transfer
    assert held.review_id is not None

    decided = review_service.decide_review(
        uow_factory(),
        officer=principal_of(uow_factory, tenant.officer),
        review_id=held.review_id,
        decision=decision,
        reason="checked by the test",
        references={},
        timezone="Asia/Shanghai",
    )

    assert decided.transfer.status is status
    after = books.balance(debtor)
    assert after.balance == cny(debtor_balance)
    assert after.available == after.balance
    assert reserved_minor(uow_factory, debtor) == 0
    assert books.balance(creditor).balance == cny("1000.00") - cny(debtor_balance)
    booked = status is TransferStatus.BOOKED
    assert transfer_entries(uow_factory, books.tenant_id) == (1 if booked else 0)
