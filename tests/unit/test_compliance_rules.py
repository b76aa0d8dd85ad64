"""The screening rules as pure functions over hand-built payment contexts (no database).

Parameters and the BOP code table come from the seed files the migrations load
(`treasury/refdata/seed/`), resolved with the same `in_force` the service uses, so every
threshold and version boundary below is the seeded one. Each rule is checked on both sides of its
threshold and of its version dates (the day before and the day of).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from compliance import rules
from compliance.model import Finding, PaymentContext, Severity
from treasury import refdata
from treasury.accounts.model import (
    AccountKind,
    BankAccount,
    Counterparty,
    CrossBorderDebtMode,
    EntityKind,
    LegalEntity,
)
from treasury.errors import ParameterMissing
from treasury.money import Money
from treasury.refdata.cache import Snapshot
from treasury.refdata.model import BopCode, Parameter, ReferenceRate, in_force

SEED = Path(refdata.__file__).resolve().parent / "seed"
TODAY = date(2026, 11, 26)
LOADED_AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CAPITAL_INCOME_KINDS = (
    AccountKind.CAPITAL,
    AccountKind.FOREIGN_DEBT,
    AccountKind.LISTING_PROCEEDS,
    AccountKind.CAPITAL_SETTLEMENT,
)
NOT_CAPITAL_INCOME_KINDS = (AccountKind.CURRENT, AccountKind.NRA, AccountKind.POOL_MASTER)


# Seeded reference data --------------------------------------------------------------------------


@cache
def seeded_parameters() -> tuple[Parameter, ...]:
    """Every parameter version of the seed files, as the migrations load them."""
    loaded: list[Parameter] = []
    for file_name in ("parameters.json", "parameters_compliance.json", "parameters_fidelity.json"):
        document = json.loads((SEED / file_name).read_text(encoding="utf-8"))
        loaded.extend(
            Parameter(
                name=item["name"],
                value=item["value"],
                effective_from=date.fromisoformat(item["effective_from"]),
                source=item["source"],
                version=item.get("version", 1),
                loaded_at=LOADED_AT,
            )
            for item in document["parameters"]
        )
    return tuple(loaded)


def in_force_on(on: date) -> dict[str, Parameter]:
    """Each seeded parameter's value in force on `on` (absent when none is yet)."""
    names = {parameter.name for parameter in seeded_parameters()}
    found: dict[str, Parameter] = {}
    for name in names:
        value = in_force((p for p in seeded_parameters() if p.name == name), on)
        if value is not None:
            found[name] = value
    return found


@cache
def seeded_bop_table() -> dict[str, BopCode]:
    """The seeded partial 2014 BOP code table."""
    with (SEED / "bop_codes_2014.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: BopCode(
                code=row["code"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                category=row["category"],
                directions=row["directions"],
                table_version="2014-seed",
            )
            for row in csv.DictReader(handle)
        }


# Parties ----------------------------------------------------------------------------------------

ENTITY = LegalEntity(
    id="entity-cn",
    code="CN01",
    name="Onshore Manufacturing Co.",
    country="CN",
    kind=EntityKind.ENTERPRISE,
    trade_fx_class="A",
    owners_equity=None,
    net_assets=None,
    lending_in_business_scope=False,
    quality_enterprise=False,
    established_on=None,
    prior_year_revenue=None,
    prior_year_cross_border_volume=None,
    parent_entity_id=None,
    cross_border_debt_mode=CrossBorderDebtMode.MACRO_PRUDENTIAL,
    facilitation_certificate=None,
    shareholding_ratio=Decimal(1),
    total_investment=None,
    uscc=None,
    lei=None,
)
HK_ENTITY = replace(ENTITY, id="entity-hk", code="HK01", country="HK")


def account(kind: AccountKind = AccountKind.CAPITAL, *, resident: bool = True) -> BankAccount:
    """A CNY account of the onshore entity (or a non-resident one)."""
    return BankAccount(
        id=f"account-{kind.value}-{resident}",
        entity_id=ENTITY.id if resident else HK_ENTITY.id,
        currency="CNY",
        kind=kind,
        bank_bic="BKCHCNBJ",
        number="0001",
        overdraft_limit=Money.zero("CNY"),
        resident=resident,
    )


