"""The transfer pipeline's steps, as plain functions inside the caller's unit of work.

assemble → check → route (decide) → screen → (reject | hold | book). The route is decided
before screening so that a payment is judged by the rules in force on the day its money moves
(its route's value date, issue 12). Transfers, review decisions and cash-pool sweep legs all call
these, so there is one path by which money leaves an account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.orm import Session

from treasury.accounts import cache as accounts_cache
from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import BankAccount, Counterparty, LegalEntity, crosses_border
from treasury.db.base import new_id
from treasury.errors import (
    BopCodeRequired,
    CalendarNotLoaded,
    CurrencyMismatch,
    FxQuotePairMismatch,
    FxRateNotApplicable,
    FxRateRequired,
    NotFound,
    RouteUnavailable,
    ValidationFailed,
)
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.money import Money, check_storable, convert
from treasury.payments.model import BOP_CODE_PATTERN, Purpose, TransferRequest
from treasury.settlement import cache as settlement_cache
from treasury.settlement import routing
from treasury.settlement.model import DecisionStatus, RouteDecision, RouteRequest

T = TypeVar("T")


@dataclass(frozen=True)
class Parties:
    """The two sides of a transfer as the group's master data knows them."""

    debtor_account: BankAccount
    debtor_entity: LegalEntity
    creditor_account: BankAccount | None
    creditor_entity: LegalEntity | None
    counterparty: Counterparty | None
    creditor_resident: bool

    @property
    def crosses_border(self) -> bool:
        """Exactly one side is resident."""
        return crosses_border(
            debtor_resident=self.debtor_account.resident, creditor_resident=self.creditor_resident
        )


@dataclass(frozen=True)
class Known:
    """The tenant's master data read already (a payment run reads all its items' in one go): an
    id absent from it is not the tenant's."""

    accounts: Mapping[str, BankAccount]
    entities: Mapping[str, LegalEntity]
    counterparties: Mapping[str, Counterparty]

    @classmethod
    def read(
        cls,
        session: Session,
        tenant_id: str,
        account_ids: Iterable[str],
        counterparty_ids: Iterable[str],
    ) -> Known:
        """These accounts, their entities and these counterparties, in one read each (a 1,000
        ids a read)."""
        accounts: dict[str, BankAccount] = {}
        wanted = sorted(set(account_ids))
        for start in range(0, len(wanted), 1000):
            part = wanted[start : start + 1000]
            accounts.update(accounts_repository.bank_accounts_by_id(session, tenant_id, part))
        entity_ids = {account.entity_id for account in accounts.values()}
        return cls(
            accounts,
            accounts_repository.entities_by_id(session, tenant_id, entity_ids),
            accounts_repository.counterparties_by_id(session, tenant_id, counterparty_ids),
        )


def assemble(
    session: Session, tenant_id: str, request: TransferRequest, known: Known | None = None
) -> Parties:
    """Load both sides of the transfer (another tenant's ids are simply not found), or take them
    from `known`.

    Raises:
        NotFound: an account or counterparty that is not the tenant's.
    """
    if known is not None:
        return _assemble(request, known)
    wanted = [request.debtor_account_id]
    if request.creditor_account_id is not None:
        wanted.append(request.creditor_account_id)
    # The accounts with their entities, kept in process and checked by one read (the hot path).
    accounts, entities = accounts_cache.bank_accounts_with_entities(session, tenant_id, wanted)
    counterparties = {}
    if request.counterparty_id is not None:
        row = accounts_repository.get_counterparty_row(session, tenant_id, request.counterparty_id)
        if row is not None:
            counterparties[row.id] = accounts_repository.to_counterparty(row)
    return _assemble(request, Known(accounts, entities, counterparties))


