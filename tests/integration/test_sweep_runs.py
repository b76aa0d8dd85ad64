"""Sweep runs on SQLite and PostgreSQL: conservation, intercompany positions netting to zero,
quotas never exceeded, idempotency under a race, held legs, late runs."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from compliance.model import Decision
from pooling.model import MemberSpec, Regime, SweepRule
from pooling.plan import LegStatus
from pooling.service import pools as pool_service
from pooling.service import sweeps, views
from tests.integration.builders import (
    TenantBuilder,
    assert_ledger_consistent,
    ledger_report,
    principal_of,
)
from tests.support import TenantFixture, default_address, make_tenant
from treasury.accounts import service as accounts_service
from treasury.accounts.model import AccountKind
from treasury.calendars import default_calendars
from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import DateNotReached
from treasury.ledger.tables import JournalEntryRow, LedgerAccountRow
from treasury.money import Money
from treasury.payments.service import reviews as reviews_service
from treasury.tenancy import service as tenancy_service

TODAY = date(2026, 11, 26)
TZ = "Asia/Shanghai"
CNY = "CNY"


@dataclass
class PoolFixture:
    books: TenantBuilder
    pool_id: str
    master: str
    members: list[str]  # host current, onshore, offshore 1, offshore 2


def _entity(books: TenantBuilder, country: str, **fields: object) -> str:
    entity = accounts_service.create_entity(
        books.uow_factory(),
        tenant_id=books.tenant_id,
        fields={
            "code": f"E{uuid.uuid4().hex[:8]}",
            "name": "E",
            "country": country,
            "address": default_address(country),
            **fields,
        },
    )
    return entity.id


def _account(books: TenantBuilder, entity_id: str, kind: AccountKind = AccountKind.CURRENT) -> str:
    return accounts_service.open_bank_account(
        books.uow_factory(),
        tenant_id=books.tenant_id,
        entity_id=entity_id,
        kind=kind,
        currency=CNY,
        bank_bic="BKCHCNBJ",
        number=uuid.uuid4().hex[:12],
        overdraft_limit=Money.of("0", CNY),
    ).id


def make_pool(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, *, host_equity: str
) -> PoolFixture:
    books = TenantBuilder.of(uow_factory, tenant)
    bn = Money.of("5000000000", CNY)
    host = _entity(
        books,
        "CN",
        owners_equity=Money.of(host_equity, CNY),
        prior_year_revenue=bn,
        prior_year_cross_border_volume=bn,
    )
    onshore = _entity(
        books,
        "CN",
        owners_equity=Money.of("0", CNY),
        prior_year_revenue=bn,
        prior_year_cross_border_volume=bn,
    )
    offshore = [_entity(books, "HK", prior_year_revenue=bn) for _ in range(2)]
    master = _account(books, host, AccountKind.POOL_MASTER)
    members = [_account(books, host), _account(books, onshore)] + [
        _account(books, entity) for entity in offshore
    ]
    pool = pool_service.create_pool(
        uow_factory(),
        tenant_id=tenant.id,
        actor="test",
        spec=pool_service.PoolSpec(
            name="P",
            regime=Regime.INTEGRATED_251,
            currency=CNY,
            master_account_id=master,
            members=[MemberSpec(account_id=a, rule=SweepRule.ZERO_BALANCE) for a in members],
            interest=None,
            filing_ref="F-1",
            bop_code="822020",
            schedule=None,
        ),
        timezone=TZ,
    )
    return PoolFixture(books, pool.id, master, members)


def run(fixture: PoolFixture, day: date = TODAY) -> sweeps.SweepResult:
    return sweeps.run_sweep(
        fixture.books.uow_factory(),
        tenant_id=fixture.books.tenant_id,
        pool_id=fixture.pool_id,
        business_date=day,
        actor=fixture.books.principal,
        calendars=default_calendars(),
        timezone=TZ,
    )


def intercompany_total(uow_factory: UnitOfWorkFactory, tenant_id: str) -> int:
    with uow_factory() as uow:
        total = uow.session.scalar(
            select(func.coalesce(func.sum(LedgerAccountRow.balance_minor), 0)).where(
                LedgerAccountRow.tenant_id == tenant_id,
                LedgerAccountRow.kind.in_(["intercompany_receivable", "intercompany_payable"]),
            )
        )
        return int(total or 0)


def entry_count(uow_factory: UnitOfWorkFactory, tenant_id: str) -> int:
    with uow_factory() as uow:
        count = uow.session.scalar(
            select(func.count()).where(JournalEntryRow.tenant_id == tenant_id)
        )
        return int(count or 0)


amounts = st.lists(st.integers(-5_000_00, 50_000_00), min_size=4, max_size=4)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=amounts, second=amounts, equity=st.sampled_from(["100.00", "20000.00", "1000000.00"]))
def test_sweeps_conserve_money_net_positions_to_zero_and_keep_quotas(
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    first: list[int],
    second: list[int],
    equity: str,
) -> None:
    clock.instant = clock.instant.replace(day=25)  # 2026-11-25, then the 26th
    tenant = make_tenant(uow_factory, f"s-{uuid.uuid4().hex[:12]}")
    fixture = make_pool(uow_factory, tenant, host_equity=equity)
    accounts = [fixture.master, *fixture.members]
    for day, changes in ((date(2026, 11, 25), first), (TODAY, second)):
        clock.instant = clock.instant.replace(day=day.day)
        for account, change in zip(fixture.members, changes, strict=True):
            if change:
                fixture.books.statement_line(account, Money.from_minor(change, CNY), day)
        before = sum(fixture.books.balance(a, day).balance.minor for a in accounts)
        result = run(fixture, day)
        assert result.created
        after = sum(fixture.books.balance(a, day).balance.minor for a in accounts)
        assert after == before  # the pool's total is conserved
        assert intercompany_total(uow_factory, tenant.id) == 0
        positions = views.pool_positions(
            uow_factory(), tenant_id=tenant.id, pool_id=fixture.pool_id, as_of=day
        )
        for quota in positions.quotas:
            assert quota.used.minor <= quota.limit.minor + 1  # display rounding only
        entries = entry_count(uow_factory, tenant.id)
        again = run(fixture, day)
        assert not again.created
        assert again.run.id == result.run.id
        assert entry_count(uow_factory, tenant.id) == entries
    assert_ledger_consistent(ledger_report(uow_factory, tenant.id))


def test_two_runs_racing_for_one_pool_and_date_make_one_run(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    fixture = make_pool(uow_factory, tenant, host_equity="1000000.00")
    for account in fixture.members:
        fixture.books.statement_line(account, Money.of("100.00", CNY), date(2026, 11, 20))
    results: list[sweeps.SweepResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def racer() -> None:
        barrier.wait()
        try:
            results.append(run(fixture))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(result.created for result in results) == [False, True]
    assert results[0].run.id == results[1].run.id
    assert fixture.books.balance(fixture.master).balance == Money.of("400.00", CNY)


def test_hold_policy_holds_the_leg_and_a_later_run_records_its_approved_loan(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, clock: FixedClock
) -> None:
    tenancy_service.update_tenant_settings(
        uow_factory(), tenant.id, {"pool_quota_breach_policy": {"default": "hold"}}, actor="t"
    )
    clock.instant = clock.instant.replace(day=25)
    fixture = make_pool(uow_factory, tenant, host_equity="100.00")  # FD quota 350.00
    offshore = fixture.members[2]
    fixture.books.statement_line(offshore, Money.of("1000.00", CNY), date(2026, 11, 20))
    result = run(fixture, date(2026, 11, 25))
    (leg,) = result.run.legs
    assert (leg.status, result.run.status) == (LegStatus.HELD, "partial")
    assert leg.transfer_id is not None
    assert fixture.books.balance(offshore, date(2026, 11, 25)).available == Money.of("0.00", CNY)
    officer = principal_of(uow_factory, tenant.officer)
    pending = reviews_service.list_reviews(uow_factory(), tenant_id=tenant.id, status=None)
    (review,) = [item for item in pending if item.transfer_id == leg.transfer_id]
    assert "POOL_QUOTA_EXCEEDED" in {finding.rule for finding in review.findings}
    # The filing raised: FD quota 3,500.00 (an approval over the quota is refused, see
    # test_sweep_held_legs.py)
    host = accounts_service.get_bank_account(
        uow_factory(), tenant_id=tenant.id, account_id=fixture.master
    ).entity_id
    accounts_service.update_entity(
        uow_factory(),
        tenant_id=tenant.id,
        entity_id=host,
        fields={"owners_equity": Money.of("1000.00", CNY)},
    )
    reviews_service.decide_review(
        uow_factory(),
        officer=officer,
        review_id=review.id,
        decision=Decision.APPROVE,
        reason="quota raised by filing",
        references={},
        timezone=TZ,
    )
    clock.instant = clock.instant.replace(day=26)
    run(fixture, TODAY)
    positions = views.pool_positions(
        uow_factory(), tenant_id=tenant.id, pool_id=fixture.pool_id, as_of=TODAY
    )
    by_account = {m.account_id: m for m in positions.members}
    assert by_account[offshore].intercompany_position == Money.of("1000.00", CNY)
    assert intercompany_total(uow_factory, tenant.id) == 0
    runs = sweeps.list_runs(uow_factory(), tenant_id=tenant.id, pool_id=fixture.pool_id)
    old = next(r for r in runs if r.business_date == date(2026, 11, 25))
    assert old.legs[0].status is LegStatus.BOOKED


def test_a_late_run_books_on_the_next_possible_value_date(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    fixture = make_pool(uow_factory, tenant, host_equity="1000000.00")
    fixture.books.statement_line(fixture.members[1], Money.of("70.00", CNY), date(2026, 11, 20))
    result = run(fixture, date(2026, 11, 24))
    assert result.run.late
    assert result.run.value_date == TODAY
    assert fixture.books.balance(fixture.master, date(2026, 11, 25)).balance.minor == 0
    assert fixture.books.balance(fixture.master, TODAY).balance == Money.of("70.00", CNY)
    # the next date sees the cash moved already: nothing is swept twice
    assert run(fixture, date(2026, 11, 25)).run.legs == ()


def test_a_future_business_date_is_refused(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    fixture = make_pool(uow_factory, tenant, host_equity="1.00")
    with pytest.raises(DateNotReached, match="after today"):
        run(fixture, date(2026, 11, 27))
    assert sweeps.list_runs(uow_factory(), tenant_id=tenant.id, pool_id=fixture.pool_id) == []
