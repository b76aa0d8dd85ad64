"""Wire types shared by the routes: money as decimal strings (never JSON numbers), problems."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictStr,
    model_validator,
)

from treasury.money import Money, MoneyError, check_storable, is_currency_code, parse_decimal

MAX_DECIMAL_CHARACTERS = 40
"""The longest decimal string accepted: rates and ratios are stored as text of at most 64
characters (PostgreSQL refuses a longer one: a 500, not a 422)."""


DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
"""A decimal on the wire: ASCII digits only (Python's Decimal and regex `\\d` also take
Arabic-Indic, Devanagari or full-width digits, which no bank file or ledger line should carry),
no exponent, no sign but a leading minus."""
_DECIMAL = re.compile(DECIMAL_PATTERN)


def _decimal_from_string(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("must be a decimal string, not a JSON number")
    if len(value) > MAX_DECIMAL_CHARACTERS:
        raise ValueError(f"a decimal has at most {MAX_DECIMAL_CHARACTERS} characters")
    if not _DECIMAL.match(value):
        raise ValueError('a decimal is written with ASCII digits 0-9, e.g. "7.1025"')
    try:
        return parse_decimal(value)
    except MoneyError as error:
        raise ValueError(str(error)) from error


def _currency_code(value: Any) -> str:
    if not isinstance(value, str) or not is_currency_code(value):
        raise ValueError(f"unknown currency {value!r}")
    return "CNY" if value == "CNH" else value


DecimalString = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_string),
    PlainSerializer(lambda value: str(value), return_type=str),
    Field(
        json_schema_extra={
            "type": "string",
            "pattern": DECIMAL_PATTERN,
            "maxLength": MAX_DECIMAL_CHARACTERS,
        }
    ),
]
"""A decimal sent as a string, e.g. "7.1025"; a JSON number is refused."""

CurrencyCode = Annotated[
    str,
    BeforeValidator(_currency_code),
    Field(min_length=3, max_length=3, description="ISO 4217 code; CNH is accepted as CNY"),
]


# NUL cannot be stored by PostgreSQL; a lone UTF-16 surrogate (JSON's "\ud800") is no character
# at all: it cannot be encoded as UTF-8, so neither database nor a response could carry it back.
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def refuse_unstorable_text(value: Any) -> None:
    """Raise ValueError when any text in `value` (keys included) holds NUL or a lone surrogate."""
    if isinstance(value, str):
        if _UNSTORABLE_TEXT.search(value):
            raise ValueError("text may not contain NUL (U+0000) or a lone surrogate (U+D800–DFFF)")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_unstorable_text(key)
            refuse_unstorable_text(item)
    elif isinstance(value, list):
        for item in value:
            refuse_unstorable_text(item)


class StrictModel(BaseModel):
    """Request models refuse unknown fields, and text no database can store (NUL, surrogates)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        refuse_unstorable_text(data)
        return data


class MoneyIn(StrictModel):
    """`{"amount": "1250000.00", "currency": "CNY"}`."""

    amount: StrictStr = Field(pattern=DECIMAL_PATTERN, examples=["1250000.00"])
    currency: CurrencyCode

    def to_money(self) -> Money:
        """The amount as Money (already checked by the validator)."""
        return Money.of(self.amount, self.currency)

    @model_validator(mode="after")
    def _is_money(self) -> Self:
        try:
            check_storable(Money.of(self.amount, self.currency))
        except MoneyError as error:
            raise ValueError(str(error)) from error
        return self


class PositiveMoneyIn(MoneyIn):
    """Money that must be above zero."""

    @model_validator(mode="after")
    def _is_positive(self) -> Self:
        if not Money.of(self.amount, self.currency).is_positive():
            raise ValueError("amount must be positive")
        return self


class NonNegativeMoneyIn(MoneyIn):
    """Money that may be zero but not below (a limit, a threshold)."""

    @model_validator(mode="after")
    def _is_not_negative(self) -> Self:
        if Money.of(self.amount, self.currency).amount < 0:
            raise ValueError("amount may not be negative")
        return self


class MoneyOut(BaseModel):
    """Money as shown: a decimal string with the currency's minor units."""

    amount: str
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        """Render Money."""
        return cls(amount=money.to_wire(), currency=money.currency.code)


def money_out(money: Money | None) -> MoneyOut | None:
    """Render optional Money."""
    return None if money is None else MoneyOut.of(money)


class Problem(BaseModel):
    """RFC 9457 problem details with a stable `code`."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route can return."""
    return {
        status: {"model": Problem, "content": {"application/problem+json": {}}}
        for status in statuses
    }


COMMON_PROBLEMS = problem_responses(401, 403, 404, 413, 422)

MAX_OFFSET = 2**31 - 1
"""The largest list offset: beyond it the database's integer overflows (a 500, not a 422)."""


# -- postal addresses (entities, counterparties, inline creditors) ------------------------------

AddressLine = Annotated[str, Field(min_length=1, max_length=70)]


class Address(StrictModel):
    """A postal address as ISO 20022 carries it (PostalAddress24): town and country required,
    the rest structured where known, at most two free lines (the SR2026 hybrid address)."""

    street: str | None = Field(default=None, min_length=1, max_length=70)
    building: str | None = Field(default=None, min_length=1, max_length=16)
    postcode: str | None = Field(default=None, min_length=1, max_length=16)
    town: str = Field(min_length=1, max_length=35)
    subdivision: str | None = Field(
        default=None, min_length=1, max_length=35, description="province, state or region"
    )
    country: str = Field(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    lines: list[AddressLine] | None = Field(default=None, max_length=2)

    def to_document(self) -> dict[str, Any]:
        """The address as stored (absent fields left out)."""
        return self.model_dump(exclude_none=True)


class AddressOut(BaseModel):
    """A postal address as stored (an older one may hold only free lines)."""

    street: str | None = None
    building: str | None = None
    postcode: str | None = None
    town: str | None = None
    subdivision: str | None = None
    country: str | None = None
    lines: list[str] | None = None


def address_out(document: dict[str, Any] | None) -> AddressOut | None:
    """Render a stored address document."""
    return None if document is None else AddressOut(**document)
