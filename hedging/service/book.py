"""The hedge book's use cases: exposures, hedges under the real-demand rule, early close-out, and
the hedge-ratio report against each entity's policy.

Rules (regulation.md §7): a hedge beyond the exposure's unhedged amount is refused
(REAL_DEMAND_EXCEEDED); an early close-out needs a change-of-underlying reference; a net-settled
onshore deal settles in CNY. The book holds deals against CNY (or CNH): their values are CNY.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hedging import pricing, repository
from hedging.instruments import (
    instrument_from_document,
    instrument_kind,
    instrument_to_document,
    pricing_columns,
)
from hedging.model import (
    Combination,
    Direction,
    Forward,
    Instrument,
    KnockOut,
    Ndf,
    Option,
    OptionType,
    Pair,
    Swap,
)
from hedging.requests import locked_for_request
from hedging.service import premiums
from hedging.service.markets import value_dates
from hedging.tables import ExposureRow, HedgeRow
from treasury.accounts import repository as accounts_repository
from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import (
    ChangeOfUnderlyingRequired,
    CloseOutDateOutOfRange,
    Conflict,
    HedgeExposureMismatch,
    InstrumentExpired,
    NotFound,
    OptionCombinationInvalid,
    RealDemandExceeded,
    SettlementAccountMissing,
    SettlementCurrencyNotAllowed,
    SoldOptionRefused,
    ValidationFailed,
)
from treasury.idempotency.requests import IdempotentRequest as IdempotentRequest
from treasury.idempotency.requests import claim_or_replay
from treasury.money import Money
from treasury.tenancy.model import Principal, Role

DESIGNATIONS = frozenset({"cash_flow", "none"})
EXPOSURE_DIRECTIONS = frozenset({"receive", "pay"})


@dataclass(frozen=True)
class Exposure:
    """An exposure with what is hedged of it."""

    id: str
    entity_id: str
    pair: str
    direction: str
    amount: Money
    expected_date: date
    description: str
    hedged: Money
    unhedged: Money


@dataclass(frozen=True)
class Hedge:
    """A hedge deal as stored."""

    id: str
    entity_id: str
    exposure_id: str
    trade_date: date
    instrument: dict[str, Any]
    designation: str
    locked_rate: Decimal | None
    status: str
    closed_date: date | None
    change_of_underlying_ref: str | None
    settlement_account_id: str
    delivery_account_id: str | None = None
    delivery: Delivery | None = None
    counterparty_id: str | None = None
    premium: premiums.Premium | None = None
    near_leg: NearLeg | None = None


@dataclass(frozen=True)
class NearLeg:
    """A swap's near leg paid through the pipeline (booked, held for the officers, decided by
    them), or a gain expected from the dealing bank (no transfer): its transfer and status."""

    transfer_id: str | None
    status: str


@dataclass(frozen=True)
class Delivery:
    """A gross deal's settlement: its transfer, where it stands, the base it delivered."""

    transfer_id: str | None
    status: str
    delivered: Money | None
    # A gain expected from the dealing bank (or received): how much, and when it fell due.
    expected: Money | None = None
    expected_on: date | None = None


def _exposure(row: ExposureRow, hedged_minor: int) -> Exposure:
    amount = Money.from_minor(row.amount_minor, row.currency)
    hedged = Money.from_minor(hedged_minor, row.currency)
    return Exposure(
        id=row.id,
        entity_id=row.entity_id,
        pair=row.pair,
        direction=row.direction,
        amount=amount,
        expected_date=row.expected_date,
        description=row.description,
        hedged=hedged,
        unhedged=amount - hedged,
    )


