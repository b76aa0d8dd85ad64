"""Screening rules: small pure functions over a `PaymentContext`, each returning findings.

Every threshold, list version and switch is an effective-dated parameter in `context.parameters`
(the set in force on the value date), never a literal here. Sources: regulation.md §3 and §5,
settlement.md §6. The rule set is one implementation used by transfers, review decisions, route
quotes and sweep legs.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from compliance.model import CurrentAccountFlow, Finding, PaymentContext, Severity
from treasury.accounts.model import CAPITAL_ACCOUNT_INCOME_KINDS, EntityKind
from treasury.errors import ParameterMissing
from treasury.refdata.model import Parameter

Rule = Callable[[PaymentContext], list[Finding]]

# Purposes that, out of capital-account income, need no finding of the negative list.
_LOAN_PURPOSES = frozenset({"loan", "intercompany_loan"})
_TAX_FILING_PURPOSES = frozenset({"services_trade", "income", "current_transfer"})
# Current-account purposes: through a pool's master they are centralised collection and payment
# (经常项目集中收付) or netting — no quota, but actual and restored records (§1.6, §1.9 rule 15).
CURRENT_ACCOUNT_PURPOSES = frozenset(
    {"goods_trade", "services_trade", "income", "current_transfer"}
)


def parameter(context: PaymentContext, name: str) -> Parameter:
    """The parameter in force on the value date, or PARAMETER_MISSING (never a silent default)."""
    found = context.parameters.get(name)
    if found is None:
        raise ParameterMissing(f"parameter {name} has no value in force on {context.value_date}")
    return found


def _version(context: PaymentContext, name: str) -> str:
    found = parameter(context, name)
    return f"{name}={found.value}@{found.effective_from.isoformat()}"


def _finding(
    rule: str, severity: Severity, message: str, message_zh: str, version: str
) -> list[Finding]:
    return [Finding(rule, severity, message, message_zh, version)]


def _usd(context: PaymentContext) -> str:
    return "unknown" if context.usd_equivalent is None else f"USD {context.usd_equivalent:,.2f}"


def _above(context: PaymentContext, name: str) -> bool | None:
    """Is the USD equivalent strictly above the threshold? None when no rate is loaded."""
    if context.usd_equivalent is None:
        return None
    return context.usd_equivalent > parameter(context, name).decimal()


def _rate_missing(rule: str, context: PaymentContext) -> list[Finding]:
    return _finding(
        rule,
        Severity.REVIEW,
        f"no USDCNY reference rate on or before {context.value_date}: the USD equivalent "
        "cannot be checked against the threshold",
        f"{context.value_date} 及之前无 USDCNY 参考汇率，无法按美元等值核对阈值",
        "reference-rate-missing",
    )


# 1. Capital-account income negative list (资本项目收入使用负面清单) ------------------------


def capital_account_negative_list(context: PaymentContext) -> list[Finding]:
    """Payments out of capital, foreign-debt, listing-proceeds and settlement accounts."""
    if context.debtor_account.kind not in CAPITAL_ACCOUNT_INCOME_KINDS:
        return []
    version = _version(context, "cap_income.negative_list_version")
    check = _NEGATIVE_LIST.get(context.purpose)
    return [] if check is None else check(context, version)


def _block(message: str, message_zh: str, version: str) -> list[Finding]:
    return _finding("CAPITAL_ACCOUNT_NEGATIVE_LIST", Severity.BLOCK, message, message_zh, version)


def _securities(context: PaymentContext, version: str) -> list[Finding]:
    return _block(
        "capital-account income may not be used for securities investment",
        "资本项目收入不得用于证券投资",
        version,
    )


def _wealth_product(context: PaymentContext, version: str) -> list[Finding]:
    ceiling = parameter(context, "cap_income.allowed_wm_max_risk").decimal()
    rating = context.wealth_product_risk_rating
    if rating is not None and Decimal(rating) <= ceiling:
        return []
    return _block(
        f"wealth product rated R{rating} exceeds the permitted risk rating R{ceiling}",
        f"理财产品风险等级 R{rating} 高于允许的 R{ceiling}",
        version,
    )


def _loan(context: PaymentContext, version: str) -> list[Finding]:
    if context.creditor_affiliated or context.debtor_entity.lending_in_business_scope:
        return []
    return _block(
        "a loan to a non-affiliated party from capital-account income needs lending in the "
        "business scope",
        "经营范围无放贷业务的，资本项目收入不得向非关联企业发放贷款",
        version,
    )


def _real_estate(context: PaymentContext, version: str) -> list[Finding]:
    banned = parameter(context, "cap_income.real_estate_ban").value is True
    if not banned or context.debtor_entity.kind is EntityKind.REAL_ESTATE:
        return []
    return _block(
        "capital-account income may not buy or build non-self-use real estate",
        "资本项目收入不得用于建设、购买非自用房地产",
        version,
    )


def _domestic_equity(context: PaymentContext, version: str) -> list[Finding]:
    if parameter(context, "cap_income.domestic_equity_allowed").value is True:
        return []
    return _block(
        "domestic equity investment with capital-account income is not permitted before "
        "汇发〔2019〕28号",
        "汇发〔2019〕28号之前，资本项目收入不得用于境内股权投资",
        version,
    )


def _other(context: PaymentContext, version: str) -> list[Finding]:
    return _finding(
        "CAPITAL_ACCOUNT_USE_UNSPECIFIED",
        Severity.REVIEW,
        "capital-account income spent on an unspecified purpose: an officer must see its use",
        "资本项目收入用途未明确，需合规人员审核",
        version,
    )


_NEGATIVE_LIST: dict[str, Callable[[PaymentContext, str], list[Finding]]] = {
    "securities_investment": _securities,
    "wealth_product": _wealth_product,
    "loan": _loan,
    "intercompany_loan": _loan,
    "real_estate": _real_estate,
    "domestic_equity_investment": _domestic_equity,
    "other": _other,
}


# 2. Petty cash (备用金) ------------------------------------------------------------------


def petty_cash(context: PaymentContext) -> list[Finding]:
    """Petty cash from capital-account income above the monthly USD limit per entity → review."""
    if context.purpose != "petty_cash" or (
        context.debtor_account.kind not in CAPITAL_ACCOUNT_INCOME_KINDS
    ):
        return []
    month_so_far = context.facts.get("petty_cash_month_to_date_usd", "0")
    if context.usd_equivalent is None or month_so_far is None:
        return _rate_missing("PETTY_CASH_LIMIT", context)
    limit = parameter(context, "cap_income.petty_cash_usd_month").decimal()
    month_to_date = Decimal(month_so_far)
    if month_to_date + context.usd_equivalent <= limit:
        return []
    total = month_to_date + context.usd_equivalent
    return _finding(
        "PETTY_CASH_LIMIT",
        Severity.REVIEW,
        f"petty cash this month would reach USD {total:,.2f}, above USD {limit:,.0f}: "
        "documents are required",
        f"本月备用金累计将达 {total:,.2f} 美元，超过 {limit:,.0f} 美元，需提供单证",
        _version(context, "cap_income.petty_cash_usd_month"),
    )


# 3. BOP transaction code (涉外收支交易编码) -----------------------------------------------


def bop_code(context: PaymentContext) -> list[Finding]:
    """Malformed, legacy, out-of-section or wrong-direction codes block; unlisted ones inform."""
    code = context.bop_code
    if code is None:
        return []
    version = _version(context, "bop.section_ranges")
    invalid = _bop_invalid_reason(context, code)
    if invalid is not None:
        return _finding("BOP_CODE_INVALID", Severity.BLOCK, invalid[0], invalid[1], version)
    findings: list[Finding] = []
    if context.bop_entry is None:
        findings += _finding(
            "BOP_CODE_UNLISTED",
            Severity.INFO,
            f"BOP code {code} is well-formed but absent from the loaded code table",
            f"交易编码 {code} 格式正确，但不在已加载的编码表中",
            version,
        )
    prefixes = parameter(context, "bop.capital_account_prefixes").value
    assert isinstance(prefixes, list)
    if code[0] in prefixes and not context.references.get("registration"):
        findings += _finding(
            "CAPITAL_ACCOUNT_REF_MISSING",
            Severity.REVIEW,
            f"capital and financial account code {code} needs a SAFE registration or filing "
            "reference",
            f"资本与金融项目交易编码 {code} 需提供外汇局批件号/备案表号/业务编号",
            _version(context, "bop.capital_account_prefixes"),
        )
    return findings


def _bop_invalid_reason(context: PaymentContext, code: str) -> tuple[str, str] | None:
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return f"BOP code {code!r} is not six digits", f"交易编码 {code!r} 不是六位数字"
    ranges = parameter(context, "bop.section_ranges").value
    assert isinstance(ranges, list)
    if not any(int(low) <= int(code) <= int(high) for low, high in ranges):
        return (
            f"BOP code {code} is outside the 2014 code sections (a pre-2014 legacy code?)",
            f"交易编码 {code} 不在2014版编码区间内（旧版编码？）",
        )
    entry = context.bop_entry
    if entry is not None and entry.directions not in ("both", context.direction):
        return (
            f"BOP code {code} is for {entry.directions}s only, not a {context.direction}",
            f"交易编码 {code} 仅适用于{_ZH_DIRECTION[entry.directions]}",
        )
    return None


_ZH_DIRECTION = {"receipt": "收入", "payment": "支出"}


# 4. Tax filing (服务贸易等项目对外支付税务备案) -------------------------------------------


def tax_filing(context: PaymentContext) -> list[Finding]:
    """Outbound services, income or transfers above the USD threshold need a tax filing."""
    if not context.outbound or context.references.get("tax_filing"):
        return []
    prefixes = parameter(context, "tax_filing.bop_prefixes").value
    assert isinstance(prefixes, list)
    by_code = context.bop_code is not None and context.bop_code[:1] in prefixes
    if context.purpose not in _TAX_FILING_PURPOSES and not by_code:
        return []
    above = _above(context, "tax_filing.threshold_usd")
    if above is None:
        return _rate_missing("TAX_FILING_MISSING", context)
    if not above:
        return []
    threshold = parameter(context, "tax_filing.threshold_usd").decimal()
    return _finding(
        "TAX_FILING_MISSING",
        Severity.REVIEW,
        f"outbound payment of {_usd(context)} above USD {threshold:,.0f} needs the tax filing "
        "form reference",
        f"对外支付 {_usd(context)} 超过 {threshold:,.0f} 美元，"
        "需提供服务贸易等项目对外支付税务备案表",
        _version(context, "tax_filing.threshold_usd"),
    )


# 5. Customs declaration (货物贸易报关单) --------------------------------------------------


def customs_declaration(context: PaymentContext) -> list[Finding]:
    """Import payments above the USD threshold need a customs declaration (quality firms: later).

    Only a resident's outbound payment is an import payment; export proceeds coming in are
    matched to declarations by the customs data, not held at payment time.
    """
    if (
        context.purpose != "goods_trade"
        or not context.outbound
        or context.references.get("customs_declaration")
    ):
        return []
    above = _above(context, "customs.threshold_usd")
    if above is None:
        return _rate_missing("CUSTOMS_DECLARATION_MISSING", context)
    if not above:
        return []
    version = _version(context, "customs.threshold_usd")
    if context.debtor_entity.quality_enterprise:
        return _finding(
            "CUSTOMS_POST_CHECK",
            Severity.INFO,
            f"quality enterprise: goods payment of {_usd(context)} paid on instruction; the "
            "customs declaration is checked after the event",
            f"优质企业：货物贸易付款 {_usd(context)} 凭指令办理，报关单事后核查",
            version,
        )
    return _finding(
        "CUSTOMS_DECLARATION_MISSING",
        Severity.REVIEW,
        f"goods payment of {_usd(context)} without a customs declaration reference",
        f"货物贸易付款 {_usd(context)} 未提供报关单号",
        version,
    )


# 6. Trade FX class (货物贸易外汇管理分类) ------------------------------------------------


def trade_fx_class(context: PaymentContext) -> list[Finding]:
    """Every cross-border payment of a class B or C entity goes to review."""
    classes = parameter(context, "trade_fx_class.review_classes").value
    assert isinstance(classes, list)
    if not context.crosses_border or context.debtor_entity.trade_fx_class not in classes:
        return []
    fx_class = context.debtor_entity.trade_fx_class
    return _finding(
        "TRADE_FX_CLASS",
        Severity.REVIEW,
        f"the debtor is in trade FX class {fx_class}: every cross-border payment is reviewed",
        f"付款人货物贸易外汇管理分类为 {fx_class} 类，跨境收付逐笔审核",
        _version(context, "trade_fx_class.review_classes"),
    )


# 7. Cash pool (跨境资金池) ---------------------------------------------------------------


def cash_pool(context: PaymentContext) -> list[Finding]:
    """A cash-pool payment needs the pool filing and must touch the pool's master account."""
    if context.purpose != "cash_pool":
        return []
    touches_master = bool(
        context.facts.get("debtor_is_pool_master") or context.facts.get("creditor_is_pool_master")
    )
    if context.references.get("pool_filing") and touches_master:
        return []
    missing = "no pool filing reference" if touches_master else "neither side is a pool master"
    return _finding(
        "CASH_POOL_REF_MISSING",
        Severity.REVIEW,
        f"cash-pool payment: {missing}",
        "资金池划拨：" + ("缺少资金池备案号" if touches_master else "收付双方均非主账户"),
        "settlement.md §6 rule 4",
    )


