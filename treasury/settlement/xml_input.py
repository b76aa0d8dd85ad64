"""A bank's XML file as received: read from the bytes given and nothing else.

`xmlschema.XMLResource` takes bytes that do not look like markup for a file path or a URL and
opens it, so a body such as `/srv/reports/x.xml` or `http://10.0.0.1/` would be read from the
server's disk or network. The bytes are therefore handed over as a file object, with every
external access refused (`allow="none"`) and DTDs and entities refused (`defuse="always"`).
"""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

import xmlschema

from treasury.errors import BankReportInvalid


def resource(xml: bytes) -> xmlschema.XMLResource:
    """The parsed document of exactly these bytes.

    Raises:
        BankReportInvalid: not a well-formed XML document (or one declaring an unknown encoding,
            a DTD, entities or external references).
    """
    try:
        return xmlschema.XMLResource(io.BytesIO(xml), allow="none", defuse="always")
    except (xmlschema.XMLResourceError, ET.ParseError, ValueError, LookupError) as error:
        raise BankReportInvalid(f"not a well-formed XML document: {error}") from None
