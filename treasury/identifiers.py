"""Check digits and formats of the identifiers the service accepts: USCC, LEI, BIC, country."""

from __future__ import annotations

import re

from schwifty import BIC
from schwifty.exceptions import SchwiftyException
from stdnum import lei
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumValidationError

from treasury.errors import InvalidIdentifier

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def checked_uscc(value: str) -> str:
    """A valid Unified Social Credit Code (统一社会信用代码), compacted."""
    try:
        return str(uscc.validate(value))
    except StdnumValidationError as error:
        raise InvalidIdentifier(f"USCC {value!r}: {error}") from error


def checked_lei(value: str) -> str:
    """A valid ISO 17442 Legal Entity Identifier, compacted."""
    try:
        return str(lei.validate(value))
    except StdnumValidationError as error:
        raise InvalidIdentifier(f"LEI {value!r}: {error}") from error


def checked_bic(value: str) -> str:
    """A valid ISO 9362 BIC (8 or 11 characters)."""
    try:
        return str(BIC(value))
    except (SchwiftyException, ValueError) as error:
        raise InvalidIdentifier(f"BIC {value!r}: {error}") from error


def checked_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code in upper case (format only; CN means mainland China)."""
    if not _COUNTRY.match(value):
        raise InvalidIdentifier(f"country {value!r} is not an ISO 3166-1 alpha-2 code")
    return value
