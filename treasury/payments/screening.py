"""The screening step: assemble what the compliance rules need, then run them.

The caller's facts (pool masters, this month's petty cash) come from payments' own records, so
compliance never queries payments; parameters, reference rates and the BOP table are those in
force on the value date.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from compliance import rules
from compliance.model import Finding, PaymentContext
from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import CAPITAL_ACCOUNT_INCOME_KINDS, AccountKind
from treasury.money import Money
from treasury.payments import pipeline, repository
from treasury.payments.extensions import FactSource
from treasury.payments.model import TransferRequest, TransferStatus
from treasury.payments.pipeline import Parties
from treasury.refdata import cache as refdata_cache
from treasury.refdata import repository as refdata
from treasury.refdata.model import BopCode

# Transfers that spent money (or hold it reserved) count towards monthly limits.
_SPENDING = (
    TransferStatus.BOOKED.value,
    TransferStatus.HELD.value,
    TransferStatus.ACCEPTED.value,
    TransferStatus.SETTLED.value,
)


def payment_context(
    session: Session,
    *,
    tenant_id: str,
    request: TransferRequest,
    parties: Parties,
    value_date: date,
    fact_sources: Sequence[FactSource],
    exclude_transfer_id: str | None = None,
) -> PaymentContext:
    """Everything the rules look at, in force on `value_date`, with the facts `fact_sources`
    add (what the entry point wired: `treasury.payments.extensions`)."""
    amount = request.amount
    reference = refdata_cache.snapshot(session)
    return PaymentContext(
        amount=amount,
        purpose=request.purpose.value,
        value_date=value_date,
        debtor_account=parties.debtor_account,
        debtor_entity=parties.debtor_entity,
        crosses_border=parties.crosses_border,
        outbound=parties.crosses_border and parties.debtor_account.resident,
        bop_code=request.bop_code,
        references=dict(request.references),
        creditor_account=parties.creditor_account,
        creditor_entity=parties.creditor_entity,
        counterparty=parties.counterparty,
        wealth_product_risk_rating=request.wealth_product_risk_rating,
        facts=_facts(
            session, tenant_id, request, parties, value_date, exclude_transfer_id, fact_sources
        ),
        parameters=reference.parameters_in_force(value_date),
        usd_equivalent=reference.usd_equivalent(amount.amount, amount.currency.code, value_date),
        bop_entry=_bop_entry(session, request.bop_code, value_date),
    )


def screen(payment: PaymentContext) -> list[Finding]:
    """Run the compliance rules in force."""
    return rules.screen(payment)


def _bop_entry(session: Session, code: str | None, on: date) -> BopCode | None:
    if code is None:
        return None
    version = refdata.bop_table_in_force(session, on)
    return None if version is None else refdata.bop_code(session, table_version=version, code=code)


def _facts(
    session: Session,
    tenant_id: str,
    request: TransferRequest,
    parties: Parties,
    value_date: date,
    exclude_transfer_id: str | None,
    fact_sources: Sequence[FactSource],
) -> dict[str, Any]:
    creditor = parties.creditor_account
    facts: dict[str, Any] = {
        # A pool's master account is of kind pool_master; pooling adds its own facts below.
        "debtor_is_pool_master": parties.debtor_account.kind is AccountKind.POOL_MASTER,
        "creditor_is_pool_master": creditor is not None
        and creditor.kind is AccountKind.POOL_MASTER,
    }
    if request.purpose.value == "petty_cash" and (
        parties.debtor_account.kind in CAPITAL_ACCOUNT_INCOME_KINDS
    ):
        month_to_date = _petty_cash_this_month_usd(
            session, tenant_id, parties.debtor_entity.id, value_date, exclude_transfer_id
        )
        facts["petty_cash_month_to_date_usd"] = (
            None if month_to_date is None else str(month_to_date)
        )
    if parties.debtor_account.kind in CAPITAL_ACCOUNT_INCOME_KINDS:
        facts["capital_payment_sampled"] = _sampled(session, exclude_transfer_id, value_date)
    rate = _fx_rate_fact(session, request, parties, value_date)
    if rate is not None:
        facts["fx_rate"] = rate
    for source in fact_sources:
        facts.update(source(session, tenant_id, request, parties, value_date, exclude_transfer_id))
    return facts


def _fx_rate_fact(
    session: Session, request: TransferRequest, parties: Parties, value_date: date
) -> dict[str, str | None] | None:
    """The transfer's own rate beside the reference rate of `value_date` (crossed through CNY),
    both in market convention (`USDCNY`), for `FX_RATE_OFF_MARKET`; the reference is None when
    no rate is loaded for a currency. None when no FX applies or the rate is a contract's (a
    hedge's delivery at its strike)."""
    creditor = parties.creditor_account
    if creditor is None or "hedge" in request.references:
        return None
    rate = pipeline.effective_rate(request, parties)
    if rate is None:
        return None
    debtor_currency, creditor_currency = parties.debtor_account.currency, creditor.currency
    market = _market_pair(request, debtor_currency, creditor_currency)
    inverted = market != debtor_currency + creditor_currency
    reference = refdata_cache.snapshot(session)
    sides = [_cny_per_unit(reference, c, value_date) for c in (debtor_currency, creditor_currency)]
    if sides[0] is None or sides[1] is None:
        return {"pair": market, "rate": str(1 / rate if inverted else rate), "reference": None}
    (debtor_cny, debtor_date), (creditor_cny, creditor_date) = sides[0], sides[1]
    reference_rate = debtor_cny / creditor_cny
    dates = [day for day in (debtor_date, creditor_date) if day is not None]
    return {
        "pair": market,
        "rate": str(1 / rate if inverted else rate),
        "reference": str(1 / reference_rate if inverted else reference_rate),
        "reference_date": min(dates, default=value_date).isoformat(),
    }


