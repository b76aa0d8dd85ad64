"""Keyset pages: a list read a page at a time after the last row's sort key, never by offset.

A page request carries a limit and the sort key of the row the previous page ended on (as text,
the way a cursor carries it). `keyset_page` pages a SQLAlchemy query in the database;
`sequence_page` pages rows already in memory (short reference lists) the same way, so that every
list answers the same `{items, total, next}`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import ColumnElement, Select

from treasury.errors import ValidationFailed

R = TypeVar("R")
SortKey = tuple[str, ...]


@dataclass(frozen=True)
class PageRequest:
    """At most `limit` rows after the row whose sort key is `after` (None: from the start)."""

    limit: int
    after: SortKey | None = None


@dataclass(frozen=True)
class Page(Generic[R]):
    """One page: its rows, how many rows the whole filtered list holds, and the sort key to
    continue after (None on the last page)."""

    rows: list[R]
    total: int
    next_key: SortKey | None


def key_text(value: Any) -> str:
    """A sort-key value as cursor text: instants in UTC to the microsecond, dates ISO, the rest
    `str` (integers zero-padded so that text order is number order)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return f"{value:020d}"
    return "" if value is None else str(value)


def _typed(column: InstrumentedAttribute[Any], text: str) -> Any:
    column_type = column.type
    python_type = getattr(column_type, "impl", column_type).python_type  # a TypeDecorator's own
    try:
        if python_type is datetime:
            return datetime.fromisoformat(text)
        if python_type is date:
            return date.fromisoformat(text)
        if python_type is int:
            return int(text)
    except ValueError as error:
        raise ValidationFailed("the cursor is not one this list handed out") from error
    return text


def _after(
    columns: Sequence[InstrumentedAttribute[Any]], key: SortKey, *, descending: bool
) -> ColumnElement[bool]:
    """Rows strictly after `key` in the (all ascending or all descending) column order."""
    if len(key) != len(columns):
        raise ValidationFailed("the cursor is not one this list handed out")
    values = [_typed(column, text) for column, text in zip(columns, key, strict=True)]
    clauses = []
    for index, column in enumerate(columns):
        equal_before = [columns[i] == values[i] for i in range(index)]
        beyond = column < values[index] if descending else column > values[index]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)


def keyset_page(
    session: Session,
    query: Select[R],
    *,
    order: Sequence[InstrumentedAttribute[Any]],
    descending: bool,
    page: PageRequest,
) -> Page[R]:
    """One page of `query` (already filtered) in `order`, the last column unique (the id)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if page.after is not None:
        query = query.where(_after(order, page.after, descending=descending))
    ordering = [column.desc() if descending else column.asc() for column in order]
    rows = list(session.scalars(query.order_by(*ordering).limit(page.limit + 1)))
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_key = tuple(key_text(getattr(rows[-1], column.key)) for column in order) if more else None
    return Page(rows=rows, total=int(total or 0), next_key=next_key)


def sequence_page(
    items: Sequence[R],
    *,
    key: Callable[[R], tuple[Any, ...]],
    page: PageRequest,
    descending: bool = False,
) -> Page[R]:
    """One page of rows already in memory, ordered by `key` (its last part unique)."""

    def text_key(item: R) -> SortKey:
        return tuple(key_text(part) for part in key(item))

    ordered = sorted(items, key=text_key, reverse=descending)
    if page.after is not None:
        after = page.after
        if ordered and len(after) != len(text_key(ordered[0])):
            raise ValidationFailed("the cursor is not one this list handed out")
        ordered = [
            item
            for item in ordered
            if (text_key(item) < after if descending else text_key(item) > after)
        ]
    rows = ordered[: page.limit]
    more = len(ordered) > page.limit
    return Page(rows=rows, total=len(items), next_key=text_key(rows[-1]) if more else None)
