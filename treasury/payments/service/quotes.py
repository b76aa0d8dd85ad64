"""Route quotes: what the pipeline would do with a payment now — hold, reject, or which rail.

The same steps as a transfer (assemble, check, screen with the compliance rules, route), without
booking anything. The quote is audited (with the market the amount came in, e.g. CNH).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from compliance.model import Finding, Severity
from treasury.accounts.model import market_of
from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.payments import extensions, pipeline, screening
from treasury.payments.model import TransferRequest
from treasury.settlement.model import DecisionStatus, RouteDecision
from treasury.tenancy.model import Principal


@dataclass(frozen=True)
class QuoteRequest:
    """A payment to quote; `transfer.value_date` is ignored in favour of `requested_value_date`."""

    transfer: TransferRequest
    submitted_at: datetime | None = None
    requested_value_date: date | None = None
    market: str | None = None
    charge_bearer: str = "SHAR"
    urgent: bool = False


@dataclass(frozen=True)
class Quote:
    """The decision and the compliance findings behind a hold or reject."""

    decision: RouteDecision
    findings: tuple[Finding, ...]


def quote_route(
    uow: UnitOfWork, *, principal: Principal, quote: QuoteRequest, timezone: str
) -> Quote:
    """Screen and route a payment without booking it.

    Raises:
        NotFound: an account or counterparty that is not the tenant's.
        CurrencyMismatch, FxRateRequired, BopCodeRequired, ValidationFailed: see `pipeline.check`.
    """
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    with uow:
        now = quote.submitted_at or uow.clock.now()
        today = now.astimezone(ZoneInfo(timezone)).date()
        value_date = max(quote.requested_value_date or today, today)
        request = replace(quote.transfer, value_date=value_date)
        parties = pipeline.assemble(uow.session, tenant_id, request)
        pipeline.check(request, parties)
        routed = pipeline.decide_route(
            uow.session,
            pipeline.route_request(
                parties,
                request,
                submitted_at=now,
                requested=quote.requested_value_date,
                market=quote.market or _offshore_rmb(parties),
                charge_bearer=quote.charge_bearer,
                urgent=quote.urgent,
            ),
            today=today,
        )
        # judged by the rules in force when the money would move, as a transfer is
        screen_on = value_date if routed.chosen is None else routed.chosen.value_date
        context = screening.payment_context(
            uow.session,
            tenant_id=tenant_id,
            request=replace(request, value_date=screen_on),
            parties=parties,
            value_date=screen_on,
            fact_sources=extensions.of(uow).fact_sources,
        )
        findings = tuple(screening.screen(context))
        decision = _with_findings(routed, findings)
        _audit(uow, principal, request, decision)
        uow.commit()
        return Quote(decision, findings)


def _offshore_rmb(parties: pipeline.Parties) -> str | None:
    """CNH when the debtor's RMB is held offshore, though the quote said CNY."""
    return "CNH" if market_of(parties.debtor_account) == "CNH" else None


def _with_findings(decision: RouteDecision, findings: tuple[Finding, ...]) -> RouteDecision:
    """A block rejects and a review holds, before any rail is chosen (settlement.md §7 step 1)."""
    blocks = [f.rule for f in findings if f.severity is Severity.BLOCK]
    reviews = [f.rule for f in findings if f.severity is Severity.REVIEW]
    if blocks:
        return replace(decision, status=DecisionStatus.REJECT, reasons=tuple(blocks), chosen=None)
    if reviews:
        return replace(decision, status=DecisionStatus.HOLD, reasons=tuple(reviews), chosen=None)
    return decision


def _audit(
    uow: UnitOfWork, principal: Principal, request: TransferRequest, decision: RouteDecision
) -> None:
    assert principal.tenant_id is not None
    chosen = decision.chosen
    audit.record(
        uow,
        tenant_id=principal.tenant_id,
        actor=principal.name,
        action="route.quoted",
        object_type="route_quote",
        object_id=new_id(),
        after={
            "status": decision.status.value,
            "reasons": list(decision.reasons),
            "rail_id": None if chosen is None else chosen.rail_id,
            "amount": request.amount.to_wire(),
            "currency": request.amount.currency.code,
            "market": decision.market or request.amount.currency.code,
            "ruleset_version": decision.ruleset_version,
        },
    )
