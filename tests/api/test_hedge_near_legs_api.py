"""A swap's near leg held for review gets the officers' path (issue 16), through the public API on
SQLite and PostgreSQL: the run settles the leg's value against the FX clearing (a net payment:
the outgoing payments) and the deal's far leg lives on; approved, the transfer books and clears
it; rejected, the value goes back into the deal and the next run instructs the near leg again.

Hand-worked cases:
- an importer's gross swap selling USD 1,000,000 near (2026-12-01) at 7.0800 and buying it back
  far at 7.0900, the USD paid from a capital account (资本金: the evidence finding holds it); with
  USD at 7.1000 on the near date the near leg loses 1,000,000 × (7.1000 − 7.0800) = CNY
  20,000.00. Approved: the USD account pays 1,000,000, the CNY account receives 7,080,000.00, the
  FX clearing shows the conversion at market (CNY −7,100,000.00), CNY 20,000.00 realised;
- a net swap bought near at 7.0800 with USD at 7.0500: CNY 30,000.00 owed to the dealing bank,
  from a capital settlement account (held: its use unspecified); approved, the CNY account goes
  from 500,000.00 to 470,000.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.api.test_hedge_combinations_api import hedge_body
from tests.api.test_hedge_settlement_api import (
    books,
    decide,
    hedge_settlements,
    net_forward,
    revalue,
)
from tests.api.test_hedging_api import post_snapshot, snapshot
from tests.support import TenantFixture, create_entity, fund, open_account
from treasury.clock import FixedClock

Json = dict[str, Any]
ZERO = Decimal(0)


def stored(client: TestClient, tenant: TenantFixture, hedge_id: str, day: str) -> Decimal:
    found = get_json(client, f"/v1/hedges/{hedge_id}/valuation?as_of={day}", tenant.auditor)
    return Decimal(found["stored_npv"]["amount"])


def derivatives(ledger: dict[tuple[str, str], Decimal]) -> Decimal:
    return ledger.get(("derivative_asset", "CNY"), ZERO) + ledger.get(
        ("derivative_liability", "CNY"), ZERO
    )


def held_near_leg(client: TestClient, tenant: TenantFixture, clock: FixedClock) -> tuple[Json, ...]:
    """The importer's gross swap, its near leg held on 2026-12-01."""
    entity = create_entity(client, tenant.treasurer)
    cny = open_account(client, tenant.treasurer, entity["id"])
    usd = open_account(client, tenant.treasurer, entity["id"], currency="USD", kind="capital")
    fund(client, tenant.treasurer, usd["id"], "1000000.00")
    response = client.post(
        "/v1/exposures",
        json={
            "entity_id": entity["id"],
            "pair": "USDCNY",
            "direction": "pay",
            "amount": {"amount": "1000000.00", "currency": "USD"},
            "expected_date": "2027-05-26",
            "description": "import contract IM-1",
        },
        headers=tenant.treasurer,
    )
    assert response.status_code == 201, response.text
    swap = {
        "type": "swap",
        "pair": "USDCNY",
        "direction": "sell",
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "near_date": "2026-12-01",
        "near_rate": "7.0800",
        "far_date": "2026-12-28",
        "far_rate": "7.0900",
    }
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.0850"))
    booked = client.post(
        "/v1/hedges", json=hedge_body(entity, response.json(), swap), headers=tenant.treasurer
    )
    assert booked.status_code == 201, booked.text
    hedge: Json = booked.json()
    assert hedge["instrument"]["settlement"] == "gross"
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.1000"))
    run = revalue(client, tenant, clock, "2026-12-01")
    assert (run["count"], run["status"]) == (1, "completed")  # the far leg lives on
    return entity, cny, usd, hedge


