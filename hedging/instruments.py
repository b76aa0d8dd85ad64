"""Instruments as documents (the wire shape of DESIGN §4.3) and back: how hedges are stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hedging.model import (
    Combination,
    Direction,
    ExerciseStyle,
    Forward,
    Instrument,
    KnockOut,
    Ndf,
    Option,
    OptionType,
    Pair,
    Swap,
    check_instrument,
)
from treasury.errors import OptionCombinationInvalid, ValidationFailed
from treasury.money import Money, MoneyError, parse_decimal


def _get(document: dict[str, Any], name: str) -> Any:
    if name not in document or document[name] is None:
        raise ValidationFailed(f"the instrument needs `{name}`", field=name)
    return document[name]


def _date(document: dict[str, Any], name: str) -> date:
    value = _get(document, name)
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise ValidationFailed(f"`{name}` must be YYYY-MM-DD", field=name) from error


def _decimal(document: dict[str, Any], name: str) -> Decimal:
    value = _get(document, name)
    if isinstance(value, Decimal):
        return value
    try:
        return parse_decimal(value)
    except MoneyError as error:
        raise ValidationFailed(f"`{name}`: {error.detail}", field=name) from error


def _money(document: dict[str, Any]) -> Money:
    raw = _get(document, "notional")
    if isinstance(raw, Money):
        return raw
    try:
        return Money.of(raw["amount"], raw["currency"])
    except (KeyError, TypeError) as error:
        raise ValidationFailed("`notional` is {amount, currency}", field="notional") from error


def instrument_from_document(document: dict[str, Any]) -> Instrument:
    """An instrument from its document; refuses anything that cannot exist."""
    return check_instrument(_parse(document))


def _parse(document: dict[str, Any]) -> Instrument:
    """The instrument a document describes, not yet checked."""
    kind = document.get("type")
    if kind == "combination":
        return _combination(document)
    pair = Pair.parse(_get(document, "pair"))
    direction = Direction(_get(document, "direction"))
    notional = _money(document)
    instrument: Instrument
    if kind == "forward":
        instrument = Forward(
            pair,
            direction,
            notional,
            _decimal(document, "strike"),
            _date(document, "delivery_date"),
            _settlement(document),
        )
    elif kind == "ndf":
        instrument = Ndf(
            pair,
            direction,
            notional,
            _decimal(document, "strike"),
            _date(document, "delivery_date"),
            _date(document, "fixing_date"),
            str(_get(document, "settlement_currency")),
        )
    elif kind == "swap":
        instrument = Swap(
            pair,
            direction,
            notional,
            _date(document, "near_date"),
            _decimal(document, "near_rate"),
            _date(document, "far_date"),
            _decimal(document, "far_rate"),
            _settlement(document),
        )
    elif kind == "option":
        delivery = document.get("delivery_date")
        instrument = Option(
            pair,
            OptionType(_get(document, "option_type")),
            direction,
            notional,
            _decimal(document, "strike"),
            _date(document, "expiry_date"),
            None if delivery is None else _date(document, "delivery_date"),
            ExerciseStyle(document.get("style") or "european"),
            _settlement(document),
        )
    elif kind == "knock_out":
        instrument = KnockOut(
            pair,
            OptionType(_get(document, "option_type")),
            direction,
            notional,
            _decimal(document, "strike"),
            _date(document, "expiry_date"),
            str(_get(document, "barrier_type")),
            _decimal(document, "barrier"),
            _decimal(document, "rebate") if document.get("rebate") is not None else Decimal(0),
        )
    else:
        raise ValidationFailed(f"unknown instrument type {kind!r}", field="type")
    return instrument


def _settlement(document: dict[str, Any]) -> str | None:
    settlement = document.get("settlement")
    return None if settlement is None else str(settlement)


def _combination(document: dict[str, Any]) -> Combination:
    """Two option legs (each `type` "option" or left out)."""
    legs = _get(document, "legs")
    if not isinstance(legs, list) or len(legs) != 2:
        raise OptionCombinationInvalid("a combination has two legs", field="legs")
    options: list[Option] = []
    for leg in legs:
        if not isinstance(leg, dict) or leg.get("type", "option") != "option":
            raise OptionCombinationInvalid("each leg of a combination is an option", field="legs")
        parsed = _parse({**leg, "type": "option"})  # checked with the combination
        assert isinstance(parsed, Option)
        options.append(parsed)
    return Combination((options[0], options[1]))


def instrument_to_document(instrument: Instrument) -> dict[str, Any]:
    """The instrument's wire document (decimal strings, ISO dates)."""
    if isinstance(instrument, Combination):
        return {
            "type": "combination",
            "legs": [instrument_to_document(leg) for leg in instrument.legs],
        }
    common: dict[str, Any] = {
        "pair": instrument.pair.code,
        "direction": instrument.direction.value,
        "notional": {
            "amount": instrument.notional.to_wire(),
            "currency": instrument.notional.currency.code,
        },
    }
    settlement = (
        {"settlement": instrument.settlement}
        if isinstance(instrument, Forward | Option | Swap) and instrument.settlement is not None
        else {}
    )
    if isinstance(instrument, Forward):
        return {
            "type": "forward",
            **common,
            "strike": str(instrument.strike),
            "delivery_date": instrument.delivery_date.isoformat(),
            **settlement,
        }
    if isinstance(instrument, Ndf):
        return {
            "type": "ndf",
            **common,
            "strike": str(instrument.strike),
            "delivery_date": instrument.delivery_date.isoformat(),
            "fixing_date": instrument.fixing_date.isoformat(),
            "settlement_currency": instrument.settlement_currency,
        }
    if isinstance(instrument, Swap):
        return {
            "type": "swap",
            **common,
            "near_date": instrument.near_date.isoformat(),
            "near_rate": str(instrument.near_rate),
            "far_date": instrument.far_date.isoformat(),
            "far_rate": str(instrument.far_rate),
            **settlement,
        }
    if isinstance(instrument, KnockOut):
        return {
            "type": "knock_out",
            **common,
            "option_type": instrument.option_type.value,
            "strike": str(instrument.strike),
            "expiry_date": instrument.expiry_date.isoformat(),
            "barrier_type": instrument.barrier_type,
            "barrier": str(instrument.barrier),
            "rebate": str(instrument.rebate),
        }
    return {
        "type": "option",
        **common,
        "option_type": instrument.option_type.value,
        "strike": str(instrument.strike),
        "expiry_date": instrument.expiry_date.isoformat(),
        "delivery_date": None
        if instrument.delivery_date is None
        else instrument.delivery_date.isoformat(),
        "style": instrument.style.value,
        **settlement,
    }


def instrument_kind(instrument: Instrument) -> str:
    """'forward', 'ndf', 'swap', 'option', 'knock_out' or 'combination'."""
    return str(instrument_to_document(instrument)["type"])


def pricing_columns(instrument: Instrument) -> dict[str, Any]:
    """The columns a hedge row keeps for revaluation without its document (a combination: its
    bought leg's, and it is valued from its document)."""
    if isinstance(instrument, Combination):
        return {**pricing_columns(instrument.bought), "vanilla": False}
    vanilla = isinstance(instrument, Forward) or (
        isinstance(instrument, Option)
        and instrument.style is ExerciseStyle.EUROPEAN
        and instrument.delivery_date is None
    )
    return {
        "direction": instrument.direction.value,
        "strike": instrument.far_rate if isinstance(instrument, Swap) else instrument.strike,
        "option_type": instrument.option_type.value
        if isinstance(instrument, Option | KnockOut)
        else None,
        "vanilla": vanilla,
    }