GROUP_ACCOUNT = replace(account(AccountKind.CURRENT), id="account-group")


def counterparty(*, affiliated: bool, country: str = "CN") -> Counterparty:
    """External master data."""
    return Counterparty(
        id=f"cp-{affiliated}-{country}",
        name="Supplier Ltd",
        country=country,
        bank_bic=None,
        account=None,
        address=None,
        affiliated=affiliated,
        lei=None,
    )


_DEFAULT_USD = Decimal("1000.00")


def payment(
    purpose: str,
    *,
    on: date = TODAY,
    kind: AccountKind = AccountKind.CAPITAL,
    entity: LegalEntity = ENTITY,
    debtor_resident: bool = True,
    crosses_border: bool = False,
    usd: Decimal | None = _DEFAULT_USD,
    bop_code: str | None = None,
    references: dict[str, str] | None = None,
    creditor_account: BankAccount | None = None,
    party: Counterparty | None = None,
    rating: int | None = None,
    facts: Mapping[str, object] | None = None,
    parameters: dict[str, Parameter] | None = None,
) -> PaymentContext:
    """A payment context as `treasury.payments.screening` assembles it, parameters of `on`."""
    return PaymentContext(
        amount=Money.of("1000.00", "CNY"),
        purpose=purpose,
        value_date=on,
        debtor_account=account(kind, resident=debtor_resident),
        debtor_entity=entity,
        crosses_border=crosses_border,
        outbound=crosses_border and debtor_resident,
        bop_code=bop_code,
        references=references or {},
        creditor_account=creditor_account,
        counterparty=party,
        wealth_product_risk_rating=rating,
        facts=dict(facts or {}),
        parameters=in_force_on(on) if parameters is None else parameters,
        usd_equivalent=usd,
        bop_entry=None if bop_code is None else seeded_bop_table().get(bop_code),
    )


def verdicts(findings: list[Finding]) -> list[tuple[str, Severity]]:
    """(rule, severity) of each finding, after checking every finding is complete."""
    for finding in findings:
        assert finding.rule
        assert finding.message.strip(), finding
        assert finding.message_zh.strip(), finding
        assert finding.rule_version.strip(), finding
        assert finding.to_document()["severity"] == finding.severity.value
    return [(finding.rule, finding.severity) for finding in findings]


NEGATIVE_BLOCK = [("CAPITAL_ACCOUNT_NEGATIVE_LIST", Severity.BLOCK)]


def test_the_seed_files_hold_the_version_dates_the_issue_names() -> None:
    versions = sorted(
        (p.effective_from, p.value)
        for p in seeded_parameters()
        if p.name == "cap_income.negative_list_version"
    )
    assert versions == [
        (date(2016, 6, 9), "2016-16"),
        (date(2019, 10, 23), "2019-28"),
        (date(2023, 12, 4), "2023-28"),
        (date(2025, 9, 15), "2025-43"),
    ]
    assert "228999" not in seeded_bop_table()
    assert seeded_bop_table()["121090"].directions == "receipt"


# 1. Capital-account income negative list --------------------------------------------------------


@pytest.mark.parametrize("kind", CAPITAL_INCOME_KINDS)
def test_securities_investment_out_of_capital_account_income_is_blocked(kind: AccountKind) -> None:
    for on in (date(2016, 6, 9), date(2023, 12, 4), TODAY):
        findings = rules.capital_account_negative_list(
            payment("securities_investment", kind=kind, on=on)
        )
        assert verdicts(findings) == NEGATIVE_BLOCK


@pytest.mark.parametrize("kind", NOT_CAPITAL_INCOME_KINDS)
def test_accounts_without_capital_account_income_are_not_subject(kind: AccountKind) -> None:
    for purpose in ("securities_investment", "wealth_product", "loan", "real_estate", "other"):
        context = payment(purpose, kind=kind, on=date(2019, 10, 22), rating=5)
        assert rules.capital_account_negative_list(context) == []
        assert verdicts(rules.screen(context)) == []


