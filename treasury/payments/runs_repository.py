"""Queries for payment runs and their items (the transfers they became are read with them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from treasury.payments.tables import PaymentRunItemRow, PaymentRunRow, TransferRow

_ITEMS = cast(Table, PaymentRunItemRow.__table__)
_INSERT_ITEMS = insert(_ITEMS)
_CHUNK = 1000


def add_run(session: Session, row: PaymentRunRow) -> None:
    """A new run (flushed, so its items can point at it)."""
    session.add(row)
    session.flush()


def add_items(session: Session, items: Sequence[dict[str, object]]) -> None:
    """A run's items, in bulk (Core inserts on the unit of work's connection)."""
    connection = session.connection()
    for start in range(0, len(items), _CHUNK):
        connection.execute(_INSERT_ITEMS, list(items[start : start + _CHUNK]))


def get_run(session: Session, tenant_id: str, run_id: str) -> PaymentRunRow | None:
    """One of the tenant's runs."""
    row = session.get(PaymentRunRow, run_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def items_with_transfers(
    session: Session, run_id: str
) -> list[tuple[PaymentRunItemRow, TransferRow | None]]:
    """A run's items in input order, each with the transfer it became (None: an error)."""
    query = (
        select(PaymentRunItemRow, TransferRow)
        .outerjoin(TransferRow, TransferRow.id == PaymentRunItemRow.transfer_id)
        .where(PaymentRunItemRow.run_id == run_id)
        .order_by(PaymentRunItemRow.position)
    )
    return [(row[0], row[1]) for row in session.execute(query)]
