"""What the treasurer's page shows: the use cases' results as rows and charts for the templates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from hedging.service import ratios
from positions import service
from positions.model import GroupBy
from positions.service import CashPositions, Ladder, TransferLine
from treasury.api.charts import Band, Bar, LadderPoint, band_chart, bar_chart, ladder_chart
from treasury.calendars import default_calendars
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money

FLOW_LABELS = {
    "booked": "booked 已记账",
    "held": "held 待审",
    "sweep_forecast": "sweep forecast 归集预测",
    "hedge_settlement": "hedge settlement 套保交割",
}


@dataclass(frozen=True)
class LadderBlock:
    """One currency's ladder: its chart and its rows."""

    currency: str
    chart: Markup
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Workspace:
    """Everything the page shows."""

    view: CashPositions
    positions_chart: Markup
    ladder: list[LadderBlock]
    quota_chart: Markup
    quota_rows: list[dict[str, str]]
    mtm_chart: Markup
    ratio_chart: Markup
    ratio_rows: list[ratios.RatioBucket]
    transfers: list[TransferLine]


def _amount(money: Money | None) -> str:
    return "—" if money is None else f"{money.amount:,} {money.currency.code}"


def positions_chart(view: CashPositions) -> Markup:
    """The group's CNY equivalents per key."""
    bars = [
        Bar(
            key=k.key,
            label=k.label,
            value=k.cny_equivalent.amount if k.cny_equivalent is not None else Decimal(0),
            text=_amount(k.cny_equivalent),
            tone="" if k.cny_equivalent is not None else "missing",
        )
        for k in view.key_totals
    ]
    title = (
        f"Cash by {view.group_by.value}, CNY equivalent · 按{_GROUP_ZH[view.group_by]}人民币等值"
    )
    return bar_chart("positions", title, bars)


_GROUP_ZH = {
    GroupBy.ENTITY: "实体",
    GroupBy.CURRENCY: "币种",
    GroupBy.BANK: "银行",
    GroupBy.COUNTRY: "国家/地区",
}


def ladder_blocks(ladder: Ladder) -> list[LadderBlock]:
    """A chart and a table per currency."""
    by_currency: dict[str, list[Any]] = defaultdict(list)
    for row in ladder.rows:
        by_currency[row.currency].append(row)
    blocks = []
    for currency, rows in sorted(by_currency.items()):
        points = [
            LadderPoint(
                day=row.day.isoformat(),
                label=row.day.strftime("%d"),
                inflows=row.inflows.amount,
                outflows=row.outflows.amount,
                closing=row.closing.amount,
                business_day=row.business_day,
            )
            for row in rows
        ]
        title = f"Liquidity ladder {currency} · 流动性阶梯"
        blocks.append(
            LadderBlock(
                currency=currency,
                chart=ladder_chart(title, currency, points),
                rows=[
                    {
                        "day": row.day.isoformat(),
                        "weekday": row.day.strftime("%a"),
                        "business_day": row.business_day,
                        "opening": f"{row.opening.amount:,}",
                        "inflows": f"{row.inflows.amount:,}",
                        "outflows": f"{row.outflows.amount:,}",
                        "closing": f"{row.closing.amount:,}",
                        "sources": ", ".join(
                            FLOW_LABELS.get(source.value, source.value) for source in row.by_source
                        ),
                    }
                    for row in rows
                ],
            )
        )
    return blocks


def quota_parts(view: CashPositions) -> tuple[Markup, list[dict[str, str]]]:
    """Each pool quota's use against its limit, and the rows of its table."""
    bands, rows = [], []
    for pool in view.pools:
        for quota in pool.quotas:
            limit = quota.limit.amount
            key = f"{pool.name}:{quota.kind.value}"
            bands.append(
                Band(
                    key=key,
                    label=f"{pool.name} {quota.kind.value}",
                    value=quota.used.amount,
                    low=Decimal(0),
                    high=limit,
                    scale=max(limit, quota.used.amount) or Decimal(1),
                    text=f"{quota.headroom.amount:,} CNY",
                    ok=quota.headroom.amount >= 0,
                )
            )
            rows.append(
                {
                    "pool": pool.name,
                    "kind": quota.kind.value,
                    "limit": _amount(quota.limit),
                    "used": _amount(quota.used),
                    "headroom": _amount(quota.headroom),
                }
            )
    title = "Pool quota headroom (CNY) · 资金池额度余量"
    return band_chart("quotas", title, bands), rows


def mtm_chart(view: CashPositions) -> Markup:
    """Live hedges' latest MTM per pair, in CNY equivalents."""
    bars = [
        Bar(
            key=h.pair,
            label=f"{h.pair} ({h.hedges})",
            value=h.cny_equivalent.amount if h.cny_equivalent is not None else Decimal(0),
            text=_amount(h.mtm),
        )
        for h in view.hedges
    ]
    return bar_chart("mtm", "Hedge MTM by pair · 套期保值按货币对估值", bars)


def ratio_chart(buckets: list[ratios.RatioBucket]) -> Markup:
    """Each open exposure bucket's hedge ratio against its entity's policy band."""
    bands = [
        Band(
            key=f"{b.pair}:{b.direction}:{b.month}",
            label=f"{b.pair} {b.direction} {b.month}",
            value=b.ratio,
            low=b.policy_min,
            high=b.policy_max,
            scale=max(Decimal("1.2"), b.ratio),
            text=f"{(b.ratio * 100).quantize(Decimal('0.1'))} %",
            ok=b.within_policy,
        )
        for b in buckets
    ]
    return band_chart("ratios", "Hedge ratio against policy · 套保比率与政策区间", bands)


def workspace(
    uow_factory: UnitOfWorkFactory,
    *,
    tenant_id: str,
    token_id: str | None,
    as_of: date,
    group_by: GroupBy,
    days: int,
    today_: date,
    timezone: str,
) -> Workspace:
    """Read every part of the page (each use case in its own read-only unit of work)."""
    view = service.cash_positions(
        uow_factory.read_only(), tenant_id=tenant_id, as_of=as_of, group_by=group_by
    )
    ladder = service.liquidity_ladder(
        uow_factory.read_only(),
        tenant_id=tenant_id,
        first=as_of,
        days=days,
        today_=today_,
        calendars=default_calendars(),
    )
    buckets = ratios.report(
        uow_factory.read_only(), tenant_id=tenant_id, entity_id=None, timezone=timezone
    )
    transfers = service.recent_transfers(
        uow_factory.read_only(), tenant_id=tenant_id, created_by_token_id=token_id
    )
    quota_svg, quota_rows = quota_parts(view)
    return Workspace(
        view=view,
        positions_chart=positions_chart(view),
        ladder=ladder_blocks(ladder),
        quota_chart=quota_svg,
        quota_rows=quota_rows,
        mtm_chart=mtm_chart(view),
        ratio_chart=ratio_chart(buckets),
        ratio_rows=buckets,
        transfers=transfers,
    )
