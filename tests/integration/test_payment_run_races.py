"""A payment run racing single transfers on the same accounts (issue 14): the run locks every
bank account it touches once, in id order, before any internal account, then writes in bulk —
no overdraft, no deadlock, one booking per item, the ledger consistent."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

from tests.integration.builders import (
    TenantBuilder,
    assert_ledger_consistent,
    create_transfer,
    ledger_report,
    transfer_request,
)
from treasury.money import Money
from treasury.payments.model import TransferStatus
from treasury.payments.service import payment_runs
from treasury.payments.service import transfers as service

AMOUNT = Money.of("30.00", "CNY")


def race(tasks: list[Callable[[], Any]], workers: int) -> list[Any]:
    """Run the tasks on a pool of threads released at once; results or exceptions, in order."""
    start = threading.Event()

    def run(task: Callable[[], Any]) -> Any:
        start.wait()
        try:
            return task()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, task) for task in tasks]
        start.set()
        return [future.result(timeout=180) for future in futures]


def run_against_singles(books: TenantBuilder, *, singles: int, workers: int) -> None:
    """A run of 40 payments of 30.00 out of an account holding 1000.00 (+100.00 overdraft),
    interleaved with transfers the other way, races `singles` transfers out of the same account
    and back into it: 36 payments out fit, whatever the order, plus what came in before them."""
    entity = books.entity()
    debtor = books.account(entity, overdraft="100.00")
    creditors = [books.account(books.entity()) for _ in range(3)]
    books.statement_line(debtor, Money.of("1000.00", "CNY"), date(2026, 11, 20))
    for creditor in creditors:
        books.statement_line(creditor, Money.of("1000.00", "CNY"), date(2026, 11, 20))
    items = [
        payment_runs.ItemIn(transfer_request(debtor, creditors[index % 3], AMOUNT))
        for index in range(40)
    ]

    def the_run() -> payment_runs.RunResult:
        return payment_runs.create_run(
            books.uow_factory(),
            principal=books.principal,
            submission=payment_runs.Submission("race", "json", None, items),
            idempotency_options=service.IdempotencyOptions(
                key=uuid.uuid4().hex, request_document={"race": 1}, wait_seconds=30.0
            ),
            timezone="Asia/Shanghai",
        )

    def single(index: int) -> service.TransferResult:
        out = index % 2 == 0  # half out of the debtor, half back into it (the other lock order)
        creditor = creditors[index % 3]
        request = transfer_request(debtor if out else creditor, creditor if out else debtor, AMOUNT)
        return create_transfer(books.uow_factory, books.principal, request)

    outcomes = race([the_run, *[lambda i=i: single(i) for i in range(singles)]], workers)

    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert not errors, [repr(error) for error in errors[:5]]
    run = outcomes[0]
    assert isinstance(run, payment_runs.RunResult)
    assert {item.status for item in run.run.items} <= {"booked", "rejected"}
    report = ledger_report(books.uow_factory, books.tenant_id)
    assert_ledger_consistent(report)
    booked_out = sum(item.status == "booked" for item in run.run.items) + sum(
        1
        for index, outcome in enumerate(outcomes[1:])
        if index % 2 == 0 and outcome.transfer.status is TransferStatus.BOOKED
    )
    booked_in = sum(
        1
        for index, outcome in enumerate(outcomes[1:])
        if index % 2 == 1 and outcome.transfer.status is TransferStatus.BOOKED
    )
    assert booked_in == singles // 2  # the creditors hold plenty
    final = books.balance(debtor).balance.minor
    assert final == 100000 - 3000 * booked_out + 3000 * booked_in
    assert final >= -10000  # never past the overdraft
    assert booked_out >= 36  # what fits without the money coming in


@pytest.mark.postgres_only
def test_a_run_racing_single_transfers_both_ways_never_overdraws_nor_deadlocks(
    books: TenantBuilder,
) -> None:
    run_against_singles(books, singles=20, workers=10)


@pytest.mark.usefixtures("sqlite_only")
def test_a_run_racing_single_transfers_on_sqlite_serialises(books: TenantBuilder) -> None:
    run_against_singles(books, singles=12, workers=4)
