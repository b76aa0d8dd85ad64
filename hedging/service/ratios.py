"""The hedge-ratio report: the actual ratio per exposure bucket against each entity's policy.

A bucket is (entity, pair, direction, month of the expected date). The policy per entity comes
from the tenant's settings (`hedge_ratio_policy`), else the house defaults `hedge.policy_min` /
`hedge.policy_max` (0.5 / 1.0; no regulatory ratio exists — regulation.md §7 rule 4).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from hedging import repository
from treasury.clock import today
from treasury.db.unit_of_work import UnitOfWork
from treasury.money import Money
from treasury.refdata import cache as refdata_cache
from treasury.refdata.model import Parameter
from treasury.tenancy import repository as tenancy_repository


@dataclass(frozen=True)
class RatioBucket:
    """One bucket's exposure, hedged amount and ratio against the entity's policy."""

    entity_id: str
    pair: str
    direction: str
    month: str
    exposure: Money
    hedged: Money
    ratio: Decimal
    policy_min: Decimal
    policy_max: Decimal
    within_policy: bool


def bucket_ratio(exposure_minor: int, hedged_minor: int) -> Decimal:
    """hedged / exposure, to four places (0 for an empty bucket)."""
    if exposure_minor == 0:
        return Decimal(0)
    return (Decimal(hedged_minor) / Decimal(exposure_minor)).quantize(Decimal("0.0001"))


def report(
    uow: UnitOfWork, *, tenant_id: str, entity_id: str | None, timezone: str
) -> list[RatioBucket]:
    """Every open bucket (expected date today or later) with its ratio and policy."""
    with uow:
        session = uow.session
        on = today(uow.clock, timezone)
        rows = [
            row
            for row in repository.list_exposures(session, tenant_id, entity_id)
            if row.expected_date >= on
        ]
        hedged = repository.hedged_minor(session, [row.id for row in rows])
        exposures = [
            (
                (row.entity_id, row.pair, row.direction, row.expected_date.strftime("%Y-%m")),
                row.currency,
                row.amount_minor,
                hedged.get(row.id, 0),
            )
            for row in rows
        ]
        policies = tenancy_repository.effective_settings(session, tenant_id).get(
            "hedge_ratio_policy", {}
        )
        parameters = refdata_cache.snapshot(session).parameters_in_force(on)
    default_min = _parameter(parameters, "hedge.policy_min", Decimal("0.5"))
    default_max = _parameter(parameters, "hedge.policy_max", Decimal(1))
    totals: dict[tuple[str, str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (entity, pair, direction, month), currency, amount, covered in exposures:
        key = (entity, pair, direction, month, currency)
        totals[key][0] += amount
        totals[key][1] += covered
    buckets = []
    for (entity, pair, direction, month, currency), (exposure, covered) in sorted(totals.items()):
        policy = policies.get(entity) or {}
        low = Decimal(str(policy.get("min", default_min)))
        high = Decimal(str(policy.get("max", default_max)))
        ratio = bucket_ratio(exposure, covered)
        buckets.append(
            RatioBucket(
                entity_id=entity,
                pair=pair,
                direction=direction,
                month=month,
                exposure=Money.from_minor(exposure, currency),
                hedged=Money.from_minor(covered, currency),
                ratio=ratio,
                policy_min=low,
                policy_max=high,
                within_policy=low <= ratio <= high,
            )
        )
    return buckets


def _parameter(parameters: dict[str, Parameter], name: str, default: Decimal) -> Decimal:
    found = parameters.get(name)
    return default if found is None else found.decimal()