def to_hedge(row: HedgeRow) -> Hedge:
    """The stored row as a value."""
    return Hedge(
        id=row.id,
        entity_id=row.entity_id,
        exposure_id=row.exposure_id,
        trade_date=row.trade_date,
        instrument=json.loads(row.instrument_json),
        designation=row.designation,
        locked_rate=row.locked_rate,
        status=row.status,
        closed_date=row.closed_date,
        change_of_underlying_ref=row.change_of_underlying_ref,
        settlement_account_id=row.settlement_account_id,
        delivery_account_id=row.delivery_account_id,
        counterparty_id=row.counterparty_id,
        premium=premiums.of(row),
        near_leg=None
        if row.near_status is None
        else NearLeg(row.near_transfer_id, row.near_status),
        delivery=None
        if row.delivery_status is None
        else Delivery(
            row.delivery_transfer_id,
            row.delivery_status,
            None
            if row.delivered_minor is None
            else Money.from_minor(row.delivered_minor, row.notional_currency),
            *_expected(row),
        ),
    )


def _expected(row: HedgeRow) -> tuple[Money | None, date | None]:
    """A receipt expected from (or received from) the dealing bank: its amount and due date."""
    if row.delivery_status not in {"expected", "received"} or row.settled_minor is None:
        return None, None
    return Money.from_minor(row.settled_minor, "CNY"), row.settled_on


def create_exposure(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    entity_id: str,
    pair: str,
    direction: str,
    amount: Money,
    expected_date: date,
    description: str,
    actor: str,
) -> Exposure:
    """Record a documented exposure (an expected receipt or payment of the pair's base)."""
    parsed = Pair.parse(pair)
    if direction not in EXPOSURE_DIRECTIONS:
        raise ValidationFailed("direction is receive or pay", field="direction")
    if amount.currency.code != parsed.ledger_base or not amount.is_positive():
        raise ValidationFailed(
            f"the amount is a positive sum of {parsed.base}, the pair's base", field="amount"
        )
    with uow:
        if accounts_repository.get_entity_row(uow.session, tenant_id, entity_id) is None:
            raise NotFound(f"entity {entity_id} not found")
        row = ExposureRow(
            id=new_id(),
            tenant_id=tenant_id,
            entity_id=entity_id,
            pair=parsed.code,
            direction=direction,
            amount_minor=amount.minor,
            currency=amount.currency.code,
            expected_date=expected_date,
            description=description,
            created_at=uow.clock.now(),
        )
        uow.session.add(row)
        uow.session.flush()
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="exposure.created",
            object_type="exposure",
            object_id=row.id,
            after={"pair": row.pair, "direction": direction, "amount": str(amount)},
        )
        uow.commit()
        return _exposure(row, 0)


def get_exposure(uow: UnitOfWork, *, tenant_id: str, exposure_id: str) -> Exposure:
    """One exposure with its hedged amount."""
    with uow:
        row = repository.get_exposure(uow.session, tenant_id, exposure_id)
        if row is None:
            raise NotFound(f"exposure {exposure_id} not found")
        return _exposure(row, repository.hedged_minor(uow.session, [row.id]).get(row.id, 0))


def list_exposures(uow: UnitOfWork, *, tenant_id: str, entity_id: str | None) -> list[Exposure]:
    """The tenant's exposures with their hedged amounts."""
    with uow:
        rows = repository.list_exposures(uow.session, tenant_id, entity_id)
        hedged = repository.hedged_minor(uow.session, [row.id for row in rows])
        return [_exposure(row, hedged.get(row.id, 0)) for row in rows]


@dataclass(frozen=True)
class HedgeRequest:
    """A hedge to book against an exposure."""

    entity_id: str
    exposure_id: str
    trade_date: date
    instrument: dict[str, Any]
    designation: str = "none"
    settlement_account_id: str | None = None
    delivery_account_id: str | None = None
    counterparty_id: str | None = None
    premium: premiums.PremiumRequest | None = None


IDEMPOTENCY_SCOPE = "hedges"


