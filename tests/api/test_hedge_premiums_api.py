"""Option premiums as cash flows (issue 16), through the public API on SQLite and PostgreSQL: a
bought option's premium (a combination's net premium) is paid to the dealing bank by a transfer of
the payment pipeline on its premium date, from the entity's account in the premium's currency; the
revaluation on or after that date takes it into the deal's value; a zero-cost collar pays nothing;
the pipeline's outcome (rejected short of funds, held for review) is the premium's.

Hand-worked cases (USD 1,000,000 put struck 7.0500 traded 2026-11-26, expiring 2026-12-28):
- premium CNY 60,000.00 paid 2026-11-30 from a CNY account holding 100,000.00; net settled with
  USD at 6.9000 at expiry: the bank credits the intrinsic value 1,000,000 × (7.0500 − 6.9000) =
  CNY 150,000.00 (expected from it, then received). The CNY account ends at 100,000 − 60,000 +
  150,000 = 190,000.00; the deal's lifetime result is 150,000 − 60,000 = CNY 90,000.00 gained, all
  realised;
- premium USD 8,000.00 from the USD account (USD 1,008,000.00 in), gross: taken into the deal's
  value on 2026-12-01 at 7.0500 (CNY 56,400.00); exercised at 6.9000 the USD account delivers
  1,000,000 (ending at 0) for CNY 7,050,000.00; realised 150,000 − 56,400 = CNY 93,600.00 gained;
  the FX clearing holds USD 1,008,000.00 against CNY 6,956,400.00 (6,900,000 + 56,400);
- a collar whose sold call is worth more: CNY 5,000.00 received, credited on its date.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.api.test_hedge_combinations_api import collar, hedge_body
from tests.api.test_hedge_settlement_api import (
    EXPIRY,
    books,
    dealing_bank,
    decide,
    put,
    revalue,
)
from tests.api.test_hedging_api import exporter, forward_hedge, post_snapshot, snapshot
from tests.support import TenantFixture, fund, open_account
from treasury.clock import FixedClock

Json = dict[str, Any]
CNY_0 = Decimal(0)


def premium(amount: str, currency: str = "CNY", **fields: Any) -> Json:
    return {"amount": {"amount": amount, "currency": currency}, **fields}


def premium_transfers(client: TestClient, tenant: TenantFixture, account_id: str) -> list[Json]:
    """The premium transfers touching an account."""
    items = get_json(client, f"/v1/transfers?account_id={account_id}", tenant.auditor)["items"]
    return [t for t in items if "hedge_premium" in t["references"]]


def setup(
    client: TestClient, tenant: TenantFixture, cny_funds: str = "100000.00", **account: Any
) -> tuple[Json, Json, Json, Json]:
    """An exporter with a CNY account holding `cny_funds`, its USD receipt exposure, its dealing
    bank and the day's market."""
    entity, cny, exposure = exporter(client, tenant)
    if account:
        cny = open_account(client, tenant.treasurer, entity["id"], **account)
    fund(client, tenant.treasurer, cny["id"], cny_funds)
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.0850"))
    return entity, cny, exposure, dealing_bank(client, tenant)


def post_hedge(client: TestClient, tenant: TenantFixture, body: Json) -> Any:
    return client.post("/v1/hedges", json=body, headers=tenant.treasurer)


def booked(client: TestClient, tenant: TenantFixture, body: Json) -> Json:
    response = post_hedge(client, tenant, body)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


def put_with_premium(
    entity: Json, exposure: Json, bank: Json, paid: Json, **instrument: Any
) -> Json:
    return {
        **hedge_body(entity, exposure, put("7.0500", **instrument)),
        "counterparty_id": bank["id"],
        "premium": paid,
    }


def stored_value(client: TestClient, tenant: TenantFixture, hedge_id: str, day: str) -> Decimal:
    found = get_json(client, f"/v1/hedges/{hedge_id}/valuation?as_of={day}", tenant.auditor)
    return Decimal(found["stored_npv"]["amount"])


