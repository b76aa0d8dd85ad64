"""Every query of the hedge book: snapshots, exposures, hedges, valuations, revaluation runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from hedging.market_data import snapshot_from_document, snapshot_to_document
from hedging.model import MarketSnapshot
from hedging.tables import (
    ExposureRow,
    HedgeRow,
    MarketSnapshotRow,
    RevaluationRunRow,
    ValuationRow,
)

_VALUATIONS = cast(Table, ValuationRow.__table__)

LIVE = "live"


def add_snapshot(
    session: Session,
    *,
    snapshot_id: str,
    tenant_id: str,
    snapshot: MarketSnapshot,
    source: str,
    created_at: datetime,
) -> None:
    """Store a snapshot (the caller has checked none exists for its date)."""
    session.add(
        MarketSnapshotRow(
            id=snapshot_id,
            tenant_id=tenant_id,
            as_of=snapshot.as_of,
            document_json=json.dumps(snapshot_to_document(snapshot), sort_keys=True),
            source=source[:200],
            created_at=created_at,
        )
    )
    session.flush()


def snapshot_exists(session: Session, tenant_id: str, as_of: date) -> bool:
    """True when the tenant has a snapshot of that date."""
    query = select(MarketSnapshotRow.id).where(
        MarketSnapshotRow.tenant_id == tenant_id, MarketSnapshotRow.as_of == as_of
    )
    return session.scalars(query).first() is not None


def snapshot_on(session: Session, tenant_id: str, as_of: date) -> MarketSnapshot | None:
    """The tenant's snapshot of exactly `as_of`."""
    query = select(MarketSnapshotRow.document_json).where(
        MarketSnapshotRow.tenant_id == tenant_id, MarketSnapshotRow.as_of == as_of
    )
    found = session.scalars(query).first()
    return None if found is None else snapshot_from_document(json.loads(found))


def latest_snapshot(session: Session, tenant_id: str, on: date) -> MarketSnapshot | None:
    """The tenant's latest snapshot on or before `on`."""
    query = (
        select(MarketSnapshotRow.document_json)
        .where(MarketSnapshotRow.tenant_id == tenant_id, MarketSnapshotRow.as_of <= on)
        .order_by(MarketSnapshotRow.as_of.desc())
        .limit(1)
    )
    found = session.scalars(query).first()
    return None if found is None else snapshot_from_document(json.loads(found))


def tenants_with_snapshots(session: Session) -> set[str]:
    """The ids of the tenants that have stored market data."""
    return set(session.scalars(select(MarketSnapshotRow.tenant_id).distinct()))


def snapshot_dates(session: Session, tenant_id: str) -> list[date]:
    """The dates of the tenant's snapshots, newest first."""
    query = (
        select(MarketSnapshotRow.as_of)
        .where(MarketSnapshotRow.tenant_id == tenant_id)
        .order_by(MarketSnapshotRow.as_of.desc())
    )
    return list(session.scalars(query))


def get_exposure(
    session: Session, tenant_id: str, exposure_id: str, *, for_update: bool = False
) -> ExposureRow | None:
    """One of the tenant's exposures (locked when asked: hedges against it are serialised)."""
    row = session.get(ExposureRow, exposure_id, with_for_update=for_update)
    return row if row is not None and row.tenant_id == tenant_id else None


def list_exposures(session: Session, tenant_id: str, entity_id: str | None) -> list[ExposureRow]:
    """The tenant's exposures by expected date."""
    query = select(ExposureRow).where(ExposureRow.tenant_id == tenant_id)
    if entity_id is not None:
        query = query.where(ExposureRow.entity_id == entity_id)
    return list(session.scalars(query.order_by(ExposureRow.expected_date, ExposureRow.id)))


