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


def statement(
    account_number: str, *entries: str, message_id: str | None = None, statement_id: str = "S1"
) -> bytes:
    """A camt.053.001.08 statement of one account."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{message_id or 'STM-' + uuid.uuid4().hex[:16]}</MsgId>"
        "<CreDtTm>2026-11-26T18:00:00+08:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id>"
        f"<Acct><Id><Othr><Id>{account_number}</Id></Othr></Id></Acct>"
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


def without_reference(ref: str, amount: str, sign: str, value: str) -> str:
    """A booked camt.053.001.08 entry with neither AcctSvcrRef nor NtryRef (`ref` only in its
    free text)."""
    return entry(ref, amount, sign, value).replace(f"<AcctSvcrRef>{ref}</AcctSvcrRef>", "")


def test_entries_without_a_bank_reference_are_imported_once_even_when_two_are_identical(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    fee = entry("FEE", "12.00", "DBIT", "2026-11-26").replace("<AcctSvcrRef>FEE</AcctSvcrRef>", "")
    entries = (fee, fee, without_reference("IN", "500.00", "CRDT", "2026-11-26"))
    first = post(client, tenant, statement(account["number"], *entries))
    resent = post(client, tenant, statement(account["number"], *entries))  # a new MsgId
    next_day = post(client, tenant, statement(account["number"], fee, statement_id="S2"))

    assert first.status_code == 200, first.text
    lines = [line["bank_ref"] for line in first.json()["unmatched"]]
    assert len(lines) == len(set(lines)) == 3
    assert all(line.startswith("derived:") for line in lines)
    assert resent.status_code == 200, resent.text
    assert resent.json()["replayed"] is False
    assert resent.json()["skipped"] == lines
    assert resent.json()["unmatched"] == []
    assert next_day.json()["unmatched"][0]["bank_ref"] not in lines
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000464.00"


def test_a_2009_statement_of_the_dutch_shape_without_references_is_imported(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    xml = dutch_statement(account["number"])

    first = post(client, tenant, xml)
    again = post(client, tenant, xml.replace(b"TESTBANK/NL/1", b"TESTBANK/NL/2"))

    assert first.status_code == 200, first.text
    debit, credit = first.json()["unmatched"]
    assert (debit["amount"], debit["end_to_end_id"]) == ("-754.25", "435005714488-ABNO33052620")
    assert credit["amount"] == "1.00"
    assert sorted(again.json()["skipped"]) == sorted([debit["bank_ref"], credit["bank_ref"]])
    lines = get_json(client, f"/v1/accounts/{account['id']}/statement-lines", tenant.treasurer)
    names = {line["counterparty"] for line in lines["items"]}
    assert "INSURANCE COMPANY TESTX" in names


def dutch_statement(account_number: str) -> bytes:
    """A camt.053.001.02 in the shape of a Dutch bank's (after OCA's test sample): pretty
    printed, status as text, a bank transaction code with domain and family, transaction
    details with InstrId, EndToEndId and MndtId, a creditor named without `Pty`, and no entry
    reference at all."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>TESTBANK/NL/1</MsgId>
      <CreDtTm>2026-11-26T16:20:26.673Z</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>{account_number}/2026-11-26</Id>
      <LglSeqNb>2</LglSeqNb>
      <CreDtTm>2026-11-26T16:20:26.673Z</CreDtTm>
      <Acct>
        <Id><Othr><Id>{account_number}</Id></Othr></Id>
        <Ccy>CNY</Ccy>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="CNY">15568.27</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2026-11-26</Dt></Dt>
      </Bal>
      <Ntry>
        <Amt Ccy="CNY">754.25</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-26</Dt></BookgDt>
        <ValDt><Dt>2026-11-26</Dt></ValDt>
        <BkTxCd>
          <Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn>
          <Prtry><Cd>EI</Cd></Prtry>
        </BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs>
              <InstrId>INNDNL2U20141231000142300002844</InstrId>
              <EndToEndId>435005714488-ABNO33052620</EndToEndId>
              <MndtId>1880000341866</MndtId>
            </Refs>
            <AmtDtls><TxAmt><Amt Ccy="CNY">754.25</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Cdtr>
                <Nm>INSURANCE COMPANY TESTX</Nm>
                <PstlAdr><StrtNm>TEST STREET 20</StrtNm><Ctry>NL</Ctry></PstlAdr>
              </Cdtr>
            </RltdPties>
            <RmtInf><Ustrd>Insurance policy 857239</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="CNY">1.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-26</Dt></BookgDt>
        <ValDt><Dt>2026-11-26</Dt></ValDt>
        <BkTxCd><Prtry><Cd>ET</Cd></Prtry></BkTxCd>
        <AddtlNtryInf>Interest</AddtlNtryInf>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def test_an_entry_failing_its_schema_is_named_by_element_path_and_entry(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    good = entry("V1", "5.00", "CRDT", "2026-11-26")
    bad_currency = entry("V2", "5.00", "CRDT", "2026-11-26").replace('Ccy="CNY"', 'Ccy="cny"')
    bad_sign = without_reference("V3", "5.00", "CRDT", "2026-11-26").replace(">CRDT<", ">CR<")
    xml = statement(account["number"], good, bad_currency, bad_sign, statement_id="S-77")

    problem = assert_problem(post(client, tenant, xml), 422, "BANK_REPORT_INVALID")

    assert "statement 1 (S-77) entry 2 (V2)" in problem["detail"]
    assert "/Document/BkToCstmrStmt/Stmt/Ntry[2]/Amt" in problem["detail"]
    assert "[A-Z]{3,3}" in problem["detail"]
    (currency,) = problem["errors"]
    assert currency["pointer"] == "/Document/BkToCstmrStmt/Stmt/Ntry[2]/Amt"
    assert currency["entry"] == {
        "statement": 1,
        "statement_id": "S-77",
        "index": 2,
        "reference": "V2",
    }
    fixed = post(client, tenant, xml.replace(b'Ccy="cny"', b'Ccy="CNY"'))
    problem = assert_problem(fixed, 422, "BANK_REPORT_INVALID")
    assert problem["errors"][0]["pointer"] == "/Document/BkToCstmrStmt/Stmt/Ntry[3]/CdtDbtInd"
    assert problem["errors"][0]["entry"]["reference"] is None
    assert "statement 1 (S-77) entry 3 at" in problem["detail"]
    assert balance(client, tenant.treasurer, account["id"])["balance"] == "100000000.00"


def test_an_anonymised_iban_is_named_by_its_path_outside_any_entry(
    client: TestClient, tenant: TenantFixture
) -> None:
    account = payer(client, tenant)
    xml = statement(account["number"], entry("I1", "5.00", "CRDT", "2026-11-26")).replace(
        f"<Othr><Id>{account['number']}</Id></Othr>".encode(),
        b"<IBAN>NLXXABNA0123456789</IBAN>",
    )

    problem = assert_problem(post(client, tenant, xml), 422, "BANK_REPORT_INVALID")

    assert "/Document/BkToCstmrStmt/Stmt/Acct/Id/IBAN" in problem["detail"]
    assert "entry" not in problem["errors"][0]