# 8. Cash-pool quotas (资金池额度, regulation.md §1.4–§1.5) ------------------------------------


def pool_quota(context: PaymentContext) -> list[Finding]:
    """A sweep leg the caller found over a pool quota: held (policy hold) or noted as capped.

    The caller (the sweep) assembles `facts["pool_quota"]`: the quotas breached, the tenant's
    policy, and the amounts; a leg is never posted over the limit.
    """
    quota = context.facts.get("pool_quota")
    if context.purpose != "cash_pool" or not quota or not quota.get("breached"):
        return []
    names = ", ".join(quota["breached"])
    if quota.get("policy") == "hold":
        return _finding(
            "POOL_QUOTA_EXCEEDED",
            Severity.REVIEW,
            f"cash-pool leg of {context.amount} would exceed the pool's {names} quota",
            f"资金池划拨 {context.amount} 将超过资金池{names}额度，需审核",
            "regulation.md §1.5",
        )
    return _finding(
        "POOL_QUOTA_CAPPED",
        Severity.INFO,
        f"cash-pool leg capped to the {names} quota headroom: {context.amount} of "
        f"{quota.get('requested')} requested",
        f"资金池划拨按{names}额度余额截至 {context.amount}（申请 {quota.get('requested')}）",
        "regulation.md §1.5",
    )