def hedged_minor(session: Session, exposure_ids: Sequence[str]) -> dict[str, int]:
    """Notional of the live and matured hedges per exposure (closed ones no longer count)."""
    if not exposure_ids:
        return {}
    query = (
        select(HedgeRow.exposure_id, func.sum(HedgeRow.notional_minor))
        .where(HedgeRow.exposure_id.in_(exposure_ids), HedgeRow.status != "closed")
        .group_by(HedgeRow.exposure_id)
    )
    return {exposure_id: int(total or 0) for exposure_id, total in session.execute(query).all()}


def get_hedge(
    session: Session, tenant_id: str, hedge_id: str, *, for_update: bool = False
) -> HedgeRow | None:
    """One of the tenant's hedges."""
    row = session.get(HedgeRow, hedge_id, with_for_update=for_update)
    return row if row is not None and row.tenant_id == tenant_id else None


def list_hedges(
    session: Session, tenant_id: str, *, status: str | None, exposure_id: str | None
) -> list[HedgeRow]:
    """The tenant's hedges."""
    query = select(HedgeRow).where(HedgeRow.tenant_id == tenant_id)
    if status is not None:
        query = query.where(HedgeRow.status == status)
    if exposure_id is not None:
        query = query.where(HedgeRow.exposure_id == exposure_id)
    return list(session.scalars(query.order_by(HedgeRow.trade_date, HedgeRow.id)))


class BookRow(NamedTuple):
    """What revaluation reads of a hedge (plain columns, no ORM object, no document); a named
    tuple, since a revaluation makes one per hedge."""

    id: str
    entity_id: str
    exposure_id: str
    last_date: date
    designation: str
    locked_rate: Any
    settlement_account_id: str
    pair: str
    direction: str
    notional_minor: int
    notional_currency: str
    strike: Any
    option_type: str | None
    vanilla: bool
    closed_date: date | None


_BOOK_COLUMNS = (
    HedgeRow.id,
    HedgeRow.entity_id,
    HedgeRow.exposure_id,
    HedgeRow.last_date,
    HedgeRow.designation,
    HedgeRow.locked_rate,
    HedgeRow.settlement_account_id,
    HedgeRow.pair,
    HedgeRow.direction,
    HedgeRow.notional_minor,
    HedgeRow.notional_currency,
    HedgeRow.strike,
    HedgeRow.option_type,
    HedgeRow.vanilla,
    HedgeRow.closed_date,
)


def live_book(session: Session, tenant_id: str, on: date) -> list[BookRow]:
    """Every live hedge traded on or before `on`, in one read."""
    query = select(*_BOOK_COLUMNS).where(
        HedgeRow.tenant_id == tenant_id, HedgeRow.status == LIVE, HedgeRow.trade_date <= on
    )
    rows = session.execute(query.order_by(HedgeRow.id))
    return [BookRow(*cast(tuple[Any, ...], row)) for row in rows]


def instrument_documents(session: Session, hedge_ids: Sequence[str]) -> dict[str, str]:
    """The stored instrument documents of some hedges (JSON text)."""
    found: dict[str, str] = {}
    ids = sorted(set(hedge_ids))
    for start in range(0, len(ids), 5000):
        query = select(HedgeRow.id, HedgeRow.instrument_json).where(
            HedgeRow.id.in_(ids[start : start + 5000])
        )
        found.update({row[0]: row[1] for row in session.execute(query).all()})
    return found


def exposure_terms(session: Session, exposure_ids: Sequence[str]) -> dict[str, tuple[date, str]]:
    """Expected date and direction of exposures."""
    found: dict[str, tuple[date, str]] = {}
    ids = sorted(set(exposure_ids))
    for start in range(0, len(ids), 5000):
        query = select(ExposureRow.id, ExposureRow.expected_date, ExposureRow.direction).where(
            ExposureRow.id.in_(ids[start : start + 5000])
        )
        found.update({row[0]: (row[1], row[2]) for row in session.execute(query).all()})
    return found


