"""pain.002 and camt.053 parsing: versions, statuses, entries, and what is refused."""

from __future__ import annotations

import pytest

from treasury.errors import BankReportInvalid
from treasury.money import Money
from treasury.settlement import camt053, pain002


def status_report(version: str, status: str) -> bytes:
    """A minimal pain.002 of one transaction."""
    return (
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}">'
        "<CstmrPmtStsRpt><GrpHdr><MsgId>S1</MsgId><CreDtTm>2026-11-26T10:00:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>P1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09"
        "</OrgnlMsgNmId></OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId>"
        f"<TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        "</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("ACSP", pain002.Outcome.ACCEPTED),
        ("ACSC", pain002.Outcome.SETTLED),
        ("RJCT", pain002.Outcome.REJECTED),
        ("PDNG", pain002.Outcome.PENDING),
    ],
)
def test_status_codes_map_to_outcomes(status: str, outcome: pain002.Outcome) -> None:
    report = pain002.parse(status_report("12", status))

    assert report.original_message_id == "P1"
    assert report.transactions[0].end_to_end_id == "E1"
    assert report.transactions[0].outcome is outcome


def test_the_2009_version_is_read_too() -> None:
    assert pain002.parse(status_report("03", "ACCP")).transactions[0].code == "ACCP"


def test_a_version_without_an_official_schema_is_refused() -> None:
    with pytest.raises(BankReportInvalid, match="not supported"):
        pain002.parse(status_report("10", "ACCP"))


def test_a_pain001_is_not_a_status_report() -> None:
    xml = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>'

    with pytest.raises(BankReportInvalid, match=r"not a pain\.002"):
        pain002.parse(xml)


def statement(entries: str) -> bytes:
    """A camt.053.001.02 statement."""
    return (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-26T18:00:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>S1</Id><CreDtTm>2026-11-26T18:00:00</CreDtTm><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>"
        f"{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def entry(ref: str, status: str, sign: str = "DBIT", amount: str = "12.50") -> str:
    """A camt.053.001.02 entry (status as text, the 2009 way)."""
    return (
        f'<Ntry><NtryRef>{ref}</NtryRef><Amt Ccy="EUR">{amount}</Amt>'
        f"<CdtDbtInd>{sign}</CdtDbtInd><Sts>{status}</Sts>"
        "<BookgDt><Dt>2026-11-26</Dt></BookgDt><ValDt><Dt>2026-11-27</Dt></ValDt>"
        "<BkTxCd><Prtry><Cd>X</Cd></Prtry></BkTxCd>"
        "<NtryDtls><TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs></TxDtls></NtryDtls>"
        "</Ntry>"
    )


def test_entries_are_signed_and_keep_their_references() -> None:
    parsed = camt053.parse(statement(entry("N1", "BOOK") + entry("N2", "PDNG", "CRDT")))

    (account,) = parsed.statements
    assert account.account == "DE89370400440532013000"
    debit, pending = account.entries
    assert debit.amount == -Money.of("12.50", "EUR")
    assert debit.booked
    assert debit.end_to_end_id == "E2E-1"
    assert str(debit.value_date) == "2026-11-27"
    assert not pending.booked
    assert pending.amount == Money.of("12.50", "EUR")


def test_an_amount_finer_than_the_currency_is_refused() -> None:
    with pytest.raises(BankReportInvalid):
        camt053.parse(statement(entry("N1", "BOOK", amount="12.505")))


def test_an_entity_expansion_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>'
    )

    with pytest.raises(BankReportInvalid):
        camt053.parse(bomb)


def unreferenced(amount: str, text: str = "") -> str:
    """A camt.053.001.02 entry with neither AcctSvcrRef nor NtryRef."""
    info = f"<AddtlNtryInf>{text}</AddtlNtryInf>" if text else ""
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-11-26</Dt></BookgDt><ValDt><Dt>2026-11-26</Dt></ValDt>"
        f"<BkTxCd><Prtry><Cd>X</Cd></Prtry></BkTxCd>{info}</Ntry>"
    )


def derived_refs(xml: bytes) -> list[str]:
    """The references of a statement's entries."""
    return [entry.bank_ref for entry in camt053.parse(xml).statements[0].entries]


def test_identical_unreferenced_entries_get_distinct_references_stable_on_a_resend() -> None:
    entries = unreferenced("5.00") + unreferenced("5.00") + unreferenced("7.00", "货款 PO 4711")
    first = derived_refs(statement(entries))
    regenerated = (  # new message id and times, indented: what a bank's re-send may change
        statement(entries)
        .replace(b"<MsgId>M1</MsgId>", b"<MsgId>M2</MsgId>")
        .replace(b"2026-11-26T18:00:00", b"2026-11-27T09:30:00")
        .replace(b"<Ntry>", b"\n      <Ntry>\n        ")
    )

    assert len(set(first)) == 3
    assert all(ref.startswith("derived:") and len(ref) <= 64 for ref in first)
    assert derived_refs(regenerated) == first


def test_a_derived_reference_survives_an_inserted_entry_but_not_another_statement() -> None:
    fee, interest = unreferenced("5.00"), unreferenced("7.00", "interest")
    before = derived_refs(statement(fee + interest))

    corrected = derived_refs(statement(unreferenced("9.00") + fee + interest))
    next_statement = derived_refs(statement(fee + interest).replace(b"<Id>S1</Id>", b"<Id>S2</Id>"))

    assert corrected[1:] == before
    assert not set(next_statement) & set(before)


def test_a_schema_violation_names_the_statement_entry_by_position_and_reference() -> None:
    xml = statement(entry("N1", "BOOK") + entry("N2", "BOOK").replace('Ccy="EUR"', 'Ccy="eur"'))

    with pytest.raises(BankReportInvalid) as raised:
        camt053.parse(xml)

    assert raised.value.detail.startswith(
        "camt.053.001.02 does not validate: statement 1 (S1) entry 2 (N2) at "
        "/Document/BkToCstmrStmt/Stmt/Ntry[2]/Amt: attribute Ccy='eur'"
    )
    assert raised.value.extra["errors"][0]["entry"]["index"] == 2