# 9. Ordinary (non-pool) outbound lending (境外放款, regulation.md §1.4(e), §1.9 rule 9) -------


def outbound_lending_balance(
    *, outstanding_cny: Decimal, foreign_currency_cny: Decimal, currency_factor: Decimal
) -> Decimal:
    """The outbound-lending balance the cap is held against: every loan outstanding (CNY
    equivalent, all currencies) plus the FX-denominated part × the currency conversion factor
    `rmb.ol_ccy_factor` (境外放款余额 = Σ本外币境外放款余额 + Σ外币境外放款余额 × 汇率风险折算因子;
    regulation.md §1.4(e), §6): a USD loan uses 1.5× its value, an RMB loan 1× (as §1.8 and
    §2.7 work their examples)."""
    return outstanding_cny + foreign_currency_cny * currency_factor


def ordinary_outbound_lending(context: PaymentContext) -> list[Finding]:
    """A `loan` from an onshore entity to an offshore affiliate, outside a pool's master account.

    Its outbound-lending balance (`outbound_lending_balance`) may not exceed owners' equity ×
    (1 − r) × `ordinary_ol.coeff`, r being the share of its equity the entity concentrates in a
    251 filing (the rest stays usable through its own account, §1.4(a)); with r = 100 % it must
    lend through the master (rule 9); a lender established less than
    `ordinary_ol.min_years_established` years ago may not lend abroad (§1.4(e)). The caller
    assembles `facts["ordinary_outbound_lending"]`
    (CNY decimal strings: the loans outstanding, their FX-denominated part, this loan and whether
    it is FX-denominated).
    """
    if context.purpose != "loan" or not context.outbound or not context.creditor_affiliated:
        return []
    facts = context.facts.get("ordinary_outbound_lending")
    if facts is None or facts.get("from_pool_master"):
        return []  # the pool's master lends within the filing's quota (§1.4(a))
    version = f"{_version(context, 'ordinary_ol.coeff')}; {_version(context, 'rmb.ol_ccy_factor')}"
    ratio = Decimal(facts["ratio"])
    if ratio >= 1:
        return _finding(
            "OUTBOUND_LENDING_VIA_MASTER",
            Severity.BLOCK,
            "the entity concentrates all its outbound lending in its cash pool: lend through "
            "the pool's master account (§1.9 rule 9)",
            "成员企业境外放款额度已全部归集至资金池，须通过主账户放款",
            version,
        )
    too_young = _lender_too_young(context)
    if too_young is not None:
        return too_young
    if facts.get("equity") is None or facts.get("amount_cny") is None:
        return _finding(
            "OUTBOUND_LENDING_CAP",
            Severity.REVIEW,
            "no audited owners' equity or no reference rate: the outbound-lending cap cannot be "
            "checked",
            "无经审计所有者权益或参考汇率，无法核对境外放款上限",
            version,
        )
    cap = Decimal(facts["equity"]) * (1 - ratio) * parameter(context, "ordinary_ol.coeff").decimal()
    amount = Decimal(facts["amount_cny"])
    after = outbound_lending_balance(
        outstanding_cny=Decimal(facts["outstanding_cny"]) + amount,
        foreign_currency_cny=Decimal(facts.get("outstanding_fx_cny", "0"))
        + (amount if facts.get("foreign_currency") else Decimal(0)),
        currency_factor=parameter(context, "rmb.ol_ccy_factor").decimal(),
    )
    if after <= cap:
        return []
    return _finding(
        "OUTBOUND_LENDING_CAP",
        Severity.BLOCK,
        f"the outbound-lending balance would reach CNY {after:,.2f} (FX-denominated loans "
        f"weighted 1 + rmb.ol_ccy_factor), over the cap of CNY {cap:,.2f} "
        f"(owners' equity × (1 − {ratio}) × ordinary_ol.coeff)",
        f"境外放款余额（外币按汇率风险折算因子加权）将达 {after:,.2f} 元，超过上限 {cap:,.2f} 元",
        version,
    )


