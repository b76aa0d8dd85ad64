"""Cash pools as plain values: regimes, member rules, eligibility (regulation.md §1.2, §1.9).

Pure domain: no database, no clock. Every coefficient arrives as an argument (the parameters in
force on the date the caller checks), never as a literal here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pooling.interest import RateSet
from treasury.accounts.model import EntityKind, LegalEntity


class Regime(StrEnum):
    """Which rulebook a pool is filed under (regulation.md §1.1)."""

    INTEGRATED_251 = "integrated_251"
    RMB_279 = "rmb_279"
    DOMESTIC = "domestic"


class SweepRule(StrEnum):
    """How a member's end-of-day balance is swept."""

    ZERO_BALANCE = "zero_balance"
    TARGET_BALANCE = "target_balance"


class DayCount(StrEnum):
    """Day-count conventions for pool interest."""

    ACT_360 = "ACT/360"
    ACT_365F = "ACT/365F"


# Entity kinds that may not take part in an integrated pool; a finance company only as host.
EXCLUDED_KINDS = frozenset(
    {EntityKind.FINANCIAL_INSTITUTION, EntityKind.LGFV, EntityKind.REAL_ESTATE}
)


# The thresholds without which a regime has no rulebook on a date (§1.1): a pool dated before
# its regime existed is ineligible, naming the regime.
REGIME_PARAMETERS = {
    Regime.INTEGRATED_251: (
        "pool251.min_members",
        "pool251.min_bop_cny",
        "pool251.min_onshore_rev_cny",
        "pool251.min_offshore_rev_cny",
    ),
    Regime.RMB_279: ("pool279.min_onshore_rev_cny", "pool279.min_offshore_rev_cny"),
}


def regime_missing(regime: Regime, parameters: Mapping[str, Decimal]) -> list[str]:
    """The regime's thresholds with no value in force ([] when its rulebook applies)."""
    return [name for name in REGIME_PARAMETERS.get(regime, ()) if name not in parameters]


@dataclass(frozen=True)
class MemberTerms:
    """A member account's sweep rule and its entity's ratios (minor units of the pool currency)."""

    account_id: str
    entity_id: str
    rule: SweepRule
    target_minor: int
    minimum_transfer_minor: int
    concentration_ratio: Decimal | None
    foreign_debt_ratio: Decimal | None


@dataclass(frozen=True)
class PartnerBank:
    """A partner bank of a filing (合作银行): the bank holding one of its master accounts, with
    the province of the branch that holds it (None when not recorded)."""

    account_id: str
    bic: str | None
    subdivision: str | None


def _province(value: object) -> str | None:
    text = str(value).strip() if value else ""
    return text.casefold() or None


def partner_bank_failures(host: LegalEntity, banks: Sequence[PartnerBank]) -> list[Ineligibility]:
    """§1.2 (251): the partner bank is located in the host's province — the host files with its
    provincial SAFE branch, which deals with the bank of its own province. Judged where both the
    host's address subdivision and the master account's branch subdivision are recorded
    (`partner_banks_unverified` names the others)."""
    province = _province((host.address or {}).get("subdivision"))
    return [
        Ineligibility(
            "§1.2 partner bank",
            f"the master account {bank.account_id} is held at {bank.bic or 'a bank'} in "
            f"{bank.subdivision}, outside the host {host.code}'s province "
            f"{(host.address or {}).get('subdivision')}: the partner bank must be in the host's "
            "province",
        )
        for bank in banks
        if province is not None
        and _province(bank.subdivision) is not None
        and _province(bank.subdivision) != province
    ]


def partner_banks_unverified(host: LegalEntity, banks: Sequence[PartnerBank]) -> list[str]:
    """The partner banks whose province cannot be compared with the host's (one not recorded)."""
    if _province((host.address or {}).get("subdivision")) is None:
        return [f"the host {host.code} has no province (address subdivision) on record"]
    return [
        f"the master account {bank.account_id} has no branch province (branch_subdivision)"
        for bank in banks
        if _province(bank.subdivision) is None
    ]