def create_hedge(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    request: HedgeRequest,
    actor: str,
    idempotency: IdempotentRequest | None = None,
    principal: Principal | None = None,
) -> tuple[Hedge, bool]:
    """Book a hedge within the exposure's unhedged amount (the exposure row is locked, so two
    hedges racing for the same headroom cannot both pass). Returns it with whether it replays an
    earlier request with the same Idempotency-Key (which writes nothing).

    Raises:
        NotFound: the entity, exposure or settlement account is not the tenant's.
        RealDemandExceeded: the notional exceeds the unhedged amount.
        HedgeExposureMismatch: a pair, direction or option type that does not hedge the
            exposure (or a knock-out).
        SettlementCurrencyNotAllowed: an onshore NDF settling in another currency than CNY.
        SettlementAccountMissing: no bank account to settle the deal in.
        InstrumentExpired: the instrument ends on or before the trade date.
        ValidationFailed: a premium that does not fit the deal (see `premiums.check`).

    A premium is paid through the payment pipeline in the same unit of work (its refusals, say
    no route, refuse the booking; its outcome — booked, held, rejected — is the hedge's
    `premium.status`); `principal` is who instructs it (the system without one).
    """
    instrument = instrument_from_document(request.instrument)
    if request.premium is not None:
        premiums.check(instrument, request.premium, counterparty_id=request.counterparty_id)
    if request.designation not in DESIGNATIONS:
        raise ValidationFailed("designation is cash_flow or none", field="designation")
    if instrument.last_date <= request.trade_date:
        raise InstrumentExpired(f"the instrument ends on {instrument.last_date}")
    for part in instrument.legs if isinstance(instrument, Combination) else (instrument,):
        for field in dataclasses.fields(part):
            _check_priceable(getattr(part, field.name), field.name)
    hedge_id = new_id()
    with uow:
        if idempotency is not None:
            prior = claim_or_replay(
                uow,
                idempotency,
                tenant_id=tenant_id,
                scope=IDEMPOTENCY_SCOPE,
                result_id=hedge_id,
                response_status=201,
            )
            if prior is not None:
                found = repository.get_hedge(uow.session, tenant_id, prior)
                if found is None:
                    raise NotFound(f"hedge {prior} not found")
                return to_hedge(found), True
        payer = principal or Principal("system-hedging", tenant_id, Role.TREASURER, actor)
        hedge = _book(uow, tenant_id, request, instrument, actor=payer, hedge_id=hedge_id)
        uow.commit()
        return hedge, False


def _book(
    uow: UnitOfWork,
    tenant_id: str,
    request: HedgeRequest,
    instrument: Instrument,
    *,
    actor: Principal,
    hedge_id: str,
) -> Hedge:
    """Check real demand under the exposure's row lock and write the hedge (no commit)."""
    session = uow.session
    exposure = repository.get_exposure(session, tenant_id, request.exposure_id, for_update=True)
    if exposure is None or exposure.entity_id != request.entity_id:
        raise NotFound(f"exposure {request.exposure_id} not found for this entity")
    if request.designation == "cash_flow":
        _check_priceable(exposure.expected_date, "expected_date")
    entity = accounts_repository.get_entity_row(session, tenant_id, request.entity_id)
    assert entity is not None
    _check_hedges(instrument, exposure, onshore=entity.country == "CN")
    hedged = repository.hedged_minor(session, [exposure.id]).get(exposure.id, 0)
    unhedged = exposure.amount_minor - hedged
    delivery = _real_demand(instrument)
    if delivery.minor > unhedged:
        raise RealDemandExceeded(
            f"{'maximum delivery' if isinstance(instrument, Combination) else 'notional'} "
            f"{delivery} exceeds the exposure's unhedged "
            f"{Money.from_minor(unhedged, exposure.currency)}",
            unhedged=Money.from_minor(unhedged, exposure.currency).to_wire(),
        )
    account_id = _settlement_account(uow, tenant_id, request)
    if request.counterparty_id is not None and (
        accounts_repository.get_counterparty_row(session, tenant_id, request.counterparty_id)
        is None
    ):
        raise NotFound(f"counterparty {request.counterparty_id} not found")
    instrument, delivery_account = _delivery(uow, tenant_id, request, instrument, entity.country)
    row = HedgeRow(
        id=hedge_id,
        tenant_id=tenant_id,
        entity_id=request.entity_id,
        exposure_id=exposure.id,
        trade_date=request.trade_date,
        instrument_type=instrument_kind(instrument),
        pair=instrument.pair.code,
        notional_minor=delivery.minor,
        notional_currency=instrument.notional.currency.code,
        instrument_json=json.dumps(instrument_to_document(instrument), sort_keys=True),
        **pricing_columns(instrument),
        last_date=instrument.last_date,
        designation=request.designation,
        locked_rate=_locked_rate(uow, tenant_id, request, instrument, exposure),
        status="live",
        settlement_account_id=account_id,
        delivery_account_id=delivery_account,
        counterparty_id=request.counterparty_id,
        created_at=uow.clock.now(),
    )
    if request.premium is not None:
        _premium(session, tenant_id, row, request.premium, instrument)
    session.add(row)
    session.flush()
    premiums.instruct(uow, row, actor=actor)
    after: dict[str, Any] = {
        "exposure_id": exposure.id,
        "instrument": instrument_to_document(instrument),
    }
    if row.premium_minor is not None:
        after["premium"] = {
            "amount": str(Money.from_minor(row.premium_minor, row.premium_currency or "CNY")),
            "direction": row.premium_direction,
            "status": row.premium_status,
            "transfer_id": row.premium_transfer_id,
        }
    audit.record(
        uow,
        tenant_id=tenant_id,
        actor=actor.name,
        action="hedge.created",
        object_type="hedge",
        object_id=row.id,
        after=after,
    )
    return to_hedge(row)


