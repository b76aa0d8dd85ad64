"""An RMB 279 pool's net-inflow cap over real sweeps, and interest owed by a borrowing member
(SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from pooling.interest import RateSet
from pooling.model import MemberSpec, Regime, SweepRule
from pooling.plan import LegStatus
from pooling.service import interest_posting, sweeps, views
from pooling.service import pools as pool_service
from tests.integration.builders import TenantBuilder, assert_ledger_consistent, ledger_report
from tests.integration.test_sweep_runs import intercompany_total
from tests.support import TenantFixture, default_address
from treasury.accounts import service as accounts_service
from treasury.accounts.model import AccountKind
from treasury.calendars import default_calendars
from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import PoolIneligible
from treasury.ledger import service as ledger_service
from treasury.money import Money

TZ = "Asia/Shanghai"
TODAY = date(2026, 11, 26)


def _entity(books: TenantBuilder, country: str, **fields: object) -> str:
    return accounts_service.create_entity(
        books.uow_factory(),
        tenant_id=books.tenant_id,
        fields={
            "code": f"E{uuid.uuid4().hex[:8]}",
            "name": "E",
            "country": country,
            "address": default_address(country),
            **fields,
        },
    ).id


def _account(books: TenantBuilder, entity_id: str, kind: AccountKind = AccountKind.CURRENT) -> str:
    return accounts_service.open_bank_account(
        books.uow_factory(),
        tenant_id=books.tenant_id,
        entity_id=entity_id,
        kind=kind,
        currency="CNY",
        bank_bic="BKCHCNBJ",
        number=uuid.uuid4().hex[:12],
        overdraft_limit=Money.of("0", "CNY"),
    ).id


def _spec(
    master: str, members: list[str], regime: Regime, rates: RateSet | None
) -> pool_service.PoolSpec:
    return pool_service.PoolSpec(
        name="P",
        regime=regime,
        currency="CNY",
        master_account_id=master,
        members=[MemberSpec(account_id=a, rule=SweepRule.ZERO_BALANCE) for a in members],
        interest=rates,
        filing_ref="F-279",
        bop_code="822020",
        schedule=None,
    )


def test_an_rmb_279_pool_caps_net_inflow_at_pooled_equity_times_k_in(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    books = TenantBuilder.of(uow_factory, tenant)
    revenue = Money.of("2000000000", "CNY")
    host = _entity(
        books,
        "CN",
        owners_equity=Money.of("1000.00", "CNY"),
        shareholding_ratio=Decimal("0.8"),
        prior_year_revenue=revenue,
        established_on=date(2015, 1, 1),
    )
    offshore = _entity(books, "HK", prior_year_revenue=revenue, established_on=date(2015, 1, 1))
    master = _account(books, host, AccountKind.POOL_MASTER)
    hk = _account(books, offshore)
    pool = pool_service.create_pool(
        uow_factory(),
        tenant_id=tenant.id,
        actor="t",
        spec=_spec(master, [hk], Regime.RMB_279, None),
        timezone=TZ,
    )
    books.statement_line(hk, Money.of("1000.00", "CNY"), date(2026, 11, 20))
    result = sweeps.run_sweep(
        uow_factory(),
        tenant_id=tenant.id,
        pool_id=pool.id,
        business_date=TODAY,
        actor=books.principal,
        calendars=default_calendars(),
        timezone=TZ,
    )
    (leg,) = result.run.legs
    # pooled equity 1,000 × 0.8 = 800; k_in 0.5 → net inflow cap 400.00
    assert (leg.status, leg.amount) == (LegStatus.CAPPED, Money.of("400.00", "CNY"))
    positions = views.pool_positions(
        uow_factory(), tenant_id=tenant.id, pool_id=pool.id, as_of=TODAY
    )
    (quota,) = positions.quotas
    assert (quota.kind.value, quota.limit, quota.used) == (
        "net_inflow",
        Money.of("400.00", "CNY"),
        Money.of("400.00", "CNY"),
    )
    assert books.balance(hk).balance == Money.of("600.00", "CNY")


def test_a_young_member_makes_a_279_pool_ineligible(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    books = TenantBuilder.of(uow_factory, tenant)
    revenue = Money.of("2000000000", "CNY")
    host = _entity(books, "CN", prior_year_revenue=revenue, established_on=date(2015, 1, 1))
    young = _entity(books, "HK", prior_year_revenue=revenue, established_on=date(2026, 6, 1))
    master = _account(books, host, AccountKind.POOL_MASTER)
    with pytest.raises(PoolIneligible, match="less than one year"):
        pool_service.create_pool(
            uow_factory(),
            tenant_id=tenant.id,
            actor="t",
            spec=_spec(master, [_account(books, young)], Regime.RMB_279, None),
            timezone=TZ,
        )


def test_a_borrowing_member_pays_debit_interest_to_the_host(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, clock: FixedClock
) -> None:
    books = TenantBuilder.of(uow_factory, tenant)
    host = _entity(books, "CN")
    member = _entity(books, "CN")
    master = _account(books, host, AccountKind.POOL_MASTER)
    borrower = _account(books, member)
    rates = RateSet(TODAY, Decimal("0.01"), Decimal("0.0365"), "ACT/365F")
    pool = pool_service.create_pool(
        uow_factory(),
        tenant_id=tenant.id,
        actor="t",
        spec=_spec(master, [borrower], Regime.DOMESTIC, rates),
        timezone=TZ,
    )
    books.statement_line(master, Money.of("5000000.00", "CNY"), date(2026, 11, 20))
    books.statement_line(borrower, Money.of("-1000000.00", "CNY"), TODAY)
    sweeps.run_sweep(
        uow_factory(),
        tenant_id=tenant.id,
        pool_id=pool.id,
        business_date=TODAY,
        actor=books.principal,
        calendars=default_calendars(),
        timezone=TZ,
    )
    clock.instant = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    period = interest_posting.post_interest(
        uow_factory(),
        tenant_id=tenant.id,
        actor="t",
        pool_id=pool.id,
        period_end=date(2026, 12, 6),
        timezone=TZ,
    )
    # 1,000,000.00 borrowed for 10 nights at 3.65% ACT/365F = 1,000.00 owed
    (line,) = period.lines
    assert (line.entity_id, line.interest) == (member, Money.of("-1000.00", "CNY"))
    accounts = {
        (a.entity_id, a.kind): a.balance
        for entity in (host, member)
        for a in ledger_service.entity_ledger_accounts(
            uow_factory(), tenant_id=tenant.id, entity_id=entity, as_of=date(2026, 12, 6)
        )
    }
    assert accounts[(member, "interest_expense")] == Money.of("1000.00", "CNY")
    assert accounts[(host, "interest_income")] == Money.of("-1000.00", "CNY")
    positions = views.pool_positions(
        uow_factory(), tenant_id=tenant.id, pool_id=pool.id, as_of=date(2026, 12, 6)
    )
    assert positions.members[0].intercompany_position == Money.of("-1001000.00", "CNY")
    assert intercompany_total(uow_factory, tenant.id) == 0
    assert_ledger_consistent(ledger_report(uow_factory, tenant.id))