@dataclass(frozen=True)
class Ineligibility:
    """One eligibility rule a pool fails, named as regulation.md names it."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def _sum_cny(values: Sequence[Decimal | None]) -> Decimal:
    return sum((value for value in values if value is not None), Decimal(0))


def _amount(entity: LegalEntity, field: str) -> Decimal | None:
    money = getattr(entity, field)
    return None if money is None else money.amount


def eligibility_failures(
    *,
    regime: Regime,
    host: LegalEntity,
    members: Sequence[LegalEntity],
    ratios: Mapping[str, Decimal | None],
    parameters: Mapping[str, Decimal],
    on: date,
    banks: int = 1,
    partner_banks: Sequence[PartnerBank] = (),
) -> list[Ineligibility]:
    """Every eligibility rule the pool (host plus member entities) fails on `on`.

    `members` are the distinct member entities (the host may be among them); `ratios` maps an
    entity id to its outbound-lending concentration ratio; `parameters` are the regime's
    thresholds in force (pool251.* or pool279.*); `banks` the settlement banks the filing's
    accounts are held at; `partner_banks` the banks holding the filing's master accounts.
    """
    entities = {entity.id: entity for entity in [host, *members]}
    failures: list[Ineligibility] = []
    if not host.onshore:
        failures.append(Ineligibility("rule 4", f"host {host.code} is not an onshore entity"))
    if regime is Regime.INTEGRATED_251 and not host.independent_legal_person:
        failures.append(
            Ineligibility("rule 4", f"host {host.code} is not an independent legal person")
        )
    if regime is Regime.DOMESTIC:
        failures += [
            Ineligibility(
                "domestic", f"member {entity.code} is offshore: a domestic pool is onshore"
            )
            for entity in entities.values()
            if not entity.onshore
        ]
        return failures
    missing = regime_missing(regime, parameters)
    if missing:
        return [
            *failures,
            Ineligibility(
                "§1.1 regime",
                f"the {regime.value} regime is not in force on {on}: {missing[0]} has no value",
            ),
        ]
    if regime is Regime.INTEGRATED_251:
        failures += _failures_251(host, list(entities.values()), ratios, parameters)
        failures += _clean_records(list(entities.values()), parameters, on)
        failures += partner_bank_failures(host, partner_banks)
    else:
        failures += _failures_279(list(entities.values()), parameters, on)
        most = parameters.get("pool279.max_banks")
        if most is not None and banks > most:
            failures.append(
                Ineligibility(
                    "§1.2 legacy 279",
                    f"{banks} settlement banks, at most {most} (pool279.max_banks)",
                )
            )
    return failures


def _failures_251(
    host: LegalEntity,
    entities: list[LegalEntity],
    ratios: Mapping[str, Decimal | None],
    parameters: Mapping[str, Decimal],
) -> list[Ineligibility]:
    failures: list[Ineligibility] = []
    for entity in entities:
        excluded = entity.kind in EXCLUDED_KINDS or (
            entity.kind is EntityKind.FINANCE_COMPANY and entity.id != host.id
        )
        if excluded:
            failures.append(
                Ineligibility("rule 1", f"{entity.code} is a {entity.kind.value}: excluded (§1.2)")
            )
        if entity.onshore and entity.trade_fx_class != "A":
            failures.append(
                Ineligibility(
                    "rule 3", f"{entity.code} is in trade FX class {entity.trade_fx_class}, not A"
                )
            )
    if host.kind is EntityKind.FINANCE_COMPANY and any(
        (ratios.get(entity.id) or Decimal(0)) > 0 for entity in entities
    ):
        failures.append(
            Ineligibility("rule 8", "a finance-company host may not concentrate outbound lending")
        )
    minimum = parameters["pool251.min_members"]
    if len(entities) < minimum:
        failures.append(
            Ineligibility("§1.2 members", f"{len(entities)} member entities, at least {minimum}")
        )
    failures += _thresholds(
        entities,
        parameters,
        (
            ("pool251.min_bop_cny", True, "prior_year_cross_border_volume", "rule 2"),
            ("pool251.min_onshore_rev_cny", True, "prior_year_revenue", "rule 2"),
            ("pool251.min_offshore_rev_cny", False, "prior_year_revenue", "rule 2"),
        ),
    )
    return failures


def _clean_records(
    entities: list[LegalEntity], parameters: Mapping[str, Decimal], on: date
) -> list[Ineligibility]:
    """§1.2: no major cross-border receipt or payment violation in the last
    `pool251.clean_record_years` years (a younger company: none since incorporation)."""
    years = parameters.get("pool251.clean_record_years")
    if years is None:
        return []
    since = _years_before(on, int(years))
    return [
        Ineligibility(
            "§1.2 clean record",
            f"{entity.code} had a major FX violation or penalty on {entity.last_fx_penalty_on}, "
            f"within pool251.clean_record_years ({years}) years",
        )
        for entity in entities
        if entity.last_fx_penalty_on is not None and entity.last_fx_penalty_on > since
    ]


def _failures_279(
    entities: list[LegalEntity], parameters: Mapping[str, Decimal], on: date
) -> list[Ineligibility]:
    failures = _thresholds(
        entities,
        parameters,
        (
            ("pool279.min_onshore_rev_cny", True, "prior_year_revenue", "§1.2 legacy 279"),
            ("pool279.min_offshore_rev_cny", False, "prior_year_revenue", "§1.2 legacy 279"),
        ),
    )
    year_ago = _years_before(on, 1)
    failures += [
        Ineligibility("§1.2 legacy 279", f"{entity.code} has operated for less than one year")
        for entity in entities
        if entity.established_on is None or entity.established_on > year_ago
    ]
    return failures


def _thresholds(
    entities: list[LegalEntity],
    parameters: Mapping[str, Decimal],
    checks: tuple[tuple[str, bool, str, str], ...],
) -> list[Ineligibility]:
    failures: list[Ineligibility] = []
    for name, onshore, field, rule in checks:
        figure = _sum_cny([_amount(e, field) for e in entities if e.onshore == onshore])
        if figure < parameters[name]:
            side = "onshore" if onshore else "offshore"
            failures.append(
                Ineligibility(
                    rule,
                    f"{side} members' prior-year {field.removeprefix('prior_year_')} "
                    f"CNY {figure:,.2f} is below {name} CNY {parameters[name]:,.0f}",
                )
            )
    return failures


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def inherit_ratios(new: Sequence[MemberTerms], known: Sequence[MemberTerms]) -> list[MemberTerms]:
    """New member accounts given no ratio take their entity's (a ratio belongs to the entity
    across the filing); a ratio given stays as given, for `ratios_consistent` to judge."""
    found: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    for term in known:
        old = found.get(term.entity_id, (None, None))
        found[term.entity_id] = (
            old[0] if old[0] is not None else term.concentration_ratio,
            old[1] if old[1] is not None else term.foreign_debt_ratio,
        )
    inherited: list[MemberTerms] = []
    for term in new:
        concentration, foreign_debt = found.get(term.entity_id, (None, None))
        inherited.append(
            replace(
                term,
                concentration_ratio=term.concentration_ratio
                if term.concentration_ratio is not None
                else concentration,
                foreign_debt_ratio=term.foreign_debt_ratio
                if term.foreign_debt_ratio is not None
                else foreign_debt,
            )
        )
    return inherited


def ratios_consistent(terms: Sequence[MemberTerms]) -> list[str]:
    """Entities whose member accounts disagree on a ratio (a ratio belongs to the entity)."""
    seen: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    offenders: list[str] = []
    for term in terms:
        pair = (term.concentration_ratio, term.foreign_debt_ratio)
        if seen.setdefault(term.entity_id, pair) != pair and term.entity_id not in offenders:
            offenders.append(term.entity_id)
    return offenders


@dataclass(frozen=True)
class MemberSpec:
    """A member as a treasurer adds it (amounts in the pool currency's minor units)."""

    account_id: str
    rule: SweepRule
    target_minor: int | None = None
    minimum_transfer_minor: int = 0
    concentration_ratio: Decimal | None = None
    foreign_debt_ratio: Decimal | None = None


@dataclass(frozen=True)
class Pool:
    """A pool with its members and effective-dated interest rates."""

    id: str
    name: str
    regime: Regime
    currency: str
    master_account_id: str
    host_entity_id: str
    filing_ref: str | None
    bop_code: str | None
    schedule: str
    created_on: date
    members: tuple[MemberTerms, ...]
    rates: tuple[RateSet, ...]


def member_terms(spec: MemberSpec, entity_id: str) -> MemberTerms:
    """A spec's terms once its account's entity is known (zero balance targets nothing)."""
    target = spec.target_minor if spec.rule is SweepRule.TARGET_BALANCE else 0
    return MemberTerms(
        account_id=spec.account_id,
        entity_id=entity_id,
        rule=spec.rule,
        target_minor=target or 0,
        minimum_transfer_minor=spec.minimum_transfer_minor,
        concentration_ratio=spec.concentration_ratio,
        foreign_debt_ratio=spec.foreign_debt_ratio,
    )
