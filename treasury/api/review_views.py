"""What the officers' page shows: review items with their transfers and parties, for display.

Assembled from the read use cases (reviews, transfers, entities, accounts, counterparties) and
formatted as plain text; the templates escape every value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from compliance.model import Finding, ReviewKind, ReviewStatus
from compliance.repository import ReviewDecisionView, ReviewItem
from treasury.accounts import service as accounts
from treasury.accounts.model import BankAccount, LegalEntity
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money
from treasury.payments.model import Transfer
from treasury.payments.service import reviews, transfers

QUEUE_PAGE_SIZE = 100
REFERENCE_KINDS = ("tax_filing", "customs_declaration", "registration", "pool_filing")


@dataclass(frozen=True)
class Line:
    """One labelled value."""

    label: str
    value: str


@dataclass(frozen=True)
class QueueRow:
    """A review item as one row of the queue."""

    id: str
    created: str
    amount: str
    debtor: str
    debtor_account: str
    purpose: str
    rules: str
    approvals: str
    status: str
    kind: str


@dataclass(frozen=True)
class HistoryLine:
    """One event in an item's history."""

    when: str
    who: str
    what: str
    reason: str
    references: str


@dataclass(frozen=True)
class ItemView:
    """A review item with its transfer, both parties, findings, history and approvals."""

    id: str
    status: str
    kind: str
    pending: bool
    transfer_id: str
    transfer_status: str
    transfer: list[Line]
    debtor: list[Line]
    creditor: list[Line]
    findings: tuple[Finding, ...]
    history: list[HistoryLine]
    approvals_done: int
    approvals_required: int
    approved_by: frozenset[str]


def money_text(money: Money) -> str:
    """`CNY 1,250,000.00`."""
    return f"{money.currency.code} {money.amount:,}"