def test_negative_list_findings_name_the_list_version_in_force() -> None:
    before = rules.capital_account_negative_list(
        payment("securities_investment", on=date(2023, 12, 3))
    )
    on_the_day = rules.capital_account_negative_list(
        payment("securities_investment", on=date(2023, 12, 4))
    )
    assert before[0].rule_version == "cap_income.negative_list_version=2019-28@2019-10-23"
    assert on_the_day[0].rule_version == "cap_income.negative_list_version=2023-28@2023-12-04"


@pytest.mark.parametrize(
    ("on", "rating", "blocked"),
    [
        (date(2016, 6, 9), 1, False),  # 16号: principal-protected bank products only
        (date(2016, 6, 9), 2, True),
        (date(2023, 12, 3), 1, False),  # the day before 汇发〔2023〕28号
        (date(2023, 12, 3), 2, True),
        (date(2023, 12, 4), 2, False),  # the day of: rated ≤ R2 allowed
        (date(2023, 12, 4), 3, True),
        (date(2025, 9, 15), 2, False),
        (date(2025, 9, 15), 3, True),
        (TODAY, 1, False),
        (TODAY, 3, True),
        (TODAY, 5, True),
    ],
)
def test_wealth_product_risk_rating_against_the_list_version(
    on: date, rating: int, blocked: bool
) -> None:
    findings = rules.capital_account_negative_list(payment("wealth_product", on=on, rating=rating))
    assert verdicts(findings) == (NEGATIVE_BLOCK if blocked else [])
    if blocked:
        assert f"R{rating}" in findings[0].message


@pytest.mark.parametrize("on", [date(2016, 6, 9), date(2023, 12, 3), date(2023, 12, 4), TODAY])
def test_structured_deposits_are_allowed(on: date) -> None:
    assert rules.capital_account_negative_list(payment("structured_deposit", on=on)) == []


@pytest.mark.parametrize("purpose", ["loan", "intercompany_loan"])
def test_loan_to_a_non_affiliated_counterparty_without_lending_scope_is_blocked(
    purpose: str,
) -> None:
    stranger = counterparty(affiliated=False)
    findings = rules.capital_account_negative_list(payment(purpose, party=stranger))
    assert verdicts(findings) == NEGATIVE_BLOCK


@pytest.mark.parametrize("purpose", ["loan", "intercompany_loan"])
def test_loan_to_an_inline_creditor_is_never_to_an_affiliate(purpose: str) -> None:
    # No counterparty master data and no group account: the creditor was named inline.
    context = payment(purpose)
    assert context.creditor_affiliated is False
    assert verdicts(rules.capital_account_negative_list(context)) == NEGATIVE_BLOCK


@pytest.mark.parametrize("purpose", ["loan", "intercompany_loan"])
def test_loan_to_an_affiliate_or_with_lending_scope_is_allowed(purpose: str) -> None:
    affiliated = payment(purpose, party=counterparty(affiliated=True))
    group_account = payment(purpose, creditor_account=GROUP_ACCOUNT)
    lender = payment(
        purpose,
        party=counterparty(affiliated=False),
        entity=replace(ENTITY, lending_in_business_scope=True),
    )
    inline_with_scope = payment(purpose, entity=replace(ENTITY, lending_in_business_scope=True))
    for context in (affiliated, group_account, lender, inline_with_scope):
        assert rules.capital_account_negative_list(context) == []