def test_a_gross_near_leg_held_for_review_books_when_an_officer_approves_it(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, usd, hedge = held_near_leg(client, tenant, clock)
    [near] = hedge_settlements(client, tenant, usd["id"])
    assert (near["status"], near["references"]["hedge_settlement"]) == ("held", "near_leg")
    assert [f["rule"] for f in near["findings"]] == ["CAPITAL_PAYMENT_EVIDENCE_MISSING"]
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["status"] == "live"
    assert shown["near_leg"] == {"transfer_id": near["id"], "status": "held"}
    waiting = books(client, tenant, entity["id"])
    assert waiting[("bank", "USD")] == Decimal("1000000.00")  # reserved, not paid
    assert waiting[("fx_clearing", "CNY")] == Decimal("-20000.00")  # the leg's value, in transit
    assert waiting[("fx_result_realised", "CNY")] == Decimal("20000.00")  # a loss (debit)
    assert derivatives(waiting) == stored(client, tenant, hedge["id"], "2026-12-01")
    # The next run leaves the held near leg to the officers.
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-02", "7.1000"))
    revalue(client, tenant, clock, "2026-12-02")
    assert len(hedge_settlements(client, tenant, usd["id"])) == 1

    decided = decide(client, tenant, near["review_id"], "approve")

    assert decided["transfer"]["status"] == "booked"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("0.00")
    assert ledger[("bank", "CNY")] == Decimal("7080000.00")
    assert ledger[("fx_clearing", "CNY")] == Decimal("-7100000.00")  # converted at 7.1000
    assert ledger[("fx_clearing", "USD")] == Decimal("1000000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("20000.00")
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert (shown["status"], shown["near_leg"]["status"]) == ("live", "booked")
    events = get_json(client, f"/v1/audit-events?object_id={hedge['id']}", tenant.auditor)
    assert "hedge.near_leg_paid" in [event["action"] for event in events["items"]]


def test_a_gross_near_leg_the_officer_rejects_returns_to_the_deal_and_is_instructed_again(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, usd, hedge = held_near_leg(client, tenant, clock)
    [near] = hedge_settlements(client, tenant, usd["id"])

    decided = decide(client, tenant, near["review_id"], "reject")

    assert decided["transfer"]["status"] == "rejected"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("fx_clearing", "CNY")] == 0
    assert ledger[("fx_result_realised", "CNY")] == 0
    assert ledger.get(("bank", "CNY"), ZERO) == 0
    carried = stored(client, tenant, hedge["id"], "2026-12-01")
    assert derivatives(ledger) == carried  # the far leg's value and the near leg's −20,000
    balance = get_json(client, f"/v1/accounts/{usd['id']}/balance", tenant.auditor)
    assert balance["available"] == "1000000.00"  # the reservation released
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["near_leg"] == {"transfer_id": near["id"], "status": "rejected"}

    post_snapshot(client, tenant.treasurer, snapshot("2026-12-02", "7.1000"))
    revalue(client, tenant, clock, "2026-12-02")

    transfers = hedge_settlements(client, tenant, usd["id"])
    assert sorted(t["status"] for t in transfers) == ["held", "rejected"]
    [again] = [t for t in transfers if t["status"] == "held"]
    assert again["requested_value_date"] == "2026-12-02"  # a payment to make, not a record
    ledger = books(client, tenant, entity["id"])
    assert ledger[("fx_clearing", "CNY")] == Decimal("-20000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("20000.00")
    assert derivatives(ledger) == stored(client, tenant, hedge["id"], "2026-12-02")


def test_a_net_near_leg_held_for_review_is_paid_when_an_officer_approves_it(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, cny, bank, forward = net_forward(client, tenant, kind="capital_settlement")
    close = client.post(
        f"/v1/hedges/{forward['id']}/close",
        json={"date": "2026-11-26", "change_of_underlying_ref": "SWAP-INSTEAD"},
        headers=tenant.treasurer,
    )
    assert close.status_code == 200, close.text
    swap = {
        "type": "swap",
        "pair": "USDCNY",
        "direction": "buy",
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "near_date": "2026-12-01",
        "near_rate": "7.0800",
        "far_date": "2027-05-26",
        "far_rate": "6.9900",
    }
    body = {
        **hedge_body(entity, {"id": forward["exposure_id"]}, swap),
        "counterparty_id": bank["id"],
    }
    response = client.post("/v1/hedges", json=body, headers=tenant.treasurer)
    assert response.status_code == 201, response.text
    hedge = response.json()
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))
    revalue(client, tenant, clock, "2026-12-01")
    [near] = [
        t
        for t in hedge_settlements(client, tenant, cny["id"])
        if t["references"]["hedge"] == hedge["id"]
    ]
    assert (near["status"], near["amount"]["amount"]) == ("held", "30000.00")
    assert [f["rule"] for f in near["findings"]] == ["CAPITAL_ACCOUNT_USE_UNSPECIFIED"]
    assert books(client, tenant, entity["id"])[("outgoing_payments", "CNY")] == Decimal("-30000.00")

    decided = decide(client, tenant, near["review_id"], "approve")

    assert decided["transfer"]["status"] == "booked"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("outgoing_payments", "CNY")] == 0
    assert ledger[("bank", "CNY")] == Decimal("470000.00")
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert (shown["status"], shown["near_leg"]["status"]) == ("live", "booked")


def test_a_net_near_leg_gained_is_expected_from_the_dealing_bank_and_booked_when_it_arrives(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    """Bought USD 1,000,000 near at 7.0800 with USD at 7.1000 on the near date: the dealing bank
    owes CNY 20,000.00; the far leg lives on."""
    entity, cny, bank, forward = net_forward(client, tenant)
    close = client.post(
        f"/v1/hedges/{forward['id']}/close",
        json={"date": "2026-11-26", "change_of_underlying_ref": "SWAP-INSTEAD"},
        headers=tenant.treasurer,
    )
    assert close.status_code == 200, close.text
    swap = {
        "type": "swap",
        "pair": "USDCNY",
        "direction": "buy",
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "near_date": "2026-12-01",
        "near_rate": "7.0800",
        "far_date": "2027-05-26",
        "far_rate": "6.9900",
    }
    body = {
        **hedge_body(entity, {"id": forward["exposure_id"]}, swap),
        "counterparty_id": bank["id"],
    }
    response = client.post("/v1/hedges", json=body, headers=tenant.treasurer)
    assert response.status_code == 201, response.text
    hedge = response.json()
    revalue(client, tenant, clock, "2026-11-26")
    before = books(client, tenant, entity["id"])
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.1000"))

    run = revalue(client, tenant, clock, "2026-12-01")

    assert (run["count"], run["status"]) == (1, "completed")  # the far leg lives on
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == before[("bank", "CNY")]  # not credited yet
    assert ledger[("incoming_payments", "CNY")] == Decimal("20000.00")
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert (shown["status"], shown["near_leg"]) == (
        "live",
        {"transfer_id": None, "status": "expected"},
    )
    ladder = get_json(client, "/v1/liquidity-ladder?from=2026-12-01&days=2", tenant.treasurer)
    [due] = [r for r in ladder["rows"] if r["date"] == "2026-12-01" and r["currency"] == "CNY"]
    assert {"source": "hedge_settlement", "inflows": "20000.00", "outflows": "0.00"} in due[
        "sources"
    ]

    received = client.post(
        f"/v1/hedges/{hedge['id']}/receipt",
        json={"bank_ref": "BOC-FXD-0043"},
        headers=tenant.treasurer,
    )

    assert received.status_code == 200, received.text
    assert received.json()["near_leg"]["status"] == "received"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == before[("bank", "CNY")] + Decimal("20000.00")
    assert ledger[("incoming_payments", "CNY")] == 0
    again = client.post(f"/v1/hedges/{hedge['id']}/receipt", json={}, headers=tenant.treasurer)
    assert again.status_code == 409, again.text
    assert [
        t
        for t in hedge_settlements(client, tenant, cny["id"])
        if t["references"]["hedge"] == hedge["id"]
    ] == []
