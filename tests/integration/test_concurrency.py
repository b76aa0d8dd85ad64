"""Races through the service layer: no overdraft under concurrency (6), one booking per key (4)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from compliance.model import Decision, Finding, PaymentContext, Severity
from tests.integration.builders import (
    TenantBuilder,
    assert_ledger_consistent,
    create_transfer,
    ledger_report,
    principal_of,
    transfer_request,
)
from tests.support import TenantFixture
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger.tables import JournalEntryRow
from treasury.money import Money
from treasury.payments import screening
from treasury.payments.model import INSUFFICIENT_FUNDS_RULE, TransferStatus
from treasury.payments.service import reviews as review_service
from treasury.payments.service.transfers import TransferResult
from treasury.payments.tables import TransferRow

T = TypeVar("T")
REVIEW_FINDING = Finding("TEST_REVIEW", Severity.REVIEW, "held by the test", "测试挂起", "test-1")


def race(tasks: list[Callable[[], T]], workers: int) -> list[T | BaseException]:
    """Run the tasks on a pool of threads, released at once; results or exceptions, in order."""
    start = threading.Event()

    def run(task: Callable[[], T]) -> T | BaseException:
        start.wait()
        try:
            return task()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, task) for task in tasks]
        start.set()
        return [future.result(timeout=120) for future in futures]


def only_results(outcomes: list[TransferResult | BaseException]) -> list[TransferResult]:
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert not errors, [repr(error) for error in errors[:5]]
    return [outcome for outcome in outcomes if isinstance(outcome, TransferResult)]


def transfers_by_status(uow_factory: UnitOfWorkFactory, tenant_id: str) -> dict[str, int]:
    with uow_factory() as uow:
        rows = uow.session.execute(
            select(TransferRow.status, func.count())
            .where(TransferRow.tenant_id == tenant_id)
            .group_by(TransferRow.status)
        ).all()
        return {status: int(count) for status, count in rows}


def overdraft_race(books: TenantBuilder, *, threads: int, workers: int) -> None:
    """`threads` transfers of CNY 30.00 race out of an account holding 1000.00 (+100.00 overdraft).

    Exactly 36 fit (1080.00 ≤ 1100.00); the rest must be rejected for funds, whatever the order.
    """
    amount = Money.of("30.00", "CNY")
    entity = books.entity()
    debtor = books.account(entity, overdraft="100.00")
    creditors = [books.account(books.entity()) for _ in range(4)]
    books.statement_line(debtor, Money.of("1000.00", "CNY"), date(2026, 11, 20))
    requests = [
        transfer_request(debtor, creditors[index % len(creditors)], amount)
        for index in range(threads)
    ]

    outcomes = race(
        [
            lambda request=request: create_transfer(books.uow_factory, books.principal, request)  # type: ignore[misc]
            for request in requests
        ],
        workers,
    )

    results = only_results(outcomes)
    booked = [
        result.transfer for result in results if result.transfer.status is TransferStatus.BOOKED
    ]
    rejected = [
        result.transfer for result in results if result.transfer.status is not TransferStatus.BOOKED
    ]
    expected_booked = min(threads, 36)
    assert len(booked) == expected_booked
    assert all(transfer.status is TransferStatus.REJECTED for transfer in rejected)
    assert all(
        INSUFFICIENT_FUNDS_RULE in {finding.rule for finding in transfer.findings}
        for transfer in rejected
    )
    final = books.balance(debtor).balance
    assert final.minor >= -10000
    assert final.minor == 100000 - sum(transfer.amount.minor for transfer in booked)
    assert sum(books.balance(creditor).balance.minor for creditor in creditors) == 3000 * len(
        booked
    )
    assert transfers_by_status(books.uow_factory, books.tenant_id) == {
        status: count
        for status, count in (("booked", len(booked)), ("rejected", len(rejected)))
        if count
    }
    report = ledger_report(books.uow_factory, books.tenant_id)
    assert report.entries == 1 + len(booked)
    assert_ledger_consistent(report)


@pytest.mark.postgres_only
def test_fifty_concurrent_transfers_never_overdraw(books: TenantBuilder) -> None:
    overdraft_race(books, threads=50, workers=25)


@pytest.mark.usefixtures("sqlite_only")
def test_concurrent_transfers_on_sqlite_serialise_without_errors(books: TenantBuilder) -> None:
    overdraft_race(books, threads=40, workers=8)


def test_one_idempotency_key_sent_twenty_times_books_once(books: TenantBuilder) -> None:
    entity = books.entity()
    debtor, creditor = books.account(entity), books.account(entity)
    books.statement_line(debtor, Money.of("500.00", "CNY"), date(2026, 11, 20))
    request = transfer_request(debtor, creditor, Money.of("120.00", "CNY"))
    key = uuid.uuid4().hex

    outcomes = race(
        [
            lambda: create_transfer(books.uow_factory, books.principal, request, key=key)
            for _ in range(20)
        ],
        workers=20,
    )

    results = only_results(outcomes)
    assert len({result.transfer.id for result in results}) == 1
    assert [result.replayed for result in results].count(False) == 1
    assert all(result.transfer.status is TransferStatus.BOOKED for result in results)
    assert len({result.transfer.journal_id for result in results}) == 1
    assert books.balance(debtor).balance == Money.of("380.00", "CNY")
    assert books.balance(creditor).balance == Money.of("120.00", "CNY")
    assert transfers_by_status(books.uow_factory, books.tenant_id) == {"booked": 1}
    with books.uow_factory() as uow:
        transfer_entries = uow.session.scalar(
            select(func.count()).where(
                JournalEntryRow.tenant_id == books.tenant_id, JournalEntryRow.kind == "transfer"
            )
        )
    assert transfer_entries == 1
    assert_ledger_consistent(ledger_report(books.uow_factory, books.tenant_id))


def test_transfers_racing_both_ways_between_two_accounts_do_not_deadlock(
    books: TenantBuilder,
) -> None:
    entity = books.entity()
    left, right = books.account(entity), books.account(entity)
    books.statement_line(left, Money.of("1000.00", "CNY"), date(2026, 11, 20))
    books.statement_line(right, Money.of("1000.00", "CNY"), date(2026, 11, 20))
    amount = Money.of("10.00", "CNY")
    requests = [
        transfer_request(left, right, amount)
        if index % 2
        else transfer_request(right, left, amount)
        for index in range(40)
    ]

    outcomes = race(
        [
            lambda request=request: create_transfer(books.uow_factory, books.principal, request)  # type: ignore[misc]
            for request in requests
        ],
        workers=20,
    )

    results = only_results(outcomes)
    assert all(result.transfer.status is TransferStatus.BOOKED for result in results)
    assert books.balance(left).balance == Money.of("1000.00", "CNY")
    assert books.balance(right).balance == Money.of("1000.00", "CNY")
    assert_ledger_consistent(ledger_report(books.uow_factory, books.tenant_id))


def test_first_fx_transfers_of_an_entity_racing_both_ways_do_not_deadlock(
    books: TenantBuilder,
) -> None:
    """CNY → USD and USD → CNY over disjoint accounts both create the entity's clearing accounts."""
    errors: list[BaseException] = []
    for _ in range(6):
        entity = books.entity()
        yuan, yuan_in = books.account(entity), books.account(entity)
        dollars, dollars_in = books.account(entity, "USD"), books.account(entity, "USD")
        books.statement_line(yuan, Money.of("1000.00", "CNY"), date(2026, 11, 20))
        books.statement_line(dollars, Money.of("1000.00", "USD"), date(2026, 11, 20))
        to_dollars = transfer_request(
            yuan, dollars_in, Money.of("100.00", "CNY"), fx_rate=Decimal("0.1381")
        )
        to_yuan = transfer_request(
            dollars, yuan_in, Money.of("10.00", "USD"), fx_rate=Decimal("7.0850")
        )

        outcomes = race(
            [
                lambda request=request: create_transfer(  # type: ignore[misc]
                    books.uow_factory, books.principal, request
                )
                for request in (to_dollars, to_yuan) * 3
            ],
            workers=6,
        )

        errors.extend(outcome for outcome in outcomes if isinstance(outcome, BaseException))
        assert books.balance(yuan_in).balance == Money.of("212.55", "CNY")
    assert not errors, [repr(error) for error in errors[:3]]
    assert_ledger_consistent(ledger_report(books.uow_factory, books.tenant_id))


