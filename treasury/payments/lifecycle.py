"""The one way a transfer changes state: the move checked against `model.TRANSITIONS`, and its
audit event written in the same unit of work.

The pipeline's outcomes, review decisions, bank reports and statements all move transfers
through `transition`; `note` records an event that leaves the state as it is (a statement line
confirming a transfer the bank had reported settled already).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from treasury.audit import service as audit
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict
from treasury.payments.model import NEW, TransferStatus, may_move
from treasury.payments.tables import TransferRow


def transition(
    uow: UnitOfWork,
    row: TransferRow,
    target: TransferStatus,
    *,
    actor: str,
    details: Mapping[str, Any] | None = None,
    action: str | None = None,
) -> None:
    """Move the transfer to `target` and record `transfer.<target>` (or `action`).

    The event's `after` is the new status followed by `details`.

    Raises:
        Conflict: the move is not one `model.TRANSITIONS` allows (callers check first where a
            refusal is a business answer; this is the guard that no path skips).
    """
    before = row.status
    if not may_move(before, target):
        raise Conflict(f"transfer {row.id} is {before}; it cannot become {target.value}")
    uow.session.add(row)
    row.status = target.value
    row.updated_at = uow.clock.now()
    _record(uow, row, before, action or f"transfer.{target.value}", actor, details)


def note(
    uow: UnitOfWork, row: TransferRow, *, action: str, actor: str, details: Mapping[str, Any]
) -> None:
    """Record an event on the transfer that leaves its state unchanged."""
    _record(uow, row, row.status, action, actor, details)


def _record(
    uow: UnitOfWork,
    row: TransferRow,
    before: str,
    action: str,
    actor: str,
    details: Mapping[str, Any] | None,
) -> None:
    audit.record(
        uow,
        tenant_id=row.tenant_id,
        actor=actor,
        action=action,
        object_type="transfer",
        object_id=row.id,
        before=None if before == NEW else {"status": before},
        after={"status": row.status, **(details or {})},
    )
