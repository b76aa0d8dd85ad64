"""An entity's cross-border financing position on a date, and the check of a new draw over the
whole of its life (regulation.md §2; issue 12 items 2–4).

The position counts every recorded contract outstanding on the date — future drawdowns included
once their date comes, repayments from their date, nothing from maturity on — at the parameters in
force that day; an FX contract counts in CNY at the reference rate of its drawdown date (or of each
day, by `cbf.fx_conversion`). A new contract must keep the book within a cap on every date from its
drawdown to its maturity: the balances and caps only change on a drawdown, a repayment, a
maturity, a parameter's new version (or a new rate, when converted daily), so those dates and the
drawdown itself are the ones checked.

Two measures (§2.6): the macro-prudential cap (net assets × leverage × μ) over the risk-weighted
balance in CNY, and — for a firm whose certificate is valid on the drawdown date — the facilitation
quota in USD over the USD face amount of its contracts. `facil.combine_rule` `max`: each measure
counts the whole book and a draw passes when either holds on every date of its life; `sum`: each
measure counts the contracts admitted against it. A contract records the measure that admitted it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from pooling import repository
from pooling.cross_border_financing import (
    Basis,
    Certificate,
    CombineRule,
    Contract,
    DebtBalance,
    DebtKind,
    Headroom,
    QuotaRules,
    Weights,
    facilitation_quota_usd,
    investment_gap_used,
    is_short_term,
    macro_cap,
    no_audited_base,
    weighs_nothing,
    weight,
)
from pooling.parameters import Parameters, change_dates, cny_rate, in_force
from pooling.tables import ForeignDebtRow
from treasury.accounts.model import CrossBorderDebtMode, EntityKind, LegalEntity
from treasury.errors import CrossBorderFinancingCapExceeded
from treasury.money import Money

# Which leverage of `cbf.leverage` an entity kind takes (§2.1).
LEVERAGE_CLASS = {
    EntityKind.FINANCE_COMPANY: "nbfi",
    EntityKind.FINANCIAL_INSTITUTION: "bank",
}
# Parameters whose new versions can move a cap or a weight.
CAP_PARAMETERS = ("cbf.", "facil.")
# The parameters a position reads (a report names the versions it used).
FINANCING_PARAMETERS = (
    "cbf.leverage",
    "cbf.mu",
    "cbf.term_factor",
    "cbf.type_factor",
    "cbf.fx_factor",
    "cbf.short_term_years",
    "cbf.fx_conversion",
    "facil.combine_rule",
    "facil.kinds",
    "facil.quota_usd",
    "facil.quota_usd_enhanced",
    "facil.regional_quota_usd",
)


@dataclass(frozen=True)
class ContractPosition:
    """One contract on a date: outstanding (CNY, and USD when a certificate needs it), its term,
    weight and the measure it was admitted against."""

    contract_id: str
    basis: Basis
    outstanding_cny: Decimal
    outstanding_usd: Decimal
    short_term: bool
    weight: Decimal

    @property
    def risk_weighted(self) -> Decimal:
        """outstanding × weight."""
        return self.outstanding_cny * self.weight


@dataclass(frozen=True)
class FacilitationView:
    """The certificate's USD quota on a date and the USD face amount used against it."""

    kind: str
    area: str | None
    valid_until: date
    quota_usd: Decimal
    used_usd: Decimal

    @property
    def headroom_usd(self) -> Decimal:
        """quota − used, at least zero."""
        return max(self.quota_usd - self.used_usd, Decimal(0))


@dataclass(frozen=True)
class FinancingStatus:
    """The entity's measures on `as_of` (CNY): `headroom` is the measure that applies — the
    macro cap, the facilitation quota (under `max`, the one with more room) or their sum."""

    entity_id: str
    as_of: date
    mode: CrossBorderDebtMode
    basis: str
    headroom: Headroom
    macro_cap: Decimal
    macro_used: Decimal
    facilitation_quota: Decimal
    facilitation: FacilitationView | None = None
    contracts: tuple[ContractPosition, ...] = ()
    parameters: Parameters | None = None


