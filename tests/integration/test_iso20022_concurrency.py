"""Bank reports applied concurrently: one rejection report sent by two requests reverses once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.api.test_iso20022_api import outbound
from tests.api.test_iso20022_status import identifiers, report
from tests.api.test_routing_api import counterparty, payer
from tests.integration.builders import principal_of
from tests.integration.test_concurrency import race
from tests.support import TenantFixture
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import Conflict
from treasury.ledger.tables import JournalEntryRow
from treasury.payments.service import bank_reports
from treasury.payments.service.bank_reports import ReportResult


@pytest.mark.postgres_only
def test_one_rejection_sent_twice_at_once_reverses_the_transfer_once(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, e2e = identifiers(client, tenant, transfer["id"])
    xml = report(message_id, (e2e, "RJCT"))
    treasurer = principal_of(uow_factory, tenant.treasurer)

    outcomes = race(
        [
            lambda: bank_reports.apply_status_report(uow_factory(), principal=treasurer, xml=xml)
            for _ in range(4)
        ],
        workers=4,
    )

    applied = [o for o in outcomes if isinstance(o, ReportResult) and not o.replayed]
    others = [o for o in outcomes if o not in applied]
    assert len(applied) == 1, outcomes
    assert all(isinstance(o, Conflict | ReportResult) for o in others), outcomes
    with uow_factory() as uow:
        reversals = uow.session.scalar(
            select(func.count())
            .select_from(JournalEntryRow)
            .where(JournalEntryRow.reverses_entry_id == transfer["journal_id"])
        )
    assert reversals == 1


@pytest.mark.postgres_only
def test_reports_naming_the_same_transfers_in_opposite_orders_do_not_deadlock(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    account = payer(client, tenant)
    creditor = counterparty(client, tenant, "HSBCHKHH", "HK")
    treasurer = principal_of(uow_factory, tenant.treasurer)
    for _ in range(3):
        first, second = (outbound(client, tenant, account, creditor) for _ in range(2))
        (message, one), (_, two) = (identifiers(client, tenant, t["id"]) for t in (first, second))
        forward = report(message, (one, "RJCT"), (two, "RJCT"))
        backward = report(message, (two, "RJCT"), (one, "RJCT"))

        outcomes = race(
            [
                lambda xml=xml: bank_reports.apply_status_report(  # type: ignore[misc]
                    uow_factory(), principal=treasurer, xml=xml
                )
                for xml in (forward, backward)
            ],
            workers=2,
        )

        assert all(isinstance(o, ReportResult) for o in outcomes), outcomes
        with uow_factory() as uow:
            reversals = uow.session.scalar(
                select(func.count())
                .select_from(JournalEntryRow)
                .where(
                    JournalEntryRow.reverses_entry_id.in_(
                        [first["journal_id"], second["journal_id"]]
                    )
                )
            )
        assert reversals == 2
