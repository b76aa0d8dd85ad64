"""Hedge settlement as the contract says (issue 16), through the public API on SQLite and
PostgreSQL: options exercised in the money deliver gross through the entity's bank accounts at the
strike (out of the money they lapse), a gross swap's near and far legs are transfers of the
payment pipeline, a delivery held for review completes or stays undelivered by the officers'
decision, and a cash-flow hedge's ledger splits its value as the hedge-accounting report does.

Hand-worked cases (USD 1,000,000 unless said):
- a bought USD put struck 7.0500, USD at 6.9000 at expiry: the USD account pays 1,000,000, the CNY
  account receives 7,050,000.00; against a spot conversion (6,900,000.00) CNY 150,000.00 realised;
- the same put with USD at 7.2000: it lapses, nothing moves, nothing realised;
- a collar (bought put 6.9500, sold call 7.1500, USD 500,000) with USD at 7.3000: the bank
  exercises the call, the entity sells USD 500,000 at 7.1500 (CNY 3,575,000.00), CNY 75,000.00 lost;
- a gross swap buying USD 1,000,000 near at 7.0800 and selling it far at 6.9900: the near leg
  pays CNY 7,080,000.00 for the USD, the far leg pays the USD back for CNY 6,990,000.00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from hedging.tables import ExposureRow
from tests.api.api_support import assert_problem, get_json
from tests.api.test_corrections import import_line
from tests.api.test_hedge_combinations_api import collar, hedge_body
from tests.api.test_hedging_api import exporter, forward_hedge, post_snapshot, snapshot
from tests.api.test_iso20022_statements import entry, statement
from tests.api.test_iso20022_statements import post as post_statement
from tests.support import TenantFixture, create_entity, default_address, fund, open_account
from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory

Json = dict[str, Any]
EXPIRY = "2026-12-28"


def books(
    client: TestClient, tenant: TenantFixture, entity_id: str
) -> dict[tuple[str, str], Decimal]:
    """The entity's ledger balances by (kind, currency) (bank accounts summed per currency)."""
    found: dict[tuple[str, str], Decimal] = {}
    items = get_json(
        client, f"/v1/entities/{entity_id}/ledger-accounts?as_of=2099-12-31", tenant.auditor
    )["items"]
    for item in items:
        key = (item["kind"], item["currency"])
        found[key] = found.get(key, Decimal(0)) + Decimal(item["balance"])
    return found


def revalue(client: TestClient, tenant: TenantFixture, clock: FixedClock, day: str) -> Json:
    """Revalue on `day` at 10:00 in Shanghai (the clock moved there)."""
    clock.instant = datetime.combine(date.fromisoformat(day), time(2), tzinfo=UTC)
    response = client.post("/v1/hedges/revaluations", json={"as_of": day}, headers=tenant.treasurer)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


def put(strike: str, amount: str = "1000000.00", **fields: Any) -> Json:
    return {
        "type": "option",
        "pair": "USDCNY",
        "option_type": "put",
        "direction": "buy",
        "notional": {"amount": amount, "currency": "USD"},
        "strike": strike,
        "expiry_date": EXPIRY,
        **fields,
    }


def hedge_settlements(client: TestClient, tenant: TenantFixture, account_id: str) -> list[Json]:
    """The transfers of hedge settlements touching an account."""
    items = get_json(client, f"/v1/transfers?account_id={account_id}", tenant.auditor)["items"]
    return [t for t in items if "hedge_settlement" in t["references"]]


def onshore_exporter(
    client: TestClient, tenant: TenantFixture, **usd: Any
) -> tuple[Json, Json, Json, Json]:
    """An exporter with CNY and USD accounts (USD 1,000,000 in) and its USD receipt exposure."""
    entity, cny, exposure = exporter(client, tenant)
    dollars = open_account(client, tenant.treasurer, entity["id"], currency="USD", **usd)
    fund(client, tenant.treasurer, dollars["id"], "1000000.00")
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.0850"))
    return entity, cny, dollars, exposure