def _lender_too_young(context: PaymentContext) -> list[Finding] | None:
    """§1.4(e): the lender has been established for `ordinary_ol.min_years_established` years;
    with no establishment date on record an officer must see it."""
    years = int(parameter(context, "ordinary_ol.min_years_established").decimal())
    version = _version(context, "ordinary_ol.min_years_established")
    established = context.debtor_entity.established_on
    if established is None:
        return _finding(
            "OUTBOUND_LENDING_LENDER_AGE",
            Severity.REVIEW,
            f"no establishment date on record: a lender must have been established for {years} "
            "year(s) before it lends abroad (§1.4(e))",
            f"无成立日期记录，境外放款主体须成立满 {years} 年",
            version,
        )
    if established <= _months_before(context.value_date, 12 * years):
        return None
    return _finding(
        "OUTBOUND_LENDING_LENDER_AGE",
        Severity.BLOCK,
        f"the lender was established on {established}, less than {years} year(s) before "
        f"{context.value_date}: it may not lend abroad yet (§1.4(e))",
        f"放款主体成立于 {established}，未满 {years} 年，不得办理境外放款",
        version,
    )


# 10. Capital-account income payment facilitation (资本项目收入支付便利化, regulation.md §3.3–§3.5)


def capital_payment_evidence(context: PaymentContext) -> list[Finding]:
    """A payment out of capital-account income: a firm outside facilitation shows its evidence
    (`references.payment_evidence`, §3.4); a facilitated firm pays on instruction and a sampled
    share of its payments is checked after the event (§3.3, §3.5 rule 7). Facilitation lapses
    for excluded kinds, a recent FX penalty or a trade class outside the allowed ones (rule 6).
    """
    if context.debtor_account.kind not in CAPITAL_ACCOUNT_INCOME_KINDS or context.purpose in (
        "petty_cash",  # its own monthly rule (§3.1)
        "cash_pool",  # the pool's filing
    ):
        return []
    if capital_account_negative_list(context):
        return []  # blocked, or held for an officer to see its use, by the negative list
    version = _version(context, "cap_income.facilitation_sample_rate")
    lapsed = _facilitation_lapsed(context)
    if context.debtor_entity.capital_payment_facilitation and lapsed is None:
        if not context.facts.get("capital_payment_sampled"):
            return []
        return _finding(
            "CAPITAL_PAYMENT_POST_CHECK",
            Severity.INFO,
            "facilitated capital-account payment, sampled: its contract and invoice are checked "
            "after the event",
            "资本项目收入支付便利化业务抽查：事后核对合同、发票",
            version,
        )
    if context.references.get("payment_evidence"):
        return []
    why = "" if lapsed is None else f" (facilitation does not apply: {lapsed})"
    return _finding(
        "CAPITAL_PAYMENT_EVIDENCE_MISSING",
        Severity.REVIEW,
        "a capital-account income payment outside facilitation needs its contract or invoice "
        f"reference{why}",
        "非便利化企业使用资本项目收入，须提供合同或发票等真实性证明材料",
        version,
    )


