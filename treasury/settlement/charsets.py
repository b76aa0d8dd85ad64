"""Which characters a rail's messages carry in free text (remittance information).

SWIFT FIN and CBPR+ carry the SWIFT "x" character set: a–z A–Z 0–9 / - ? : ( ) . , ' + and the
space (SWIFT User Handbook, Standards MT General Information, "Character sets"). The CBPR+ usage
guidelines add an extended set for some fields, but its exact list is not in the specification
(`../shared/domain/settlement.md` §8) nor confirmed by a bank guide here, so the service keeps to
the x set, which every SWIFT leg accepts. RMB correspondent payments reach the overseas bank by
SWIFT too (§4). CIPS, CNAPS (HVPS, BEPS), the offshore clearing banks and local RTGS carry
Chinese. Pure: no I/O.
"""

from __future__ import annotations

import string
import unicodedata

SWIFT_X_CHARACTERS = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")
LATIN_ONLY_RAILS = frozenset({"SWIFT", "RMB_CORRESPONDENT"})
"""Rail types whose messages travel over SWIFT and so carry only the x character set."""


def latin_only(rail: str) -> bool:
    """True when the rail type's messages carry only the SWIFT x character set."""
    return rail in LATIN_ONLY_RAILS


def first_outside(text: str, rail: str) -> str | None:
    """The first character of `text` the rail cannot carry, or None (every rail carries it)."""
    if not latin_only(rail):
        return None
    return next((character for character in text if character not in SWIFT_X_CHARACTERS), None)


def to_x_set(text: str) -> str:
    """Text the service writes itself (never a treasurer's remark), fitted to the x set: every
    other character becomes a space, runs of spaces one. Any rail carries the result."""
    fitted = "".join(c if c in SWIFT_X_CHARACTERS else " " for c in text)
    return " ".join(fitted.split())


def describe(character: str) -> str:
    """A character as an error names it: itself, its code point and its Unicode name."""
    name = unicodedata.name(character, "unnamed character")
    return f"{character!r} (U+{ord(character):04X} {name})"
