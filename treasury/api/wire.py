"""Wire types shared by the routes: money as decimal strings (never JSON numbers), problems."""

from __future__ import annotations

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


def _decimal_from_string(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("must be a decimal string, not a JSON number")
    if len(value) > MAX_DECIMAL_CHARACTERS:
        raise ValueError(f"a decimal has at most {MAX_DECIMAL_CHARACTERS} characters")
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
            "pattern": r"^-?\d+(\.\d+)?$",
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


def _refuse_nul(value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain NUL (U+0000)")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


class StrictModel(BaseModel):
    """Request models refuse unknown fields, and NUL in any text (PostgreSQL cannot store it)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        _refuse_nul(data)
        return data


class MoneyIn(StrictModel):
    """`{"amount": "1250000.00", "currency": "CNY"}`."""

    amount: StrictStr = Field(pattern=r"^-?\d+(\.\d+)?$", examples=["1250000.00"])
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
