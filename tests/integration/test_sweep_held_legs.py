"""Approving a sweep leg held over a pool quota (SQLite and PostgreSQL): an approval never books
it over the quota — refused with POOL_QUOTA_EXCEEDED, nothing changed — until headroom is there;
rejecting it still releases the reservation."""

from __future__ import annotations

from datetime import date

import pytest

from compliance.model import Decision, ReviewStatus
from compliance.repository import ReviewItem
from pooling.plan import LegStatus
from pooling.service import sweeps, views
from tests.integration.builders import assert_ledger_consistent, ledger_report, principal_of
from tests.integration.test_sweep_runs import (
    CNY,
    TODAY,
    TZ,
    PoolFixture,
    entry_count,
    intercompany_total,
    make_pool,
    run,
)
from tests.support import TenantFixture
from treasury.accounts import service as accounts_service
from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import PoolQuotaExceeded
from treasury.money import Money
from treasury.payments.model import TransferStatus
from treasury.payments.service import reviews as reviews_service
from treasury.payments.service import transfers as payments_service
from treasury.tenancy import service as tenancy_service

YESTERDAY = date(2026, 11, 25)


def held_pool(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, clock: FixedClock, *offshore: str
) -> tuple[PoolFixture, list[str]]:
    """A pool whose FD quota is 350.00 (host equity 100.00), the offshore members funded with
    these amounts and swept on the 25th under the hold policy; the held legs' transfer ids."""
    tenancy_service.update_tenant_settings(
        uow_factory(), tenant.id, {"pool_quota_breach_policy": {"default": "hold"}}, actor="t"
    )
    clock.instant = clock.instant.replace(day=25)
    fixture = make_pool(uow_factory, tenant, host_equity="100.00")
    for account, amount in zip(fixture.members[2:], offshore, strict=False):
        fixture.books.statement_line(account, Money.of(amount, CNY), date(2026, 11, 20))
    result = run(fixture, YESTERDAY)
    assert {leg.status for leg in result.run.legs} == {LegStatus.HELD}
    return fixture, [leg.transfer_id or "" for leg in result.run.legs]


def review_of(fixture: PoolFixture, transfer_id: str) -> ReviewItem:
    items = reviews_service.list_reviews(
        fixture.books.uow_factory(), tenant_id=fixture.books.tenant_id, status=None
    )
    (review,) = [item for item in items if item.transfer_id == transfer_id]
    return review


def decide(
    fixture: PoolFixture, tenant: TenantFixture, transfer_id: str, decision: Decision
) -> reviews_service.DecisionResult:
    uow_factory = fixture.books.uow_factory
    return reviews_service.decide_review(
        uow_factory(),
        officer=principal_of(uow_factory, tenant.officer),
        review_id=review_of(fixture, transfer_id).id,
        decision=decision,
        reason="pool leg reviewed",
        references={},
        timezone=TZ,
    )


def transfer_status(fixture: PoolFixture, transfer_id: str) -> TransferStatus:
    return payments_service.get_transfer(
        fixture.books.uow_factory(), tenant_id=fixture.books.tenant_id, transfer_id=transfer_id
    ).status


def set_host_equity(fixture: PoolFixture, amount: str) -> None:
    """The FD quota is host equity × 2 × 1.75; a CNY leg uses 1.5× its amount."""
    uow_factory, tenant_id = fixture.books.uow_factory, fixture.books.tenant_id
    master = accounts_service.get_bank_account(
        uow_factory(), tenant_id=tenant_id, account_id=fixture.master
    )
    accounts_service.update_entity(
        uow_factory(),
        tenant_id=tenant_id,
        entity_id=master.entity_id,
        fields={"owners_equity": Money.of(amount, CNY)},
    )


def available(fixture: PoolFixture, account_id: str) -> Money:
    return fixture.books.balance(account_id, YESTERDAY).available