def book(client: TestClient, tenant: TenantFixture, body: Json) -> Json:
    response = client.post("/v1/hedges", json=body, headers=tenant.treasurer)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


def expire(client: TestClient, tenant: TenantFixture, clock: FixedClock, spot: str) -> Json:
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot(EXPIRY, spot))
    return revalue(client, tenant, clock, EXPIRY)


def test_a_put_exercised_in_the_money_delivers_the_dollars_at_its_strike(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, usd, exposure = onshore_exporter(client, tenant)
    hedge = book(client, tenant, hedge_body(entity, exposure, put("7.0500")))
    assert hedge["instrument"]["settlement"] == "gross"  # onshore, with a USD account
    assert hedge["delivery_account_id"] == usd["id"]

    run = expire(client, tenant, clock, "6.9000")

    assert (run["count"], run["settled"], run["status"]) == (0, 1, "completed")
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("0.00")
    assert ledger[("bank", "CNY")] == Decimal("7050000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-150000.00")  # a gain (credit)
    assert ledger[("fx_clearing", "CNY")] == Decimal("-6900000.00")  # converted at 6.9000
    for kind in ("derivative_asset", "derivative_liability", "fx_result_unrealised"):
        assert ledger.get((kind, "CNY"), Decimal(0)) == 0
    [transfer] = hedge_settlements(client, tenant, usd["id"])
    assert transfer["status"] == "booked"
    assert transfer["references"]["hedge"] == hedge["id"]
    assert transfer["references"]["hedge_settlement"] == "exercise"
    assert transfer["fx_rate"] == "7.0500"
    assert transfer["creditor_amount"] == {"amount": "7050000.00", "currency": "CNY"}
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["status"] == "matured"
    assert shown["delivery"] == {
        "transfer_id": transfer["id"],
        "status": "delivered",
        "delivered": {"amount": "1000000.00", "currency": "USD"},
        "expected": None,
        "expected_on": None,
    }


def test_a_put_out_of_the_money_lapses_and_nothing_moves(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, usd, exposure = onshore_exporter(client, tenant)
    hedge = book(client, tenant, hedge_body(entity, exposure, put("7.0500")))

    run = expire(client, tenant, clock, "7.2000")

    assert (run["settled"], run["status"]) == (1, "completed")
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("1000000.00")
    assert ledger.get(("bank", "CNY"), Decimal(0)) == 0
    assert ledger.get(("fx_result_realised", "CNY"), Decimal(0)) == 0
    assert ledger.get(("derivative_asset", "CNY"), Decimal(0)) == 0
    assert hedge_settlements(client, tenant, usd["id"]) == []
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["status"] == "matured"
    assert shown["delivery"]["status"] == "lapsed"
    assert shown["delivery"]["transfer_id"] is None


def test_a_collars_sold_call_exercised_by_the_bank_sells_the_dollars_at_its_strike(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, usd, exposure = onshore_exporter(client, tenant)
    instrument = collar("6.9500", "7.1500")
    for leg in instrument["legs"]:
        leg["expiry_date"] = EXPIRY
    hedge = book(client, tenant, hedge_body(entity, exposure, instrument))
    for leg in hedge["instrument"]["legs"]:
        assert leg["settlement"] == "gross"

    expire(client, tenant, clock, "7.3000")

    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("500000.00")
    assert ledger[("bank", "CNY")] == Decimal("3575000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("75000.00")  # a loss (debit)
    [transfer] = hedge_settlements(client, tenant, usd["id"])
    assert (transfer["fx_rate"], transfer["amount"]["amount"]) == ("7.1500", "500000.00")
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["delivery"]["delivered"] == {"amount": "500000.00", "currency": "USD"}


def test_a_net_settled_option_pays_its_intrinsic_value_in_cny(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, _, exposure = onshore_exporter(client, tenant)
    hedge = book(client, tenant, hedge_body(entity, exposure, put("7.0500", settlement="net")))
    assert hedge["instrument"]["settlement"] == "net"

    expire(client, tenant, clock, "6.9000")

    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("1000000.00")
    assert ledger[("bank", "CNY")] == Decimal("150000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-150000.00")


def test_an_exercise_beyond_what_remains_of_the_exposure_is_refused(
    client: TestClient, tenant: TenantFixture, clock: FixedClock, uow_factory: UnitOfWorkFactory
) -> None:
    entity, _, _, exposure = onshore_exporter(client, tenant)
    forward = forward_hedge(entity, exposure, "600000.00")
    forward["instrument"]["delivery_date"] = "2026-12-21"
    book(client, tenant, forward)
    option = book(client, tenant, hedge_body(entity, exposure, put("7.0500", "400000.00")))
    with uow_factory() as uow:  # the contract amended to USD 700,000 (no API amends exposures)
        uow.session.execute(
            update(ExposureRow)
            .where(ExposureRow.id == exposure["id"])
            .values(amount_minor=70_000_000)
        )
        uow.commit()
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-21", "6.9500"))
    revalue(client, tenant, clock, "2026-12-21")  # the forward delivers USD 600,000
    post_snapshot(client, tenant.treasurer, snapshot(EXPIRY, "6.9000"))

    run = revalue(client, tenant, clock, EXPIRY)

    assert run["status"] == "partial"
    [aside] = run["set_aside"]
    assert aside["hedge_id"] == option["id"]
    assert "exceeds" in aside["reason"]
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("400000.00")  # only the forward delivered
    shown = get_json(client, f"/v1/hedges/{option['id']}", tenant.auditor)
    assert shown["status"] == "live"
    assert shown["delivery"] is None


def test_a_gross_swap_delivers_both_legs_through_the_pipeline(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, cny, usd, exposure = onshore_exporter(client, tenant)
    fund(client, tenant.treasurer, cny["id"], "7080000.00")
    swap = {
        "type": "swap",
        "pair": "USDCNY",
        "direction": "buy",
        "notional": {"amount": "1000000.00", "currency": "USD"},
        "near_date": "2026-12-01",
        "near_rate": "7.0800",
        "far_date": EXPIRY,
        "far_rate": "6.9900",
    }
    hedge = book(client, tenant, hedge_body(entity, exposure, swap))
    assert hedge["instrument"]["settlement"] == "gross"
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.1000"))

    near = revalue(client, tenant, clock, "2026-12-01")

    assert (near["count"], near["status"]) == (1, "completed")  # the far leg lives on
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("2000000.00")
    assert ledger[("bank", "CNY")] == Decimal("0.00")
    [near_leg] = hedge_settlements(client, tenant, usd["id"])
    assert near_leg["references"]["hedge_settlement"] == "near_leg"
    assert near_leg["debtor_account_id"] == cny["id"]
    assert near_leg["creditor_amount"] == {"amount": "1000000.00", "currency": "USD"}

    post_snapshot(client, tenant.treasurer, snapshot(EXPIRY, "6.9000"))
    far = revalue(client, tenant, clock, EXPIRY)

    assert (far["count"], far["settled"]) == (0, 1)
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("1000000.00")
    assert ledger[("bank", "CNY")] == Decimal("6990000.00")
    # Near: bought at 7.0800 with USD at 7.1000 (+20,000); far: sold at 6.9900 with USD at
    # 6.9000 (+90,000).
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-110000.00")
    for kind in ("derivative_asset", "derivative_liability", "fx_result_unrealised"):
        assert ledger.get((kind, "CNY"), Decimal(0)) == 0
    kinds = sorted(
        t["references"]["hedge_settlement"] for t in hedge_settlements(client, tenant, usd["id"])
    )
    assert kinds == ["far_leg", "near_leg"]
    assert get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)["status"] == "matured"


def held_at_delivery(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> tuple[Json, Json, Json, Json, Json]:
    """A forward delivering from a capital account (资本金) of a firm outside payment
    facilitation: its delivery needs the contract or invoice, and an officer's review."""
    entity, cny, usd, exposure = onshore_exporter(client, tenant, kind="capital")
    body = forward_hedge(entity, exposure, "1000000.00")
    body["instrument"]["delivery_date"] = EXPIRY
    hedge = book(client, tenant, body)
    run = expire(client, tenant, clock, "6.9000")
    assert (run["settled"], run["status"]) == (0, "completed")
    return entity, cny, usd, hedge, run


def decide(client: TestClient, tenant: TenantFixture, review_id: str, decision: str) -> Json:
    """An officer's decision; an approval that needs a second officer (dual approval: the USD
    amount with no reference rate to compare counts as large) gets one."""
    body = {"decision": decision, "reason": "contract EX-1 seen"}
    response = client.post(f"/v1/reviews/{review_id}/decision", json=body, headers=tenant.officer)
    assert response.status_code == 200, response.text
    result: Json = response.json()
    if result["status"] == "pending":
        token = client.post(
            "/v1/tokens",
            json={"role": "compliance_officer", "name": "second officer"},
            headers=tenant.admin,
        )
        assert token.status_code == 201, token.text
        second = {"Authorization": f"Bearer {token.json()['token']}"}
        response = client.post(f"/v1/reviews/{review_id}/decision", json=body, headers=second)
        assert response.status_code == 200, response.text
        result = response.json()
    return result


def test_a_delivery_held_for_review_completes_when_an_officer_approves_it(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, usd, hedge, _ = held_at_delivery(client, tenant, clock)
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["status"] == "held"
    assert shown["delivery"]["status"] == "held"
    [transfer] = hedge_settlements(client, tenant, usd["id"])
    assert transfer["id"] == shown["delivery"]["transfer_id"]
    assert transfer["status"] == "held"
    assert [f["rule"] for f in transfer["findings"]] == ["CAPITAL_PAYMENT_EVIDENCE_MISSING"]
    waiting = books(client, tenant, entity["id"])
    assert waiting[("bank", "USD")] == Decimal("1000000.00")  # reserved, not paid
    assert waiting[("derivative_asset", "CNY")] == Decimal("100000.00")  # valued, not settled
    # The next day's run leaves the held delivery to the officers.
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-29", "6.9100"))
    assert revalue(client, tenant, clock, "2026-12-29")["status"] == "completed"
    assert len(hedge_settlements(client, tenant, usd["id"])) == 1

    decided = decide(client, tenant, transfer["review_id"], "approve")

    assert decided["transfer"]["status"] == "booked"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("0.00")
    assert ledger[("bank", "CNY")] == Decimal("7000000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-100000.00")
    assert ledger[("fx_clearing", "CNY")] == Decimal("-6900000.00")
    assert ledger[("derivative_asset", "CNY")] == Decimal("0.00")
    assert ledger[("fx_result_unrealised", "CNY")] == Decimal("0.00")
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["status"] == "matured"
    assert shown["delivery"] == {
        "transfer_id": transfer["id"],
        "status": "delivered",
        "delivered": {"amount": "1000000.00", "currency": "USD"},
        "expected": None,
        "expected_on": None,
    }
    events = get_json(client, f"/v1/audit-events?object_id={hedge['id']}", tenant.auditor)["items"]
    assert "hedge.delivered" in [event["action"] for event in events]


def test_a_delivery_the_officer_rejects_leaves_the_hedge_undelivered(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, _, usd, hedge, _ = held_at_delivery(client, tenant, clock)
    [transfer] = hedge_settlements(client, tenant, usd["id"])

    decided = decide(client, tenant, transfer["review_id"], "reject")

    assert decided["transfer"]["status"] == "rejected"
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["status"] == "undelivered"
    assert shown["delivery"]["status"] == "rejected"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "USD")] == Decimal("1000000.00")
    assert ledger.get(("bank", "CNY"), Decimal(0)) == 0
    assert ledger[("derivative_asset", "CNY")] == Decimal("100000.00")  # still owed
    assert ledger.get(("fx_result_realised", "CNY"), Decimal(0)) == 0
    balance = get_json(client, f"/v1/accounts/{usd['id']}/balance", tenant.auditor)
    assert balance["available"] == "1000000.00"  # the reservation released
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-29", "6.9100"))
    run = revalue(client, tenant, clock, "2026-12-29")
    assert (run["count"], run["settled"], run["status"]) == (0, 0, "completed")
    assert len(hedge_settlements(client, tenant, usd["id"])) == 1


def accounting(client: TestClient, tenant: TenantFixture, entity_id: str, period: str) -> Json:
    start, end = period.split("/")
    report = get_json(
        client, f"/v1/hedge-accounting?entity_id={entity_id}&from={start}&to={end}", tenant.auditor
    )
    [item] = report["items"]
    result: Json = item
    return result


def test_a_cash_flow_hedges_ledger_splits_and_recycles_as_hedge_accounting_reports(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    """A forward maturing before its hedged receipt (2027-05-26) is not a perfect hedge: the
    reserve holds the lesser of the two cumulative changes, profit or loss the rest; at
    settlement the reserve is recycled into the realised result."""
    entity, _, exposure = exporter(client, tenant)
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.0850"))
    body = forward_hedge(entity, exposure, "1000000.00", designation="cash_flow")
    body["instrument"]["delivery_date"] = EXPIRY
    hedge = book(client, tenant, body)
    revalue(client, tenant, clock, "2026-11-26")
    for day, spot in (("2026-12-01", "7.0500"), ("2026-12-15", "7.1200")):
        post_snapshot(client, tenant.treasurer, snapshot(day, spot))
        revalue(client, tenant, clock, day)

    live = accounting(client, tenant, entity["id"], "2026-11-26/2026-12-15")
    ledger = books(client, tenant, entity["id"])
    assert Decimal(live["ineffective"]) != 0  # the dates differ: not all of it is effective
    assert ledger[("hedge_reserve", "CNY")] == -Decimal(live["effective"])
    assert ledger[("fx_result_unrealised", "CNY")] == -Decimal(live["ineffective"])
    assert ledger[("derivative_asset", "CNY")] + ledger[("derivative_liability", "CNY")] == (
        Decimal(live["closing_value"])
    )

    post_snapshot(client, tenant.treasurer, snapshot(EXPIRY, "6.9000"))
    revalue(client, tenant, clock, EXPIRY)

    whole = accounting(client, tenant, entity["id"], f"2026-11-26/{EXPIRY}")
    last = accounting(client, tenant, entity["id"], f"2026-12-16/{EXPIRY}")
    ledger = books(client, tenant, entity["id"])
    assert whole["settled"] == "100000.00"  # sold at 7.0000, fixed at 6.9000
    assert Decimal(live["effective"]) + Decimal(last["effective"]) == Decimal(whole["effective"])
    assert last["recycled"] == whole["recycled"] == whole["effective"]
    assert ledger[("hedge_reserve", "CNY")] == 0  # recycled
    assert ledger[("fx_result_unrealised", "CNY")] == 0
    assert ledger[("fx_result_realised", "CNY")] == -Decimal("100000.00")
    assert ledger[("bank", "CNY")] == Decimal("100000.00")
    assert get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)["status"] == "matured"


def dealing_bank(client: TestClient, tenant: TenantFixture) -> Json:
    """The entity's dealing bank as a counterparty (its FX derivatives settlement account)."""
    response = client.post(
        "/v1/counterparties",
        json={
            "name": "Bank of China FX derivatives settlement",
            "country": "CN",
            "bank_bic": "BKCHCNBJ",
            "account": "FXD-SETTLE-0001",
            "address": default_address("CN"),
        },
        headers=tenant.treasurer,
    )
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


def net_forward(
    client: TestClient, tenant: TenantFixture, **account: Any
) -> tuple[Json, Json, Json, Json]:
    """A net-settled forward selling USD 1,000,000 at 7.0000 (delivery EXPIRY) with its dealing
    bank named; the CNY settlement account holds CNY 500,000."""
    entity = create_entity(client, tenant.treasurer)
    cny = open_account(client, tenant.treasurer, entity["id"], **account)
    fund(client, tenant.treasurer, cny["id"], "500000.00")
    exposure = client.post(
        "/v1/exposures",
        json={
            "entity_id": entity["id"],
            "pair": "USDCNY",
            "direction": "receive",
            "amount": {"amount": "1000000.00", "currency": "USD"},
            "expected_date": EXPIRY,
        },
        headers=tenant.treasurer,
    ).json()
    bank = dealing_bank(client, tenant)
    body = forward_hedge(entity, exposure, "1000000.00", counterparty_id=bank["id"])
    body["instrument"].update(delivery_date=EXPIRY, settlement="net")
    hedge = book(client, tenant, body)
    assert hedge["counterparty_id"] == bank["id"]
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.0850"))
    return entity, cny, bank, hedge


def test_a_net_settlement_owed_is_paid_to_the_dealing_bank_through_the_pipeline(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, cny, bank, hedge = net_forward(client, tenant)

    run = expire(client, tenant, clock, "7.1000")  # sold at 7.0000: CNY 100,000.00 owed

    assert (run["settled"], run["status"]) == (1, "completed")
    [paid] = hedge_settlements(client, tenant, cny["id"])
    assert paid["status"] == "booked"
    assert paid["counterparty_id"] == bank["id"]
    assert paid["amount"] == {"amount": "100000.00", "currency": "CNY"}
    assert paid["references"]["hedge_settlement"] == "net"
    assert paid["route"]["rail"] == "HVPS"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("400000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("100000.00")  # a loss (debit)
    assert ledger[("outgoing_payments", "CNY")] == 0  # the payment settled the liability
    assert ledger[("derivative_liability", "CNY")] == 0
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert (shown["status"], shown["delivery"]["status"]) == ("matured", "paid")


def test_a_net_settlement_gained_is_expected_from_the_dealing_bank_and_booked_when_it_arrives(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, cny, _, hedge = net_forward(client, tenant)

    expire(client, tenant, clock, "6.9000")  # sold at 7.0000: CNY 100,000.00 gained

    assert hedge_settlements(client, tenant, cny["id"]) == []  # no payment of ours
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("500000.00")  # not credited yet
    assert ledger[("incoming_payments", "CNY")] == Decimal("100000.00")  # due from the bank
    assert ledger[("fx_result_realised", "CNY")] == Decimal("-100000.00")
    assert ledger.get(("derivative_asset", "CNY"), Decimal(0)) == 0
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["status"] == "matured"
    assert shown["delivery"]["status"] == "expected"
    assert shown["delivery"]["expected"] == {"amount": "100000.00", "currency": "CNY"}
    assert shown["delivery"]["expected_on"] == EXPIRY
    ladder = get_json(client, f"/v1/liquidity-ladder?from={EXPIRY}&days=3", tenant.treasurer)
    [due] = [r for r in ladder["rows"] if r["date"] == EXPIRY and r["currency"] == "CNY"]
    assert {"source": "hedge_settlement", "inflows": "100000.00", "outflows": "0.00"} in due[
        "sources"
    ]
    early = client.post(
        f"/v1/hedges/{hedge['id']}/receipt",
        json={"value_date": "2026-12-27"},
        headers=tenant.treasurer,
    )
    assert early.status_code == 422, early.text

    headers = {**tenant.treasurer, "Idempotency-Key": "receipt-1"}
    body = {"value_date": "2026-12-29", "bank_ref": "BOC-FXD-0042"}
    received = client.post(f"/v1/hedges/{hedge['id']}/receipt", json=body, headers=headers)

    assert received.status_code == 200, received.text
    assert received.json()["delivery"]["status"] == "received"
    replay = client.post(f"/v1/hedges/{hedge['id']}/receipt", json=body, headers=headers)
    assert replay.status_code == 200, replay.text
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("600000.00")
    assert ledger[("incoming_payments", "CNY")] == 0
    again = client.post(f"/v1/hedges/{hedge['id']}/receipt", json={}, headers=tenant.treasurer)
    assert again.status_code == 409, again.text
    ladder = get_json(client, f"/v1/liquidity-ladder?from={EXPIRY}&days=3", tenant.treasurer)
    for row in ladder["rows"]:
        assert all(s["source"] != "hedge_settlement" for s in row["sources"])
    events = get_json(client, f"/v1/audit-events?object_id={hedge['id']}", tenant.auditor)
    assert "hedge.receipt_received" in [event["action"] for event in events["items"]]


def test_a_net_gain_of_a_hedge_naming_no_dealing_bank_is_credited_by_the_run(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    entity, cny, exposure = exporter(client, tenant)
    fund(client, tenant.treasurer, cny["id"], "500000.00")
    body = forward_hedge(entity, exposure, "1000000.00")
    body["instrument"].update(delivery_date=EXPIRY, settlement="net")
    hedge = book(client, tenant, body)
    post_snapshot(client, tenant.treasurer, snapshot("2026-11-26", "7.0850"))

    expire(client, tenant, clock, "6.9000")

    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("600000.00")
    assert ledger.get(("incoming_payments", "CNY"), Decimal(0)) == 0
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert shown["delivery"] is None
    refused = client.post(f"/v1/hedges/{hedge['id']}/receipt", json={}, headers=tenant.treasurer)
    assert refused.status_code == 409, refused.text


def test_a_net_payment_held_for_review_is_paid_when_an_officer_approves_it(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    """Paid from a capital settlement account (资本项目结汇待支付账户) for an unspecified use: an
    officer must see it first."""
    entity, cny, _, hedge = net_forward(client, tenant, kind="capital_settlement")
    expire(client, tenant, clock, "7.1000")
    [held] = hedge_settlements(client, tenant, cny["id"])
    assert held["status"] == "held"
    assert [f["rule"] for f in held["findings"]] == ["CAPITAL_ACCOUNT_USE_UNSPECIFIED"]
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert (shown["status"], shown["delivery"]["status"]) == ("held", "held")
    assert books(client, tenant, entity["id"])[("derivative_liability", "CNY")] == Decimal(
        "-100000.00"
    )

    decided = decide(client, tenant, held["review_id"], "approve")

    assert decided["transfer"]["status"] == "booked"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("400000.00")
    assert ledger[("fx_result_realised", "CNY")] == Decimal("100000.00")
    assert ledger[("derivative_liability", "CNY")] == 0
    assert ledger[("outgoing_payments", "CNY")] == 0
    shown = get_json(client, f"/v1/hedges/{hedge['id']}", tenant.auditor)
    assert (shown["status"], shown["delivery"]["status"]) == ("matured", "paid")


def test_a_net_swaps_near_leg_owed_is_paid_to_the_dealing_bank(
    client: TestClient, tenant: TenantFixture, clock: FixedClock
) -> None:
    """Bought USD 1,000,000 near at 7.0800 with USD at 7.0500 on the near date: CNY 30,000.00
    owed, paid by transfer; the far leg lives on."""
    entity, cny, bank, forward = net_forward(client, tenant)
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
    close = client.post(
        f"/v1/hedges/{forward['id']}/close",
        json={"date": "2026-11-26", "change_of_underlying_ref": "SWAP-INSTEAD"},
        headers=tenant.treasurer,
    )
    assert close.status_code == 200, close.text
    body = {
        **hedge_body(entity, {"id": forward["exposure_id"]}, swap),
        "counterparty_id": bank["id"],
    }
    hedge = book(client, tenant, body)
    assert hedge["instrument"]["settlement"] == "net"  # no USD account
    revalue(client, tenant, clock, "2026-11-26")
    post_snapshot(client, tenant.treasurer, snapshot("2026-12-01", "7.0500"))

    run = revalue(client, tenant, clock, "2026-12-01")

    assert (run["count"], run["status"]) == (1, "completed")
    payments = [
        t
        for t in hedge_settlements(client, tenant, cny["id"])
        if t["references"]["hedge"] == hedge["id"]
    ]
    [near] = payments
    assert (near["status"], near["amount"]["amount"]) == ("booked", "30000.00")
    assert near["counterparty_id"] == bank["id"]
    ledger = books(client, tenant, entity["id"])
    assert ledger[("outgoing_payments", "CNY")] == 0


def test_a_gain_the_bank_statement_brought_first_is_taken_out_of_suspense_not_counted_twice(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture, clock: FixedClock
) -> None:
    """The dealing bank's credit arrives in the camt.053 before the treasurer books the receipt:
    it names no transfer, so it goes to suspense. The receipt names that line and moves it to the
    incoming payments; the bank balance rises once, by the credit."""
    entity, cny, _, hedge = net_forward(client, tenant)
    expire(client, tenant, clock, "6.9000")  # sold at 7.0000: CNY 100,000.00 gained
    xml = statement(
        cny["number"],
        entry("BOC-FXD-0042", "100000.00", "CRDT", "2026-12-29"),
        entry("BOC-FXD-0043", "99999.99", "CRDT", "2026-12-29"),  # not what is due
    )
    imported = post_statement(client, tenant, xml)
    assert imported.status_code == 200, imported.text
    lines = {line["bank_ref"]: line["line_id"] for line in imported.json()["unmatched"]}
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("699999.99")  # both credits, in suspense
    suspense = ledger[("suspense", "CNY")]
    path = f"/v1/hedges/{hedge['id']}/receipt"

    wrong = client.post(
        path, json={"statement_line_id": lines["BOC-FXD-0043"]}, headers=tenant.treasurer
    )
    assert_problem(wrong, 422, "CLASSIFICATION_MISMATCH")
    unknown = client.post(path, json={"statement_line_id": "0" * 36}, headers=tenant.treasurer)
    assert_problem(unknown, 404, "NOT_FOUND")
    theirs = open_account(
        client, other_tenant.treasurer, create_entity(client, other_tenant.treasurer)["id"]
    )
    their_line = import_line(client, other_tenant, theirs["id"], "100000.00", "2026-12-29")
    foreign = client.post(path, json={"statement_line_id": their_line}, headers=tenant.treasurer)
    assert_problem(foreign, 404, "NOT_FOUND")  # another tenant's credit, even of the right amount
    body = {"statement_line_id": lines["BOC-FXD-0042"]}
    received = client.post(path, json=body, headers=tenant.treasurer)

    assert received.status_code == 200, received.text
    assert received.json()["delivery"]["status"] == "received"
    ledger = books(client, tenant, entity["id"])
    assert ledger[("bank", "CNY")] == Decimal("699999.99")  # the credit, once
    assert ledger[("incoming_payments", "CNY")] == 0
    assert ledger[("suspense", "CNY")] == suspense + Decimal("100000.00")  # the line left it
    again = client.post(path, json=body, headers=tenant.treasurer)
    assert again.status_code == 409, again.text
    classified = client.post(
        f"/v1/statement-lines/{lines['BOC-FXD-0042']}/classification",
        json={"ledger_account_kind": "bank_fees", "reason": "twice"},
        headers=tenant.treasurer,
    )
    assert_problem(classified, 409, "STATEMENT_LINE_NOT_IN_SUSPENSE")
    events = get_json(client, f"/v1/audit-events?object_id={hedge['id']}", tenant.auditor)
    [event] = [e for e in events["items"] if e["action"] == "hedge.receipt_received"]
    assert event["after"]["value_date"] == "2026-12-29"
    assert event["after"]["bank_ref"] == "BOC-FXD-0042"
