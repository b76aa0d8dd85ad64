"""The unit of work: one database transaction per request or job step, committed once by a use case.

Leaving the `with` block without `commit()` rolls back; nothing below a use case commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from treasury.clock import Clock
from treasury.db.engine import READ_ONLY

logger = logging.getLogger("treasury.db")

E = TypeVar("E")


class UnitOfWork:
    """Owns one Session for one transaction."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        clock: Clock,
        commit_listeners: Sequence[Callable[[Session], None]] = (),
        extensions: Sequence[object] = (),
    ) -> None:
        self._session_factory = session_factory
        self.clock = clock
        self._commit_listeners = commit_listeners
        self._extensions = tuple(extensions)
        self._session: Session | None = None
        self._committed = False
        self._after_commit: list[Callable[[Session], None]] = []

    @property
    def session(self) -> Session:
        """The open session (only inside the `with` block)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    @property
    def dialect(self) -> str:
        """The database dialect's name: 'sqlite' or 'postgresql'."""
        return self.session.get_bind().dialect.name

    def extension(self, kind: type[E]) -> E | None:
        """The collaborator of type `kind` the entry point gave this work's factory, if any."""
        return next((each for each in self._extensions if isinstance(each, kind)), None)

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        self._committed = False
        self._after_commit = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if not self._committed:
                session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        """Commit everything done in this unit of work, then run the after-commit steps."""
        self.session.commit()
        self._committed = True
        for listener in self._commit_listeners:
            listener(self.session)
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            self._run_after_commit(callback)

    def after_commit(self, callback: Callable[[Session], None]) -> None:
        """Run `callback` in its own short transaction once this one has committed (once each)."""
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    def _run_after_commit(self, callback: Callable[[Session], None]) -> None:
        # The work is committed already: a failing follow-up is logged and retried by its own
        # next run (e.g. the audit sealer catches up), never reported as the request's failure.
        session = self._session_factory()
        try:
            callback(session)
            session.commit()
        except Exception:
            session.rollback()
            logger.exception("after-commit step %s failed", getattr(callback, "__name__", callback))
        finally:
            session.close()


class UnitOfWorkFactory:
    """Makes units of work bound to one engine and clock; built once per process."""

    def __init__(self, engine: Engine, clock: Clock, *, extensions: Sequence[object] = ()) -> None:
        """`extensions`: what the entry point wires into the use cases (e.g. the checks and
        facts pooling adds to the payment pipeline, `treasury.payments.extensions`)."""
        self.engine = engine
        self.clock = clock
        self.extensions = tuple(extensions)
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = sessionmaker(
            bind=engine.execution_options(**{READ_ONLY: True}),
            expire_on_commit=False,
            autoflush=False,
        )
        self._commit_listeners: list[Callable[[Session], None]] = []

    def on_commit(self, listener: Callable[[Session], None]) -> None:
        """Tell `listener` of every commit of this factory's units of work, with the committed
        session (its `info` still holds what the work noted, e.g. audit events to seal)."""
        self._commit_listeners.append(listener)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions, self.clock, self._commit_listeners, self.extensions)

    def read_only(self) -> UnitOfWork:
        """A unit of work that only reads: on SQLite it does not take the writers' lock."""
        return UnitOfWork(self._read_sessions, self.clock, self._commit_listeners, self.extensions)