def closed_between(
    session: Session, tenant_id: str, after: date | None, until: date
) -> list[BookRow]:
    """Hedges closed early after `after` (exclusive) and up to `until`: to settle."""
    query = select(*_BOOK_COLUMNS).where(
        HedgeRow.tenant_id == tenant_id,
        HedgeRow.status == "closed",
        HedgeRow.closed_date <= until,
    )
    if after is not None:
        query = query.where(HedgeRow.closed_date > after)
    rows = session.execute(query.order_by(HedgeRow.id))
    return [BookRow(*cast(tuple[Any, ...], row)) for row in rows]


class PremiumDue(NamedTuple):
    """A premium the revaluation takes into its deal's value."""

    hedge_id: str
    minor: int
    currency: str
    direction: str
    account_id: str


def premiums_due(session: Session, tenant_id: str, on: date) -> dict[str, PremiumDue]:
    """The live (or closed-out) hedges' premiums dated on or before `on` not yet in their deals'
    value: paid ones whose transfer is booked, received ones expected."""
    query = select(
        HedgeRow.id,
        HedgeRow.premium_minor,
        HedgeRow.premium_currency,
        HedgeRow.premium_direction,
        HedgeRow.premium_account_id,
    ).where(
        HedgeRow.tenant_id == tenant_id,
        HedgeRow.status.in_((LIVE, "closed")),
        HedgeRow.premium_status.in_(("booked", "expected")),
        HedgeRow.premium_recognised_on.is_(None),
        HedgeRow.premium_date <= on,
    )
    return {
        row[0]: PremiumDue(*cast(tuple[str, int, str, str, str], tuple(row)))
        for row in session.execute(query).all()
    }


def premiums_recognised(session: Session, hedge_ids: Sequence[str], on: date) -> None:
    """The premiums of some hedges are now in their deals' value (a received one received)."""
    ids = list(hedge_ids)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        session.execute(
            update(HedgeRow).where(HedgeRow.id.in_(chunk)).values(premium_recognised_on=on)
        )
        session.execute(
            update(HedgeRow)
            .where(HedgeRow.id.in_(chunk), HedgeRow.premium_status == "expected")
            .values(premium_status="received")
        )


class ExpectedReceipt(NamedTuple):
    """A net gain expected from a hedge's dealing bank: when, into which account, how much."""

    hedge_id: str
    due_on: date
    account_id: str
    amount_minor: int


def expected_receipts(session: Session, tenant_id: str) -> list[ExpectedReceipt]:
    """The tenant's hedge gains expected from their dealing banks, not yet received (CNY): at a
    net deal's end, or a net swap's near leg."""
    near = select(HedgeRow.id, HedgeRow.settlement_account_id).where(
        HedgeRow.tenant_id == tenant_id, HedgeRow.near_status == "expected"
    )
    found: list[ExpectedReceipt] = []
    for hedge_id, account in session.execute(near).all():
        settled = near_leg_settled(session, hedge_id)
        if settled is not None:
            found.append(ExpectedReceipt(hedge_id, settled[0], account, settled[1]))
    query = (
        select(
            HedgeRow.id, HedgeRow.settled_on, HedgeRow.settlement_account_id, HedgeRow.settled_minor
        )
        .where(HedgeRow.tenant_id == tenant_id, HedgeRow.delivery_status == "expected")
        .order_by(HedgeRow.settled_on, HedgeRow.id)
    )
    return found + [
        ExpectedReceipt(*cast(tuple[str, date, str, int], tuple(row)))
        for row in session.execute(query).all()
    ]


def record_near_leg(
    session: Session, hedge_id: str, *, transfer_id: str | None, status: str
) -> None:
    """Keep a swap's near-leg transfer and where it stands (booked, held; expected without a
    transfer: a gain the dealing bank owes) on the hedge."""
    session.execute(
        update(HedgeRow)
        .where(HedgeRow.id == hedge_id)
        .values(near_transfer_id=transfer_id, near_status=status)
    )


