"""Issue 10: a group built the way treasurers build one, on the seeded reference data only.

Two onshore entities at two Chinese banks (Bank of China, ICBC), a Hong Kong entity at BOCHK and
one at HSBC Hong Kong, a Singapore entity at DBS; CNY (CNH offshore), USD, HKD and SGD accounts.
Every pair of same-currency accounts is quoted: each routes, or says by a named reason why not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import get_json
from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from treasury.settlement import pain001

Json = dict[str, Any]
NAMESPACES = {"p": pain001.NAMESPACE}
# Tue 2026-11-24, 10:00 in Shanghai: a business day in CN, HK, SG and the US.
SUBMITTED = "2026-11-24T10:00:00+08:00"


@dataclass(frozen=True)
class Account:
    """An account of the group and where it is held."""

    name: str
    id: str
    currency: str
    bank: str
    country: str


RATES = {"USDCNY": "7.1025", "HKDCNY": "0.9120", "SGDCNY": "5.4800"}


@pytest.fixture(autouse=True)
def _reference_rates(client: TestClient, operator_headers: dict[str, str]) -> None:
    """The day's central parities: the rules and the fee estimates read them."""
    for pair, rate in RATES.items():
        response = client.post(
            "/v1/reference-rates",
            json={"date": "2026-11-24", "pair": pair, "rate": rate},
            headers=operator_headers,
        )
        assert response.status_code in (200, 201, 409), response.text


def _group(client: TestClient, tenant: TenantFixture) -> list[Account]:
    headers = tenant.treasurer
    layout = {
        ("Shanghai", "CN", "BKCHCNBJ"): ("CNY", "USD"),
        ("Beijing", "CN", "ICBKCNBJ"): ("CNY", "USD"),
        ("HK BOCHK", "HK", "BKCHHKHH"): ("CNY", "HKD", "USD"),
        ("HK HSBC", "HK", "HSBCHKHH"): ("CNY", "HKD", "USD"),
        ("Singapore", "SG", "DBSSSGSG"): ("CNY", "SGD", "USD"),
    }
    accounts = []
    for (name, country, bank), currencies in layout.items():
        entity = create_entity(client, headers, country=country, name=f"{name} Ltd")
        for currency in currencies:
            opened = open_account(client, headers, entity["id"], currency=currency, bank_bic=bank)
            accounts.append(Account(name, opened["id"], currency, bank, country))
    return accounts


def _quote(client: TestClient, tenant: TenantFixture, debtor: Account, creditor: Account) -> Json:
    crosses = (debtor.country == "CN") != (creditor.country == "CN")
    body: Json = {
        "debtor_account_id": debtor.id,
        "creditor_account_id": creditor.id,
        "amount": {"amount": "10000.00", "currency": _wire_currency(debtor)},
        "purpose": "goods_trade",
        "submitted_at": SUBMITTED,
    }
    if crosses:
        body["bop_code"] = "121010"
    response = client.post("/v1/routes/quote", json=body, headers=tenant.treasurer)
    assert response.status_code == 200, (debtor, creditor, response.text)
    found: Json = response.json()
    return found


def _wire_currency(account: Account) -> str:
    return "CNH" if account.currency == "CNY" and account.country != "CN" else account.currency


def _pairs(accounts: list[Account]) -> list[tuple[Account, Account]]:
    return [
        (debtor, creditor)
        for debtor, creditor in itertools.permutations(accounts, 2)
        if debtor.currency == creditor.currency
    ]


# Which rail type carries each kind of pair, by the banks' countries and the currency.
def _expected_rail(debtor: Account, creditor: Account) -> set[str]:
    same_country = debtor.country == creditor.country
    if debtor.bank == creditor.bank:
        return {"BOOK"}
    if debtor.currency == "CNY":
        if same_country and debtor.country == "CN":
            return {"HVPS"}
        if same_country:
            return {"LOCAL_RTGS"}  # RMB CHATS between two Hong Kong banks
        return {"CIPS", "CLEARING_BANK"}
    if same_country and debtor.country == "CN":
        return {"CFXPS"}  # onshore FX between two Chinese banks
    if same_country:
        return {"LOCAL_RTGS"}
    return {"SWIFT"}


