"""Issue 10, addresses and payment files: structured addresses on entities, both parties' postal
addresses in every pain.001, refusal at creation of a transfer that cannot have its file, the
day's batch that leaves out what it cannot carry, and the remark's character set per rail."""

from __future__ import annotations

import uuid
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json, ledger_state
from tests.api.test_pool_api import create_pool, make_group, sweep
from tests.api.test_routing_api import HOUSE, money
from tests.support import TenantFixture, create_entity, fund, open_account, post_transfer
from treasury.settlement import pain001

NS = {"p": pain001.NAMESPACE}
Json = dict[str, Any]
SHANGHAI = {
    "street": "Century Avenue",
    "building": "100",
    "postcode": "200120",
    "town": "Shanghai",
    "subdivision": "Shanghai",
    "country": "CN",
}
HONG_KONG = {
    "street": "Queen's Road Central",
    "building": "1",
    "town": "Hong Kong",
    "subdivision": "Central and Western",
    "country": "HK",
    "lines": ["Floor 12"],
}
NEW_YORK = {
    "street": "Park Avenue",
    "building": "270",
    "postcode": "10017",
    "town": "New York",
    "subdivision": "NY",
    "country": "US",
}
POSTAL_ORDER = ["StrtNm", "BldgNb", "PstCd", "TwnNm", "CtrySubDvsn", "Ctry", "AdrLine"]


def payer(client: TestClient, tenant: TenantFixture, currency: str = "CNY", **fields: Any) -> Json:
    """A funded account at the house bank of an onshore entity (its address: `fields`)."""
    entity = create_entity(client, tenant.treasurer, name="Shanghai Widgets Co", **fields)
    account = open_account(
        client, tenant.treasurer, entity["id"], bank_bic=HOUSE, currency=currency
    )
    fund(client, tenant.treasurer, account["id"], "100000000.00")
    return account


def supplier(client: TestClient, tenant: TenantFixture, **fields: Any) -> Json:
    """A Hong Kong supplier at HSBC (with HONG_KONG as its address unless `fields` say)."""
    body = {
        "name": f"Kowloon Parts {uuid.uuid4().hex[:6]}",
        "country": "HK",
        "bank_bic": "HSBCHKHH",
        "account": "123456789",
        "address": HONG_KONG,
        **fields,
    }
    response = client.post("/v1/counterparties", json=body, headers=tenant.treasurer)
    assert response.status_code == 201, response.text
    return dict(response.json())


def goods(account: Json, amount: str = "1000.00", currency: str = "CNY", **fields: Any) -> Json:
    """An import payment out of `account`, valued today, with its customs declaration."""
    return {
        "debtor_account_id": account["id"],
        "amount": money(amount, currency),
        "value_date": "2026-11-26",
        "purpose": "goods_trade",
        "bop_code": "121010",
        "references": {"customs_declaration": f"C-{uuid.uuid4().hex[:6]}"},
        **fields,
    }


def booked(client: TestClient, tenant: TenantFixture, body: Json) -> Json:
    """POST a transfer that must be booked."""
    response = post_transfer(client, tenant.treasurer, body)
    assert response.status_code == 201, response.text
    found: Json = response.json()
    assert found["status"] == "booked", found
    return found


def postal(root: ET.Element, party: str) -> list[tuple[str, str]]:
    """The (element, text) pairs of a party's PstlAdr, in document order."""
    node = root.find(f".//p:{party}/p:PstlAdr", NS)
    assert node is not None, f"{party} has no PstlAdr"
    return [(child.tag.split("}")[1], child.text or "") for child in node]


def file_of(client: TestClient, tenant: TenantFixture, transfer_id: str) -> ET.Element:
    """The transfer's pain.001, validated against the XSD."""
    response = client.get(f"/v1/transfers/{transfer_id}/pain001", headers=tenant.treasurer)
    assert response.status_code == 200, response.text
    pain001.schema().validate(response.text)
    return ET.fromstring(response.content)


# -- entities take a structured address ---------------------------------------------------------


