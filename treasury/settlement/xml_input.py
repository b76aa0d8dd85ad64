"""A bank's XML file as received: bounded, read from the bytes given and nothing else.

Before any tree is built, a streaming pass of expat (no tree, one call per element) refuses a
document type declaration and counts what xmlschema's work grows with: xmlschema spends time on
an element's attributes that grows with the square of their count (50,000 attributes on one
element took 217 s) and about 20 µs on each element it builds and validates. The limits below are
far above what a real bank file needs and low enough that any body within the API's 2 MiB limit
is answered in about a second when it is refused.

`xmlschema.XMLResource` takes bytes that do not look like markup for a file path or a URL and
opens it, so a body such as `/srv/reports/x.xml` or `http://10.0.0.1/` would be read from the
server's disk or network. The bytes are therefore handed over as a file object, with every
external access refused (`allow="none"`) and DTDs and entities refused (`defuse="always"`).
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from typing import Any, Final, NoReturn
from xml.etree import ElementTree as ET
from xml.parsers import expat

import xmlschema

from treasury.errors import BankReportDtdRefused, BankReportInvalid, BankReportLimitExceeded

MAX_DOCUMENT_BYTES: Final = 2 * 1024 * 1024
"""The API's body limit: a bank splits a longer statement into pages (`MsgPgntn`, `StmtPgntn`)."""

MAX_ELEMENTS: Final = 150_000
"""A 2 MiB camt.053 of 7,000 compact entries (about 14 elements in 300 bytes each) holds about
100,000 elements; even markup with no indentation takes at least 14 bytes an element."""

MAX_DEPTH: Final = 64
"""The deepest paths of camt.053 and pain.002 (e.g. Document/…/Ntry/NtryDtls/TxDtls/RltdPties/
Dbtr/Pty/Id/OrgId/Othr/SchmeNm/Cd) are about 15 elements deep."""

MAX_ATTRIBUTES: Final = 16
"""Per element, namespace declarations included: real elements carry a handful (`Ccy` on an
amount; `xmlns`, `xmlns:xsi` and `xsi:schemaLocation` on the root)."""

_REPORTED_CHARACTERS: Final = 300  # of each path and message: a hostile value may be megabytes
_NAMESPACE_URI = re.compile(r"\{(?:urn|https?):[^{}]*\}")


@dataclass(frozen=True)
class Violation:
    """One way a document breaks its schema: the element's path, why, and (in a camt.053) the
    statement entry it lies in, as words for people (`where`) and as fields (`entry`)."""

    path: str
    message: str
    where: str = ""
    entry: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        """As listed in a refusal's `errors`."""
        shown: dict[str, Any] = {"pointer": self.path, "message": self.message}
        return shown if self.entry is None else {**shown, "entry": self.entry}


_schemas: dict[str, xmlschema.XMLSchema] = {}
_schemas_lock = threading.Lock()


def schema_of(path: str) -> xmlschema.XMLSchema:
    """The schema of an XSD file, built once per process (0.3-0.6 s of CPU each) and kept: a
    file arriving while its schema is being built (by another request, or by the warm-up at
    start, `treasury.settlement.schemas`) waits for that build instead of making its own."""
    with _schemas_lock:
        found = _schemas.get(path)
        if found is None:
            found = _schemas[path] = xmlschema.XMLSchema(path)
        return found


def resource(xml: bytes) -> xmlschema.XMLResource:
    """The parsed document of exactly these bytes, within the bounds above.

    Raises:
        BankReportDtdRefused: a document type declaration (internal or external).
        BankReportLimitExceeded: beyond a bound (size, elements, depth, attributes per element).
        BankReportInvalid: not a well-formed XML document (or one declaring an unknown encoding,
            entities or external references).
    """
    _prescan(xml)
    try:
        return xmlschema.XMLResource(io.BytesIO(xml), allow="none", defuse="always")
    except (xmlschema.XMLResourceError, ET.ParseError, ValueError, LookupError) as error:
        raise BankReportInvalid(f"not a well-formed XML document: {error}") from None


def violation(schema: xmlschema.XMLSchema, document: xmlschema.XMLResource) -> Violation | None:
    """The first way a document breaks its schema, or None when it is valid.

    Validation stops at the first error: collecting every error costs 35-70 µs an element (an
    error object each), so a file of 100,000 misplaced elements took seconds to list.
    """
    try:
        schema.validate(document)
    except xmlschema.XMLSchemaValidationError as error:
        return Violation(
            path=_shown(error.path or "/"),
            message=_shown(_NAMESPACE_URI.sub("", error.reason or error.message)),
        )
    return None


def refusal(schema_name: str, found: Violation) -> BankReportInvalid:
    """The error naming where a document breaks its schema (the element's path, and the entry it
    lies in) and why, in the detail and as `errors`."""
    where = f"{found.where} at " if found.where else ""
    return BankReportInvalid(
        f"{schema_name} does not validate: {where}{found.path}: {found.message}",
        errors=[found.document()],
    )


def _shown(text: str) -> str:
    return text if len(text) <= _REPORTED_CHARACTERS else text[:_REPORTED_CHARACTERS] + "…"


class _Prescan:
    """Expat handlers counting elements, depth and attributes; refusing a DTD at its start."""

    def __init__(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        self.elements = 0
        self.depth = 0

    def start(self, name: str, attributes: list[str]) -> None:
        self.elements += 1
        self.depth += 1
        if len(attributes) > 2 * MAX_ATTRIBUTES:  # ordered: name, value, name, value, …
            self.exceeded(f"element {name[:60]} has more than {MAX_ATTRIBUTES} attributes")
        if self.depth > MAX_DEPTH:
            self.exceeded(f"elements are nested more than {MAX_DEPTH} deep")
        if self.elements > MAX_ELEMENTS:
            self.exceeded(f"the document has more than {MAX_ELEMENTS:,} elements")

    def end(self, _name: str) -> None:
        self.depth -= 1

    def doctype(self, *_declaration: object) -> NoReturn:
        raise BankReportDtdRefused(
            f"a document type declaration (DTD) at {self.where()} is refused: "
            "ISO 20022 files are defined by their XSD and may not declare a DTD or entities"
        )

    def exceeded(self, what: str) -> NoReturn:
        raise BankReportLimitExceeded(f"{what} (at {self.where()})")

    def where(self) -> str:
        return f"line {self.parser.CurrentLineNumber}, column {self.parser.CurrentColumnNumber + 1}"


def _prescan(xml: bytes) -> None:
    """Refuse a DTD or a document beyond the bounds, reading the bytes once without a tree."""
    if len(xml) > MAX_DOCUMENT_BYTES:
        raise BankReportLimitExceeded(
            f"the document has {len(xml):,} bytes, more than {MAX_DOCUMENT_BYTES:,}"
        )
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    scan = _Prescan(parser)
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.StartDoctypeDeclHandler = scan.doctype
    try:
        parser.Parse(xml, True)
    except (expat.ExpatError, LookupError, ValueError) as error:  # LookupError: an unknown encoding
        raise BankReportInvalid(f"not a well-formed XML document: {error}") from None