@pytest.mark.parametrize(
    ("on", "entity_kind", "blocked"),
    [
        (date(2016, 6, 9), EntityKind.ENTERPRISE, True),
        (date(2025, 9, 14), EntityKind.ENTERPRISE, True),  # the day before 汇发〔2025〕43号
        (date(2025, 9, 14), EntityKind.REAL_ESTATE, False),  # real-estate enterprises excepted
        (date(2025, 9, 15), EntityKind.ENTERPRISE, False),  # the day of: the ban is lifted
        (date(2025, 9, 15), EntityKind.REAL_ESTATE, False),
        (TODAY, EntityKind.LGFV, False),
    ],
)
def test_non_self_use_real_estate_until_43(
    on: date, entity_kind: EntityKind, blocked: bool
) -> None:
    context = payment("real_estate", on=on, entity=replace(ENTITY, kind=entity_kind))
    assert verdicts(rules.capital_account_negative_list(context)) == (
        NEGATIVE_BLOCK if blocked else []
    )


@pytest.mark.parametrize(
    ("on", "blocked"),
    [
        (date(2016, 6, 9), True),
        (date(2019, 10, 22), True),  # the day before 汇发〔2019〕28号
        (date(2019, 10, 23), False),  # the day of
        (TODAY, False),
    ],
)
def test_domestic_equity_investment_from_2019(on: date, blocked: bool) -> None:
    findings = rules.capital_account_negative_list(payment("domestic_equity_investment", on=on))
    assert verdicts(findings) == (NEGATIVE_BLOCK if blocked else [])


@pytest.mark.parametrize("on", [date(2016, 6, 9), date(2025, 9, 14), date(2025, 9, 15), TODAY])
def test_unspecified_use_of_capital_account_income_goes_to_review(on: date) -> None:
    findings = rules.capital_account_negative_list(payment("other", on=on))
    assert verdicts(findings) == [("CAPITAL_ACCOUNT_USE_UNSPECIFIED", Severity.REVIEW)]


@pytest.mark.parametrize(
    "purpose",
    ["goods_trade", "services_trade", "capital_injection", "loan_repayment", "structured_deposit"],
)
def test_purposes_outside_the_list_pass_it(purpose: str) -> None:
    assert rules.capital_account_negative_list(payment(purpose)) == []


def test_the_list_before_its_first_version_is_a_missing_parameter() -> None:
    with pytest.raises(ParameterMissing, match=re.escape("cap_income.negative_list_version")):
        rules.capital_account_negative_list(payment("securities_investment", on=date(2016, 6, 8)))


# 2. Petty cash ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month_to_date", "usd", "review"),
    [
        (None, Decimal("200000.00"), False),  # exactly the limit in one payment
        (None, Decimal("200000.01"), True),
        ("150000.00", Decimal("50000.00"), False),  # exactly the limit, cumulative
        ("150000.00", Decimal("50000.01"), True),
        ("199999.99", Decimal("0.01"), False),
        ("200000.00", Decimal("0.01"), True),
    ],
)
def test_petty_cash_cumulative_month_to_date_limit(
    month_to_date: str | None, usd: Decimal, review: bool
) -> None:
    facts = {} if month_to_date is None else {"petty_cash_month_to_date_usd": month_to_date}
    findings = rules.petty_cash(payment("petty_cash", usd=usd, facts=facts))
    assert verdicts(findings) == ([("PETTY_CASH_LIMIT", Severity.REVIEW)] if review else [])
    if review:
        assert findings[0].rule_version == "cap_income.petty_cash_usd_month=200000@2016-06-09"


def test_petty_cash_from_a_current_account_has_no_limit() -> None:
    context = payment("petty_cash", kind=AccountKind.CURRENT, usd=Decimal("900000"))
    assert rules.petty_cash(context) == []


def test_petty_cash_without_a_reference_rate_is_reviewed() -> None:
    findings = rules.petty_cash(payment("petty_cash", usd=None))
    assert verdicts(findings) == [("PETTY_CASH_LIMIT", Severity.REVIEW)]
    assert findings[0].rule_version == "reference-rate-missing"


def test_petty_cash_with_an_unknown_month_total_is_reviewed() -> None:
    # An earlier payment this month had no reference rate: the total is unknown, not zero.
    facts = {"petty_cash_month_to_date_usd": None}
    findings = rules.petty_cash(payment("petty_cash", usd=Decimal("1.00"), facts=facts))
    assert verdicts(findings) == [("PETTY_CASH_LIMIT", Severity.REVIEW)]
    assert findings[0].rule_version == "reference-rate-missing"


