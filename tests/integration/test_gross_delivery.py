"""Deliverable forwards (远期结售汇) delivered gross at maturity (issue 16): both currencies move
through the entity's own bank accounts as one pipeline transfer at the deal's rate, the deal's
value is what that rate beat the market by, and the delivery may not exceed what remains of the
exposure. SQLite and PostgreSQL.

Hand-worked: an exporter sells USD 1,000,000 forward at 7.0000; at maturity USD is 6.9000. The
USD account pays 1,000,000, the CNY account receives 7,000,000.00; against a spot conversion
(6,900,000.00) the forward gained CNY 100,000.00, realised.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hedging.service import revaluation
from hedging.tables import ExposureRow
from tests.api.test_hedging_api import exporter, forward_hedge, post_snapshot, snapshot
from tests.support import TenantFixture, fund, open_account
from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger.tables import LedgerAccountRow

Json = dict[str, Any]
DELIVERY = "2026-12-28"


def booked(client: TestClient, tenant: TenantFixture) -> tuple[Json, Json, Json, Json]:
    """An onshore exporter with CNY and USD accounts (USD 1,000,000 in), a forward sold."""
    headers = tenant.treasurer
    entity, cny, exposure = exporter(client, tenant)
    usd = open_account(client, headers, entity["id"], currency="USD")
    fund(client, headers, usd["id"], "1000000.00")
    body = forward_hedge(entity, exposure, "1000000.00")
    body["instrument"]["delivery_date"] = DELIVERY
    response = client.post("/v1/hedges", json=body, headers=headers)
    assert response.status_code == 201, response.text
    hedge = response.json()
    post_snapshot(client, headers, snapshot("2026-11-26", "7.0850"))
    return entity, cny, usd, hedge


def mature(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> revaluation.RevaluationRun:
    revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))
    clock.instant = datetime.combine(date.fromisoformat(DELIVERY), time(2), tzinfo=UTC)
    post_snapshot(client, tenant.treasurer, snapshot(DELIVERY, "6.9000"))
    return revaluation.revalue(
        uow_factory(), tenant_id=tenant.id, as_of=date.fromisoformat(DELIVERY)
    )


def balances(uow_factory: UnitOfWorkFactory, entity_id: str) -> dict[tuple[str, str], int]:
    with uow_factory() as uow:
        rows = uow.session.scalars(
            select(LedgerAccountRow).where(LedgerAccountRow.entity_id == entity_id)
        ).all()
        return {(row.kind, row.currency): row.balance_minor for row in rows}


def test_a_forward_is_delivered_gross_through_both_bank_accounts(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    entity, cny, usd, hedge = booked(client, tenant)
    assert hedge["instrument"]["settlement"] == "gross"  # onshore, with a USD account

    run = mature(client, tenant, uow_factory, clock)

    assert (run.count, run.settled, run.status) == (0, 1, "completed")
    books = balances(uow_factory, entity["id"])
    assert books[("bank", "USD")] == 0  # USD 1,000,000.00 delivered
    assert books[("bank", "CNY")] == 700_000_000  # CNY 7,000,000.00 received
    assert books[("fx_result_realised", "CNY")] == -10_000_000  # CNY 100,000.00 gained
    assert books[("fx_clearing", "CNY")] == -690_000_000  # the conversion at market, 6.9000
    assert books.get(("derivative_asset", "CNY"), 0) == 0
    assert books.get(("derivative_liability", "CNY"), 0) == 0
    assert books.get(("fx_result_unrealised", "CNY"), 0) == 0
    transfers = client.get(
        f"/v1/transfers?debtor_account_id={usd['id']}", headers=tenant.auditor
    ).json()["items"]
    [delivery] = [t for t in transfers if t["references"].get("hedge") == hedge["id"]]
    assert delivery["status"] == "booked"
    assert delivery["creditor_account_id"] == cny["id"]
    assert delivery["fx_rate"] == "7.0000"
    assert delivery["creditor_amount"] == {"amount": "7000000.00", "currency": "CNY"}
    assert delivery["value_date"] == DELIVERY
    shown = client.get(f"/v1/hedges/{hedge['id']}", headers=tenant.auditor).json()
    assert shown["status"] == "matured"


def test_a_delivery_beyond_the_remaining_exposure_is_refused(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    entity, _, usd, hedge = booked(client, tenant)
    with uow_factory() as uow:  # the underlying shrank to USD 500,000 after the deal
        uow.session.execute(
            update(ExposureRow)
            .where(ExposureRow.id == hedge["exposure_id"])
            .values(amount_minor=50_000_000)
        )
        uow.commit()

    run = mature(client, tenant, uow_factory, clock)

    assert run.status == "partial"
    assert [item.hedge_id for item in run.set_aside] == [hedge["id"]]
    assert "REAL_DEMAND_EXCEEDED" in run.set_aside[0].reason or "exceeds" in run.set_aside[0].reason
    books = balances(uow_factory, entity["id"])
    assert books[("bank", "USD")] == 100_000_000  # nothing delivered
    transfers = client.get(
        f"/v1/transfers?debtor_account_id={usd['id']}", headers=tenant.auditor
    ).json()["items"]
    assert [t for t in transfers if t["references"].get("hedge") == hedge["id"]] == []
    shown = client.get(f"/v1/hedges/{hedge['id']}", headers=tenant.auditor).json()
    assert shown["status"] == "live"


def test_an_explicitly_net_forward_settles_the_difference_in_cny(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    headers = tenant.treasurer
    entity, _, exposure = exporter(client, tenant)
    usd = open_account(client, headers, entity["id"], currency="USD")
    fund(client, headers, usd["id"], "1000000.00")
    body = forward_hedge(entity, exposure, "1000000.00")
    body["instrument"].update(delivery_date=DELIVERY, settlement="net")
    hedge = client.post("/v1/hedges", json=body, headers=headers).json()
    post_snapshot(client, headers, snapshot("2026-11-26", "7.0850"))

    mature(client, tenant, uow_factory, clock)

    books = balances(uow_factory, entity["id"])
    assert hedge["instrument"]["settlement"] == "net"
    assert books[("bank", "USD")] == 100_000_000
    assert books[("bank", "CNY")] == 10_000_000  # the difference, CNY 100,000.00


def test_a_swaps_near_leg_is_settled_on_its_date_and_its_far_leg_revalued(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    headers = tenant.treasurer
    entity, cny, exposure = exporter(client, tenant)
    swap = {
        "type": "swap",
        "pair": "USDCNY",
        "direction": "buy",  # buys USD near, sells it far: hedges the receipt
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "near_date": "2026-12-01",
        "near_rate": "7.0800",
        "far_date": "2027-05-26",
        "far_rate": "6.9900",
    }
    body = {**forward_hedge(entity, exposure, "1000000.00"), "instrument": swap}
    hedge = client.post("/v1/hedges", json=body, headers=headers).json()
    post_snapshot(client, headers, snapshot("2026-11-26", "7.0850"))
    first = revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 11, 26))
    clock.instant = datetime(2026, 12, 1, 2, tzinfo=UTC)
    post_snapshot(client, headers, snapshot("2026-12-01", "7.1000"))

    run = revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 12, 1))
    clock.instant = datetime(2026, 12, 2, 2, tzinfo=UTC)
    post_snapshot(client, headers, snapshot("2026-12-02", "7.1100"))
    after = revaluation.revalue(uow_factory(), tenant_id=tenant.id, as_of=date(2026, 12, 2))

    # The near leg bought USD 1,000,000 at 7.0800 with USD at 7.1000: CNY 20,000.00 received.
    books = balances(uow_factory, entity["id"])
    assert books[("bank", "CNY")] == 2_000_000
    assert (first.count, run.count, after.count) == (1, 1, 1)  # the far leg lives on
    far_leg = {
        "type": "forward",
        "pair": "USDCNY",
        "direction": "sell",
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "strike": "6.9900",
        "delivery_date": "2027-05-26",
    }
    for day, total in (("2026-12-01", run.npv_total), ("2026-12-02", after.npv_total)):
        priced = client.post(
            "/v1/fx/price",
            json={"as_of": day, "market": {"snapshot": day}, "instrument": far_leg},
            headers=tenant.auditor,
        )
        assert priced.status_code == 200, priced.text
        assert priced.json()["npv"]["amount"] == total.to_wire()
    assert cny["id"] == hedge["settlement_account_id"]