def _premium(
    session: Session,
    tenant_id: str,
    row: HedgeRow,
    premium: premiums.PremiumRequest,
    instrument: Instrument,
) -> None:
    """Keep the premium on the hedge: its date (default the spot date) and the account that
    pays or receives it (a zero one needs none)."""
    on = premium.on or premiums.premium_date(session, instrument, row.trade_date)
    if on > instrument.last_date:
        raise ValidationFailed(
            f"the premium is due by the deal's expiry ({instrument.last_date})", field="premium"
        )
    row.premium_minor = premium.amount.minor
    row.premium_currency = premium.amount.currency.code
    row.premium_direction = premium.direction
    row.premium_date = on
    if premium.amount.is_positive():
        row.premium_account_id = premiums.account(
            session,
            tenant_id,
            row.entity_id,
            premium.amount.currency.code,
            settlement_account_id=row.settlement_account_id,
            delivery_account_id=row.delivery_account_id,
        )


def _real_demand(instrument: Instrument) -> Money:
    """What counts against the exposure: the notional, or a combination's maximum delivery."""
    if isinstance(instrument, Combination):
        return instrument.max_delivery
    return instrument.notional


def _check_priceable(value: object, name: str) -> None:
    """A booked deal is priced at every revaluation of the book: a date the pricer cannot handle
    (with a year's margin for spot lags) would stop them all, so it is refused here."""
    if isinstance(value, date) and not (
        pricing.QUANTLIB_FIRST_YEAR < value.year < pricing.QUANTLIB_LAST_YEAR
    ):
        raise ValidationFailed(
            f"{name} {value} lies outside the dates the book can value "
            f"({pricing.QUANTLIB_FIRST_YEAR + 1}-{pricing.QUANTLIB_LAST_YEAR - 1})",
            field=name,
        )


def _check_hedges(instrument: Instrument, exposure: ExposureRow, *, onshore: bool) -> None:
    """The deal must hedge the exposure: same base, CNY quote, the offsetting direction."""
    pair = instrument.pair
    exposure_pair = Pair.parse(exposure.pair)
    if pair.ledger_base != exposure_pair.ledger_base or pair.ledger_quote != "CNY":
        raise HedgeExposureMismatch(
            f"a {pair.code} deal does not hedge a {exposure.pair} exposure (the book holds "
            "deals of the exposure's currency against CNY)",
            field="pair",
        )
    if isinstance(instrument, KnockOut):
        raise HedgeExposureMismatch(
            "knock-out options are priced but not booked as hedges: a knocked-out deal leaves "
            "the exposure open",
            field="type",
        )
    protects = Direction.SELL if exposure.direction == "receive" else Direction.BUY
    if isinstance(instrument, Forward | Ndf) and instrument.direction is not protects:
        raise HedgeExposureMismatch(
            f"a {exposure.direction} exposure is hedged by a {protects.value} deal",
            field="direction",
        )
    if isinstance(instrument, Swap) and instrument.direction is protects:
        raise HedgeExposureMismatch(
            f"a swap hedging a {exposure.direction} exposure must {protects.value} on its far leg",
            field="direction",
        )
    if isinstance(instrument, Option | Combination):
        _check_options(instrument, exposure.direction)
    if (
        isinstance(instrument, Ndf)
        and onshore
        and instrument.settlement_currency
        not in {
            "CNY",
            "CNH",
        }
    ):
        raise SettlementCurrencyNotAllowed(
            "a net-settled deal of an onshore entity settles in CNY",
            field="settlement_currency",
        )


