"""pain.001 over HTTP: a routed outbound transfer's file, the day's batch, and who has none."""

from __future__ import annotations

import re
import uuid
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_routing_api import counterparty, money, payer
from tests.support import TenantFixture, post_transfer
from treasury.payments.service import payment_files
from treasury.settlement import pain001

NS = {"p": pain001.NAMESPACE}
UUID4 = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$")
Json = dict[str, Any]


def outbound(client: TestClient, tenant: TenantFixture, account: Json, payee: Json) -> Json:
    """A booked outbound CNY transfer to `payee`."""
    response = post_transfer(
        client,
        tenant.treasurer,
        {
            "debtor_account_id": account["id"],
            "counterparty_id": payee["id"],
            "amount": money("1000000.00", "CNH"),
            "value_date": "2026-11-26",
            "purpose": "goods_trade",
            "bop_code": "121010",
            "references": {"customs_declaration": f"C-{uuid.uuid4().hex[:6]}"},
            "remark": "import payment PO 4711",
        },
    )
    assert response.status_code == 201, response.text
    body: Json = response.json()
    assert body["status"] == "booked", body
    return body


def test_a_routed_transfer_has_a_valid_pain001_with_its_route_and_identifiers(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    transfer = outbound(client, tenant, account, payee)

    response = client.get(f"/v1/transfers/{transfer['id']}/pain001", headers=tenant.treasurer)
    again = client.get(f"/v1/transfers/{transfer['id']}/pain001", headers=tenant.auditor)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    pain001.schema().validate(response.text)
    root = ET.fromstring(response.content)
    assert (
        root.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == transfer["route"]["send_at"][:10]
    )
    end_to_end = root.findtext(".//p:PmtId/p:EndToEndId", namespaces=NS) or ""
    assert 0 < len(end_to_end) <= 35
    assert UUID4.match(root.findtext(".//p:PmtId/p:UETR", namespaces=NS) or "")
    amount = root.find(".//p:InstdAmt", NS)
    assert amount is not None
    assert (amount.get("Ccy"), amount.text) == ("CNY", "1000000.00")
    assert root.findtext(".//p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "HSBCHKHH"
    assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "HBKACNSH"
    assert root.findtext(".//p:RgltryRptg/p:Dtls/p:Cd", namespaces=NS) == "121010"
    assert root.findtext(".//p:ChrgBr", namespaces=NS) == "SHAR"
    assert again.text == response.text  # stored: the same message id, EndToEndId and UETR


def test_the_days_batch_holds_every_routed_transfer_of_the_account(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    first = outbound(client, tenant, account, payee)
    second = outbound(client, tenant, account, payee)

    response = client.get(
        f"/v1/payment-files?debtor_account_id={account['id']}&date=2026-11-26",
        headers=tenant.treasurer,
    )

    assert response.status_code == 200, response.text
    pain001.schema().validate(response.text)
    root = ET.fromstring(response.content)
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "2000000.00"
    ids = {e.text for e in root.iterfind(".//p:EndToEndId", NS)}
    assert len(ids) == 2
    assert first["id"] != second["id"]


def test_a_book_transfer_and_another_tenants_transfer_have_no_file(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    transfer = outbound(client, tenant, account, payee)
    other = payer(client, tenant)
    book = post_transfer(
        client,
        tenant.treasurer,
        {
            "debtor_account_id": account["id"],
            "creditor_account_id": other["id"],
            "amount": money("5.00"),
            "value_date": "2026-11-26",
            "purpose": "other",
        },
    ).json()

    assert book["route"]["rail"] == "BOOK"
    assert_problem(
        client.get(f"/v1/transfers/{book['id']}/pain001", headers=tenant.treasurer),
        404,
        "NOT_FOUND",
    )
    assert_problem(
        client.get(f"/v1/transfers/{transfer['id']}/pain001", headers=other_tenant.treasurer),
        404,
        "NOT_FOUND",
    )
    assert_problem(
        client.get(
            f"/v1/payment-files?debtor_account_id={account['id']}&date=2026-11-27",
            headers=tenant.treasurer,
        ),
        404,
        "NOT_FOUND",
    )


def test_a_counterparty_without_an_address_gets_no_file(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    response = client.post(
        "/v1/counterparties",
        json={"name": "No Address Ltd", "country": "HK", "bank_bic": "HSBCHKHH", "account": "1"},
        headers=tenant.treasurer,
    )
    assert response.status_code == 201, response.text
    body = {
        "debtor_account_id": account["id"],
        "counterparty_id": response.json()["id"],
        "amount": money("1000000.00", "CNH"),
        "value_date": "2026-11-26",
        "purpose": "goods_trade",
        "bop_code": "121010",
        "references": {"customs_declaration": "C-1"},
    }

    # Issue 10: refused when created (nothing booked), no longer booked and refused at the file.
    refused = post_transfer(client, tenant.treasurer, body)

    assert_problem(refused, 422, "ADDRESS_UNSTRUCTURED")
    assert get_json(client, "/v1/transfers", tenant.treasurer)["items"] == []


def payee_with(client: TestClient, tenant: TenantFixture, name: str, account: str) -> Json:
    """A Hong Kong counterparty with this name and account number."""
    response = client.post(
        "/v1/counterparties",
        json={
            "name": name,
            "country": "HK",
            "bank_bic": "HSBCHKHH",
            "account": account,
            "address": {"town": "Hong Kong", "country": "HK"},
        },
        headers=tenant.treasurer,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_account_with_punctuation_goes_as_it_is_and_a_long_one_is_not_cut_short(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    dashed = "HK12-3456-7890-1234"  # looks like an IBAN's start, is not one
    transfer = outbound(client, tenant, account, payee_with(client, tenant, "Dash Ltd", dashed))
    long_number = "1234567890" * 4  # 40 characters: the file's field holds 34
    too_long = outbound(client, tenant, account, payee_with(client, tenant, "Long", long_number))

    response = client.get(f"/v1/transfers/{transfer['id']}/pain001", headers=tenant.treasurer)
    refused = client.get(f"/v1/transfers/{too_long['id']}/pain001", headers=tenant.treasurer)

    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)
    assert root.findtext(".//p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == dashed
    assert_problem(refused, 422, "PAYMENT_FILE_INVALID")


def test_a_name_xml_cannot_carry_makes_no_file(client: TestClient, tenant: TenantFixture) -> None:
    account = payer(client, tenant)
    payee = payee_with(client, tenant, "Bell\x07 Ltd", "123456789")
    transfer = outbound(client, tenant, account, payee)

    refused = client.get(f"/v1/transfers/{transfer['id']}/pain001", headers=tenant.treasurer)

    assert_problem(refused, 422, "PAYMENT_FILE_INVALID")


def test_a_file_stored_by_a_concurrent_request_is_returned_not_a_500(
    client: TestClient, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    path = f"/v1/transfers/{transfer['id']}/pain001"
    first = client.get(path, headers=tenant.treasurer)
    stored = payment_files._stored
    looks: list[str] = []

    def looked_before_the_other_committed(uow: Any, tenant_id: str, message_id: str) -> Any:
        looks.append(message_id)
        return None if len(looks) == 1 else stored(uow, tenant_id, message_id)

    monkeypatch.setattr(payment_files, "_stored", looked_before_the_other_committed)
    second = client.get(path, headers=tenant.treasurer)

    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert second.text == first.text