def _facilitation_lapsed(context: PaymentContext) -> str | None:
    entity = context.debtor_entity
    excluded = parameter(context, "cap_income.facilitation_excluded_kinds").value
    assert isinstance(excluded, list)
    if entity.kind.value in excluded:
        return f"a {entity.kind.value} enterprise"
    classes = parameter(context, "cap_income.facilitation_trade_classes").value
    assert isinstance(classes, list)
    if entity.trade_fx_class not in classes:
        return f"trade FX class {entity.trade_fx_class}"
    months = int(parameter(context, "cap_income.facilitation_clean_record_months").decimal())
    penalty = entity.last_fx_penalty_on
    if penalty is not None and penalty > _months_before(context.value_date, months):
        return f"an FX penalty on {penalty}, within {months} months"
    return None


def _months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# 11. Cross-currency arbitrage through a pool (资金池本外币套利, §1.4(a), §1.9 rule 10) -----


def pool_cross_currency(context: PaymentContext) -> list[Finding]:
    """Outbound lending through a pool's master is paid and received in one currency: a
    cross-border loan, repayment or pool leg into or out of a master account that converts
    currencies is arbitrage and blocked."""
    if context.purpose not in ("cash_pool", "loan", "loan_repayment", "intercompany_loan"):
        return []
    touches_master = context.facts.get("debtor_is_pool_master") or context.facts.get(
        "creditor_is_pool_master"
    )
    creditor = context.creditor_account
    if not (touches_master and context.crosses_border and creditor is not None):
        return []
    if creditor.currency == context.debtor_account.currency:
        return []
    return _finding(
        "POOL_CROSS_CURRENCY",
        Severity.BLOCK,
        f"{context.debtor_account.currency} paid out against {creditor.currency} through a pool "
        "master: a pool's outbound lending is paid and received in one currency (§1.9 rule 10)",
        "资金池境外放款收付币种须一致，不得本外币套利",
        "regulation.md §1.4(a), §1.9 rule 10",
    )


