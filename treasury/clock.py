"""Injectable clock: the only place that reads the time. "Today" is the configured zone's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Tells the current instant (UTC, timezone-aware)."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still until moved; for tests and replays."""

    instant: datetime

    def now(self) -> datetime:
        """The fixed instant."""
        return self.instant


def today(clock: Clock, timezone: str) -> date:
    """The calendar date of the clock's instant in `timezone` (e.g. Asia/Shanghai)."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()