def test_a_bought_puts_premium_is_paid_to_the_dealing_bank_and_taken_into_its_value(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, cny, exposure, bank = setup(client, tenant)
    body = put_with_premium(
        entity, exposure, bank, premium("60000.00", date="2026-11-30"), settlement="net"
    )

    hedge = booked(client, tenant, body)

    [paid] = premium_transfers(client, tenant, cny["id"])
    assert hedge["premium"] == {
        "amount": {"amount": "60000.00", "currency": "CNY"},
        "direction": "pay",
        "date": "2026-11-30",
        "account_id": cny["id"],
        "transfer_id": paid["id"],
        "status": "booked",
        "recognised_on": None,
    }
    assert paid["status"] == "booked"
    assert paid["counterparty_id"] == bank["id"]
    assert paid["amount"] == {"amount": "60000.00", "currency": "CNY"}
    assert paid["requested_value_date"] == "2026-11-30"
    assert paid["references"] == {
        "hedge": hedge["id"],
        "exposure": exposure["id"],
        "hedge_premium": "pay",
    }
    # Before the premium date the premium is in transit, not yet in the deal's value.
    revalue(client, tenant, clock, "2026-11-26")
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("40000.00")
    assert ledger[("outgoing_payments", "CNY")] == Decimal("60000.00")
    assert (
        get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)["premium"]["recognised_on"]
        is None
    )

    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))
    revalue(client, tenant, clock, "2026-12-01")

    value = stored_value(client, tenant, hedge["id"], "2026-12-01")
    ledger = books(client, tenant, entity["id"])
    assert ledger[("outgoing_payments", "CNY")] == 0  # the premium left transit for the deal
    assert ledger[("derivative_asset", "CNY")] == value  # the option at its fair value
    assert ledger[("fx_result_realised", "CNY")] == Decimal("60000.00")  # its cost (a debit)
    assert ledger[("fx_result_unrealised", "CNY")] == -value
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["premium"]["recognised_on"] == "2026-12-01"
    # A later run does not take it again.
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-02", "7.0500"))
    revalue(client, tenant, clock, "2026-12-02")
    assert books(client, tenant, entity["id"])[("fx_result_realised", "CNY")] == Decimal("60000.00")

    post_snapshot(client, tenant.treasurer, snapshot(EXPIRY, "6.9000"))
    revalue(client, tenant, clock, EXPIRY)

    ledger = books(client, tenant, entity["id"])
    assert ledger[("incoming_payments", "CNY")] == Decimal("150000.00")  # due from the bank
    received = client.post(f"/v1/hedges/{hedge['id']}/receipt", json={}, headers=tenant.treasurer)
    assert received.status_code == 200, received.text
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("190000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-90000.00")  # a gain (credit)
    for kind in (
        "derivative_asset",
        "derivative_liability",
        "fx_result_unrealised",
        "outgoing_payments",
        "incoming_payments",
    ):
        assert ledger.get((kind, "CNY"), CNY_0) == 0
    report = get_json(
        client,
        f"/v1/hedge-accounting?entity_id={entity['id']}&from=2026-11-26&to={EXPIRY}",
        tenant.auditor,
    )
    [item] = report["items"]
    assert item["settled"] == "90000.00"  # −60,000 premium, +150,000 at expiry
    assert item["fair_value_change"] == "90000.00"


def test_a_premium_in_dollars_is_paid_from_the_dollar_account_and_converted_at_its_date(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, exposure, bank = setup(client, tenant, cny_funds="0.01")
    usd = open_account(client, tenant.treasurer, entity["id"], currency="USD")
    fund(client, tenant.treasurer, usd["id"], "1008000.00")
    body = put_with_premium(entity, exposure, bank, premium("8000.00", "USD", date="2026-11-30"))

    hedge = booked(client, tenant, body)

    assert hedge["instrument"]["settlement"] == "gross"
    assert hedge["premium"]["account_id"] == usd["id"]
    [paid] = premium_transfers(client, tenant, usd["id"])
    assert (paid["status"], paid["amount"]) == (
        "booked",
        {"amount": "8000.00", "currency": "USD"},
    )
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))
    revalue(client, tenant, clock, "2026-12-01")
    ledger = books(client, tenant, entity["id"])
    assert ledger[("outgoing_payments", "USD")] == 0
    assert ledger[("fx_clearing", "USD")] == Decimal("8000.00")
    assert ledger[("fx_clearing", "CNY")] == Decimal("-56400.00")  # 8,000 × 7.0500
    assert ledger[("fx_result_realised", "CNY")] == Decimal("56400.00")

    post_snapshot(client, tenant.treasurer, snapshot(EXPIRY, "6.9000"))
    revalue(client, tenant, clock, EXPIRY)

    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("0.00")
    assert ledger[("bank", "CNY")] == Decimal("7050000.01")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-93600.00")
    assert ledger[("fx_clearing", "USD")] == Decimal("1008000.00")
    assert ledger[("fx_clearing", "CNY")] == Decimal("-6956400.00")
    for kind in ("derivative_asset", "derivative_liability", "fx_result_unrealised"):
        assert ledger.get((kind, "CNY"), CNY_0) == 0