def _assemble(request: TransferRequest, known: Known) -> Parties:
    """`assemble` from master data read already: the same lookups in the same order."""
    debtor = _found(
        known.accounts.get(request.debtor_account_id), "account", request.debtor_account_id
    )
    creditor_account = None
    if request.creditor_account_id is not None:
        creditor_account = _found(
            known.accounts.get(request.creditor_account_id), "account", request.creditor_account_id
        )
    counterparty = None
    if request.counterparty_id is not None:
        counterparty = _found(
            known.counterparties.get(request.counterparty_id),
            "counterparty",
            request.counterparty_id,
        )
    debtor_entity = _found(known.entities.get(debtor.entity_id), "entity", debtor.entity_id)
    creditor_entity = None
    if creditor_account is not None:
        creditor_entity = _found(
            known.entities.get(creditor_account.entity_id), "entity", creditor_account.entity_id
        )
    return Parties(
        debtor_account=debtor,
        debtor_entity=debtor_entity,
        creditor_account=creditor_account,
        creditor_entity=creditor_entity,
        counterparty=counterparty,
        creditor_resident=_creditor_resident(request, creditor_account, counterparty),
    )


def _found(value: T | None, kind: str, object_id: str) -> T:
    if value is None:
        raise NotFound(f"{kind} {object_id} not found")
    return value


def _creditor_resident(
    request: TransferRequest, account: BankAccount | None, counterparty: Counterparty | None
) -> bool:
    if account is not None:
        return account.resident
    if counterparty is not None:
        return counterparty.resident
    return (request.creditor or {}).get("country") == "CN"


def check(request: TransferRequest, parties: Parties) -> Money | None:
    """Refuse what cannot be a transfer; return the creditor's amount when currencies differ.

    Raises:
        CurrencyMismatch: the amount is not in the debtor account's currency.
        FxRateRequired: an internal creditor account in another currency without a rate.
        FxRateNotApplicable: a rate or quote between accounts of one currency.
        ValidationFailed: the same account on both sides, a missing risk rating for a wealth
            product, a malformed BOP code.
        BopCodeRequired: a transfer crossing the border without a BOP code.
    """
    debtor = parties.debtor_account
    if request.amount.currency.code != debtor.currency:
        raise CurrencyMismatch(
            f"amount in {request.amount.currency}, debtor account {debtor.id} in {debtor.currency}"
        )
    if parties.creditor_account is not None and parties.creditor_account.id == debtor.id:
        raise ValidationFailed("debtor and creditor are the same account")
    _check_purpose_fields(request)
    if parties.crosses_border and request.bop_code is None:
        raise BopCodeRequired("a transfer crossing the border needs a bop_code")
    return _creditor_amount(request, parties)


def _check_purpose_fields(request: TransferRequest) -> None:
    if request.bop_code is not None and not BOP_CODE_PATTERN.match(request.bop_code):
        raise ValidationFailed(f"bop_code {request.bop_code!r} must be six digits")
    if request.purpose is Purpose.WEALTH_PRODUCT and request.wealth_product_risk_rating is None:
        raise ValidationFailed("a wealth_product transfer needs wealth_product_risk_rating (1-5)")


def _creditor_amount(request: TransferRequest, parties: Parties) -> Money | None:
    creditor = parties.creditor_account
    if creditor is None or creditor.currency == parties.debtor_account.currency:
        if request.fx_rate is not None or request.fx_quote is not None:
            raise FxRateNotApplicable(
                "fx_rate and fx_quote apply only between accounts of different currencies"
            )
        return None
    rate = effective_rate(request, parties)
    if rate is None:
        raise FxRateRequired(
            f"{parties.debtor_account.currency} → {creditor.currency} needs an explicit fx_rate"
        )
    try:
        converted = check_storable(convert(request.amount, rate=rate, to=creditor.currency))
    except ArithmeticError as error:  # decimal Overflow or InvalidOperation: beyond any amount
        raise ValidationFailed(f"{request.amount} at {rate} is beyond any amount") from error
    if not converted.is_positive():
        raise ValidationFailed(f"{request.amount} at {rate} converts to nothing")
    return converted


def effective_rate(request: TransferRequest, parties: Parties) -> Decimal | None:
    """Creditor-currency units per debtor-currency unit: `fx_rate` as given, or derived from
    `fx_quote` in market convention (a CNY → USD transfer quoted `USDCNY 7.10` converts at
    1 / 7.10). None without either, or without an internal creditor account.

    Raises:
        FxQuotePairMismatch: the quote's pair is not the transfer's two currencies.
    """
    creditor = parties.creditor_account
    if creditor is None:
        return None
    quote = request.fx_quote
    if quote is None:
        return request.fx_rate
    debtor_currency = parties.debtor_account.currency
    rate = quote.rate_for(debtor=debtor_currency, creditor=creditor.currency)
    if rate is None:
        raise FxQuotePairMismatch(
            f"fx_quote {quote.pair} does not price {debtor_currency} → {creditor.currency}",
            pair=quote.pair,
        )
    return rate