def test_approvals_racing_opposite_transfers_do_not_deadlock(
    books: TenantBuilder, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Approving held X → Y transfers while Y → X transfers are booked."""
    held_amount = Money.of("7.77", "CNY")

    def screen(context: PaymentContext) -> list[Finding]:
        return [REVIEW_FINDING] if context.amount == held_amount else []

    monkeypatch.setattr(screening, "screen", screen)
    entity = books.entity()
    first, second = books.account(entity), books.account(entity)
    books.statement_line(first, Money.of("1000.00", "CNY"), date(2026, 11, 20))
    books.statement_line(second, Money.of("1000.00", "CNY"), date(2026, 11, 20))
    # The held transfers' debtor sorts after their creditor: its lock alone would come first.
    debtor, creditor = max(first, second), min(first, second)
    held = [books.transfer(debtor, creditor, held_amount).transfer for _ in range(12)]
    officer = principal_of(books.uow_factory, tenant.officer)
    review_ids = [transfer.review_id for transfer in held if transfer.review_id is not None]
    assert len(review_ids) == 12

    def approve(review_id: str) -> object:
        return review_service.decide_review(
            books.uow_factory(),
            officer=officer,
            review_id=review_id,
            decision=Decision.APPROVE,
            reason="checked",
            references={},
            timezone="Asia/Shanghai",
        )

    def pay_back() -> object:
        request = transfer_request(creditor, debtor, Money.of("1.00", "CNY"))
        return create_transfer(books.uow_factory, books.principal, request)

    tasks: list[Callable[[], object]] = []
    for review_id in review_ids:
        tasks += [lambda review_id=review_id: approve(review_id), pay_back]  # type: ignore[misc]
    outcomes = race(tasks, workers=20)

    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert not errors, [repr(error) for error in errors[:3]]
    expected = 100000 - 12 * 777 + 12 * 100
    assert books.balance(debtor).balance.minor == expected
    assert books.balance(debtor).available.minor == expected
    assert_ledger_consistent(ledger_report(books.uow_factory, books.tenant_id))