# 12. Centralised current-account flows through a pool (经常项目集中收付, §1.6, §1.9 rule 15) ----

_RULE_15 = "regulation.md §1.6, §1.9 rule 15"


def pool_current_account(context: PaymentContext) -> list[Finding]:
    """A cross-border current-account payment into or out of a pool's master: centralised
    collection and payment (or a net settlement). It uses no pool quota; its restored per-member
    records are due before the pool's day closes (`day_close_blockers`)."""
    touches_master = context.facts.get("debtor_is_pool_master") or context.facts.get(
        "creditor_is_pool_master"
    )
    if context.purpose not in CURRENT_ACCOUNT_PURPOSES or not (
        touches_master and context.crosses_border
    ):
        return []
    return _finding(
        "POOL_CURRENT_ACCOUNT",
        Severity.INFO,
        "centralised current-account flow through the pool's master: no quota is used; its "
        "restored (per-member) records must be on file before the pool's day closes",
        "经常项目集中收付：不占用资金池额度，日终前须具备实际收付数据及还原数据",
        _RULE_15,
    )


def day_close_blockers(flows: Sequence[CurrentAccountFlow]) -> list[Finding]:
    """§1.9 rule 15: a pool's day does not close while a centralised current-account flow through
    its master lacks its restored records, or they do not net to the actual flow."""
    findings: list[Finding] = []
    for flow in flows:
        if flow.restored_net == flow.amount.amount:
            continue
        why = (
            "no restored records"
            if flow.restored_net is None
            else f"restored records net to {flow.restored_net}, not {flow.amount.amount}"
        )
        findings += _finding(
            "RESTORED_RECORDS_MISSING",
            Severity.BLOCK,
            f"current-account flow {flow.transfer_id} of {flow.amount} on {flow.value_date}: {why}",
            f"经常项目集中收付 {flow.transfer_id}（{flow.amount}）缺少还原数据，日终不得关账",
            _RULE_15,
        )
    return findings