# 3. BOP transaction codes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "101010",  # pre-2014 legacy general trade
        "12101",  # five digits
        "1210100",  # seven digits
        "12101A",
        "120999",  # just below the goods section
        "123000",  # just above it
        "000000",
    ],
)
def test_malformed_legacy_and_out_of_section_codes_block(code: str) -> None:
    findings = rules.bop_code(payment("goods_trade", kind=AccountKind.CURRENT, bop_code=code))
    assert verdicts(findings) == [("BOP_CODE_INVALID", Severity.BLOCK)]
    assert findings[0].rule_version.startswith("bop.section_ranges=")


def test_a_listed_code_passes() -> None:
    for code in ("121010", "228021", "999999"):
        assert rules.bop_code(payment("goods_trade", kind=AccountKind.CURRENT, bop_code=code)) == []


@pytest.mark.parametrize("code", ["228999", "121000", "122999", "323000"])
def test_a_well_formed_unlisted_code_is_information_not_a_block(code: str) -> None:
    assert code not in seeded_bop_table()
    findings = rules.bop_code(payment("services_trade", kind=AccountKind.CURRENT, bop_code=code))
    assert verdicts(findings) == [("BOP_CODE_UNLISTED", Severity.INFO)]


def test_a_receipt_only_code_used_for_a_payment_blocks() -> None:
    paid = payment("goods_trade", kind=AccountKind.CURRENT, bop_code="121090", crosses_border=True)
    assert paid.direction == "payment"
    assert verdicts(rules.bop_code(paid)) == [("BOP_CODE_INVALID", Severity.BLOCK)]
    received = payment(
        "goods_trade",
        kind=AccountKind.NRA,
        debtor_resident=False,
        bop_code="121090",
        crosses_border=True,
    )
    assert received.direction == "receipt"
    assert rules.bop_code(received) == []


def test_a_payment_only_code_used_for_a_receipt_blocks() -> None:
    received = payment(
        "goods_trade",
        kind=AccountKind.NRA,
        debtor_resident=False,
        bop_code="121100",
        crosses_border=True,
    )
    assert verdicts(rules.bop_code(received)) == [("BOP_CODE_INVALID", Severity.BLOCK)]
    paid = payment("goods_trade", kind=AccountKind.CURRENT, bop_code="121100", crosses_border=True)
    assert rules.bop_code(paid) == []


@pytest.mark.parametrize("code", ["622011", "722010", "822030", "621011"])
def test_capital_and_financial_account_codes_need_a_registration(code: str) -> None:
    bare = payment("other", kind=AccountKind.CURRENT, bop_code=code, crosses_border=True)
    assert verdicts(rules.bop_code(bare)) == [("CAPITAL_ACCOUNT_REF_MISSING", Severity.REVIEW)]
    registered = replace(bare, references={"registration": "SAFE-2026-0001"})
    assert rules.bop_code(registered) == []


def test_an_unlisted_capital_account_code_informs_and_needs_a_registration() -> None:
    findings = rules.bop_code(payment("other", kind=AccountKind.CURRENT, bop_code="521010"))
    assert verdicts(findings) == [
        ("BOP_CODE_UNLISTED", Severity.INFO),
        ("CAPITAL_ACCOUNT_REF_MISSING", Severity.REVIEW),
    ]


def test_domestic_fx_codes_need_no_registration() -> None:
    assert rules.bop_code(payment("other", kind=AccountKind.CURRENT, bop_code="929010")) == []


def test_no_bop_code_no_finding() -> None:
    assert rules.bop_code(payment("other", kind=AccountKind.CURRENT)) == []


def test_the_2014_table_before_it_took_effect_is_a_missing_parameter() -> None:
    first_day = payment(
        "goods_trade", kind=AccountKind.CURRENT, bop_code="121010", on=date(2014, 5, 1)
    )
    assert rules.bop_code(first_day) == []
    with pytest.raises(ParameterMissing, match=re.escape("bop.section_ranges")):
        rules.bop_code(payment("goods_trade", bop_code="121010", on=date(2014, 4, 30)))