def test_approving_a_leg_still_over_the_quota_is_refused_and_changes_nothing(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, clock: FixedClock
) -> None:
    fixture, (transfer_id,) = held_pool(uow_factory, tenant, clock, "1000.00")
    offshore = fixture.members[2]
    entries = entry_count(uow_factory, tenant.id)

    with pytest.raises(PoolQuotaExceeded, match="foreign_debt") as refused:
        decide(fixture, tenant, transfer_id, Decision.APPROVE)

    assert refused.value.extra["quotas"] == ["foreign_debt"]
    review = review_of(fixture, transfer_id)
    assert (review.status, review.approvals, review.decisions) == (ReviewStatus.PENDING, (), ())
    assert transfer_status(fixture, transfer_id) is TransferStatus.HELD
    assert available(fixture, offshore) == Money.of("0.00", CNY)  # the reservation stays
    assert fixture.books.balance(offshore, YESTERDAY).balance == Money.of("1000.00", CNY)
    assert entry_count(uow_factory, tenant.id) == entries

    set_host_equity(fixture, "1000.00")  # FD quota 3,500.00: the leg (1,500.00 of use) fits now
    result = decide(fixture, tenant, transfer_id, Decision.APPROVE)

    assert result.transfer.status is TransferStatus.BOOKED
    assert result.review.status is ReviewStatus.APPROVED
    assert fixture.books.balance(offshore, YESTERDAY).balance == Money.of("0.00", CNY)
    assert fixture.books.balance(fixture.master, YESTERDAY).balance == Money.of("1000.00", CNY)


def test_an_approved_leg_not_yet_recorded_by_a_run_uses_the_headroom(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, clock: FixedClock
) -> None:
    fixture, (first, second) = held_pool(uow_factory, tenant, clock, "1000.00", "1000.00")
    set_host_equity(fixture, "500.00")  # FD quota 1,750.00: one leg (1,500.00) fits, not two

    assert decide(fixture, tenant, first, Decision.APPROVE).transfer.status is (
        TransferStatus.BOOKED
    )
    with pytest.raises(PoolQuotaExceeded, match="foreign_debt"):
        decide(fixture, tenant, second, Decision.APPROVE)
    clock.instant = clock.instant.replace(day=26)
    run(fixture, TODAY)  # records the first leg's loan: the position now carries it
    with pytest.raises(PoolQuotaExceeded, match="foreign_debt"):
        decide(fixture, tenant, second, Decision.APPROVE)
    assert review_of(fixture, second).status is ReviewStatus.PENDING

    positions = views.pool_positions(
        uow_factory(), tenant_id=tenant.id, pool_id=fixture.pool_id, as_of=TODAY
    )
    (fd,) = [quota for quota in positions.quotas if quota.kind == "foreign_debt"]
    assert (fd.used, fd.limit) == (Money.of("1500.00", CNY), Money.of("1750.00", CNY))
    assert intercompany_total(uow_factory, tenant.id) == 0
    assert_ledger_consistent(ledger_report(uow_factory, tenant.id))


def test_rejecting_a_leg_held_over_the_quota_releases_it(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, clock: FixedClock
) -> None:
    fixture, (transfer_id,) = held_pool(uow_factory, tenant, clock, "1000.00")
    offshore = fixture.members[2]

    result = decide(fixture, tenant, transfer_id, Decision.REJECT)

    assert result.review.status is ReviewStatus.REJECTED
    assert result.transfer.status is TransferStatus.REJECTED
    assert available(fixture, offshore) == Money.of("1000.00", CNY)
    clock.instant = clock.instant.replace(day=26)
    run(fixture, TODAY)  # closes the rejected leg; the cash is swept again, held again
    runs = sweeps.list_runs(uow_factory(), tenant_id=tenant.id, pool_id=fixture.pool_id)
    old = next(r for r in runs if r.business_date == YESTERDAY)
    assert old.legs[0].status is LegStatus.REJECTED
    assert intercompany_total(uow_factory, tenant.id) == 0
