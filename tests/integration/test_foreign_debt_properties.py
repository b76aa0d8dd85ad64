"""Full-coverage financing as a property: after any sequence of draws and repayments the
risk-weighted balance never exceeds the cap, and a refused draw changes nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pooling import foreign_debts
from pooling.cross_border_financing import DebtKind
from tests.support import make_tenant
from treasury.accounts import service as accounts_service
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import CrossBorderFinancingCapExceeded
from treasury.money import Money

DAY = date(2026, 11, 20)
TZ = "Asia/Shanghai"

draws = st.tuples(
    st.just("draw"),
    st.integers(1, 2_000_00),
    st.sampled_from([90, 365, 366, 1095]),
    st.sampled_from(list(DebtKind)),
)
repayments = st.tuples(st.just("repay"), st.integers(0, 50), st.integers(1, 100), st.none())


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.one_of(draws, repayments), min_size=1, max_size=14))
def test_no_sequence_of_draws_and_repayments_exceeds_the_cap(
    uow_factory: UnitOfWorkFactory, steps: list[tuple[str, int, int, DebtKind | None]]
) -> None:
    tenant = make_tenant(uow_factory, f"f-{uuid.uuid4().hex[:12]}")
    entity = accounts_service.create_entity(
        uow_factory(),
        tenant_id=tenant.id,
        fields={
            "code": "E",
            "name": "E",
            "country": "CN",
            "net_assets": Money.of("1000.00", "CNY"),  # cap 3,500.00 under μ = 1.75
        },
    ).id
    recorded: list[str] = []
    for action, amount, term, kind in steps:
        before = foreign_debts.financing(
            uow_factory(), tenant_id=tenant.id, entity_id=entity, timezone=TZ, as_of=DAY
        )
        if action == "draw":
            assert kind is not None
            spec = foreign_debts.DebtSpec(
                lender="L",
                amount=Money.from_minor(amount, "CNY"),
                drawdown_date=DAY,
                maturity_date=DAY + timedelta(days=term),
                kind=kind,
            )
            try:
                debt = foreign_debts.record_debt(
                    uow_factory(), tenant_id=tenant.id, actor="t", entity_id=entity, spec=spec
                )
                recorded.append(debt.id)
            except CrossBorderFinancingCapExceeded:
                after_refusal = foreign_debts.financing(
                    uow_factory(), tenant_id=tenant.id, entity_id=entity, timezone=TZ, as_of=DAY
                )
                assert after_refusal.headroom == before.headroom
        elif recorded:
            debt_id = recorded[amount % len(recorded)]
            debts = foreign_debts.list_debts(uow_factory(), tenant_id=tenant.id, entity_id=entity)
            outstanding = next(d.outstanding for d in debts if d.id == debt_id)
            part = outstanding.minor * term // 100
            if part > 0:
                foreign_debts.repay(
                    uow_factory(),
                    tenant_id=tenant.id,
                    actor="t",
                    entity_id=entity,
                    debt_id=debt_id,
                    amount=Money.from_minor(part, "CNY"),
                    repayment_date=DAY,
                )
                after = foreign_debts.financing(
                    uow_factory(), tenant_id=tenant.id, entity_id=entity, timezone=TZ, as_of=DAY
                )
                assert after.headroom.used <= before.headroom.used  # headroom restored at once
        status = foreign_debts.financing(
            uow_factory(), tenant_id=tenant.id, entity_id=entity, timezone=TZ, as_of=DAY
        )
        assert status.headroom.used <= status.headroom.cap