def available_to_spend(
    session: Session, tenant_id: str, account_id: str, value_date: date
) -> Money:
    """Lock the debtor's balance and return what a payment valued on `value_date` may spend.

    The lowest booked balance from that date on (money credited with a later value date cannot
    pay it), less reservations, plus the overdraft limit.
    """
    account = ledger_repository.lock_accounts(session, tenant_id, [account_id])[account_id]
    lowest = ledger_repository.lowest_balance_from(session, account, value_date)
    headroom = lowest - account.reserved_minor + (account.overdraft_limit_minor or 0)
    return Money.from_minor(headroom, account.currency)


def reserve(session: Session, tenant_id: str, account_id: str, amount: Money) -> None:
    """Set `amount` aside on the (locked) debtor account while the transfer is held."""
    account = ledger_repository.lock_accounts(session, tenant_id, [account_id])[account_id]
    account.reserved_minor += amount.minor
    # Flush now: a later lock in this unit of work re-reads the row (populate_existing, no
    # autoflush) and would silently drop an unflushed change.
    session.flush()


def release(session: Session, tenant_id: str, account_id: str, amount: Money) -> None:
    """Give back a reservation when a held transfer is decided."""
    account = ledger_repository.lock_accounts(session, tenant_id, [account_id])[account_id]
    account.reserved_minor -= amount.minor
    session.flush()  # before the approval's funds check re-reads the row (see `reserve`)


def route_request(
    parties: Parties,
    request: TransferRequest,
    *,
    submitted_at: datetime,
    requested: date | None,
    market: str | None = None,
    charge_bearer: str = "SHAR",
    urgent: bool = False,
) -> RouteRequest:
    """What the router needs of a payment, from both sides as the group's master data has them."""
    creditor_bank, creditor_country = _creditor_bank(request, parties)
    return RouteRequest(
        amount=request.amount,
        debtor_bank_bic=parties.debtor_account.bank_bic,
        debtor_resident=parties.debtor_account.resident,
        creditor_bank_bic=creditor_bank,
        creditor_country=creditor_country,
        creditor_resident=parties.creditor_resident,
        submitted_at=submitted_at,
        internal=parties.creditor_account is not None,
        market=market,
        requested_value_date=requested,
        charge_bearer=charge_bearer,
        urgent=urgent,
    )


def _creditor_bank(request: TransferRequest, parties: Parties) -> tuple[str | None, str]:
    if parties.creditor_account is not None:
        entity = parties.creditor_entity
        return parties.creditor_account.bank_bic, entity.country if entity else "CN"
    if parties.counterparty is not None:
        return parties.counterparty.bank_bic, parties.counterparty.country
    creditor = request.creditor or {}
    return creditor.get("bank_bic"), str(creditor.get("country", ""))


def decide_route(session: Session, route_request_: RouteRequest, *, today: date) -> RouteDecision:
    """The router's decision on the reference data and calendars in force today."""
    currencies = {route_request_.amount.currency.code}
    return routing.decide(
        route_request_,
        settlement_cache.reference(session, today, currencies),
        settlement_cache.calendars(session, today),
    )


def decide(
    session: Session,
    parties: Parties,
    request: TransferRequest,
    requested: date,
    *,
    today: date,
    now: datetime,
) -> RouteDecision:
    """The route step's decision for a transfer, routed or not (`require_routed` judges it).

    Decided before screening, so that the rules are those in force on the route's value date.
    """
    return decide_route(
        session,
        route_request(parties, request, submitted_at=now, requested=requested),
        today=today,
    )


