"""pain.002 in: the bank's status report accepts, settles or returns (reverses) our transfers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_iso20022_api import NS, outbound
from tests.api.test_routing_api import HOUSE, counterparty, payer
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    open_account,
    post_transfer,
    transfer_body,
)

Json = dict[str, Any]
PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.12"


def identifiers(client: TestClient, tenant: TenantFixture, transfer_id: str) -> tuple[str, str]:
    """The message id and EndToEndId of a transfer's pain.001."""
    response = client.get(f"/v1/transfers/{transfer_id}/pain001", headers=tenant.treasurer)
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)
    return (
        root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) or "",
        root.findtext(".//p:EndToEndId", namespaces=NS) or "",
    )


def report(original: str, *transactions: tuple[str, str], group: str | None = None) -> bytes:
    """A pain.002.001.12 with transaction statuses (EndToEndId, code)."""
    details = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{code}</TxSts>"
        + (
            "<StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Closed account</AddtlInf></StsRsnInf>"
            if code == "RJCT"
            else ""
        )
        + "</TxInfAndSts>"
        for e2e, code in transactions
    )
    payment = (
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{original}</OrgnlPmtInfId>{details}</OrgnlPmtInfAndSts>"
        if transactions
        else ""
    )
    group_status = "" if group is None else f"<GrpSts>{group}</GrpSts>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{PAIN002}"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>STS-{uuid.uuid4().hex[:20]}</MsgId>"
        "<CreDtTm>2026-11-26T15:00:00+08:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{original}</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>{group_status}</OrgnlGrpInfAndSts>"
        f"{payment}</CstmrPmtStsRpt></Document>"
    ).encode()


def post_report(client: TestClient, tenant: TenantFixture, xml: bytes) -> Any:
    """POST a pain.002."""
    return client.post(
        "/v1/payment-status/pain002",
        content=xml,
        headers={**tenant.treasurer, "Content-Type": "application/xml"},
    )


def test_a_rejection_reverses_the_booked_transfer_and_keeps_the_reason(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, e2e = identifiers(client, tenant, transfer["id"])
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "99000000.00"
    xml = report(message_id, (e2e, "RJCT"))

    first = post_report(client, tenant, xml)
    replay = post_report(client, tenant, xml)

    assert first.status_code == 200, first.text
    assert first.json()["items"][0]["result"] == "returned"
    assert replay.json()["replayed"] is True
    assert replay.json()["items"] == first.json()["items"]
    returned = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    assert returned["status"] == "returned"
    rejected = next(f for f in returned["findings"] if f["rule"] == "BANK_REJECTED")
    assert "AC04" in rejected["message"]
    assert "Closed account" in rejected["message"]
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000000.00"
    entries = get_json(client, f"/v1/journal-entries?account_id={account['id']}", tenant.treasurer)
    assert len(entries["items"]) == 3  # funding, the transfer, one reversal (not two)


def test_accepted_then_settled_and_never_back(client: TestClient, tenant: TenantFixture) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, e2e = identifiers(client, tenant, transfer["id"])

    accepted = post_report(client, tenant, report(message_id, (e2e, "ACSP")))
    settled = post_report(client, tenant, report(message_id, (e2e, "ACSC")))
    late_accept = post_report(client, tenant, report(message_id, (e2e, "ACTC")))
    late_reject = post_report(client, tenant, report(message_id, (e2e, "RJCT")))

    assert accepted.json()["items"][0]["result"] == "accepted"
    assert settled.json()["items"][0]["result"] == "settled"
    assert late_accept.json()["items"][0]["result"] == "unchanged (settled)"
    assert late_reject.json()["items"][0]["result"].startswith("refused")
    found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    assert found["status"] == "settled"
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "99000000.00"


def test_a_group_rejection_returns_every_payment_of_the_file(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    payee = counterparty(client, tenant, "HSBCHKHH", "HK")
    first = outbound(client, tenant, account, payee)
    second = outbound(client, tenant, account, payee)
    batch = client.get(
        f"/v1/payment-files?debtor_account_id={account['id']}&date=2026-11-26",
        headers=tenant.treasurer,
    )
    message_id = batch.headers["X-Message-Id"]

    response = post_report(client, tenant, report(message_id, group="RJCT"))

    assert response.status_code == 200, response.text
    assert [i["result"] for i in response.json()["items"]] == ["returned", "returned"]
    for transfer in (first, second):
        found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
        assert found["status"] == "returned"


def test_a_malformed_or_invalid_report_applies_nothing(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, e2e = identifiers(client, tenant, transfer["id"])
    invalid = report(message_id, (e2e, "RJCT")).replace(b"<TxSts>RJCT", b"<TxSts>REJECTED")
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]>'
        b'<Document xmlns="' + PAIN002.encode() + b'">&x;</Document>'
    )

    problem = assert_problem(post_report(client, tenant, invalid), 422, "BANK_REPORT_INVALID")
    assert_problem(post_report(client, tenant, b"not xml"), 422, "BANK_REPORT_INVALID")
    assert_problem(post_report(client, tenant, entity), 422, "BANK_REPORT_DTD_REFUSED")
    path = "/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts/TxSts"
    assert path in problem["detail"]
    assert problem["errors"][0]["pointer"] == path
    found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    assert found["status"] == "booked"


def test_another_tenants_end_to_end_id_is_unmatched(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, e2e = identifiers(client, tenant, transfer["id"])

    response = post_report(client, other_tenant, report(message_id, (e2e, "RJCT")))

    assert response.json()["items"][0]["result"] == "unmatched"
    found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    assert found["status"] == "booked"


def test_a_body_naming_a_file_or_url_is_not_fetched_and_an_unknown_encoding_is_invalid(
    client: TestClient, tenant: TenantFixture, tmp_path: Path
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    message_id, e2e = identifiers(client, tenant, transfer["id"])
    on_disk = tmp_path / "report.xml"
    on_disk.write_bytes(report(message_id, (e2e, "RJCT")))
    encoding = b'<?xml version="1.0" encoding="no-such-codec"?><Document/>'

    for body in (str(on_disk).encode(), on_disk.as_uri().encode(), encoding):
        assert_problem(post_report(client, tenant, body), 422, "BANK_REPORT_INVALID")
    found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    assert found["status"] == "booked"
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "99000000.00"


def test_a_report_naming_a_book_transfer_leaves_it_alone(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    entity = create_entity(client, tenant.treasurer)
    own = open_account(client, tenant.treasurer, entity["id"], bank_bic=HOUSE)
    response = post_transfer(
        client, tenant.treasurer, transfer_body(account["id"], own["id"], "10.00")
    )
    transfer = response.json()
    assert transfer["route"]["rail_id"] == "BOOK", transfer
    e2e = transfer["id"].replace("-", "")  # what a pain.001 would carry, had there been one
    no_file = client.get(f"/v1/transfers/{transfer['id']}/pain001", headers=tenant.treasurer)
    assert_problem(no_file, 404, "NOT_FOUND")

    result = post_report(client, tenant, report("NO-SUCH-FILE", (e2e, "RJCT")))

    assert result.status_code == 200, result.text
    assert result.json()["items"][0]["result"] == "unmatched"
    found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    assert found["status"] == "booked"
    assert balance(client, tenant.treasurer, own["id"])["balance"] == "10.00"