def load_contracts(session: Session, entity_id: str) -> list[Contract]:
    """The entity's recorded contracts with their repayments, by drawdown date."""
    rows = repository.foreign_debt_rows(session, entity_id)
    repaid: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    if rows:
        currencies = {row.id: row.currency for row in rows}
        for repayment in repository.foreign_debt_repayments(session, [row.id for row in rows]):
            amount = Money.from_minor(repayment.amount_minor, currencies[repayment.debt_id])
            repaid[repayment.debt_id].append((repayment.repayment_date, amount.amount))
    return [to_contract(row, repaid[row.id]) for row in rows]


def to_contract(row: ForeignDebtRow, repayments: Sequence[tuple[date, Decimal]]) -> Contract:
    """A contract row (and its repayments) as a contract."""
    return Contract(
        id=row.id,
        kind=DebtKind(row.kind),
        currency=row.currency,
        amount=Money.from_minor(row.amount_minor, row.currency).amount,
        drawdown_date=row.drawdown_date,
        maturity_date=row.maturity_date,
        repayments=tuple(sorted(repayments)),
        basis=Basis(row.basis),
    )


def status_on(
    session: Session, entity: LegalEntity, on: date, contracts: Sequence[Contract]
) -> FinancingStatus:
    """The entity's measures on `on` over these contracts."""
    parameters = in_force(session, on)
    certificate = Certificate.of(entity.facilitation_certificate)
    valid = certificate is not None and certificate.valid_until >= on
    institution = entity.kind in LEVERAGE_CLASS
    positions = _positions(session, contracts, parameters, on, usd=valid, institution=institution)
    shown = tuple(p for p in positions if p.outstanding_cny)
    if entity.cross_border_debt_mode is CrossBorderDebtMode.INVESTMENT_GAP:
        cap = _investment_gap(session, entity, on)
        used = _investment_gap_used(session, contracts, positions, on)
        mode = entity.cross_border_debt_mode
        return FinancingStatus(
            entity_id=entity.id,
            as_of=on,
            mode=mode,
            basis=mode.value,
            headroom=Headroom(cap, used),
            macro_cap=cap,
            macro_used=used,
            facilitation_quota=Decimal(0),
            contracts=shown,
            parameters=parameters,
        )
    macro = _macro_cap(entity, parameters)
    rule = CombineRule(parameters.text("facil.combine_rule")) if valid else CombineRule.MAX
    macro_used = _sum(p.risk_weighted for p in _counted(positions, Basis.MACRO_PRUDENTIAL, rule))
    view = _facilitation(certificate, parameters, positions, rule) if valid else None
    usd = cny_rate(session, "USD", on) if view is not None and view.quota_usd else Decimal(0)
    facilitation_cny = Decimal(0) if view is None else view.quota_usd * usd
    basis, headroom = Basis.MACRO_PRUDENTIAL.value, Headroom(macro, macro_used)
    if view is not None and view.quota_usd:
        in_cny = Headroom(facilitation_cny, view.used_usd * usd)
        if rule is CombineRule.SUM:
            basis, headroom = "sum", Headroom(macro + in_cny.cap, macro_used + in_cny.used)
        elif in_cny.cap - in_cny.used > macro - macro_used:
            basis, headroom = Basis.FACILITATION.value, in_cny
    return FinancingStatus(
        entity_id=entity.id,
        as_of=on,
        mode=entity.cross_border_debt_mode,
        basis=basis,
        headroom=headroom,
        macro_cap=macro,
        macro_used=macro_used,
        facilitation_quota=facilitation_cny,
        facilitation=view,
        contracts=shown,
        parameters=parameters,
    )


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


def _counted(
    positions: Sequence[ContractPosition], basis: Basis, rule: CombineRule
) -> list[ContractPosition]:
    """Under `max` each measure counts the whole book; under `sum`, its own contracts."""
    return [p for p in positions if rule is CombineRule.MAX or p.basis is basis]


def _macro_cap(entity: LegalEntity, parameters: Parameters) -> Decimal:
    leverage = parameters.number(f"cbf.leverage.{LEVERAGE_CLASS.get(entity.kind, 'enterprise')}")
    net_assets = Decimal(0) if entity.net_assets is None else entity.net_assets.amount
    return macro_cap(net_assets=net_assets, leverage=leverage, mu=parameters.number("cbf.mu"))


def quota_rules(parameters: Parameters) -> QuotaRules:
    """The facilitation parameters in force (regional quotas flattened by area)."""
    prefix = "facil.regional_quota_usd."
    return QuotaRules(
        kinds=tuple(parameters.items_of("facil.kinds")),
        national=parameters.get("facil.quota_usd"),
        enhanced=parameters.get("facil.quota_usd_enhanced"),
        regional={
            name.removeprefix(prefix): value
            for name, value in parameters.items()
            if name.startswith(prefix) and value is not None
        },
    )


