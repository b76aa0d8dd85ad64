"""The one way a transfer changes state: the move checked against `model.TRANSITIONS`, and its
audit event written in the same unit of work.

The pipeline's outcomes, review decisions, bank reports and statements all move transfers
through `transition`; `note` records an event that leaves the state as it is (a statement line
confirming a transfer the bank had reported settled already). `Transitions` is their form for
many transfers in one unit of work (bank files): the same check and change per move, the events
written by one insert.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from treasury.audit import service as audit
from treasury.audit.repository import NewEvent
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
    before = _moved(uow, row, target)
    audit.record(uow, **_event(row, before, action or f"transfer.{target.value}", actor, details))


def note(
    uow: UnitOfWork, row: TransferRow, *, action: str, actor: str, details: Mapping[str, Any]
) -> None:
    """Record an event on the transfer that leaves its state unchanged."""
    audit.record(uow, **_event(row, row.status, action, actor, details))


def _moved(uow: UnitOfWork, row: TransferRow, target: TransferStatus) -> str:
    """Check the move against `model.TRANSITIONS` and apply it to the row; the status before."""
    before = row.status
    if not may_move(before, target):
        raise Conflict(f"transfer {row.id} is {before}; it cannot become {target.value}")
    uow.session.add(row)
    row.status = target.value
    row.updated_at = uow.clock.now()
    return before


def _event(
    row: TransferRow, before: str, action: str, actor: str, details: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The audit event of a move or note: the status before, and after it with the details."""
    return {
        "tenant_id": row.tenant_id,
        "actor": actor,
        "action": action,
        "object_type": "transfer",
        "object_id": row.id,
        "before": None if before == NEW else {"status": before},
        "after": {"status": row.status, **(details or {})},
    }


class Transitions:
    """`transition` and `note` for many transfers of one unit of work (a bank file's thousands
    of lines): each move checked against `model.TRANSITIONS` and applied to its row at once, in
    order (a later move of the same transfer starts from the earlier one's status), and their
    audit events written together by one insert when `record` is called."""

    def __init__(self, uow: UnitOfWork, *, actor: str) -> None:
        self.uow = uow
        self.actor = actor
        self.events: list[NewEvent] = []

    def move(
        self,
        row: TransferRow,
        target: TransferStatus,
        *,
        details: Mapping[str, Any] | None = None,
        action: str | None = None,
    ) -> None:
        """Move the transfer to `target`; its event waits for `record`.

        Raises:
            Conflict: the move is not one `model.TRANSITIONS` allows.
        """
        before = _moved(self.uow, row, target)
        self._add(row, before, action or f"transfer.{target.value}", details)

    def note(self, row: TransferRow, *, action: str, details: Mapping[str, Any]) -> None:
        """An event on the transfer that leaves its state unchanged; it waits for `record`."""
        self._add(row, row.status, action, details)

    def record(self) -> None:
        """Write the events of the moves and notes so far (one insert) in the unit of work."""
        audit.record_many(self.uow.session, self.events)
        self.events = []

    def _add(
        self, row: TransferRow, before: str, action: str, details: Mapping[str, Any] | None
    ) -> None:
        fields = _event(row, before, action, self.actor, details)
        self.events.append(NewEvent(**fields, occurred_at=self.uow.clock.now()))
