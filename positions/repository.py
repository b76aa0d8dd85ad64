"""What the group view and the ladder read, each through the owning package's repository.

This module owns no query of its own: accounts and entities come from `treasury.accounts`,
balances, reservations and movements from `treasury.ledger`, held transfers from
`treasury.payments`, rates and parameters from `treasury.refdata`, pools from `pooling` and the
hedge book from `hedging`. It turns their rows into this package's values.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy.orm import Session

from compliance import repository as compliance_repository
from hedging import repository as hedging_repository
from hedging.repository import HedgeValue
from hedging.staleness import business_days_between
from pooling.service import sweeps as pool_sweeps
from pooling.service import views as pool_views
from pooling.service.views import Positions
from positions.model import CNY, AccountPosition, Flow, FlowSource, RateUsed
from treasury.accounts import repository as accounts_repository
from treasury.calendars import BusinessCalendars
from treasury.errors import TreasuryError
from treasury.ledger import repository as ledger_repository
from treasury.money import Money, round_money
from treasury.payments import repository as payments_repository
from treasury.payments.model import Transfer
from treasury.refdata import cache as refdata_cache

MAX_RATE_AGE_PARAMETER = "positions.reference_rate_max_age_business_days"
DEFAULT_MAX_RATE_AGE = 1
SWEEP_CALENDAR = "CN_IB"


def account_positions(session: Session, tenant_id: str, as_of: date) -> Iterator[AccountPosition]:
    """Every bank account of the tenant: balance by value date `as_of`, held now (streamed:
    ten thousand accounts kept as objects at once make the garbage collector's work the cost)."""
    balances = ledger_repository.bank_balances(session, tenant_id, as_of)
    for account_id, entity_id, code, name, country, bic in accounts_repository.bank_account_labels(
        session, tenant_id
    ):
        currency, running, reserved = balances[account_id]
        yield AccountPosition(
            account_id=account_id,
            entity_id=entity_id,
            entity_code=code,
            entity_name=name,
            country=country,
            bank_bic=bic,
            currency=currency,
            balance_minor=running,
            held_minor=reserved,
        )


def max_rate_age(session: Session, on: date) -> int:
    """The reference-rate age limit in force (China interbank business days)."""
    found = refdata_cache.snapshot(session).parameters_in_force(on).get(MAX_RATE_AGE_PARAMETER)
    return DEFAULT_MAX_RATE_AGE if found is None else int(found.decimal())


def rates_to_cny(session: Session, currencies: Iterable[str], on: date) -> dict[str, RateUsed]:
    """The latest reference rate on or before `on` of each currency against CNY (`XXXCNY`, else
    the inverse of `CNYXXX`), flagged stale beyond the age limit; absent when none is loaded."""
    snapshot = refdata_cache.snapshot(session)
    limit = max_rate_age(session, on)
    found: dict[str, RateUsed] = {}
    for currency in sorted(set(currencies) - {CNY}):
        direct = snapshot.rate_on(f"{currency}{CNY}", on)
        inverse = None if direct is not None else snapshot.rate_on(f"{CNY}{currency}", on)
        if direct is not None:
            pair, rate, rate_date = direct.pair, direct.rate, direct.rate_date
        elif inverse is not None and inverse.rate != 0:
            pair, rate, rate_date = inverse.pair, 1 / inverse.rate, inverse.rate_date
        else:
            continue
        stale = business_days_between(rate_date, on) > limit
        found[currency] = RateUsed(currency, pair, rate, rate_date, stale)
    return found


# The ladder's flows ---------------------------------------------------------------------------


def booked_flows(session: Session, tenant_id: str, first: date, last: date) -> list[Flow]:
    """Ledger movements on the tenant's bank accounts valued within the window."""
    return [
        Flow(day, currency, inflow, outflow, FlowSource.BOOKED)
        for currency, day, inflow, outflow in ledger_repository.bank_flows_between(
            session, tenant_id, first, last
        )
    ]


def held_flows(session: Session, tenant_id: str, own_accounts: Container[str]) -> list[Flow]:
    """Held transfers: out of the debtor account and, between the group's own accounts, into
    the creditor account, on their value date."""
    flows = []
    for held in payments_repository.held_amounts(session, tenant_id):
        day = held.value_date
        flows.append(Flow(day, held.currency, 0, held.amount_minor, FlowSource.HELD))
        if held.creditor_account_id is not None and held.creditor_account_id in own_accounts:
            received = held.creditor_amount_minor
            currency = held.creditor_currency
            if received is None or currency is None:
                received, currency = held.amount_minor, held.currency
            flows.append(Flow(day, currency, received, 0, FlowSource.HELD))
    return flows


def sweep_flows(
    session: Session,
    tenant_id: str,
    days: Sequence[date],
    today_: date,
    calendars: BusinessCalendars,
) -> list[Flow]:
    """For each pool, the legs its next sweep in the window would post now (the first China
    interbank business day from today on; later runs depend on balances not yet known)."""
    run_date = _first_business_day(calendars, [day for day in days if day >= today_])
    if run_date is None:
        return []
    flows = []
    for pool in pool_views.tenant_pools(session, tenant_id):
        try:
            value_date, legs = pool_sweeps.planned_legs(session, pool, run_date, today_, calendars)
        except TreasuryError:
            continue  # e.g. a run already made for the date: nothing more to forecast
        for leg in legs:
            if not leg.moves:
                continue
            into_master = leg.position_change > 0
            out_of_member = Flow(value_date, pool.currency, 0, leg.amount_minor, FlowSource.SWEEP)
            into_member = Flow(value_date, pool.currency, leg.amount_minor, 0, FlowSource.SWEEP)
            flows.append(out_of_member if into_master else into_member)
            flows.append(into_member if into_master else out_of_member)
    return flows


def _first_business_day(calendars: BusinessCalendars, days: Sequence[date]) -> date | None:
    for day in days:
        try:
            if calendars.is_business_day(SWEEP_CALENDAR, day):
                return day
        except TreasuryError:
            return None  # past the loaded calendar
    return None


def hedge_values(session: Session, tenant_id: str, on: date) -> list[HedgeValue]:
    """Live hedges with their latest valuations on or before `on`."""
    return hedging_repository.live_hedge_values(session, tenant_id, on)


def hedge_flows(hedges: Iterable[HedgeValue], first: date, last: date) -> list[Flow]:
    """Hedges maturing in the window: a gross-settled forward delivers both currencies at the
    strike; any other deal settles its latest value (net) in its valuation currency."""
    flows: list[Flow] = []
    for hedge in hedges:
        if not first <= hedge.last_date <= last:
            continue
        if hedge.delivery_account_id is not None and hedge.strike is not None:
            flows.extend(_delivery(hedge))
        elif hedge.npv_minor is not None and hedge.currency is not None:
            value = int(hedge.npv_minor)
            flows.append(
                Flow(
                    hedge.last_date,
                    hedge.currency,
                    max(value, 0),
                    max(-value, 0),
                    FlowSource.HEDGE,
                )
            )
    return flows


def expected_receipt_flows(session: Session, tenant_id: str, first: date, last: date) -> list[Flow]:
    """Net hedge gains expected from the dealing banks and not yet received: inflows on the date
    they fell due (one overdue shows on the window's first day)."""
    return [
        Flow(max(receipt.due_on, first), "CNY", receipt.amount_minor, 0, FlowSource.HEDGE)
        for receipt in hedging_repository.expected_receipts(session, tenant_id)
        if receipt.due_on <= last
    ]


def _delivery(hedge: HedgeValue) -> list[Flow]:
    base = hedge.notional_currency
    quote = hedge.pair[3:] if hedge.pair[:3] == base else hedge.pair[:3]
    notional = Money.from_minor(hedge.notional_minor, base)
    paid = round_money(notional.amount * Decimal(str(hedge.strike)), quote)
    day = hedge.last_date
    if hedge.direction == "sell":  # the base goes out, the quote comes in
        return [
            Flow(day, base, 0, notional.minor, FlowSource.HEDGE),
            Flow(day, quote, paid.minor, 0, FlowSource.HEDGE),
        ]
    return [
        Flow(day, base, notional.minor, 0, FlowSource.HEDGE),
        Flow(day, quote, 0, paid.minor, FlowSource.HEDGE),
    ]


def bank_balances(session: Session, tenant_id: str, as_of: date) -> dict[str, tuple[str, int]]:
    """Each bank account's currency and booked balance at the end of `as_of`."""
    return {
        account_id: (currency, balance)
        for account_id, (currency, balance, _) in ledger_repository.bank_balances(
            session, tenant_id, as_of
        ).items()
    }


def openings(balances: dict[str, tuple[str, int]]) -> dict[str, int]:
    """Booked balances per currency (the ladder's first opening)."""
    totals: dict[str, int] = {}
    for currency, balance in balances.values():
        totals[currency] = totals.get(currency, 0) + balance
    return totals


class PoolView(NamedTuple):
    """A pool's name, regime and currency with its positions and quotas."""

    name: str
    regime: str
    currency: str
    positions: Positions


def pool_positions(session: Session, tenant_id: str, as_of: date) -> list[PoolView]:
    """Every pool of the tenant with its positions and quotas as of `as_of`."""
    return [
        PoolView(
            pool.name, pool.regime, pool.currency, pool_views.positions_of(session, pool, as_of)
        )
        for pool in pool_views.tenant_pools(session, tenant_id)
    ]


def recent_transfers(
    session: Session, tenant_id: str, created_by_token_id: str | None, limit: int
) -> list[Transfer]:
    """The latest transfers, a token's own when given."""
    return payments_repository.recent_transfers(
        session, tenant_id, created_by_token_id=created_by_token_id, limit=limit
    )


def review_statuses(
    session: Session, transfers: Sequence[Transfer]
) -> dict[str, tuple[str, int, int]]:
    """Status, approvals and approvals required of the transfers' review items, by review id."""
    ids = [t.review_id for t in transfers if t.review_id is not None]
    return compliance_repository.review_statuses(session, ids)