def near_leg_settlement(session: Session, hedge_id: str) -> int | None:
    """The value a live swap's near leg settled (its valuation's `settlement`), if any."""
    found = near_leg_settled(session, hedge_id)
    return None if found is None else found[1]


def near_leg_settled(session: Session, hedge_id: str) -> tuple[date, int] | None:
    """When a swap's near leg settled (its first valuation with a `settlement`) and its value."""
    query = (
        select(ValuationRow.as_of, ValuationRow.settlement_minor)
        .where(ValuationRow.hedge_id == hedge_id, ValuationRow.settlement_minor.is_not(None))
        .order_by(ValuationRow.as_of)
    )
    found = session.execute(query).first()
    return None if found is None else (found[0], int(found[1] or 0))


def unsettle_near_leg(session: Session, hedge_id: str, settled: int) -> None:
    """A near leg's settlement undone: its valuation keeps the value instead of the cash, and the
    latest valuation carries it again (the ledger's derivative account holds it again)."""
    dated = session.scalars(
        select(ValuationRow)
        .where(ValuationRow.hedge_id == hedge_id, ValuationRow.settlement_minor.is_not(None))
        .order_by(ValuationRow.as_of.desc())
    ).first()
    latest = session.scalars(
        select(ValuationRow)
        .where(ValuationRow.hedge_id == hedge_id)
        .order_by(ValuationRow.as_of.desc())
    ).first()
    assert dated is not None
    assert latest is not None
    dated.settlement_minor = None
    dated.npv_minor += settled
    if latest.id != dated.id:
        latest.npv_minor += settled
    session.flush()


def mark_hedges(session: Session, hedge_ids: Sequence[str], *, status: str, on: date) -> None:
    """Set the status (matured) of hedges."""
    for start in range(0, len(hedge_ids), 5000):
        session.execute(
            update(HedgeRow)
            .where(HedgeRow.id.in_(hedge_ids[start : start + 5000]))
            .values(status=status, closed_date=on)
        )


def get_run(session: Session, tenant_id: str, as_of: date) -> RevaluationRunRow | None:
    """The tenant's revaluation run of a date."""
    query = select(RevaluationRunRow).where(
        RevaluationRunRow.tenant_id == tenant_id, RevaluationRunRow.as_of == as_of
    )
    return session.scalars(query).first()