def _check_options(instrument: Option | Combination, exposure_direction: str) -> None:
    """A bought option protects the exposure (a put for a receipt, a call for a payment); a sold
    one is booked only as a combination's other leg, with the same notional (regulation §7)."""
    wanted = OptionType.PUT if exposure_direction == "receive" else OptionType.CALL
    if isinstance(instrument, Option) and instrument.direction is Direction.SELL:
        raise SoldOptionRefused(
            "a sold option is booked only inside a combination with a bought one",
            field="direction",
        )
    bought = instrument.bought if isinstance(instrument, Combination) else instrument
    if bought.option_type is not wanted:
        raise HedgeExposureMismatch(
            f"a {exposure_direction} exposure is hedged by buying a {wanted.value}",
            field="option_type",
        )
    if isinstance(instrument, Combination) and instrument.sold.notional != bought.notional:
        raise OptionCombinationInvalid(
            "a combination booked as a hedge has legs of the same notional (2011 43号)",
            field="legs",
        )


def _settlement_account(uow: UnitOfWork, tenant_id: str, request: HedgeRequest) -> str:
    """The CNY bank account that pays or receives the net settlement (the first one by default)."""
    accounts = accounts_repository.list_bank_accounts(uow.session, tenant_id, request.entity_id)
    cny = [account for account in accounts if account.currency == "CNY"]
    if request.settlement_account_id is not None:
        chosen = [a for a in cny if a.id == request.settlement_account_id]
        if not chosen:
            raise NotFound(
                f"CNY bank account {request.settlement_account_id} of the entity not found"
            )
        return chosen[0].id
    if not cny:
        raise SettlementAccountMissing(
            "the entity has no CNY bank account to settle the hedge", field="entity_id"
        )
    return cny[0].id


def _delivery(
    uow: UnitOfWork, tenant_id: str, request: HedgeRequest, instrument: Instrument, country: str
) -> tuple[Instrument, str | None]:
    """A deliverable deal's settlement decided (a forward, a swap, an option or a combination),
    with the base-currency account a gross one delivers through: asked for, or by default gross
    for an onshore entity with an account in the base currency (its first, or
    `delivery_account_id`), else net.

    Raises:
        SettlementAccountMissing: gross asked for and the entity has no account in the base
            currency.
        NotFound: `delivery_account_id` is not one of those accounts.
    """
    asked = _settlement_of(instrument)
    if asked == "net" or not isinstance(instrument, Forward | Swap | Option | Combination):
        return instrument, None
    base = instrument.pair.ledger_base
    accounts = [
        account
        for account in accounts_repository.list_bank_accounts(
            uow.session, tenant_id, request.entity_id
        )
        if account.currency == base
    ]
    if request.delivery_account_id is not None:
        accounts = [a for a in accounts if a.id == request.delivery_account_id]
        if not accounts:
            raise NotFound(f"{base} bank account {request.delivery_account_id} not found")
    if not accounts:
        if asked == "gross":
            raise SettlementAccountMissing(
                f"a gross-settled deal needs the entity's {base} bank account",
                field="settlement",
            )
        return _settled(instrument, "net"), None
    if asked is None and country != "CN":
        return _settled(instrument, "net"), None
    return _settled(instrument, "gross"), accounts[0].id


def _settlement_of(instrument: Instrument) -> str | None:
    if isinstance(instrument, Combination):
        return instrument.legs[0].settlement
    if isinstance(instrument, Forward | Swap | Option):
        return instrument.settlement
    return None


