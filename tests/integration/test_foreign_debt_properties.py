"""Full-coverage financing as a property (issue 12 item 2): after any sequence of contracts with
drawdowns on any date (future ones included) and repayments on any date, the risk-weighted
balance never exceeds the cap on any date — checked day by day against an oracle written here
from regulation.md §2.2 — and a refused draw changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pooling.cross_border_financing import DebtKind
from pooling.service import foreign_debts
from tests.support import make_tenant
from treasury.accounts import service as accounts_service
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import CrossBorderFinancingCapExceeded
from treasury.money import Money

DAY = date(2026, 11, 20)
TZ = "Asia/Shanghai"
CAP = Decimal("3500.00")  # net assets 1,000.00 × 2 × 1.75


@dataclass
class Recorded:
    """A contract as the oracle sees it."""

    amount: Decimal
    drawdown: date
    maturity: date
    kind: DebtKind
    repayments: list[tuple[date, Decimal]] = field(default_factory=list)

    def risk_weighted(self, on: date) -> Decimal:
        # §2.4: genuine trade credit, filed pool liabilities, RMB trade finance from abroad
        if self.kind in (DebtKind.TRADE_CREDIT, DebtKind.POOL_LIABILITY, DebtKind.TRADE_FINANCE):
            return Decimal(0)
        if not self.drawdown <= on < self.maturity:
            return Decimal(0)
        outstanding = self.amount - sum((a for d, a in self.repayments if d <= on), Decimal(0))
        one_year = date(self.drawdown.year + 1, self.drawdown.month, self.drawdown.day)
        return outstanding * (Decimal("1.5") if self.maturity <= one_year else Decimal(1))


draws = st.tuples(
    st.just("draw"),
    st.integers(1, 2_000_00),  # minor units
    st.integers(0, 60),  # drawdown, days after DAY
    st.sampled_from([14, 90, 365, 366, 1095]),  # tenor in days
    st.sampled_from(list(DebtKind)),
)
repayments = st.tuples(
    st.just("repay"),
    st.integers(0, 50),  # which contract
    st.integers(1, 100),  # per cent of what is outstanding
    st.integers(0, 90),  # days after its drawdown
    st.none(),
)


def _draw(
    uow_factory: UnitOfWorkFactory, tenant_id: str, entity: str, contract: Recorded
) -> str | None:
    spec = foreign_debts.DebtSpec(
        lender="L",
        amount=Money.of(contract.amount, "CNY"),
        drawdown_date=contract.drawdown,
        maturity_date=contract.maturity,
        kind=contract.kind,
    )
    try:
        debt = foreign_debts.record_debt(
            uow_factory(), tenant_id=tenant_id, actor="t", entity_id=entity, spec=spec
        )
    except CrossBorderFinancingCapExceeded:
        return None
    return debt.id


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.one_of(draws, repayments), min_size=1, max_size=14))
def test_no_sequence_of_contracts_and_repayments_exceeds_the_cap_on_any_date(
    uow_factory: UnitOfWorkFactory,
    steps: list[tuple[str, int, int, int, DebtKind | None]],
) -> None:
    tenant = make_tenant(uow_factory, f"f-{uuid.uuid4().hex[:12]}")
    entity = accounts_service.create_entity(
        uow_factory(),
        tenant_id=tenant.id,
        fields={
            "code": "E",
            "name": "E",
            "country": "CN",
            "net_assets": Money.of("1000.00", "CNY"),
        },
    ).id
    book: dict[str, Recorded] = {}
    for action, first, second, third, kind in steps:
        if action == "draw":
            assert kind is not None
            drawdown = DAY + timedelta(days=second)
            contract = Recorded(
                Money.from_minor(first, "CNY").amount, drawdown, drawdown + timedelta(third), kind
            )
            debt_id = _draw(uow_factory, tenant.id, entity, contract)
            if debt_id is not None:
                book[debt_id] = contract
        elif book:
            debt_id = sorted(book)[first % len(book)]
            contract = book[debt_id]
            outstanding = contract.amount - sum((a for _, a in contract.repayments), Decimal(0))
            part = (outstanding * second / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
            if part > 0:
                on = contract.drawdown + timedelta(days=third)
                foreign_debts.repay(
                    uow_factory(),
                    tenant_id=tenant.id,
                    actor="t",
                    entity_id=entity,
                    debt_id=debt_id,
                    amount=Money.of(part, "CNY"),
                    repayment_date=on,
                )
                contract.repayments.append((on, part))
        listed = foreign_debts.list_debts(uow_factory(), tenant_id=tenant.id, entity_id=entity)
        assert {debt.id for debt in listed} == set(book)  # a refused draw records nothing
        last = max((c.maturity for c in book.values()), default=DAY)
        for offset in range((last - DAY).days + 1):
            on = DAY + timedelta(days=offset)
            used = sum((c.risk_weighted(on) for c in book.values()), Decimal(0))
            assert used <= CAP, (on, used)
    for on in {c.drawdown for c in book.values()}:
        status = foreign_debts.financing(
            uow_factory(), tenant_id=tenant.id, entity_id=entity, timezone=TZ, as_of=on
        )
        assert status.headroom.used == sum((c.risk_weighted(on) for c in book.values()), Decimal(0))