def latest_run(session: Session, tenant_id: str) -> RevaluationRunRow | None:
    """The tenant's most recent revaluation run."""
    query = (
        select(RevaluationRunRow)
        .where(RevaluationRunRow.tenant_id == tenant_id)
        .order_by(RevaluationRunRow.as_of.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def carried_values(session: Session, tenant_id: str, before: date) -> dict[str, int]:
    """Each hedge's value in its latest valuation before `before` (what the ledger carries)."""
    last = (
        select(ValuationRow.hedge_id, func.max(ValuationRow.as_of).label("as_of"))
        .where(ValuationRow.tenant_id == tenant_id, ValuationRow.as_of < before)
        .group_by(ValuationRow.hedge_id)
        .subquery()
    )
    query = select(ValuationRow.hedge_id, ValuationRow.npv_minor).join(
        last, (last.c.hedge_id == ValuationRow.hedge_id) & (last.c.as_of == ValuationRow.as_of)
    )
    return {hedge_id: int(npv) for hedge_id, npv in session.execute(query).all()}


_VALUATION_COLUMNS = (
    "tenant_id",
    "hedge_id",
    "run_id",
    "as_of",
    "npv_minor",
    "currency",
    "forward_rate",
    "hypothetical_npv_minor",
    "settlement_minor",
)


def add_valuations(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert valuations straight through the driver's executemany, in batches (a revaluation
    writes one row per hedge; the ORM's per-row parameter processing would dominate the run)."""
    connection = session.connection()
    values = [tuple(row[column] for column in _VALUATION_COLUMNS) for row in rows]
    if connection.dialect.name == "postgresql":
        # COPY on the unit of work's own connection: same transaction, a fraction of the time.
        driver = connection.connection.driver_connection
        assert driver is not None
        columns = ", ".join(_VALUATION_COLUMNS)
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {_VALUATIONS.name} ({columns}) FROM STDIN") as copy,
        ):
            for value in values:
                copy.write_row(value)
        return
    marker = "?"
    statement = (
        f"INSERT INTO {_VALUATIONS.name} ({', '.join(_VALUATION_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(_VALUATION_COLUMNS))})"
    )
    for start in range(0, len(values), 10000):
        connection.exec_driver_sql(statement, values[start : start + 10000])


def valuation_history(session: Session, hedge_id: str) -> list[ValuationRow]:
    """A hedge's stored valuations, oldest first."""
    query = select(ValuationRow).where(ValuationRow.hedge_id == hedge_id)
    return list(session.scalars(query.order_by(ValuationRow.as_of)))


def valuation_on(session: Session, hedge_id: str, as_of: date) -> ValuationRow | None:
    """A hedge's stored valuation of a date."""
    query = select(ValuationRow).where(
        ValuationRow.hedge_id == hedge_id, ValuationRow.as_of == as_of
    )
    return session.scalars(query).first()


def accounting_rows(
    session: Session, tenant_id: str, entity_id: str, until: date
) -> list[tuple[HedgeRow, list[ValuationRow]]]:
    """The entity's hedges with their valuations up to `until`, oldest first (hedges without
    any are left out)."""
    hedges = {
        row.id: row
        for row in session.scalars(
            select(HedgeRow).where(HedgeRow.tenant_id == tenant_id, HedgeRow.entity_id == entity_id)
        )
    }
    if not hedges:
        return []
    query = (
        select(ValuationRow)
        .where(
            ValuationRow.tenant_id == tenant_id,
            ValuationRow.hedge_id.in_(list(hedges)),
            ValuationRow.as_of <= until,
        )
        .order_by(ValuationRow.hedge_id, ValuationRow.as_of)
    )
    found: dict[str, list[ValuationRow]] = {}
    for valuation in session.scalars(query):
        found.setdefault(valuation.hedge_id, []).append(valuation)
    return [(hedges[key], found[key]) for key in sorted(found)]


def near_legs_settled(session: Session, hedge_ids: Sequence[str]) -> dict[str, tuple[date, bool]]:
    """Of some swaps: the trade date, and whether a settlement (the near leg's) is stored."""
    if not hedge_ids:
        return {}
    settled = set(
        session.scalars(
            select(ValuationRow.hedge_id).where(
                ValuationRow.hedge_id.in_(list(hedge_ids)),
                ValuationRow.settlement_minor.is_not(None),
            )
        )
    )
    query = select(HedgeRow.id, HedgeRow.trade_date).where(HedgeRow.id.in_(list(hedge_ids)))
    return {row[0]: (row[1], row[0] in settled) for row in session.execute(query).all()}


def undelivered_minor(session: Session, exposure_id: str, *, excluding: str) -> int:
    """What remains of an exposure after the gross deliveries made or held for review against it
    by its other deals."""
    exposure = session.get(ExposureRow, exposure_id)
    assert exposure is not None
    delivered = session.scalar(
        select(func.coalesce(func.sum(HedgeRow.delivered_minor), 0)).where(
            HedgeRow.exposure_id == exposure_id,
            HedgeRow.delivery_status.in_(("held", "delivered")),
            HedgeRow.id != excluding,
        )
    )
    return int(exposure.amount_minor) - int(delivered or 0)


def record_delivery(
    session: Session,
    hedge_id: str,
    *,
    transfer_id: str | None,
    status: str,
    delivered_minor: int,
    settled_minor: int | None = None,
    settled_on: date | None = None,
) -> None:
    """Keep a gross settlement's transfer, where it stands and what it delivered on the hedge."""
    values: dict[str, Any] = {
        "delivery_transfer_id": transfer_id,
        "delivery_status": status,
        "delivered_minor": delivered_minor,
    }
    if settled_on is not None:
        values.update(settled_minor=settled_minor, settled_on=settled_on)
    if status == "held":
        values["status"] = "held"
    session.execute(update(HedgeRow).where(HedgeRow.id == hedge_id).values(**values))


def designated_history(
    session: Session, hedge_ids: Sequence[str], before: date
) -> dict[str, tuple[int, int | None]]:
    """Of designated hedges, from their valuations before `before`: the cash their settlements
    paid (a swap's near leg) and their hedged item's latest known value."""
    if not hedge_ids:
        return {}
    ids = sorted(set(hedge_ids))
    paid: dict[str, int] = {}
    items: dict[str, int | None] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        query = (
            select(
                ValuationRow.hedge_id,
                ValuationRow.settlement_minor,
                ValuationRow.hypothetical_npv_minor,
            )
            .where(ValuationRow.hedge_id.in_(chunk), ValuationRow.as_of < before)
            .order_by(ValuationRow.hedge_id, ValuationRow.as_of)
        )
        for hedge_id, settled, item in session.execute(query).all():
            paid[hedge_id] = paid.get(hedge_id, 0) + int(settled or 0)
            if item is not None:
                items[hedge_id] = int(item)
    return {key: (paid.get(key, 0), items.get(key)) for key in ids}


def settle_valuation(session: Session, hedge_id: str, as_of: date, settled: int) -> None:
    """A held delivery settled: its valuation of `as_of` records the cash instead of a value."""
    session.execute(
        update(ValuationRow)
        .where(ValuationRow.hedge_id == hedge_id, ValuationRow.as_of == as_of)
        .values(npv_minor=0, settlement_minor=settled)
    )


class HedgeValue(NamedTuple):
    """A live hedge's latest valuation on or before a date, with what settles it and when."""

    hedge_id: str
    entity_id: str
    pair: str
    direction: str
    last_date: date
    notional_minor: int
    notional_currency: str
    strike: Any
    settlement_account_id: str
    delivery_account_id: str | None
    value_as_of: date | None
    npv_minor: int | None
    currency: str | None


def live_hedge_values(session: Session, tenant_id: str, on: date) -> list[HedgeValue]:
    """Every live hedge traded on or before `on`, with its latest valuation on or before `on`."""
    last = (
        select(ValuationRow.hedge_id, func.max(ValuationRow.as_of).label("as_of"))
        .where(ValuationRow.tenant_id == tenant_id, ValuationRow.as_of <= on)
        .group_by(ValuationRow.hedge_id)
        .subquery()
    )
    latest = (
        select(
            ValuationRow.hedge_id,
            ValuationRow.as_of,
            ValuationRow.npv_minor,
            ValuationRow.currency,
        )
        .join(
            last,
            (last.c.hedge_id == ValuationRow.hedge_id) & (last.c.as_of == ValuationRow.as_of),
        )
        .subquery()
    )
    query = (
        select(
            HedgeRow.id,
            HedgeRow.entity_id,
            HedgeRow.pair,
            HedgeRow.direction,
            HedgeRow.last_date,
            HedgeRow.notional_minor,
            HedgeRow.notional_currency,
            HedgeRow.strike,
            HedgeRow.settlement_account_id,
            HedgeRow.delivery_account_id,
            latest.c.as_of,
            latest.c.npv_minor,
            latest.c.currency,
        )
        .outerjoin(latest, latest.c.hedge_id == HedgeRow.id)
        .where(HedgeRow.tenant_id == tenant_id, HedgeRow.status == LIVE, HedgeRow.trade_date <= on)
        .order_by(HedgeRow.id)
    )
    return [HedgeValue(*cast(tuple[Any, ...], row)) for row in session.execute(query)]
