"""One filing, two currency pools, one set of quotas (issue 12 item 1), as a property: whatever
members lend and borrow in CNY and in USD, swept in any order, neither pool's view of the shared
outbound-lending and foreign-debt quotas ever shows more used than the limit, both pools show
the same quotas, and the use they show is the one an oracle written here from regulation.md §1.4
computes from the legs the runs moved (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pooling.model import MemberSpec, Regime, SweepRule
from pooling.plan import Direction, LegStatus
from pooling.quotas import QuotaKind
from pooling.service import pools as pool_service
from pooling.service import sweeps, views
from tests.integration.builders import TenantBuilder
from tests.support import default_address, make_tenant
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
# regulation.md §1.4(a)/(b) with §1.8: host equity 1,000.00, nobody else concentrates
OL_LIMIT = Decimal("1000.00") * 1 * Decimal("0.8")
FD_LIMIT = Decimal("1000.00") * 2 * Decimal("1.75")
# a member's net position in a currency weighs: OL 1 (CNY) or 1 + 0.5 (FX); FD like short-term
# full-coverage debt, 1.5 (CNY) or 1.5 + 0.5 (FX)
WEIGHTS = {
    QuotaKind.OUTBOUND_LENDING: {"CNY": Decimal(1), "USD": Decimal("1.5")},
    QuotaKind.FOREIGN_DEBT: {"CNY": Decimal("1.5"), "USD": Decimal(2)},
}


def oracle(positions: dict[tuple[str, str], int], usd_rate: Decimal) -> dict[QuotaKind, Decimal]:
    """The quotas' use from the offshore members' net positions (minor units, + = the member
    lent to the pool): what they lent weighs on foreign debt, what they borrowed on lending."""
    used = {QuotaKind.OUTBOUND_LENDING: Decimal(0), QuotaKind.FOREIGN_DEBT: Decimal(0)}
    for (currency, _), minor in positions.items():
        cny = Money.from_minor(abs(minor), currency).amount * (usd_rate if currency == "USD" else 1)
        kind = QuotaKind.FOREIGN_DEBT if minor > 0 else QuotaKind.OUTBOUND_LENDING
        used[kind] += cny * WEIGHTS[kind][currency]
    return used


def _entity(books: TenantBuilder, country: str, equity: str) -> str:
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
            # every cross-border leg needs a payment file, which carries both addresses
            "address": default_address(country),
        },
    ).id


def _account(
    books: TenantBuilder, entity_id: str, currency: str, bic: str, kind: AccountKind
) -> str:
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


def _filing(books: TenantBuilder) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
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
    books = TenantBuilder.of(uow_factory, tenant)
    refdata_service.add_reference_rate(
        uow_factory(),
        refdata_service.RateInput("USDCNY", TODAY, Decimal("7.1025"), "test"),
        actor="test",
    )
    pools, accounts = _filing(books)
    members = {account: key for key, account in accounts.items()}  # account → (member, ccy)
    moved: dict[tuple[str, str], int] = {}
    next_day = {"CNY": 0, "USD": 0}
    for currency, member, minor in moves:
        day = BUSINESS_DAYS[next_day[currency]]
        next_day[currency] += 1
        books.statement_line(accounts[(member, currency)], Money.from_minor(minor, currency), day)
        result = sweeps.run_sweep(
            uow_factory(),
            tenant_id=tenant.id,
            pool_id=pools[currency],
            business_date=day,
            actor=books.principal,
            calendars=default_calendars(),
            timezone=TZ,
        )
        for leg in result.run.legs:
            if leg.account_id in members and leg.status in (LegStatus.BOOKED, LegStatus.CAPPED):
                name, ccy = members[leg.account_id]
                sign = 1 if leg.direction is Direction.TO_MASTER else -1
                moved[(ccy, name)] = moved.get((ccy, name), 0) + sign * leg.amount.minor
        rate = refdata_service.reference_rate_on(uow_factory(), pair="USDCNY", on=TODAY)
        assert rate is not None
        expected = oracle(moved, rate.rate)
        seen = []
        for pool_id in pools.values():
            quotas = views.pool_positions(
                uow_factory(), tenant_id=tenant.id, pool_id=pool_id, as_of=TODAY
            ).quotas
            for quota in quotas:
                assert quota.used.amount <= quota.limit.amount, (quota, moves)
                assert (
                    quota.limit.amount
                    == {
                        QuotaKind.OUTBOUND_LENDING: OL_LIMIT,
                        QuotaKind.FOREIGN_DEBT: FD_LIMIT,
                    }[quota.kind]
                )
                # shown rounded half-even to the fen
                assert abs(quota.used.amount - expected[quota.kind]) <= Decimal("0.005"), (
                    quota,
                    expected,
                    moves,
                )
            seen.append([(q.kind, q.limit, q.used) for q in quotas])
        assert seen[0] == seen[1]