def instant_text(instant: datetime, timezone: str) -> str:
    """`2026-11-26 10:00 UTC+08:00` in the configured zone."""
    local = instant.astimezone(ZoneInfo(timezone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}"


def _approvals(item: ReviewItem) -> str:
    return f"{len(item.approvals)} of {item.required_approvals}"


def queue(
    uow_factory: UnitOfWorkFactory,
    *,
    tenant_id: str,
    status: ReviewStatus | None,
    kind: ReviewKind | None,
    offset: int,
    timezone: str,
) -> tuple[list[QueueRow], bool]:
    """One page of the queue (oldest first) and whether more items follow."""
    items = reviews.list_reviews(
        uow_factory(), tenant_id=tenant_id, status=status, limit=QUEUE_PAGE_SIZE, offset=offset
    )
    more = len(items) == QUEUE_PAGE_SIZE
    shown = [item for item in items if kind is None or item.kind is kind]
    if not shown:
        return [], more
    entities = {e.id: e for e in accounts.list_entities(uow_factory(), tenant_id=tenant_id)}
    bank_accounts = {
        a.id: a
        for a in accounts.list_bank_accounts(uow_factory(), tenant_id=tenant_id, entity_id=None)
    }
    rows = []
    for item in shown:
        transfer = transfers.get_transfer(
            uow_factory(), tenant_id=tenant_id, transfer_id=item.transfer_id
        )
        account = bank_accounts.get(transfer.debtor_account_id)
        entity = None if account is None else entities.get(account.entity_id)
        rows.append(
            QueueRow(
                id=item.id,
                created=instant_text(item.created_at, timezone),
                amount=money_text(transfer.amount),
                debtor="—" if entity is None else entity.name,
                debtor_account="—" if account is None else account.number,
                purpose=transfer.purpose.value,
                rules=", ".join(sorted({finding.rule for finding in item.findings})),
                approvals=_approvals(item),
                status=item.status.value,
                kind=item.kind.value,
            )
        )
    return rows, more


def item_view(
    uow_factory: UnitOfWorkFactory, *, tenant_id: str, review_id: str, timezone: str
) -> ItemView:
    """One review item with everything an officer needs to decide on it."""
    item = reviews.get_review(uow_factory(), tenant_id=tenant_id, review_id=review_id)
    transfer = transfers.get_transfer(
        uow_factory(), tenant_id=tenant_id, transfer_id=item.transfer_id
    )
    return ItemView(
        id=item.id,
        status=item.status.value,
        kind=item.kind.value,
        pending=item.status is ReviewStatus.PENDING,
        transfer_id=transfer.id,
        transfer_status=transfer.status.value,
        transfer=_transfer_lines(transfer, timezone),
        debtor=_debtor_lines(uow_factory, tenant_id, transfer),
        creditor=_creditor_lines(uow_factory, tenant_id, transfer),
        findings=item.findings,
        history=_history(item, transfer, timezone),
        approvals_done=len(item.approvals),
        approvals_required=item.required_approvals,
        approved_by=frozenset(view.officer_token_id for view in item.approvals),
    )


def _transfer_lines(transfer: Transfer, timezone: str) -> list[Line]:
    lines = [
        Line("Amount · 金额", money_text(transfer.amount)),
        Line("Requested value date · 申请起息日", transfer.requested_value_date.isoformat()),
        Line("Purpose · 用途", transfer.purpose.value),
        Line("BOP code · 国际收支编码", transfer.bop_code or "—"),
        Line("Crosses the border · 跨境", "yes · 是" if transfer.crosses_border else "no · 否"),
    ]
    if transfer.creditor_amount is not None:
        lines.append(Line("Creditor amount · 收款金额", money_text(transfer.creditor_amount)))
    if transfer.fx_rate is not None:
        lines.append(Line("FX rate · 汇率", str(transfer.fx_rate)))
    if transfer.value_date is not None:
        lines.append(Line("Value date · 起息日", transfer.value_date.isoformat()))
    if transfer.back_valued:
        lines.append(Line("Back-valued · 事后补录", "yes · 是"))
    if transfer.wealth_product_risk_rating is not None:
        lines.append(Line("Risk rating · 风险等级", str(transfer.wealth_product_risk_rating)))
    lines.append(Line("References · 单证", _references_text(transfer.references)))
    lines.append(Line("Remark · 附言", transfer.remark or "—"))
    if transfer.route is not None:
        lines.append(Line("Route · 路由", _route_text(transfer.route)))
    lines.append(Line("Created · 创建", instant_text(transfer.created_at, timezone)))
    return lines


def _references_text(references: dict[str, str]) -> str:
    if not references:
        return "—"
    return "; ".join(f"{kind}: {value}" for kind, value in sorted(references.items()))


def _route_text(route: dict[str, Any]) -> str:
    return (
        f"{route.get('rail', '?')} ({route.get('rail_id', '?')}), value {route.get('value_date')}"
    )


def _entity_lines(entity: LegalEntity) -> list[Line]:
    return [
        Line("Entity · 主体", f"{entity.name} ({entity.code})"),
        Line("Country · 国家/地区", entity.country),
        Line("Entity kind · 主体类型", entity.kind.value),
    ]


def _account_lines(account: BankAccount) -> list[Line]:
    return [
        Line("Account · 账户", f"{account.number} ({account.currency}, {account.kind.value})"),
        Line("Bank · 银行", account.bank_bic or "—"),
        Line("Resident · 境内", "yes · 是" if account.resident else "no · 否"),
    ]


def _debtor_lines(uow_factory: UnitOfWorkFactory, tenant_id: str, transfer: Transfer) -> list[Line]:
    account = accounts.get_bank_account(
        uow_factory(), tenant_id=tenant_id, account_id=transfer.debtor_account_id
    )
    entity = accounts.get_entity(uow_factory(), tenant_id=tenant_id, entity_id=account.entity_id)
    return [*_entity_lines(entity), *_account_lines(account)]


def _creditor_lines(
    uow_factory: UnitOfWorkFactory, tenant_id: str, transfer: Transfer
) -> list[Line]:
    if transfer.creditor_account_id is not None:
        account = accounts.get_bank_account(
            uow_factory(), tenant_id=tenant_id, account_id=transfer.creditor_account_id
        )
        entity = accounts.get_entity(
            uow_factory(), tenant_id=tenant_id, entity_id=account.entity_id
        )
        return [
            Line("Party · 类型", "group account · 集团内账户"),
            *_entity_lines(entity),
            *_account_lines(account),
        ]
    if transfer.counterparty_id is not None:
        party = accounts.get_counterparty(
            uow_factory(), tenant_id=tenant_id, counterparty_id=transfer.counterparty_id
        )
        return [
            Line("Party · 类型", "counterparty · 交易对手"),
            Line("Name · 名称", party.name),
            Line("Country · 国家/地区", party.country),
            Line("Bank · 银行", party.bank_bic or "—"),
            Line("Account · 账户", party.account or "—"),
            Line("Affiliated · 关联方", "yes · 是" if party.affiliated else "no · 否"),
        ]
    creditor = transfer.creditor or {}
    return [
        Line("Party · 类型", "named in the payment · 付款指令内填写"),
        Line("Name · 名称", str(creditor.get("name", "—"))),
        Line("Country · 国家/地区", str(creditor.get("country", "—"))),
        Line("Bank · 银行", str(creditor.get("bank_bic") or "—")),
        Line("Account · 账户", str(creditor.get("account") or "—")),
    ]


def _history(item: ReviewItem, transfer: Transfer, timezone: str) -> list[HistoryLine]:
    lines = [
        HistoryLine(
            when=instant_text(transfer.created_at, timezone),
            who=transfer.created_by,
            what="created the transfer · 创建付款",
            reason="",
            references="",
        ),
        HistoryLine(
            when=instant_text(item.created_at, timezone),
            who="rules · 规则",
            what=f"opened a {item.kind.value} review · 进入审核",
            reason="",
            references="",
        ),
    ]
    lines.extend(_decision_line(view, timezone) for view in item.decisions)
    return lines


def _decision_line(view: ReviewDecisionView, timezone: str) -> HistoryLine:
    what = "approved · 批准" if view.decision == "approve" else "rejected · 拒绝"
    return HistoryLine(
        when=instant_text(view.decided_at, timezone),
        who=view.officer,
        what=what,
        reason=view.reason,
        references=_references_text(view.references) if view.references else "",
    )