# 4. Tax filing ----------------------------------------------------------------------------------


def usd_at(amount: str, currency: str, rate: str, on: date = TODAY) -> Decimal | None:
    """The USD equivalent the service computes from a USDCNY reference rate of `on`."""
    snapshot = Snapshot(
        parameters={},
        rates={"USDCNY": [ReferenceRate("USDCNY", on, Decimal(rate), "CFETS", 1)]},
        loaded_at=0,
    )
    return snapshot.usd_equivalent(Decimal(amount), currency, on)


def outbound(
    purpose: str,
    usd: Decimal | None,
    *,
    bop_code: str | None = None,
    references: dict[str, str] | None = None,
    entity: LegalEntity = ENTITY,
) -> PaymentContext:
    """A cross-border payment out of the onshore entity's current account."""
    return payment(
        purpose,
        kind=AccountKind.CURRENT,
        entity=entity,
        crosses_border=True,
        usd=usd,
        bop_code=bop_code or ("228021" if purpose == "services_trade" else None),
        references=references,
    )


def test_settlement_md_example_cny_800k_services_without_a_filing_is_held() -> None:
    usd = usd_at("800000.00", "CNY", "7.10")
    assert usd is not None
    assert Decimal("112676") < usd < Decimal("112677")
    findings = rules.tax_filing(outbound("services_trade", usd))
    assert verdicts(findings) == [("TAX_FILING_MISSING", Severity.REVIEW)]
    assert "112,676.06" in findings[0].message
    assert findings[0].rule_version == "tax_filing.threshold_usd=50000@2013-09-01"
    with_filing = outbound("services_trade", usd, references={"tax_filing": "TAX-001"})
    assert rules.tax_filing(with_filing) == []


@pytest.mark.parametrize(
    ("usd", "review"),
    [
        (Decimal("49999.99"), False),
        (Decimal("50000.00"), False),  # strictly greater than the threshold
        (Decimal("50000.01"), True),
    ],
)
@pytest.mark.parametrize("purpose", ["services_trade", "income", "current_transfer"])
def test_tax_filing_threshold_is_strict(purpose: str, usd: Decimal, review: bool) -> None:
    findings = rules.tax_filing(outbound(purpose, usd))
    assert verdicts(findings) == ([("TAX_FILING_MISSING", Severity.REVIEW)] if review else [])


@pytest.mark.parametrize("code", ["228021", "222011", "323000", "421010"])
def test_a_services_or_income_bop_code_triggers_the_filing_whatever_the_purpose(
    code: str,
) -> None:
    findings = rules.tax_filing(outbound("other", Decimal("60000"), bop_code=code))
    assert verdicts(findings) == [("TAX_FILING_MISSING", Severity.REVIEW)]


def test_goods_and_capital_codes_need_no_tax_filing() -> None:
    for code in ("121010", "622011", "929010"):
        assert rules.tax_filing(outbound("goods_trade", Decimal("900000"), bop_code=code)) == []


def test_inbound_and_domestic_payments_need_no_tax_filing() -> None:
    inbound = payment(
        "services_trade",
        kind=AccountKind.NRA,
        debtor_resident=False,
        crosses_border=True,
        usd=Decimal("900000"),
        bop_code="228021",
    )
    assert inbound.outbound is False
    assert rules.tax_filing(inbound) == []
    domestic = payment("services_trade", kind=AccountKind.CURRENT, usd=Decimal("900000"))
    assert rules.tax_filing(domestic) == []


def test_tax_filing_without_a_reference_rate_is_reviewed_not_passed() -> None:
    findings = rules.tax_filing(outbound("services_trade", None))
    assert verdicts(findings) == [("TAX_FILING_MISSING", Severity.REVIEW)]
    assert findings[0].rule_version == "reference-rate-missing"


