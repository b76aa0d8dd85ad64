"""Petty cash from capital-account income: the monthly USD limit counts the whole calendar month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.support import (
    TenantFixture,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.refdata import service as refdata_service

TODAY = date(2026, 11, 26)


def test_a_later_dated_petty_cash_payment_counts_towards_the_month(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    refdata_service.add_reference_rate(
        uow_factory(),
        refdata_service.RateInput("USDCNY", TODAY, Decimal("7.10"), "CFETS central parity (test)"),
        actor="test-operator",
    )
    entity = create_entity(client, tenant.treasurer)
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital")
    current = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, capital["id"], "5000000.00")

    def petty_cash(amount: str, value_date: str) -> dict[str, object]:
        body = transfer_body(capital["id"], current["id"], amount, purpose="petty_cash")
        response = post_transfer(client, tenant.treasurer, {**body, "value_date": value_date})
        assert response.status_code == 201, response.text
        created: dict[str, object] = response.json()
        return created

    # USD 150,000 dated Monday 30 November, then USD 50,000.01 dated the 27th: 200,000.01 in the
    # month, above the USD 200,000 limit although nothing else is dated on or before the 27th.
    first = petty_cash("1065000.00", "2026-11-30")
    assert first["status"] == "booked", first
    second = petty_cash("355000.08", "2026-11-27")
    assert second["status"] == "held", second
    assert [f["rule"] for f in second["findings"]] == ["PETTY_CASH_LIMIT"]  # type: ignore[attr-defined]
    # December starts a new month.
    third = petty_cash("355000.08", "2026-12-01")
    assert third["status"] == "booked", third