def _facilitation(
    certificate: Certificate | None,
    parameters: Parameters,
    positions: Sequence[ContractPosition],
    rule: CombineRule,
) -> FacilitationView | None:
    if certificate is None:
        return None
    return FacilitationView(
        kind=certificate.kind,
        area=certificate.area,
        valid_until=certificate.valid_until,
        quota_usd=facilitation_quota_usd(certificate, quota_rules(parameters)),
        used_usd=_sum(p.outstanding_usd for p in _counted(positions, Basis.FACILITATION, rule)),
    )


def _positions(
    session: Session,
    contracts: Sequence[Contract],
    parameters: Parameters,
    on: date,
    *,
    usd: bool,
    institution: bool = False,
) -> list[ContractPosition]:
    weights = Weights(
        term_short=parameters.number("cbf.term_factor.short"),
        term_long=parameters.number("cbf.term_factor.long"),
        on_balance_sheet=parameters.number("cbf.type_factor.on_balance_sheet"),
        fx_factor=parameters.number("cbf.fx_factor"),
        fi_fx_trade_finance=parameters.number("cbf.fi_fx_trade_finance_weight"),
    )
    years = int(parameters.number("cbf.short_term_years"))
    daily = parameters.texts.get("cbf.fx_conversion") == "daily"
    found = []
    for contract in contracts:
        outstanding = contract.outstanding(on)
        day = on if daily else contract.drawdown_date
        rate = cny_rate(session, contract.currency, day) if outstanding else Decimal(0)
        in_usd = Decimal(0)
        if usd and outstanding:
            in_usd = outstanding * rate / cny_rate(session, "USD", day)
        short = is_short_term(
            drawdown=contract.drawdown_date, maturity=contract.maturity_date, years=years
        )
        balance = DebtBalance(outstanding * rate, short, contract.currency != "CNY", contract.kind)
        found.append(
            ContractPosition(
                contract.id,
                contract.basis,
                balance.outstanding_cny,
                in_usd,
                short,
                weight(balance, weights, institution=institution),
            )
        )
    return found


def _investment_gap_used(
    session: Session,
    contracts: Sequence[Contract],
    positions: Sequence[ContractPosition],
    on: date,
) -> Decimal:
    def drawn_cny(contract: Contract) -> Decimal:
        drawn = contract.drawn(on)
        if not drawn:
            return drawn
        return drawn * cny_rate(session, contract.currency, contract.drawdown_date)

    return investment_gap_used(
        (drawn_cny(contract), p.outstanding_cny, p.short_term)
        for contract, p in zip(contracts, positions, strict=True)
        if not weighs_nothing(contract.kind, contract.currency)
    )


def _investment_gap(session: Session, entity: LegalEntity, on: date) -> Decimal:
    """投注差 (§2.5): total investment less registered capital, in CNY at the day's rate
    (none without both figures)."""
    total, registered = entity.total_investment, entity.registered_capital
    if total is None or registered is None:
        return Decimal(0)
    gap = max(total.amount - registered.amount, Decimal(0))
    return gap * cny_rate(session, total.currency.code, on) if gap else gap


def check_draw(
    session: Session, entity: LegalEntity, contracts: Sequence[Contract], new: Contract
) -> Basis:
    """The measure that admits a new contract on every date of its life: the macro cap, else the
    facilitation quota of a certificate valid on the drawdown date.

    Raises:
        CrossBorderFinancingCapExceeded: neither admits it (the first date each fails is named),
            or no audited base and no facilitation quota (rule 8).
    """
    if weighs_nothing(new.kind, new.currency):
        return Basis.MACRO_PRUDENTIAL  # outside the risk-weighted balance (§2.4)
    days = sorted(_check_dates(session, [*contracts, new], new))
    macro = _macro_breach(session, entity, contracts, new, days)
    if macro is None:
        return Basis.MACRO_PRUDENTIAL
    certificate = Certificate.of(entity.facilitation_certificate)
    if certificate is not None and certificate.valid_until >= new.drawdown_date:
        as_facilitation = replace(new, basis=Basis.FACILITATION)
        breach = _facilitation_breach(session, certificate, contracts, as_facilitation, days)
        if breach is None:
            return Basis.FACILITATION
        macro = f"{macro}; {breach}"
    raise CrossBorderFinancingCapExceeded(macro)