# FX rates (issue 13) ---------------------------------------------------------------------

FX_RATE_TOLERANCE = "fx.rate_tolerance"


def fx_rate_off_market(context: PaymentContext) -> list[Finding]:
    """A transfer's own rate further from the reference rate than `fx.rate_tolerance` (a
    fraction) is held for an officer: a typo (1.0 for 0.14) or a rate quoted the wrong way round
    moves money at a price no market dealt. The caller's `fx_rate` fact carries both rates in
    market convention; without it (no FX, a contract's rate) nothing to say. Without a reference
    rate the rate cannot be judged: an info finding says so, and the transfer goes on."""
    fact = context.facts.get("fx_rate")
    if fact is None:
        return []
    if fact["reference"] is None:
        return _finding(
            "FX_RATE_UNCHECKED",
            Severity.INFO,
            f"no reference rate on or before {context.value_date} to check {fact['pair']} "
            f"{Decimal(fact['rate']).normalize():f} against",
            f"{context.value_date} 及之前无参考汇率，无法核对 {fact['pair']} 汇率",
            "reference-rate-missing",
        )
    rate, reference = Decimal(fact["rate"]), Decimal(fact["reference"])
    tolerance = parameter(context, FX_RATE_TOLERANCE).decimal()
    off = abs(rate / reference - 1)
    if off <= tolerance:
        return []
    pair, on = fact["pair"], fact["reference_date"]
    shown = f"{pair} {rate.normalize():f}"
    return _finding(
        "FX_RATE_OFF_MARKET",
        Severity.REVIEW,
        f"{shown} is {off:.2%} off the reference {pair} {reference:.4f} of {on} "
        f"(tolerance {tolerance:.2%})",
        f"汇率 {shown} 偏离 {on} 参考汇率 {pair} {reference:.4f} 达 {off:.2%}"
        f"（容忍度 {tolerance:.2%}）",
        _version(context, FX_RATE_TOLERANCE),
    )


RULES: tuple[Rule, ...] = (
    capital_account_negative_list,
    petty_cash,
    bop_code,
    tax_filing,
    customs_declaration,
    trade_fx_class,
    cash_pool,
    pool_quota,
    ordinary_outbound_lending,
    capital_payment_evidence,
    pool_cross_currency,
    pool_current_account,
    fx_rate_off_market,
)


def screen(context: PaymentContext, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Every finding of every rule, in rule order."""
    return [finding for rule in rules for finding in rule(context)]
