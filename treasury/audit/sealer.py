"""The audit sealer: hashes committed events into the chain shortly after the commits that wrote
them, so a burst of writes is sealed in one block instead of one extra transaction per write.

The entry point that builds a unit-of-work factory owns its sealer (`create_app`, the CLI): there
is no module-level state, and every seal is an ordinary use case through that factory. The
`audit.seal` scheduler job seals whatever a process left behind (one that stopped before its
timer fired); verification seals first too, so it never depends on the timer.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session

from treasury.audit import service
from treasury.db.unit_of_work import UnitOfWorkFactory

logger = logging.getLogger("treasury.audit")


class AuditSealer:
    """Seals after the commits of one unit-of-work factory that recorded audit events."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, delay_seconds: float) -> None:
        self._uow_factory = uow_factory
        self._delay_seconds = delay_seconds
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        uow_factory.on_commit(self._notice)

    def _notice(self, session: Session) -> None:
        if service.seal_requested(session):
            self.request()

    def request(self) -> None:
        """Seal within the delay; requests arriving meanwhile join the same seal."""
        with self._lock:
            if self._timer is not None:
                return
            self._timer = threading.Timer(self._delay_seconds, self._seal_in_background)
            self._timer.daemon = True
            self._timer.start()

    @property
    def waiting(self) -> bool:
        """Whether a seal is scheduled."""
        with self._lock:
            return self._timer is not None

    def flush(self) -> int:
        """Seal now instead of at the pending timer (at shutdown); returns how many were sealed."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        return service.seal_pending(self._uow_factory())

    def _seal_in_background(self) -> None:
        with self._lock:
            self._timer = None
        try:
            service.seal_pending(self._uow_factory())
        except Exception:  # the next seal catches up; a failure here must not kill the process
            logger.exception("sealing the audit chain failed; the next seal will catch up")
