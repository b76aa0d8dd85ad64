"""What the capabilities above payments add to its pipeline, handed over by the entry points.

Pooling holds a sweep leg over a pool quota, and only pooling can recompute the quota's headroom
when an officer approves the leg; it also knows the ratio an entity concentrates in its filing,
which the outbound-lending rule needs to screen a loan. Pooling imports payments, so payments may
not import pooling. Nothing registers itself at import: the entry points that build the process —
the API's `create_app`, the CLI's unit-of-work factory (which the scheduler is given) — put a
`PaymentExtensions` on their `UnitOfWorkFactory`, and the pipeline reads it from the unit of work
each use case is handed (`of(uow)`), as `decide_review` is handed its `after_decision` hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from treasury.db.unit_of_work import UnitOfWork
from treasury.payments.model import Transfer, TransferRequest
from treasury.payments.pipeline import Parties


class ApprovalCheck(Protocol):
    """Refuse (raise a `TreasuryError`) or allow (return) booking an approved held transfer on
    `value_date`; a refusal rolls the decision back and the review stays pending."""

    def __call__(
        self, session: Session, *, tenant_id: str, transfer: Transfer, value_date: date
    ) -> None: ...


FactSource = Callable[[Session, str, TransferRequest, Parties, date, str | None], dict[str, Any]]
"""Facts another package assembles for the compliance rules, merged into every screening's."""


@dataclass(frozen=True)
class PaymentExtensions:
    """The checks an approval must pass before booking and the sources of screening facts."""

    approval_checks: tuple[ApprovalCheck, ...] = ()
    fact_sources: tuple[FactSource, ...] = ()


NONE = PaymentExtensions()


def of(uow: UnitOfWork) -> PaymentExtensions:
    """The extensions the entry point gave this unit of work's factory (none: `NONE`)."""
    return uow.extension(PaymentExtensions) or NONE