Breach = Callable[[date, Parameters, list[ContractPosition], Contract], str | None]


def _first_breach(
    session: Session,
    contracts: Sequence[Contract],
    new: Contract,
    days: Sequence[date],
    *,
    usd: bool,
    breach: Breach,
    institution: bool = False,
) -> str | None:
    book = [*contracts, new]
    for day in days:
        parameters = in_force(session, day)
        positions = _positions(session, book, parameters, day, usd=usd, institution=institution)
        found = breach(day, parameters, positions, new)
        if found is not None:
            return found
    return None


def _macro_breach(
    session: Session,
    entity: LegalEntity,
    contracts: Sequence[Contract],
    new: Contract,
    days: Sequence[date],
) -> str | None:
    if entity.cross_border_debt_mode is CrossBorderDebtMode.MACRO_PRUDENTIAL and no_audited_base(
        net_assets=None if entity.net_assets is None else entity.net_assets.amount,
        established_on=entity.established_on,
        on=new.drawdown_date,
    ):
        return (
            "§2.8 rule 8: younger than one year with no audited net assets, the macro-prudential "
            "mode has no cap to draw on"
        )

    def breach(
        day: date, parameters: Parameters, positions: list[ContractPosition], new: Contract
    ) -> str | None:
        if entity.cross_border_debt_mode is CrossBorderDebtMode.INVESTMENT_GAP:
            cap = _investment_gap(session, entity, day)
            used = _investment_gap_used(session, [*contracts, new], positions, day)
        else:
            cap = _macro_cap(entity, parameters)
            rule = CombineRule(parameters.texts.get("facil.combine_rule", CombineRule.MAX.value))
            counted = _counted(positions, Basis.MACRO_PRUDENTIAL, rule)
            used = _sum(p.risk_weighted for p in counted)
        if used <= cap:
            return None
        added = _sum(p.risk_weighted for p in positions if p.contract_id == new.id)
        return (
            f"on {day} the draw adds CNY {added:,.2f} risk-weighted to CNY {used - added:,.2f}; "
            f"the cap that day is CNY {cap:,.2f} (headroom CNY {max(cap - used + added, 0):,.2f})"
        )

    return _first_breach(
        session,
        contracts,
        new,
        days,
        usd=False,
        breach=breach,
        institution=entity.kind in LEVERAGE_CLASS,
    )


def _facilitation_breach(
    session: Session,
    certificate: Certificate,
    contracts: Sequence[Contract],
    new: Contract,
    days: Sequence[date],
) -> str | None:
    def breach(
        day: date, parameters: Parameters, positions: list[ContractPosition], new: Contract
    ) -> str | None:
        quota = facilitation_quota_usd(certificate, quota_rules(parameters))
        rule = CombineRule(parameters.texts.get("facil.combine_rule", CombineRule.MAX.value))
        used = _sum(p.outstanding_usd for p in _counted(positions, Basis.FACILITATION, rule))
        if used <= quota:
            return None
        added = _sum(p.outstanding_usd for p in positions if p.contract_id == new.id)
        return (
            f"on {day} the {certificate.kind} facilitation quota is USD {quota:,.2f} "
            f"(area {certificate.area or 'any'}), USD {used - added:,.2f} used before the draw's "
            f"USD {added:,.2f}"
        )

    return _first_breach(session, contracts, new, days, usd=True, breach=breach)


def _check_dates(session: Session, book: Sequence[Contract], new: Contract) -> set[date]:
    """The drawdown, and every later date of the new contract's life on which a balance, a
    weight or a cap can change: other drawdowns, parameter versions (and, converted daily,
    new reference rates)."""
    start, end = new.drawdown_date, new.maturity_date
    daily = in_force(session, start).texts.get("cbf.fx_conversion") == "daily"
    pairs = tuple(sorted({f"{c.currency}CNY" for c in book if c.currency != "CNY"} | {"USDCNY"}))
    found = {start} | {c.drawdown_date for c in book if start < c.drawdown_date < end}
    found |= change_dates(
        session, prefixes=CAP_PARAMETERS, pairs=pairs if daily else (), after=start, before=end
    )
    return found