def test_an_entity_takes_a_structured_address_shows_it_and_changes_it(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer, address=SHANGHAI)
    path = f"/v1/entities/{entity['id']}"

    shown = get_json(client, path, tenant.auditor)
    moved = client.patch(path, json={"address": HONG_KONG}, headers=tenant.treasurer)
    cleared = client.patch(path, json={"address": None}, headers=tenant.treasurer)

    assert {k: v for k, v in shown["address"].items() if v is not None} == SHANGHAI
    assert moved.status_code == 200, moved.text
    assert moved.json()["address"]["lines"] == ["Floor 12"]
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["address"] is None


def test_an_address_without_a_town_or_with_three_lines_or_a_bad_country_is_422(
    client: TestClient, tenant: TenantFixture
) -> None:
    bad = [
        {"country": "CN", "lines": ["Century Avenue 100"]},
        {**HONG_KONG, "lines": ["a", "b", "c"]},
        {**SHANGHAI, "country": "cn"},
        {**SHANGHAI, "building": "1" * 17},
    ]
    for address in bad:
        response = client.post(
            "/v1/entities",
            json={"code": uuid.uuid4().hex[:8], "name": "X", "country": "CN", "address": address},
            headers=tenant.treasurer,
        )
        assert_problem(response, 422, "VALIDATION_ERROR")
        counterparty = client.post(
            "/v1/counterparties",
            json={"name": "X", "country": "HK", "address": address},
            headers=tenant.treasurer,
        )
        assert_problem(counterparty, 422, "VALIDATION_ERROR")
    assert get_json(client, "/v1/entities", tenant.treasurer)["items"] == []


def test_a_counterparty_keeps_its_structured_address(
    client: TestClient, tenant: TenantFixture
) -> None:
    created = supplier(client, tenant)

    shown = get_json(client, f"/v1/counterparties/{created['id']}", tenant.treasurer)

    assert {k: v for k, v in shown["address"].items() if v is not None} == HONG_KONG


# -- both postal addresses in every payment file -------------------------------------------------


def test_a_payment_file_carries_both_parties_structured_addresses_in_schema_order(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant, address=SHANGHAI)
    transfer = booked(
        client, tenant, goods(account, counterparty_id=supplier(client, tenant)["id"])
    )

    root = file_of(client, tenant, transfer["id"])

    assert postal(root, "Dbtr") == [
        ("StrtNm", "Century Avenue"),
        ("BldgNb", "100"),
        ("PstCd", "200120"),
        ("TwnNm", "Shanghai"),
        ("CtrySubDvsn", "Shanghai"),
        ("Ctry", "CN"),
    ]
    assert postal(root, "Cdtr") == [
        ("StrtNm", "Queen's Road Central"),
        ("BldgNb", "1"),
        ("TwnNm", "Hong Kong"),
        ("CtrySubDvsn", "Central and Western"),
        ("Ctry", "HK"),
        ("AdrLine", "Floor 12"),
    ]


def test_a_payment_between_two_group_entities_across_the_border_gets_its_file(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant, address=SHANGHAI)
    hk_entity = create_entity(
        client, tenant.treasurer, country="HK", name="HK Treasury Ltd", address=HONG_KONG
    )
    hk_account = open_account(client, tenant.treasurer, hk_entity["id"], bank_bic="HSBCHKHH")
    transfer = booked(
        client,
        tenant,
        goods(account, creditor_account_id=hk_account["id"], purpose="intercompany_loan")
        | {"references": {"registration": "REG-1"}, "bop_code": "822020"},
    )

    root = file_of(client, tenant, transfer["id"])

    assert root.findtext(".//p:Cdtr/p:Nm", namespaces=NS) == "HK Treasury Ltd"
    assert ("TwnNm", "Hong Kong") in postal(root, "Cdtr")
    assert ("TwnNm", "Shanghai") in postal(root, "Dbtr")
    assert [tag for tag, _ in postal(root, "Cdtr")] == [
        tag for tag in POSTAL_ORDER if tag != "PstCd"
    ]