def _cny_per_unit(
    reference: refdata_cache.Snapshot, currency: str, on: date
) -> tuple[Decimal, date | None] | None:
    if currency == "CNY":
        return Decimal(1), None
    found = reference.rate_on(f"{currency}CNY", on)
    return None if found is None else (found.rate, found.rate_date)


def _market_pair(request: TransferRequest, debtor: str, creditor: str) -> str:
    """The pair as the treasurer quoted it, else the CFETS way: the foreign currency against CNY
    (USDCNY), or the debtor's currency first between two foreign ones."""
    if request.fx_quote is not None:
        base, quote = request.fx_quote.currencies
        return base + quote
    if debtor == "CNY":
        return creditor + debtor
    return debtor + creditor


def _sampled(session: Session, transfer_id: str | None, on: date) -> bool:
    """Is this payment among the share `cap_income.facilitation_sample_rate` of facilitated
    capital-account payments checked after the event? Decided by the transfer's id, so the
    same payment is always in or out of the sample (none without an id: a quote)."""
    if transfer_id is None:
        return False
    parameter = (
        refdata_cache.snapshot(session)
        .parameters_in_force(on)
        .get("cap_income.facilitation_sample_rate")
    )
    if parameter is None:
        return False
    draw = int(hashlib.sha256(transfer_id.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    return Decimal(str(draw)) < parameter.decimal()


def _petty_cash_this_month_usd(
    session: Session,
    tenant_id: str,
    entity_id: str,
    value_date: date,
    exclude_transfer_id: str | None,
) -> Decimal | None:
    """Petty cash paid (or held) from the entity's capital-account income in the value month.

    The whole calendar month counts, later-dated payments included (the limit is per month, not
    per day so far). The entity row is locked first, so two petty-cash payments of one entity
    screen one after the other and cannot both slip under the limit (PostgreSQL; SQLite already
    serialises writers). None when a payment's currency has no reference rate: unknown, not zero.
    """
    accounts_repository.lock_entity(session, entity_id)
    month_start = value_date.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    income_kinds = [kind.value for kind in CAPITAL_ACCOUNT_INCOME_KINDS]
    spent = repository.spent_from(
        session,
        tenant_id,
        debtor_account_ids=accounts_repository.entity_account_ids(session, entity_id, income_kinds),
        purpose="petty_cash",
        statuses=_SPENDING,
        value_dates=(month_start, next_month),
        exclude_transfer_id=exclude_transfer_id,
    )
    total = Decimal(0)
    reference = refdata_cache.snapshot(session)
    for amount_minor, currency, paid_on in spent:
        amount = Money.from_minor(amount_minor, currency).amount
        usd = reference.usd_equivalent(amount, currency, paid_on)
        if usd is None:
            return None
        total += usd
    return total