def test_a_zero_cost_collar_pays_nothing_and_one_whose_sold_leg_is_worth_more_receives(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, cny, exposure, bank = setup(client, tenant, cny_funds="1000.00")
    instrument = collar("6.9500", "7.1500")
    zero = booked(
        client, tenant, {**hedge_body(entity, exposure, instrument), "premium": premium("0.00")}
    )
    assert zero["premium"]["status"] == "none"
    assert zero["premium"]["transfer_id"] is None
    assert zero["premium"]["date"] == "2026-11-30"  # the spot date of Thursday 2026-11-26
    receiving = booked(
        client,
        tenant,
        {
            **hedge_body(entity, exposure, collar("6.9000", "7.0500")),
            "counterparty_id": bank["id"],
            "premium": premium("5000.00", direction="receive", date="2026-11-30"),
        },
    )
    assert receiving["premium"]["status"] == "expected"
    assert premium_transfers(client, tenant, cny["id"]) == []
    revalue(client, tenant, clock, "2026-11-26")
    assert books(client, tenant, entity["id"])[("bank", "CNY")] == Decimal("1000.00")

    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))
    revalue(client, tenant, clock, "2026-12-01")

    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("6000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-5000.00")  # cash received
    shown = get_json(client, f"/v1/hedges/{receiving['id']}", tenant.auditor)["premium"]
    assert (shown["status"], shown["recognised_on"]) == ("received", "2026-12-01")
    zero_shown = get_json(client, f"/v1/hedges/{zero['id']}", tenant.auditor)["premium"]
    assert (zero_shown["status"], zero_shown["recognised_on"]) == ("none", None)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"premium": premium("100.00", "EUR")}, "VALIDATION_ERROR", "premium"),
        ({"premium": premium("100.00", "USD")}, "SETTLEMENT_ACCOUNT_MISSING", "premium"),
        ({"counterparty_id": None}, "VALIDATION_ERROR", "counterparty_id"),
        ({"premium": premium("100.00", direction="receive")}, "VALIDATION_ERROR", "premium"),
        ({"premium": premium("100.00", date="2027-01-04")}, "VALIDATION_ERROR", "premium"),
    ],
)
def test_a_premium_that_cannot_be_paid_is_refused_with_its_code(
    client: TestClient, tenant: TenantFixture, change: Json, code: str, field: str
) -> None:
    entity, _, exposure, bank = setup(client, tenant)
    body = {**put_with_premium(entity, exposure, bank, premium("100.00")), **change}

    response = post_hedge(client, tenant, body)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert field in response.text
    assert get_json(client, "/v1/hedges", tenant.auditor)["items"] == []


def test_a_forward_has_no_premium(client: TestClient, tenant: TenantFixture) -> None:
    entity, _, exposure, bank = setup(client, tenant)
    body = {
        **forward_hedge(entity, exposure, "1000000.00", counterparty_id=bank["id"]),
        "premium": premium("100.00"),
    }
    response = post_hedge(client, tenant, body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_a_premium_short_of_funds_is_rejected_by_the_pipeline_and_paid_again(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, cny, exposure, bank = setup(client, tenant, cny_funds="10000.00")
    body = put_with_premium(
        entity, exposure, bank, premium("60000.00", date="2026-11-30"), settlement="net"
    )

    hedge = booked(client, tenant, body)

    assert hedge["premium"]["status"] == "rejected"
    [rejected] = premium_transfers(client, tenant, cny["id"])
    assert rejected["status"] == "rejected"
    assert [f["rule"] for f in rejected["findings"]] == ["INSUFFICIENT_FUNDS"]
    assert books(client, tenant, entity["id"])[("bank", "CNY")] == Decimal("10000.00")
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))
    revalue(client, tenant, clock, "2026-12-01")
    assert books(client, tenant, entity["id"]).get(("fx_result_realised", "CNY"), CNY_0) == 0

    fund(client, tenant.treasurer, cny["id"], "50000.00")
    headers = {**tenant.treasurer, "Idempotency-Key": "premium-again-1"}
    again = client.post(f"/v1/hedges/{hedge['id']}/premium", headers=headers)

    assert again.status_code == 200, again.text
    assert again.json()["premium"]["status"] == "booked"
    replay = client.post(f"/v1/hedges/{hedge['id']}/premium", headers=headers)
    assert replay.status_code == 200, replay.text
    transfers = premium_transfers(client, tenant, cny["id"])
    assert sorted(t["status"] for t in transfers) == ["booked", "rejected"]
    assert books(client, tenant, entity["id"])[("bank", "CNY")] == Decimal("0.00")
    refused = client.post(f"/v1/hedges/{hedge['id']}/premium", headers=tenant.treasurer)
    assert refused.status_code == 409, refused.text
    # The next run takes it into the deal's value.
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-02", "7.0500"))
    revalue(client, tenant, clock, "2026-12-02")
    ledger = books(client, tenant, entity["id"])
    assert ledger[("fx_result_realised", "CNY")] == Decimal("60000.00")
    assert ledger[("outgoing_payments", "CNY")] == 0


