"""Postal addresses as payment files carry them, and the SWIFT x character set (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treasury.accounts.model import PostalAddress, address_problem
from treasury.settlement import charsets


def test_an_address_round_trips_as_its_document() -> None:
    document = {"street": "Nathan Road", "town": "Kowloon", "country": "HK", "lines": ["Unit 3"]}

    address = PostalAddress.of(document)

    assert address is not None
    assert address.to_document() == document
    assert address.problem() is None


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (None, "no address"),
        ({"lines": ["a", "b", "c"]}, "no town and country (only 3 address lines)"),
        ({"town": "Paris"}, "no country"),
        ({"town": "Paris", "country": "FR", "lines": ["a", "b", "c"]}, "3 address lines"),
        ({"town": "P" * 36, "country": "FR"}, "town is longer than 35 characters"),
        ({"town": "Paris", "country": "FR", "lines": ["x" * 71]}, "longer than 70"),
    ],
)
def test_an_address_a_file_cannot_carry_says_why(
    document: dict[str, object] | None, problem: str
) -> None:
    found = address_problem(document)

    assert found is not None
    assert problem in found


def test_the_x_set_is_letters_digits_and_eleven_signs() -> None:
    assert len(charsets.SWIFT_X_CHARACTERS) == 26 + 26 + 10 + 11
    assert set("aZ09/-?:().,'+ ") <= charsets.SWIFT_X_CHARACTERS
    assert not set("&#@_!é货") & charsets.SWIFT_X_CHARACTERS
    assert charsets.first_outside("PO 4711 & fees", "SWIFT") == "&"
    assert charsets.first_outside("货款", "CIPS") is None
    assert charsets.describe("货") == "'货' (U+8D27 CJK UNIFIED IDEOGRAPH-8D27)"


@given(st.text(alphabet="".join(sorted(charsets.SWIFT_X_CHARACTERS))))
def test_any_text_of_the_x_set_passes_every_rail(text: str) -> None:
    for rail in ("SWIFT", "RMB_CORRESPONDENT", "CIPS", "HVPS"):
        assert charsets.first_outside(text, rail) is None


@given(st.text(min_size=1), st.characters(exclude_characters=sorted(charsets.SWIFT_X_CHARACTERS)))
def test_the_first_character_outside_the_set_is_named(prefix: str, outside: str) -> None:
    text = "".join(c for c in prefix if c in charsets.SWIFT_X_CHARACTERS) + outside + "abc"

    assert charsets.first_outside(text, "SWIFT") == outside


def test_text_the_service_writes_is_fitted_to_the_x_set() -> None:
    fitted = charsets.to_x_set("cash pool 集团美元池 USD_1 sweep from_master")

    assert fitted == "cash pool USD 1 sweep from master"


@given(st.text())
def test_fitted_text_goes_over_any_rail(text: str) -> None:
    assert charsets.first_outside(charsets.to_x_set(text), "SWIFT") is None