def require_routed(decision: RouteDecision) -> RouteDecision:
    """A decision that is not `routed` (no rail, or calendars not loaded) is refused, never
    guessed.

    Raises:
        CalendarNotLoaded: the dates to decide lie past the loaded holiday calendars.
        RouteUnavailable: no configured rail can carry the payment.
    """
    if decision.status is not DecisionStatus.ROUTED:
        excluded = "; ".join(
            f"{c.rail_id}: {c.excluded_reason} ({c.detail})" for c in decision.candidates
        )
        if routing.CALENDAR_NOT_LOADED in decision.reasons:
            raise CalendarNotLoaded(f"no rail can be timed: {excluded}")
        raise RouteUnavailable(f"no configured rail carries this payment: {excluded}")
    return decision


def route(
    session: Session,
    parties: Parties,
    request: TransferRequest,
    requested: date,
    *,
    today: date,
    now: datetime,
) -> RouteDecision:
    """The route step: decide the rail of a transfer and refuse one no rail carries.

    Raises:
        CalendarNotLoaded, RouteUnavailable: see `require_routed`.
    """
    return require_routed(decide(session, parties, request, requested, today=today, now=now))


def book(
    session: Session,
    *,
    tenant_id: str,
    transfer_id: str,
    parties: Parties,
    amount: Money,
    creditor_amount: Money | None,
    value_date: date,
    description: str,
    now: datetime,
    enforce_limits: bool = True,
) -> JournalEntry:
    """Post the transfer's journal entry on its value date."""
    entry = journal_entry(
        session,
        tenant_id=tenant_id,
        transfer_id=transfer_id,
        parties=parties,
        amount=amount,
        creditor_amount=creditor_amount,
        value_date=value_date,
        description=description,
        now=now,
    )
    ledger_posting.post_entry(
        session, tenant_id=tenant_id, entry=entry, posted_at=now, enforce_limits=enforce_limits
    )
    return entry


def journal_entry(
    session: Session,
    *,
    tenant_id: str,
    transfer_id: str,
    parties: Parties,
    amount: Money,
    creditor_amount: Money | None,
    value_date: date,
    description: str,
    now: datetime,
) -> JournalEntry:
    """The transfer's journal entry, not yet posted (`book` posts one; a payment run posts its
    items' together); the internal accounts it needs are made on first use."""
    return JournalEntry(
        id=new_id(),
        value_date=value_date,
        kind="transfer",
        description=description[:500],
        postings=_postings(session, tenant_id, parties, amount, creditor_amount, now),
        source_id=transfer_id,
    )


def _postings(
    session: Session,
    tenant_id: str,
    parties: Parties,
    amount: Money,
    creditor_amount: Money | None,
    now: datetime,
) -> tuple[Posting, ...]:
    debtor = parties.debtor_account

    def internal(kind: LedgerAccountKind, currency: str) -> str:
        return ledger_repository.internal_account(
            session,
            tenant_id=tenant_id,
            entity_id=debtor.entity_id,
            kind=kind,
            currency=currency,
            created_at=now,
        ).id

    creditor = parties.creditor_account
    if creditor is None:  # leaves the group: in transit until the bank statement confirms it
        target = internal(LedgerAccountKind.OUTGOING_PAYMENTS, debtor.currency)
        return (Posting(debit_account_id=target, credit_account_id=debtor.id, amount=amount),)
    if creditor_amount is None:
        return (Posting(debit_account_id=creditor.id, credit_account_id=debtor.id, amount=amount),)
    # Two same-currency legs through the debtor entity's FX clearing accounts, at the given rate.
    # Created in currency order: first FX transfers of one entity racing in opposite directions
    # would otherwise deadlock on each other's new accounts on PostgreSQL.
    clearing = {
        currency: internal(LedgerAccountKind.FX_CLEARING, currency)
        for currency in sorted({debtor.currency, creditor.currency})
    }
    return (
        Posting(
            debit_account_id=clearing[debtor.currency],
            credit_account_id=debtor.id,
            amount=amount,
        ),
        Posting(
            debit_account_id=creditor.id,
            credit_account_id=clearing[creditor.currency],
            amount=creditor_amount,
        ),
    )


def describe(request: TransferRequest) -> str:
    """The journal description of a transfer."""
    return f"transfer {request.purpose.value}" + (f": {request.remark}" if request.remark else "")