# 5. Customs declaration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usd", "review"),
    [
        (Decimal("100000.00"), False),  # exactly the threshold
        (Decimal("100000.01"), True),
        (Decimal("150000.00"), True),  # regulation.md §5 rule 1
    ],
)
def test_goods_payment_above_the_customs_threshold_needs_a_declaration(
    usd: Decimal, review: bool
) -> None:
    findings = rules.customs_declaration(outbound("goods_trade", usd, bop_code="121010"))
    expected = [("CUSTOMS_DECLARATION_MISSING", Severity.REVIEW)] if review else []
    assert verdicts(findings) == expected


def test_quality_enterprise_pays_on_instruction_with_a_post_check() -> None:
    context = outbound(
        "goods_trade", Decimal("150000"), entity=replace(ENTITY, quality_enterprise=True)
    )
    findings = rules.customs_declaration(context)
    assert verdicts(findings) == [("CUSTOMS_POST_CHECK", Severity.INFO)]
    assert findings[0].rule_version == "customs.threshold_usd=100000@2012-08-01"


def test_a_declaration_reference_or_a_domestic_payment_needs_nothing() -> None:
    declared = outbound(
        "goods_trade", Decimal("150000"), references={"customs_declaration": "CD-1"}
    )
    assert rules.customs_declaration(declared) == []
    domestic = payment("goods_trade", kind=AccountKind.CURRENT, usd=Decimal("150000"))
    assert rules.customs_declaration(domestic) == []


def test_export_proceeds_coming_in_need_no_customs_declaration() -> None:
    inbound = payment(
        "goods_trade",
        kind=AccountKind.NRA,
        debtor_resident=False,
        crosses_border=True,
        usd=Decimal("900000"),
        bop_code="121010",
    )
    assert inbound.outbound is False
    assert rules.customs_declaration(inbound) == []


def test_customs_without_a_reference_rate_is_reviewed_not_passed() -> None:
    findings = rules.customs_declaration(outbound("goods_trade", None))
    assert verdicts(findings) == [("CUSTOMS_DECLARATION_MISSING", Severity.REVIEW)]
    assert findings[0].rule_version == "reference-rate-missing"


# 6. Trade FX class ------------------------------------------------------------------------------


@pytest.mark.parametrize(("fx_class", "review"), [("A", False), ("B", True), ("C", True)])
def test_class_b_and_c_cross_border_payments_are_reviewed(fx_class: str, review: bool) -> None:
    entity = replace(ENTITY, trade_fx_class=fx_class)
    findings = rules.trade_fx_class(outbound("goods_trade", Decimal(10), entity=entity))
    assert verdicts(findings) == ([("TRADE_FX_CLASS", Severity.REVIEW)] if review else [])
    domestic = payment("goods_trade", kind=AccountKind.CURRENT, entity=entity)
    assert rules.trade_fx_class(domestic) == []


# 7. Cash pool -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filing", "debtor_master", "creditor_master", "review"),
    [
        (True, True, False, False),
        (True, False, True, False),
        (False, True, False, True),
        (True, False, False, True),
        (False, False, False, True),
    ],
)
def test_cash_pool_needs_the_filing_and_a_pool_master_side(
    filing: bool, debtor_master: bool, creditor_master: bool, review: bool
) -> None:
    context = payment(
        "cash_pool",
        kind=AccountKind.POOL_MASTER if debtor_master else AccountKind.CURRENT,
        creditor_account=GROUP_ACCOUNT,
        references={"pool_filing": "POOL-2026-7"} if filing else {},
        facts={"debtor_is_pool_master": debtor_master, "creditor_is_pool_master": creditor_master},
    )
    findings = rules.cash_pool(context)
    assert verdicts(findings) == ([("CASH_POOL_REF_MISSING", Severity.REVIEW)] if review else [])


def test_other_purposes_are_no_cash_pool_business() -> None:
    assert rules.cash_pool(payment("other", kind=AccountKind.CURRENT)) == []


# The whole rule set -----------------------------------------------------------------------------


