"""camt.053 in: lines once per entry reference, matched to transfers, the rest to suspense."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.api_support import assert_problem, get_json
from tests.api.test_iso20022_api import outbound
from tests.api.test_iso20022_status import identifiers
from tests.api.test_routing_api import counterparty, payer
from tests.support import TenantFixture, balance, open_account

Json = dict[str, Any]
CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def entry(ref: str, amount: str, sign: str, value: str, e2e: str | None = None) -> str:
    """A booked camt.053.001.08 entry."""
    details = (
        ""
        if e2e is None
        else f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs></TxDtls></NtryDtls>"
    )
    return (
        f'<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
        f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{value}</Dt></BookgDt><ValDt><Dt>{value}</Dt></ValDt>"
        f"<AcctSvcrRef>{ref}</AcctSvcrRef>"
        "<BkTxCd><Prtry><Cd>TRF</Cd></Prtry></BkTxCd>"
        f"{details}<AddtlNtryInf>statement line {ref}</AddtlNtryInf></Ntry>"
    )


def statement(account_number: str, *entries: str, message_id: str | None = None) -> bytes:
    """A camt.053.001.08 statement of one account."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{message_id or 'STM-' + uuid.uuid4().hex[:16]}</MsgId>"
        "<CreDtTm>2026-11-26T18:00:00+08:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>S1</Id><Acct><Id><Othr><Id>{account_number}</Id></Othr></Id></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">0.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>"
        f"{''.join(entries)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def post(client: TestClient, tenant: TenantFixture, xml: bytes) -> Any:
    """POST a camt.053."""
    return client.post(
        "/v1/statements/camt053",
        content=xml,
        headers={**tenant.treasurer, "Content-Type": "application/xml"},
    )


def test_a_matched_line_confirms_its_transfer_and_the_rest_goes_to_suspense(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    transfer = outbound(client, tenant, account, counterparty(client, tenant, "HSBCHKHH", "HK"))
    _, e2e = identifiers(client, tenant, transfer["id"])
    before = balance(client, tenant.treasurer, account["id"])["balance"]
    xml = statement(
        account["number"],
        entry("R1", "1000000.00", "DBIT", "2026-11-26", e2e),
        entry("R2", "300.00", "DBIT", "2026-11-26"),  # a bank fee: unmatched
        entry("R3", "999.00", "DBIT", "2026-11-26", e2e),  # right id, wrong amount
    )

    first = post(client, tenant, xml)
    replay = post(client, tenant, xml)

    assert first.status_code == 200, first.text
    body = first.json()
    assert [m["bank_ref"] for m in body["matched"]] == ["R1"]
    assert body["matched"][0]["transfer_id"] == transfer["id"]
    assert sorted(u["bank_ref"] for u in body["unmatched"]) == ["R2", "R3"]
    assert replay.json()["replayed"] is True
    found = get_json(client, f"/v1/transfers/{transfer['id']}", tenant.treasurer)
    assert found["status"] == "settled"
    after = balance(client, tenant.treasurer, account["id"])["balance"]
    assert before == "99000000.00"
    assert after == "98998701.00"  # only the two unmatched lines posted (300 + 999)


def test_the_same_entries_in_another_file_are_skipped(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    first = post(
        client, tenant, statement(account["number"], entry("A1", "5.00", "CRDT", "2026-11-26"))
    )
    second = post(
        client, tenant, statement(account["number"], entry("A1", "5.00", "CRDT", "2026-11-26"))
    )

    assert first.json()["unmatched"][0]["bank_ref"] == "A1"
    assert second.json()["skipped"] == ["A1"]
    assert second.json()["replayed"] is False
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000005.00"


def test_an_invalid_file_or_a_foreign_account_applies_nothing(
    client: TestClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    good = entry("B1", "5.00", "CRDT", "2026-11-26")
    invalid = statement(account["number"], good).replace(b"<Cd>BOOK</Cd>", b"<Cd>BOOKED</Cd>")
    foreign = statement(account["number"], good)

    assert_problem(post(client, tenant, invalid), 422, "BANK_REPORT_INVALID")
    assert_problem(post(client, other_tenant, foreign), 422, "BANK_REPORT_INVALID")
    assert_problem(post(client, tenant, b"<Document/>"), 422, "BANK_REPORT_INVALID")
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000000.00"


def test_a_body_naming_a_file_is_not_read_and_an_unknown_encoding_is_invalid(
    client: TestClient, tenant: TenantFixture, tmp_path: Path
) -> None:
    account = payer(client, tenant)
    on_disk = tmp_path / "statement.xml"
    on_disk.write_bytes(statement(account["number"], entry("F1", "5.00", "CRDT", "2026-11-26")))
    encoding = b'<?xml version="1.0" encoding="no-such-codec"?><Document/>'

    for body in (str(on_disk).encode(), on_disk.as_uri().encode(), encoding):
        assert_problem(post(client, tenant, body), 422, "BANK_REPORT_INVALID")
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000000.00"


def test_an_amount_beyond_storage_a_zero_amount_or_an_impossible_year_is_invalid(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    good = entry("G1", "5.00", "CRDT", "2026-11-26")
    bad_entries = (
        entry("Z1", "999999999999999999", "CRDT", "2026-11-26"),  # 18 digits: valid by the XSD
        entry("Z2", "0.00", "DBIT", "2026-11-26"),
        entry("Z3", "1.00", "CRDT", "10000-01-01"),  # xs:date allows five-digit years
        entry("Z4", "1.00", "CRDT", "-0001-01-01"),
    )

    for bad in bad_entries:
        response = post(client, tenant, statement(account["number"], good, bad))
        assert_problem(response, 422, "BANK_REPORT_INVALID")
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000000.00"


def test_one_number_in_two_currencies_is_told_apart_by_the_statement_currency(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    dollars = open_account(
        client,
        tenant.treasurer,
        account["entity_id"],
        currency="USD",
        bank_bic=account["bank_bic"],
        number=account["number"],
    )
    with_currency = statement(account["number"], entry("M1", "5.00", "CRDT", "2026-11-26"))
    with_currency = with_currency.replace(b"</Othr></Id>", b"</Othr></Id><Ccy>CNY</Ccy>")
    by_entries = statement(account["number"], entry("M2", "7.00", "CRDT", "2026-11-26"))

    first = post(client, tenant, with_currency)
    second = post(client, tenant, by_entries)

    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000012.00"
    assert balance(client, tenant.treasurer, dollars["id"])["balance"] == "0.00"