def test_every_pair_of_the_groups_accounts_can_pay_each_other(
    client: TestClient, tenant: TenantFixture
) -> None:
    accounts = _group(client, tenant)
    pairs = _pairs(accounts)
    assert len(pairs) == 42  # CNY 5×4, USD 5×4, HKD 2×1

    failures = []
    for debtor, creditor in pairs:
        quote = _quote(client, tenant, debtor, creditor)
        label = f"{debtor.name} {debtor.currency} → {creditor.name} {creditor.currency}"
        if quote["status"] != "routed":
            failures.append(f"{label}: {quote['status']} {quote['reasons']}")
            continue
        rail = quote["chosen"]["rail"]
        if rail not in _expected_rail(debtor, creditor):
            failures.append(f"{label}: {rail} ({quote['chosen']['rail_id']})")
        if _wire_currency(debtor) == "CNH":
            assert quote["market"] == "CNH", (label, quote)

    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize(
    ("debtor_name", "creditor_name", "currency", "rail_id"),
    [
        ("HK BOCHK", "Shanghai", "CNY", "CIPS_ANY"),
        ("HK HSBC", "Beijing", "CNY", "CIPS_ANY"),
        ("HK BOCHK", "HK HSBC", "HKD", "CHATS_HKD"),
        ("HK BOCHK", "HK HSBC", "USD", "CHATS_USD"),
        ("HK BOCHK", "Singapore", "USD", "SWIFT_ANY"),
        ("Beijing", "Singapore", "USD", "SWIFT_ANY"),
    ],
)
def test_offshore_and_non_house_bank_debtors_get_generic_rails(
    client: TestClient,
    tenant: TenantFixture,
    debtor_name: str,
    creditor_name: str,
    currency: str,
    rail_id: str,
) -> None:
    accounts = _group(client, tenant)
    debtor = next(a for a in accounts if a.name == debtor_name and a.currency == currency)
    creditor = next(a for a in accounts if a.name == creditor_name and a.currency == currency)

    quote = _quote(client, tenant, debtor, creditor)

    assert quote["status"] == "routed", quote
    assert quote["chosen"]["rail_id"] == rail_id, quote["chosen"]
    assert "default" in quote["chosen"]["explanation"]


def test_offshore_rmb_stays_cnh_in_accounts_quotes_and_transfers(
    client: TestClient, tenant: TenantFixture
) -> None:
    accounts = _group(client, tenant)
    hk = next(a for a in accounts if a.name == "HK BOCHK" and a.currency == "CNY")
    shanghai = next(a for a in accounts if a.name == "Shanghai" and a.currency == "CNY")
    fund(client, tenant.treasurer, hk.id, "50000.00", value_date="2026-11-24")
    body: Json = {
        "debtor_account_id": hk.id,
        "creditor_account_id": shanghai.id,
        "amount": {"amount": "10000.00", "currency": "CNY"},  # said CNY, held offshore
        "purpose": "goods_trade",
        "bop_code": "121010",
        "value_date": "2026-11-26",
    }

    account = get_json(client, f"/v1/accounts/{hk.id}", tenant.treasurer)
    onshore = get_json(client, f"/v1/accounts/{shanghai.id}", tenant.treasurer)
    quote = client.post(
        "/v1/routes/quote", json={**body, "submitted_at": SUBMITTED}, headers=tenant.treasurer
    ).json()
    transfer = post_transfer(client, tenant.treasurer, body)

    assert (account["currency"], account["market"]) == ("CNY", "CNH")
    assert (onshore["currency"], onshore["market"]) == ("CNY", "CNY")
    assert quote["market"] == "CNH"
    assert transfer.status_code == 201, transfer.text
    booked = transfer.json()
    assert booked["status"] == "booked", booked
    assert (booked["amount"]["currency"], booked["market"]) == ("CNY", "CNH")
    assert booked["route"]["rail_id"] == "CIPS_ANY"
    shown = get_json(client, f"/v1/transfers/{booked['id']}", tenant.auditor)
    assert shown["market"] == "CNH"


def test_every_payment_between_the_groups_banks_books_and_gets_a_valid_file_with_addresses(
    client: TestClient, tenant: TenantFixture
) -> None:
    accounts = _group(client, tenant)
    for account in accounts:
        fund(client, tenant.treasurer, account.id, "1000000.00", value_date="2026-11-24")

    failures = []
    for debtor, creditor in _pairs(accounts):
        if debtor.bank == creditor.bank:
            continue  # a book transfer: the bank moves it in house, no file
        body: Json = {
            "debtor_account_id": debtor.id,
            "creditor_account_id": creditor.id,
            "amount": {"amount": "100.00", "currency": debtor.currency},
            "purpose": "goods_trade",
            "value_date": "2026-11-26",
        }
        if (debtor.country == "CN") != (creditor.country == "CN"):
            body["bop_code"] = "121010"
        label = f"{debtor.name} {debtor.currency} → {creditor.name}"
        response = post_transfer(client, tenant.treasurer, body)
        if response.status_code != 201 or response.json()["status"] != "booked":
            failures.append(f"{label}: {response.status_code} {response.text[:300]}")
            continue
        document = client.get(
            f"/v1/transfers/{response.json()['id']}/pain001", headers=tenant.treasurer
        )
        if document.status_code != 200:
            failures.append(f"{label}: file {document.status_code} {document.text[:300]}")
            continue
        pain001.schema().validate(document.text)
        root = ElementTree.fromstring(document.text)
        for party in ("Dbtr", "Cdtr"):
            address = root.find(f".//p:{party}/p:PstlAdr", NAMESPACES)
            if address is None or address.find("p:TwnNm", NAMESPACES) is None:
                failures.append(f"{label}: {party} without a structured address")

    assert failures == [], "\n".join(failures)
