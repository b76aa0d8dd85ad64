"""pain.001.001.09 out: every file validates against the official XSD; structured addresses."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from treasury.errors import AddressUnstructured, PaymentFileInvalid, RemittanceCharset
from treasury.money import Money
from treasury.settlement import pain001

NS = {"p": pain001.NAMESPACE}
DEBTOR = pain001.Party(
    name="Shanghai Widgets Co",
    uscc="91310000MA1K4XXXXX",
    address={"street": "Century Avenue", "building": "100", "town": "Shanghai", "country": "CN"},
)


def transfer(**fields: Any) -> pain001.CreditTransfer:
    """A credit transfer to an HK supplier."""
    values: dict[str, Any] = {
        "end_to_end_id": uuid.uuid4().hex[:35],
        "uetr": str(uuid.uuid4()),
        "amount": Money.of("1000000.00", "CNH"),
        "creditor": pain001.Party(
            name="Kowloon Parts Ltd",
            address={"town": "Hong Kong", "country": "HK", "lines": ["1 Harbour Road"]},
        ),
        "creditor_account": "012-345-678901",
        "creditor_agent_bic": "HSBCHKHH",
        "bop_code": "121010",
        "remark": "进口货款 import payment for PO 4711",
    }
    values.update(fields)
    return pain001.CreditTransfer(**values)


def build(*transfers: pain001.CreditTransfer, **fields: Any) -> bytes:
    """A one-batch file."""
    information = pain001.PaymentInformation(
        payment_information_id="PMT1",
        execution_date=date(2026, 3, 10),
        debtor=fields.pop("debtor", DEBTOR),
        debtor_account="31001234567890",
        debtor_agent_bic="HBKACNSH",
        charge_bearer=fields.pop("charge_bearer", "SHAR"),
        transfers=list(transfers),
    )
    return pain001.build(
        message_id="MSG-1",
        created_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
        initiating_party="Shanghai Widgets Co",
        payments=[information],
    )


def test_a_cnh_payment_is_sent_as_cny_and_validates() -> None:
    xml = build(transfer())

    pain001.schema().validate(xml.decode())
    root = ET.fromstring(xml)
    amount = root.find(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", NS)
    assert amount is not None
    assert (amount.get("Ccy"), amount.text) == ("CNY", "1000000.00")
    assert b"CNH" not in xml
    assert root.findtext(".//p:RgltryRptg/p:Dtls/p:Cd", namespaces=NS) == "121010"
    assert root.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-03-10"
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "1000000.00"
    assert root.findtext(".//p:Cdtr/p:PstlAdr/p:TwnNm", namespaces=NS) == "Hong Kong"


def test_a_batch_counts_and_sums_its_transfers() -> None:
    xml = build(transfer(amount=Money.of("10.50", "CNY")), transfer(amount=Money.of("0.25", "CNY")))

    root = ET.fromstring(xml)
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "10.75"


def test_an_address_of_only_lines_is_refused() -> None:
    lines_only = pain001.Party(name="X", address={"lines": ["a", "b", "c"]})

    with pytest.raises(AddressUnstructured, match="no town and country"):
        build(transfer(creditor=lines_only))


def test_three_address_lines_are_refused_even_with_town_and_country() -> None:
    three = pain001.Party(
        name="X", address={"town": "Paris", "country": "FR", "lines": ["a", "b", "c"]}
    )

    with pytest.raises(AddressUnstructured, match="at most 2"):
        build(transfer(creditor=three))


def test_a_creditor_without_an_address_is_refused() -> None:
    with pytest.raises(AddressUnstructured):
        build(transfer(creditor=pain001.Party(name="X")))


@pytest.mark.parametrize(
    "fields",
    [
        {"uetr": "not-a-uuid"},
        {"creditor_agent_bic": "NOTABIC"},
        {"end_to_end_id": "E" * 36},
    ],
)
def test_a_file_that_would_not_validate_is_an_error_never_a_file(fields: dict[str, Any]) -> None:
    with pytest.raises(PaymentFileInvalid):
        build(transfer(**fields))


def test_an_iban_goes_as_iban_and_another_number_as_other() -> None:
    xml = build(transfer(creditor_account="DE89 3704 0044 0532 0130 00"))

    root = ET.fromstring(xml)
    assert root.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE89370400440532013000"
    assert root.findtext(".//p:DbtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == "31001234567890"


def test_the_debtor_carries_its_address_and_a_debtor_without_one_is_refused() -> None:
    root = ET.fromstring(build(transfer()))
    postal = root.find(".//p:Dbtr/p:PstlAdr", NS)

    assert postal is not None
    assert [child.tag.split("}")[1] for child in postal] == ["StrtNm", "BldgNb", "TwnNm", "Ctry"]
    with pytest.raises(AddressUnstructured, match="the debtor's address: no address"):
        build(transfer(), debtor=pain001.Party(name="Shanghai Widgets Co"))


def test_every_structured_field_goes_in_schema_order_and_validates() -> None:
    full = pain001.Party(
        name="Kowloon Parts Ltd",
        address={
            "lines": ["Floor 12", "Unit 3"],
            "country": "HK",
            "subdivision": "Kowloon",
            "town": "Hong Kong",
            "postcode": "999077",
            "building": "8",
            "street": "Nathan Road",
        },
    )

    xml = build(transfer(creditor=full))

    pain001.schema().validate(xml.decode())
    postal = ET.fromstring(xml).find(".//p:Cdtr/p:PstlAdr", NS)
    assert postal is not None
    assert [(child.tag.split("}")[1], child.text) for child in postal] == [
        ("StrtNm", "Nathan Road"),
        ("BldgNb", "8"),
        ("PstCd", "999077"),
        ("TwnNm", "Hong Kong"),
        ("CtrySubDvsn", "Kowloon"),
        ("Ctry", "HK"),
        ("AdrLine", "Floor 12"),
        ("AdrLine", "Unit 3"),
    ]


@pytest.mark.parametrize("rail", ["SWIFT", "RMB_CORRESPONDENT"])
def test_a_chinese_remark_over_swift_is_refused_naming_the_character(rail: str) -> None:
    with pytest.raises(RemittanceCharset, match=r"'进' \(U\+8FDB") as refused:
        build(transfer(rail=rail, remark="进口货款 import payment"))

    assert refused.value.extra == {"character": "进", "rail": rail}


@pytest.mark.parametrize("rail", ["CIPS", "HVPS", "BEPS", "CLEARING_BANK", None])
def test_a_chinese_remark_goes_over_cips_cnaps_and_clearing_banks(rail: str | None) -> None:
    xml = build(transfer(rail=rail))

    assert ET.fromstring(xml).findtext(".//p:RmtInf/p:Ustrd", namespaces=NS) == (
        "进口货款 import payment for PO 4711"
    )