def test_an_inline_creditor_with_a_structured_address_gets_it_in_the_file(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    creditor = {
        "name": "Harbour Metals Ltd",
        "country": "HK",
        "bank_bic": "HSBCHKHH",
        "account": "998877",
        "address": {"street": "Nathan Road", "building": "8", "town": "Kowloon", "country": "HK"},
    }
    transfer = booked(client, tenant, goods(account, creditor=creditor))

    root = file_of(client, tenant, transfer["id"])

    assert postal(root, "Cdtr") == [
        ("StrtNm", "Nathan Road"),
        ("BldgNb", "8"),
        ("TwnNm", "Kowloon"),
        ("Ctry", "HK"),
    ]


# -- refused at creation when the file cannot be made --------------------------------------------


def test_a_debtor_entity_without_an_address_cannot_pay_out_and_nothing_is_booked(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant, address=None)
    payee = supplier(client, tenant)
    before = ledger_state(client, tenant.treasurer, account["id"])

    refused = post_transfer(client, tenant.treasurer, goods(account, counterparty_id=payee["id"]))

    body = assert_problem(refused, 422, "ADDRESS_UNSTRUCTURED")
    assert "debtor entity" in body["detail"]
    assert ledger_state(client, tenant.treasurer, account["id"]) == before


def test_a_creditor_without_a_town_is_refused_at_creation_not_at_the_file(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    bare = supplier(client, tenant, address=None)
    before = ledger_state(client, tenant.treasurer, account["id"])
    inline = {"name": "Lines Only Ltd", "country": "HK", "bank_bic": "HSBCHKHH", "account": "1"}

    to_counterparty = post_transfer(
        client, tenant.treasurer, goods(account, counterparty_id=bare["id"])
    )
    to_inline = post_transfer(client, tenant.treasurer, goods(account, creditor=inline))

    detail = assert_problem(to_counterparty, 422, "ADDRESS_UNSTRUCTURED")["detail"]
    assert f"counterparty {bare['id']}: no address" in detail
    assert "inline creditor" in assert_problem(to_inline, 422, "ADDRESS_UNSTRUCTURED")["detail"]
    assert ledger_state(client, tenant.treasurer, account["id"]) == before


def test_a_group_entity_without_an_address_as_creditor_is_refused_across_banks(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    hk_entity = create_entity(client, tenant.treasurer, country="HK", address=None)
    hk_account = open_account(client, tenant.treasurer, hk_entity["id"], bank_bic="HSBCHKHH")
    before = ledger_state(client, tenant.treasurer, account["id"], hk_account["id"])

    refused = post_transfer(
        client,
        tenant.treasurer,
        goods(account, creditor_account_id=hk_account["id"], purpose="intercompany_loan")
        | {"references": {"registration": "REG-1"}, "bop_code": "822020"},
    )

    detail = assert_problem(refused, 422, "ADDRESS_UNSTRUCTURED")["detail"]
    assert f"creditor entity {hk_entity['code']}" in detail
    assert ledger_state(client, tenant.treasurer, account["id"], hk_account["id"]) == before


def test_a_book_transfer_and_a_back_valued_record_need_no_address(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer, address=None)
    first = open_account(client, tenant.treasurer, entity["id"], bank_bic=HOUSE)
    second = open_account(client, tenant.treasurer, entity["id"], bank_bic=HOUSE)
    fund(client, tenant.treasurer, first["id"], "500.00")
    bare = supplier(client, tenant, address=None)

    book = booked(
        client,
        tenant,
        {
            "debtor_account_id": first["id"],
            "creditor_account_id": second["id"],
            "amount": money("5.00"),
            "value_date": "2026-11-26",
            "purpose": "other",
        },
    )
    record = booked(
        client, tenant, goods(first, "10.00", counterparty_id=bare["id"], value_date="2026-11-20")
    )

    assert book["route"]["rail"] == "BOOK"
    assert record["back_valued"] is True


def test_a_transfer_held_for_review_is_refused_when_its_file_could_not_be_made(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer, address=None)
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital", bank_bic=HOUSE)
    current = open_account(client, tenant.treasurer, entity["id"], bank_bic=HOUSE)
    fund(client, tenant.treasurer, capital["id"], "50000.00")
    payee = supplier(client, tenant)
    before = ledger_state(client, tenant.treasurer, capital["id"])
    internal = {
        "debtor_account_id": capital["id"],
        "creditor_account_id": current["id"],
        "amount": money("1000.00"),
        "value_date": "2026-11-26",
        "purpose": "other",
    }
    outward = {**internal, "creditor_account_id": None, "counterparty_id": payee["id"]}

    refused = post_transfer(client, tenant.treasurer, {**outward, "bop_code": "121010"})
    state = ledger_state(client, tenant.treasurer, capital["id"])
    in_house = post_transfer(client, tenant.treasurer, internal)
    client.patch(
        f"/v1/entities/{entity['id']}", json={"address": SHANGHAI}, headers=tenant.treasurer
    )
    addressed = post_transfer(client, tenant.treasurer, {**outward, "bop_code": "121010"})

    assert_problem(refused, 422, "ADDRESS_UNSTRUCTURED")
    assert state == before  # nothing reserved, nothing recorded
    assert in_house.status_code == 201, in_house.text
    assert in_house.json()["status"] == "held"
    assert addressed.status_code == 201, addressed.text
    assert addressed.json()["status"] == "held"  # the same payment, once it can have its file


# -- the day's batch lists what it left out -------------------------------------------------------


def test_the_days_batch_leaves_out_what_it_cannot_carry_and_says_why(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    good = booked(client, tenant, goods(account, counterparty_id=supplier(client, tenant)["id"]))
    long_account = supplier(client, tenant, account="1234567890" * 4)  # the file holds 34
    too_long = booked(client, tenant, goods(account, counterparty_id=long_account["id"]))
    bell = supplier(client, tenant, name="Bell\x07 Ltd")  # no XML can carry U+0007
    unprintable = booked(client, tenant, goods(account, counterparty_id=bell["id"]))
    path = f"/v1/payment-files?debtor_account_id={account['id']}&date=2026-11-26"

    xml = client.get(path, headers=tenant.treasurer)
    listed = client.get(path, headers={**tenant.treasurer, "Accept": "application/json"})

    assert xml.status_code == 200, xml.text
    assert xml.headers["content-type"].startswith("application/xml")
    assert xml.headers["X-Left-Out-Count"] == "2"
    pain001.schema().validate(xml.text)
    root = ET.fromstring(xml.content)
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "1"
    assert (root.findtext(".//p:CdtTrfTxInf/p:Cdtr/p:Nm", namespaces=NS) or "").startswith(
        "Kowloon"
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["message_id"] == xml.headers["X-Message-Id"]
    assert body["xml"] == xml.text
    assert body["transfer_ids"] == [good["id"]]
    left_out = {item["transfer_id"]: item for item in body["left_out"]}
    assert {k: v["code"] for k, v in left_out.items()} == {
        too_long["id"]: "PAYMENT_FILE_INVALID",
        unprintable["id"]: "PAYMENT_FILE_INVALID",
    }
    assert "34 characters" in left_out[too_long["id"]]["detail"]


def test_a_batch_of_which_nothing_can_go_says_so_with_the_left_out_list(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    long_account = supplier(client, tenant, account="1234567890" * 4)
    transfer = booked(client, tenant, goods(account, counterparty_id=long_account["id"]))

    response = client.get(
        f"/v1/payment-files?debtor_account_id={account['id']}&date=2026-11-26",
        headers=tenant.treasurer,
    )

    body = assert_problem(response, 422, "PAYMENT_FILE_INVALID")
    assert body["left_out"] == [
        {
            "transfer_id": transfer["id"],
            "code": "PAYMENT_FILE_INVALID",
            "detail": body["left_out"][0]["detail"],
        }
    ]
    assert "none of the 1 payments" in body["detail"]


# -- remittance text follows the rail's character set ---------------------------------------------


def test_a_chinese_remark_on_a_swift_payment_is_refused_naming_the_character_and_the_rail(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant, currency="USD")
    payee = supplier(client, tenant, country="US", bank_bic="CHASUS33", address=NEW_YORK)
    before = ledger_state(client, tenant.treasurer, account["id"])
    body = goods(account, "1000.00", "USD", counterparty_id=payee["id"])

    refused = post_transfer(client, tenant.treasurer, body | {"remark": "PO 4711 货款"})
    latin = booked(client, tenant, body | {"remark": "PO 4711 goods (Nov.)"})

    problem = assert_problem(refused, 422, "REMITTANCE_CHARSET")
    assert "'货'" in problem["detail"]
    assert "SWIFT" in problem["detail"]
    assert (problem["character"], problem["rail"]) == ("货", "SWIFT")
    assert latin["route"]["rail"] == "SWIFT"
    root = file_of(client, tenant, latin["id"])
    assert root.findtext(".//p:RmtInf/p:Ustrd", namespaces=NS) == "PO 4711 goods (Nov.)"
    assert ledger_state(client, tenant.treasurer, account["id"]).entries != before.entries


def test_a_chinese_remark_goes_over_cips_as_written(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = booked(
        client,
        tenant,
        goods(account, counterparty_id=supplier(client, tenant)["id"], remark="进口货款 PO 4711"),
    )

    root = file_of(client, tenant, transfer["id"])

    assert transfer["route"]["rail"] in {"CIPS", "CLEARING_BANK"}
    assert root.findtext(".//p:RmtInf/p:Ustrd", namespaces=NS) == "进口货款 PO 4711"


# -- sweep legs get the same check -----------------------------------------------------------------


def test_a_sweep_leg_of_a_member_without_an_address_is_refused_and_the_others_go_on(
    client: TestClient, tenant: TenantFixture
) -> None:
    group = make_group(client, tenant)
    cleared = client.patch(
        f"/v1/entities/{group.offshore['id']}", json={"address": None}, headers=tenant.treasurer
    )
    assert cleared.status_code == 200, cleared.text
    pool = create_pool(client, tenant, group).json()
    fund(client, tenant.treasurer, group.onshore_account, "1000.00")
    fund(client, tenant.treasurer, group.offshore_account, "250.00")

    response = sweep(client, tenant, pool["id"], "2026-11-26")

    assert response.status_code == 201, response.text
    legs = {leg["account_id"]: leg for leg in response.json()["legs"]}
    offshore = legs[group.offshore_account]
    assert (offshore["status"], offshore["cross_border"]) == ("rejected", True)
    assert "ADDRESS_UNSTRUCTURED" in offshore["reason"]
    transfer = get_json(client, f"/v1/transfers/{offshore['transfer_id']}", tenant.treasurer)
    assert transfer["status"] == "rejected"
    assert "ADDRESS_UNSTRUCTURED" in {finding["rule"] for finding in transfer["findings"]}
    assert legs[group.onshore_account]["status"] == "booked"
    positions = get_json(client, f"/v1/pools/{pool['id']}/positions", tenant.treasurer)
    assert positions["master_balance"]["amount"] == "1000.00"


def test_a_swift_payment_held_for_review_with_a_chinese_remark_is_refused_at_creation(
    client: TestClient, tenant: TenantFixture
) -> None:
    entity = create_entity(client, tenant.treasurer)
    capital = open_account(
        client, tenant.treasurer, entity["id"], kind="capital", bank_bic=HOUSE, currency="USD"
    )
    fund(client, tenant.treasurer, capital["id"], "50000.00")
    payee = supplier(client, tenant, country="US", bank_bic="CHASUS33", address=NEW_YORK)
    before = ledger_state(client, tenant.treasurer, capital["id"])
    body = {
        "debtor_account_id": capital["id"],
        "counterparty_id": payee["id"],
        "amount": money("1000.00", "USD"),
        "value_date": "2026-11-26",
        "purpose": "other",
        "bop_code": "121010",
    }

    refused = post_transfer(client, tenant.treasurer, body | {"remark": "服务费"})
    state = ledger_state(client, tenant.treasurer, capital["id"])
    latin = post_transfer(client, tenant.treasurer, body | {"remark": "service fee"})

    problem = assert_problem(refused, 422, "REMITTANCE_CHARSET")
    assert problem["rail"] == "SWIFT"
    assert state == before  # nothing reserved, nothing recorded
    assert latin.status_code == 201, latin.text
    assert latin.json()["status"] == "held"  # the same payment, in the rail's character set
