"""Route quotes and routed transfers over HTTP, on the seeded reference data (settlement.md §7).

The worked examples whose outcome depends on the compliance rules (E4 tax filing, E5 capital
account) run here, through the same screening a transfer gets.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer

Json = dict[str, Any]
HOUSE = "HBKACNSH"


@pytest.fixture
def rate_710(client: TestClient, operator_headers: dict[str, str]) -> None:
    """USDCNY 7.10 on 2026-04-08 (E4's rate; a date no other test writes)."""
    response = client.post(
        "/v1/reference-rates",
        json={"date": "2026-04-08", "pair": "USDCNY", "rate": "7.10", "source": "E4 (test)"},
        headers=operator_headers,
    )
    assert response.status_code == 201, response.text


def payer(client: TestClient, tenant: TenantFixture, currency: str = "CNY") -> Json:
    """An onshore entity's account at the house bank, funded."""
    entity = create_entity(client, tenant.treasurer)
    account = open_account(
        client, tenant.treasurer, entity["id"], bank_bic=HOUSE, currency=currency
    )
    fund(client, tenant.treasurer, account["id"], "100000000.00")
    return account


def counterparty(client: TestClient, tenant: TenantFixture, bic: str, country: str) -> Json:
    """A foreign counterparty banking at `bic`."""
    body = {
        "name": f"Supplier {uuid.uuid4().hex[:6]}",
        "country": country,
        "bank_bic": bic,
        "account": "DE89370400440532013000" if country == "DE" else "123456789",
        "address": {"town": "Frankfurt" if country == "DE" else "Hong Kong", "country": country},
    }
    response = client.post("/v1/counterparties", json=body, headers=tenant.treasurer)
    assert response.status_code == 201, response.text
    return dict(response.json())


def quote(client: TestClient, tenant: TenantFixture, **fields: Any) -> Json:
    """POST a quote that must answer 200."""
    response = client.post("/v1/routes/quote", json=fields, headers=tenant.treasurer)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def money(amount: str, currency: str = "CNY") -> Json:
    """Wire money."""
    return {"amount": amount, "currency": currency}


def test_e1_quote_routes_over_cips_and_lists_every_candidate(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "DEUTDEFF", "DE")

    body = quote(
        client,
        tenant,
        debtor_account_id=account["id"],
        counterparty_id=payee["id"],
        amount=money("5000000.00"),
        purpose="goods_trade",
        bop_code="121010",
        references={"customs_declaration": "C-1"},
        submitted_at="2026-03-10T10:00:00+08:00",
    )

    assert body["status"] == "routed"
    chosen = body["chosen"]
    assert (chosen["rail"], chosen["rail_id"]) == ("CIPS", "CIPS_A")
    assert chosen["send_at"] == "2026-03-10T10:00:00+08:00"
    assert chosen["value_date"] == "2026-03-10"
    assert chosen["fee_estimate"] == {"amount": "550.00", "currency": "CNY"}
    by_id = {c["rail_id"]: c for c in body["candidates"]}
    assert by_id["CLR_DE"]["value_date"] == "2026-03-10"
    assert by_id["CLR_DE"]["fee_estimate"] == {"amount": "1150.00", "currency": "CNY"}
    assert by_id["CLR_HK"]["excluded_reason"] == "CORRIDOR_NOT_SERVED"
    assert by_id["BOOK"]["excluded_reason"] == "NOT_INTERNAL"
    assert body["ruleset_version"].startswith("ref-")


def test_e4_services_without_tax_filing_hold_and_with_it_route_via_the_hk_clearing_bank(
    client: TestClient, tenant: TenantFixture, rate_710: None
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "DSBAHKHH", "HK")
    fields: Json = {
        "debtor_account_id": account["id"],
        "counterparty_id": payee["id"],
        "amount": money("800000.00"),
        "purpose": "services_trade",
        "bop_code": "222012",
        "submitted_at": "2026-04-08T15:00:00+08:00",
    }

    held = quote(client, tenant, **fields)
    with_ref = quote(client, tenant, **fields, references={"tax_filing": "TAX-2026-1"})

    assert held["status"] == "hold"
    assert held["reasons"] == ["TAX_FILING_MISSING"]
    assert held["chosen"] is None
    assert with_ref["status"] == "routed"
    assert with_ref["chosen"]["rail_id"] == "CLR_HK"
    assert with_ref["chosen"]["rail"] == "CLEARING_BANK"
    assert with_ref["chosen"]["value_date"] == "2026-04-08"


def test_e5_capital_code_without_registration_holds(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "DBSSSGSG", "SG")
    fields: Json = {
        "debtor_account_id": account["id"],
        "counterparty_id": payee["id"],
        "amount": money("20000000.00"),
        "purpose": "capital_injection",
        "bop_code": "622011",
        "submitted_at": "2026-03-10T11:00:00+08:00",
    }

    held = quote(client, tenant, **fields)
    routed = quote(client, tenant, **fields, references={"registration": "SAFE-2026-77"})

    assert held["status"] == "hold"
    assert "CAPITAL_ACCOUNT_REF_MISSING" in held["reasons"]
    assert routed["status"] == "routed", routed
    assert routed["chosen"]["rail_id"] == "CIPS_A"
    assert routed["chosen"]["value_date"] == "2026-03-10"


def test_e9_cnh_is_quoted_as_cny_and_its_market_is_audited(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")

    body = quote(
        client,
        tenant,
        debtor_account_id=account["id"],
        counterparty_id=payee["id"],
        amount=money("1000000.00", "CNH"),
        purpose="goods_trade",
        bop_code="121010",
        references={"customs_declaration": "C-9"},
        submitted_at="2026-03-10T10:00:00+08:00",
    )

    assert body["status"] == "routed"
    assert body["chosen"]["rail_id"] == "CIPS_A"
    assert body["market"] == "CNH"
    events = get_json(client, "/v1/audit-events", tenant.officer)["items"]
    quoted = [e for e in events if e["action"] == "route.quoted"]
    assert quoted
    assert quoted[-1]["after"]["market"] == "CNH"
    assert quoted[-1]["after"]["currency"] == "CNY"


def test_e10_a_value_date_past_every_calendar_is_a_reject_reason_not_an_error(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")

    body = quote(
        client,
        tenant,
        debtor_account_id=account["id"],
        counterparty_id=payee["id"],
        amount=money("1000000.00"),
        purpose="goods_trade",
        bop_code="121010",
        references={"customs_declaration": "C-10"},
        value_date="2028-03-01",
    )

    assert body["status"] == "reject"
    assert body["reasons"] == ["CALENDAR_NOT_LOADED"]
    assert body["chosen"] is None


def test_a_2027_value_date_routes_on_the_expected_cn_calendar_with_a_warning(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")

    body = quote(
        client,
        tenant,
        debtor_account_id=account["id"],
        counterparty_id=payee["id"],
        amount=money("1000000.00"),
        purpose="goods_trade",
        bop_code="121010",
        references={"customs_declaration": "C-11"},
        value_date="2027-03-01",
    )

    assert body["status"] == "routed"
    assert body["chosen"]["value_date"] == "2027-03-01"
    assert any("CN_IB 2027 holidays are expected" in w for w in body["warnings"])


def test_a_quote_names_one_creditor_and_refuses_a_json_number(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    base: Json = {"debtor_account_id": account["id"], "purpose": "other"}

    assert_problem(
        client.post(
            "/v1/routes/quote",
            json={**base, "amount": {"amount": 5, "currency": "CNY"}, "counterparty_id": "x"},
            headers=tenant.treasurer,
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert_problem(
        client.post(
            "/v1/routes/quote", json={**base, "amount": money("5.00")}, headers=tenant.treasurer
        ),
        422,
        "VALIDATION_ERROR",
    )


def test_an_auditor_may_not_quote(client: TestClient, tenant: TenantFixture) -> None:
    response = client.post("/v1/routes/quote", json={}, headers=tenant.auditor)

    assert_problem(response, 403, "FORBIDDEN")


def test_an_outbound_transfer_is_routed_booked_on_the_route_value_date_and_keeps_its_decision(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    body = {
        "debtor_account_id": account["id"],
        "counterparty_id": payee["id"],
        "amount": money("250000.00"),
        "value_date": "2026-11-26",
        "purpose": "goods_trade",
        "bop_code": "121010",
        "references": {"customs_declaration": "C-12"},
    }

    response = post_transfer(client, tenant.treasurer, body)

    assert response.status_code == 201, response.text
    transfer = response.json()
    assert transfer["status"] == "booked"
    assert transfer["route"]["rail_id"] == "CIPS_A"
    assert transfer["route"]["value_date"] == "2026-11-26"
    assert transfer["value_date"] == "2026-11-26"
    assert transfer["route"]["fee_estimate"] == {"amount": "175.00", "currency": "CNY"}
    assert transfer["route"]["ruleset_version"].startswith("ref-")
    entry = get_json(client, f"/v1/journal-entries/{transfer['journal_id']}", tenant.treasurer)
    assert entry["value_date"] == "2026-11-26"
    amounts = {p["amount"]["amount"] for p in entry["postings"]}
    assert amounts == {"250000.00"}  # the fee estimate is never posted


def test_a_transfer_no_rail_can_carry_is_refused_and_nothing_is_booked(
    client: TestClient, tenant: TenantFixture
) -> None:
    # A Brazilian subsidiary's USD account: no calendar or time zone is configured for a sending
    # bank in Brazil (routing.country_calendars), so even the generic SWIFT rail cannot time it.
    entity = create_entity(client, tenant.treasurer, country="BR", name="ACME Brasil Ltda")
    account = open_account(
        client, tenant.treasurer, entity["id"], currency="USD", bank_bic="ITAUBRSP"
    )
    fund(client, tenant.treasurer, account["id"], "1000.00")
    payee = counterparty(client, tenant, "CHASUS33", "US")

    response = post_transfer(
        client,
        tenant.treasurer,
        {
            "debtor_account_id": account["id"],
            "counterparty_id": payee["id"],
            "amount": money("100.00", "USD"),
            "value_date": "2026-11-26",
            "purpose": "goods_trade",
        },
    )

    problem = assert_problem(response, 422, "ROUTE_UNAVAILABLE")
    assert "SWIFT_ANY: NO_CALENDAR_FOR_COUNTRY" in problem["detail"]
    listed = get_json(client, f"/v1/transfers?account_id={account['id']}", tenant.treasurer)
    assert listed["items"] == []


def test_a_quote_out_of_any_calendar_range_is_refused_not_crashed(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    base: Json = {
        "debtor_account_id": account["id"],
        "counterparty_id": payee["id"],
        "amount": money("1.00"),
        "purpose": "goods_trade",
        "bop_code": "121010",
    }

    early = client.post(
        "/v1/routes/quote",
        json={**base, "submitted_at": "0001-01-01T00:00:00+00:00"},
        headers=tenant.treasurer,
    )
    late = quote(client, tenant, **base, value_date="2199-12-31")

    assert_problem(early, 422, "VALIDATION_ERROR")
    assert (late["status"], late["reasons"]) == ("reject", ["CALENDAR_NOT_LOADED"])


def test_e8_an_inbound_payment_in_golden_week_is_credited_on_october_8(
    client: TestClient, tenant: TenantFixture
) -> None:
    response = client.post(
        "/v1/routes/inbound-quote",
        json={"currency": "USD", "nostro_value_date": "2026-10-02"},
        headers=tenant.treasurer,
    )
    beyond = client.post(
        "/v1/routes/inbound-quote",
        json={"currency": "USD", "nostro_value_date": "2028-01-03"},
        headers=tenant.treasurer,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credit_date"] == "2026-10-08"
    assert "holiday gap: 2026-10-02 holiday (CN_IB)" in body["explanation"]
    assert (beyond.json()["status"], beyond.json()["reasons"]) == (
        "reject",
        ["CALENDAR_NOT_LOADED"],
    )


def test_a_transfer_between_two_accounts_at_one_bank_books_in_any_currency(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"], currency="NZD")
    creditor = open_account(client, tenant.treasurer, entity["id"], currency="NZD")
    fund(client, tenant.treasurer, debtor["id"], "100.00")

    response = post_transfer(
        client,
        tenant.treasurer,
        {
            "debtor_account_id": debtor["id"],
            "creditor_account_id": creditor["id"],
            "amount": money("10.00", "NZD"),
            "value_date": "2026-11-26",
            "purpose": "other",
        },
    )

    assert response.status_code == 201, response.text
    assert response.json()["route"]["rail"] == "BOOK"


def test_e6_a_pool_sweep_after_the_cutoff_before_national_day_goes_on_october_8(
    client: TestClient, tenant: TenantFixture
) -> None:
    onshore = create_entity(client, tenant.treasurer)
    master = open_account(
        client, tenant.treasurer, onshore["id"], bank_bic=HOUSE, kind="pool_master"
    )
    hk_centre = create_entity(client, tenant.treasurer, country="HK", name="HK Treasury Centre")
    centre = open_account(client, tenant.treasurer, hk_centre["id"], bank_bic="HSBCHKHH")
    fields: Json = {
        "debtor_account_id": master["id"],
        "creditor_account_id": centre["id"],
        "amount": money("50000000.00"),
        "purpose": "cash_pool",
        "bop_code": "822030",
        "submitted_at": "2026-09-30T17:20:00+08:00",
    }

    without_filing = quote(client, tenant, **fields)
    body = quote(
        client,
        tenant,
        **fields,
        references={"pool_filing": "POOL-2026-1", "registration": "POOL-2026-1"},
    )

    assert without_filing["status"] == "hold"
    assert "CASH_POOL_REF_MISSING" in without_filing["reasons"]
    assert body["status"] == "routed", body
    assert body["chosen"]["rail_id"] == "CIPS_A"
    assert body["chosen"]["send_at"] == "2026-10-08T08:30:00+08:00"
    assert body["chosen"]["value_date"] == "2026-10-08"
    assert "2026-10-01 holiday (CN_IB)" in body["chosen"]["explanation"]