def _settled(instrument: Instrument, settlement: str) -> Instrument:
    if isinstance(instrument, Combination):
        first, second = instrument.legs
        return Combination(
            (
                dataclasses.replace(first, settlement=settlement),
                dataclasses.replace(second, settlement=settlement),
            )
        )
    assert isinstance(instrument, Forward | Swap | Option)
    return dataclasses.replace(instrument, settlement=settlement)


def _locked_rate(
    uow: UnitOfWork,
    tenant_id: str,
    request: HedgeRequest,
    instrument: Instrument,
    exposure: ExposureRow,
) -> Decimal | None:
    """For a cash-flow designation: the forward to the exposure's date at designation (from the
    latest snapshot on or before the trade date), else the deal's own rate."""
    if request.designation != "cash_flow":
        return None
    snapshot = repository.latest_snapshot(uow.session, tenant_id, request.trade_date)
    if snapshot is not None and instrument.pair.code in snapshot.spots:
        probe = Forward(
            instrument.pair,
            Direction.BUY,
            instrument.notional,
            Decimal(1),
            exposure.expected_date,
        )
        if probe.delivery_date > request.trade_date:
            dates = value_dates(uow.session, request.trade_date)
            return pricing.price(probe, snapshot, snapshot.as_of, dates=dates).forward_rate
    if isinstance(instrument, Swap):
        return instrument.far_rate
    if isinstance(instrument, Combination):
        return instrument.bought.strike
    return instrument.strike


def get_hedge(uow: UnitOfWork, *, tenant_id: str, hedge_id: str) -> Hedge:
    """One hedge."""
    with uow:
        row = repository.get_hedge(uow.session, tenant_id, hedge_id)
        if row is None:
            raise NotFound(f"hedge {hedge_id} not found")
        return to_hedge(row)


def list_hedges(
    uow: UnitOfWork, *, tenant_id: str, status: str | None, exposure_id: str | None
) -> list[Hedge]:
    """The tenant's hedges."""
    with uow:
        rows = repository.list_hedges(
            uow.session, tenant_id, status=status, exposure_id=exposure_id
        )
        return [to_hedge(row) for row in rows]


def close_hedge(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    hedge_id: str,
    on: date,
    change_of_underlying_ref: str | None,
    actor: str,
    idempotency: IdempotentRequest | None = None,
) -> Hedge:
    """Close a live hedge early: the underlying changed, and the reference proves it. The
    exposure's headroom returns; the ledger derecognises the carried value at the next
    revaluation (a closed hedge is valued at zero). A replay of an Idempotency-Key returns the
    hedge and writes nothing.

    Raises:
        ChangeOfUnderlyingRequired: no reference given.
        Conflict: the hedge is not live.
        CloseOutDateOutOfRange: a date before the trade, on/after the deal's end, or not after
            the book's latest revaluation.
    """
    reference = (change_of_underlying_ref or "").strip()
    if not reference:
        raise ChangeOfUnderlyingRequired(
            "an early close-out needs the change-of-underlying document's reference"
        )
    with uow:
        row, replayed = locked_for_request(
            uow, idempotency, tenant_id=tenant_id, hedge_id=hedge_id, scope="hedge_closes"
        )
        if replayed:
            return to_hedge(row)
        if row.status != "live":
            raise Conflict(f"hedge {hedge_id} is {row.status}, not live")
        if not row.trade_date <= on < row.last_date:
            raise CloseOutDateOutOfRange(
                f"a close-out date lies between the trade date {row.trade_date} and "
                f"{row.last_date}",
                field="date",
            )
        latest = repository.latest_run(uow.session, tenant_id)
        if latest is not None and on <= latest.as_of:
            raise CloseOutDateOutOfRange(
                f"the book is revalued up to {latest.as_of}; a close-out is dated after it",
                field="date",
            )
        before = {"status": row.status}
        row.status = "closed"
        row.closed_date = on
        row.change_of_underlying_ref = reference[:200]
        uow.session.flush()
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="hedge.closed",
            object_type="hedge",
            object_id=row.id,
            before=before,
            after={"status": "closed", "date": on.isoformat(), "reference": reference},
        )
        uow.commit()
        return to_hedge(row)
