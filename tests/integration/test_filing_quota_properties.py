"""One filing, two currency pools, one set of quotas (issue 12 item 1), as a property: whatever
members lend and borrow in CNY and in USD, swept in any order, neither pool's view of the shared
outbound-lending and foreign-debt quotas ever shows more used than the limit, and both pools show
the same quotas (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pooling import service as pool_service
from pooling import sweeps, views
from pooling.model import MemberSpec, Regime, SweepRule
from tests.integration.builders import Books
from tests.support import make_tenant
from treasury.accounts import service as accounts_service
from treasury.accounts.model import AccountKind
from treasury.calendars import default_calendars
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money
from treasury.refdata import service as refdata_service

TODAY = date(2026, 11, 26)
TZ = "Asia/Shanghai"
BUSINESS_DAYS = [date(2026, 11, day) for day in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17)]
BANKS = {"CNY": "BKCHCNBJ", "USD": "HBKACNSH"}


def _entity(books: Books, country: str, equity: str) -> str:
    bn = Money.of("6000000000", "CNY")
    return accounts_service.create_entity(
        books.uow_factory(),
        tenant_id=books.tenant_id,
        fields={
            "code": f"E{uuid.uuid4().hex[:8]}",
            "name": "E",
            "country": country,
            "owners_equity": Money.of(equity, "CNY"),
            "prior_year_revenue": bn,
            "prior_year_cross_border_volume": bn,
        },
    ).id


def _account(books: Books, entity_id: str, currency: str, bic: str, kind: AccountKind) -> str:
    return accounts_service.open_bank_account(
        books.uow_factory(),
        tenant_id=books.tenant_id,
        entity_id=entity_id,
        kind=kind,
        currency=currency,
        bank_bic=bic,
        number=uuid.uuid4().hex[:12],
        overdraft_limit=Money.of("0", currency),
    ).id


def _filing(books: Books) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """A CNY and a USD pool of filing F: host equity 1,000 (OL 800.00, FD 3,500.00)."""
    host = _entity(books, "CN", "1000.00")
    onshore = _entity(books, "CN", "0.00")
    offshore = {name: _entity(books, "HK", "0.00") for name in ("hk1", "hk2")}
    pools: dict[str, str] = {}
    accounts: dict[tuple[str, str], str] = {}
    for currency, bic in BANKS.items():
        master = _account(books, host, currency, bic, AccountKind.POOL_MASTER)
        books.statement_line(master, Money.of("1000000.00", currency), date(2026, 11, 1))
        members = [_account(books, onshore, currency, bic, AccountKind.CURRENT)]
        for name, entity in offshore.items():
            bank = "BKCHCNBJ" if currency == "CNY" else "BKCHHKHH"
            accounts[(name, currency)] = _account(
                books, entity, currency, bank, AccountKind.CURRENT
            )
            members.append(accounts[(name, currency)])
        pools[currency] = pool_service.create_pool(
            books.uow_factory(),
            tenant_id=books.tenant_id,
            actor="t",
            spec=pool_service.PoolSpec(
                name=f"{currency} pool",
                regime=Regime.INTEGRATED_251,
                currency=currency,
                master_account_id=master,
                members=[MemberSpec(a, SweepRule.ZERO_BALANCE) for a in members],
                interest=None,
                filing_ref="F",
                bop_code="822020",
                schedule=None,
            ),
            timezone=TZ,
        ).id
    return pools, accounts


steps = st.lists(
    st.tuples(
        st.sampled_from(["CNY", "USD"]),
        st.sampled_from(["hk1", "hk2"]),
        st.integers(-3_000_00, 3_000_00).filter(lambda minor: minor != 0),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(moves=steps)
def test_sweeps_across_two_currency_pools_never_exceed_the_filings_quotas(
    uow_factory: UnitOfWorkFactory, moves: list[tuple[str, str, int]]
) -> None:
    tenant = make_tenant(uow_factory, f"q-{uuid.uuid4().hex[:12]}")
    books = Books.of(uow_factory, tenant)
    refdata_service.add_reference_rate(
        uow_factory(),
        refdata_service.RateInput("USDCNY", TODAY, Decimal("7.1025"), "test"),
        actor="test",
    )
    pools, accounts = _filing(books)
    next_day = {"CNY": 0, "USD": 0}
    for currency, member, minor in moves:
        day = BUSINESS_DAYS[next_day[currency]]
        next_day[currency] += 1
        books.statement_line(accounts[(member, currency)], Money.from_minor(minor, currency), day)
        sweeps.run_sweep(
            uow_factory(),
            tenant_id=tenant.id,
            pool_id=pools[currency],
            business_date=day,
            actor=books.principal,
            calendars=default_calendars(),
            timezone=TZ,
        )
        seen = []
        for pool_id in pools.values():
            quotas = views.pool_positions(
                uow_factory(), tenant_id=tenant.id, pool_id=pool_id, as_of=TODAY
            ).quotas
            for quota in quotas:
                assert quota.used.amount <= quota.limit.amount, (quota, moves)
            seen.append([(q.kind, q.limit, q.used) for q in quotas])
        assert seen[0] == seen[1]