def test_screen_collects_every_rule_in_order() -> None:
    context = payment(
        "other",
        kind=AccountKind.CAPITAL,
        entity=replace(ENTITY, trade_fx_class="B"),
        crosses_border=True,
        usd=Decimal("60000"),
        bop_code="228021",
    )
    assert verdicts(rules.screen(context)) == [
        ("CAPITAL_ACCOUNT_USE_UNSPECIFIED", Severity.REVIEW),
        ("TAX_FILING_MISSING", Severity.REVIEW),
        ("TRADE_FX_CLASS", Severity.REVIEW),
    ]


# 10. Capital-account payment facilitation (§3.3–§3.5) --------------------------------------------


@pytest.mark.parametrize(
    ("entity", "references", "facts", "expected"),
    [
        (ENTITY, {}, {}, ["CAPITAL_PAYMENT_EVIDENCE_MISSING"]),  # outside facilitation
        (ENTITY, {"payment_evidence": "INV-1"}, {}, []),  # with its evidence
        (replace(ENTITY, capital_payment_facilitation=True), {}, {}, []),  # on instruction
        (
            replace(ENTITY, capital_payment_facilitation=True),
            {},
            {"capital_payment_sampled": True},
            ["CAPITAL_PAYMENT_POST_CHECK"],  # sampled: checked after the event
        ),
        (  # rule 6: a class B firm loses facilitation
            replace(ENTITY, capital_payment_facilitation=True, trade_fx_class="B"),
            {},
            {},
            ["CAPITAL_PAYMENT_EVIDENCE_MISSING"],
        ),
        (  # rule 6: an FX penalty within 12 months
            replace(
                ENTITY, capital_payment_facilitation=True, last_fx_penalty_on=date(2025, 11, 27)
            ),
            {},
            {},
            ["CAPITAL_PAYMENT_EVIDENCE_MISSING"],
        ),
        (  # twelve months ago: clean again
            replace(
                ENTITY, capital_payment_facilitation=True, last_fx_penalty_on=date(2025, 11, 26)
            ),
            {},
            {},
            [],
        ),
        (
            replace(ENTITY, capital_payment_facilitation=True, kind=EntityKind.REAL_ESTATE),
            {},
            {},
            ["CAPITAL_PAYMENT_EVIDENCE_MISSING"],
        ),
    ],
)
def test_capital_account_payments_show_evidence_unless_facilitated(
    entity: LegalEntity, references: dict[str, str], facts: dict[str, bool], expected: list[str]
) -> None:
    context = replace(
        payment("domestic_equity_investment", entity=entity),
        references=references,
        facts=facts,
    )
    assert [f.rule for f in rules.capital_payment_evidence(context)] == expected


def test_a_clean_domestic_payment_has_no_findings() -> None:
    context = payment("goods_trade", kind=AccountKind.CURRENT, creditor_account=GROUP_ACCOUNT)
    assert rules.screen(context) == []


@pytest.mark.parametrize(
    ("purpose", "missing"),
    [
        ("other", "cap_income.negative_list_version"),
        ("wealth_product", "cap_income.allowed_wm_max_risk"),
        ("real_estate", "cap_income.real_estate_ban"),
        ("domestic_equity_investment", "cap_income.domestic_equity_allowed"),
        ("petty_cash", "cap_income.petty_cash_usd_month"),
        ("services_trade", "tax_filing.threshold_usd"),
        ("goods_trade", "customs.threshold_usd"),
        ("goods_trade", "trade_fx_class.review_classes"),
        ("goods_trade", "bop.section_ranges"),
    ],
)
def test_a_missing_parameter_raises_never_passes(purpose: str, missing: str) -> None:
    parameters = {name: p for name, p in in_force_on(TODAY).items() if name != missing}
    context = payment(
        purpose,
        kind=AccountKind.CAPITAL,
        crosses_border=True,
        usd=Decimal("900000"),
        rating=3,
        bop_code="121010" if purpose == "goods_trade" else "228021",
        parameters=parameters,
    )
    with pytest.raises(ParameterMissing, match=re.escape(missing)):
        rules.screen(context)
