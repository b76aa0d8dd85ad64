"""A routing decision: the rail, send time, value date and fee estimate, with its explanation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from treasury.money import Money


class RailType(StrEnum):
    """Rail types (DESIGN §4.3 Routing)."""

    CIPS = "CIPS"
    CLEARING_BANK = "CLEARING_BANK"
    RMB_CORRESPONDENT = "RMB_CORRESPONDENT"
    SWIFT = "SWIFT"
    HVPS = "HVPS"
    BEPS = "BEPS"
    BOOK = "BOOK"


@dataclass(frozen=True)
class Route:
    """The chosen way to move a payment."""

    rail: RailType
    rail_id: str
    send_at: datetime
    value_date: date
    fee_estimate: Money | None
    explanation: str

    def to_document(self) -> dict[str, Any]:
        """The route as stored and shown."""
        fee = self.fee_estimate
        return {
            "rail": self.rail.value,
            "rail_id": self.rail_id,
            "send_at": self.send_at.isoformat(),
            "value_date": self.value_date.isoformat(),
            "fee_estimate": None
            if fee is None
            else {"amount": fee.to_wire(), "currency": fee.currency.code},
            "explanation": self.explanation,
        }
