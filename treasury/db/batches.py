"""Reading many rows by id: the ids go in slices, each one IN list of bound parameters.

SQLite (32,766 variables a statement) and PostgreSQL (65,535 parameters) both refuse longer ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

CHUNK = 2000
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most `size` items (bound-parameter limits of both databases)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