def test_a_premium_held_for_review_is_paid_when_an_officer_approves_it(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    """Paid from a capital settlement account for an unspecified use: an officer sees it first."""
    entity, cny, exposure, bank = setup(client, tenant, kind="capital_settlement")
    body = {
        **put_with_premium(
            entity, exposure, bank, premium("60000.00", date="2026-11-30"), settlement="net"
        ),
        "settlement_account_id": cny["id"],
    }
    hedge = booked(client, tenant, body)
    assert hedge["premium"]["status"] == "held"
    [held] = premium_transfers(client, tenant, cny["id"])
    assert [f["rule"] for f in held["findings"]] == ["CAPITAL_ACCOUNT_USE_UNSPECIFIED"]

    decided = decide(client, tenant, held["review_id"], "approve")

    assert decided["transfer"]["status"] == "booked"
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["premium"]["status"] == "booked"
    events = get_json(client, f"/v1/audit-events?object_id={hedge['id']}", tenant.auditor)
    assert "hedge.premium_paid" in [event["action"] for event in events["items"]]
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))
    revalue(client, tenant, clock, "2026-12-01")
    ledger = books(client, tenant, entity["id"])
    assert ledger[("fx_result_realised", "CNY")] == Decimal("60000.00")
    assert ledger[("bank", "CNY")] == Decimal("40000.00")


def test_a_designated_options_premium_is_part_of_its_hedge_accounting_and_recycles_at_its_end(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    """The premium is the option's first cash flow: its cumulative change is value − premium;
    the reserve is recycled in the period the deal ends, not in the one its premium was paid."""
    entity, _, exposure, bank = setup(client, tenant)
    body = {
        **put_with_premium(
            entity, exposure, bank, premium("10000.00", date="2026-11-30"), settlement="net"
        ),
        "designation": "cash_flow",
    }
    hedge = booked(client, tenant, body)
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))
    revalue(client, tenant, clock, "2026-12-01")
    post_snapshot(client, tenant.treasurer, snapshot(EXPIRY, "6.9000"))
    revalue(client, tenant, clock, EXPIRY)

    def period(start: str, end: str) -> Json:
        report = get_json(
            client,
            f"/v1/hedge-accounting?entity_id={entity['id']}&from={start}&to={end}",
            tenant.auditor,
        )
        [item] = report["items"]
        assert item["hedge_id"] == hedge["id"]
        result: Json = item
        return result

    early = period("2026-11-26", "2026-12-01")
    whole = period("2026-11-26", EXPIRY)
    value = stored_value(client, tenant, hedge["id"], "2026-12-01")
    assert Decimal(early["fair_value_change"]) == value - Decimal("10000.00")
    assert Decimal(early["effective"]) != 0  # USD fell: the put gained, the receipt lost
    assert early["recycled"] == "0.00"  # the premium does not end the deal
    assert whole["settled"] == "140000.00"  # −10,000 premium, +150,000 at expiry
    assert whole["fair_value_change"] == "140000.00"
    assert whole["recycled"] == whole["effective"]
    ledger = books(client, tenant, entity["id"])
    assert ledger.get(("hedge_reserve", "CNY"), CNY_0) == 0
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-140000.00")


def test_a_premium_of_a_deal_closed_out_before_it_was_taken_in_settles_with_the_close_out(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, exposure, bank = setup(client, tenant)
    body = put_with_premium(
        entity, exposure, bank, premium("60000.00", date="2026-11-30"), settlement="net"
    )
    hedge = booked(client, tenant, body)
    close = client.post(
        f"/v1/hedges/{hedge['id']}/close",
        json={"date": "2026-11-27", "change_of_underlying_ref": "CONTRACT-CANCELLED"},
        headers=tenant.treasurer,
    )
    assert close.status_code == 200, close.text
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))

    run = revalue(client, tenant, clock, "2026-12-01")

    assert (run["settled"], run["status"]) == (1, "completed")
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["premium"]["recognised_on"] == "2026-12-01"
    owed = Decimal(shown["delivery"]["expected"]["amount"])  # the put's value, from the bank
    ledger = books(client, tenant, entity["id"])
    assert ledger[("incoming_payments", "CNY")] == owed
    assert ledger[("fx_result_realised", "CNY")] == Decimal("60000.00") - owed
    for kind in (
        "derivative_asset",
        "derivative_liability",
        "fx_result_unrealised",
        "outgoing_payments",
    ):
        assert ledger.get((kind, "CNY"), CNY_0) == 0
