"""A bank file's XSD validation beside the work it orders: validated in a worker process while
the request reads and writes what the file says, and nothing committed before the verdict.

xmlschema validates in pure Python at about 15 µs an element: a 2 MiB camt.053 of 7,000 entries
(100,000 elements) takes 1.4-1.5 s of CPU to validate, more than everything else its import does,
a 10,000-line pain.002 about 0.5 s (measured; none of xmlschema's options — `iter_errors`,
`use_defaults`, a lazy resource, an lxml tree — makes it cheaper, the lxml tree is 25 % dearer).
An import cannot skip it, but need not wait for it: `begin` hands the bytes (already within
`xml_input`'s bounds, with no DTD) to one worker process that holds the schemas built, and the
caller asks `Pending.violation()` before it commits or answers. Any failure of the work meanwhile
defers to the schema's verdict, so a file invalid by its XSD is refused as such, whatever else is
wrong with it. A worker that cannot be started or dies is replaced by validating in the request's
own process: validation is never skipped.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from treasury.settlement import xml_input
from treasury.settlement.xml_input import Violation

logger = logging.getLogger("treasury.settlement")

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


class Pending:
    """A file's validation under way (or done already, when no worker could take it)."""

    def __init__(self, schema_path: str, xml: bytes, future: Future[Violation | None] | None):
        self._schema_path = schema_path
        self._xml = xml
        self._future = future
        self._done = False
        self._violation: Violation | None = None

    def violation(self) -> Violation | None:
        """The first way the file breaks its schema, or None; waits for the worker."""
        if not self._done:
            self._violation = self._verdict()
            self._done = True
        return self._violation

    def _verdict(self) -> Violation | None:
        if self._future is not None:
            try:
                return self._future.result()
            except BrokenProcessPool:
                logger.warning("the XSD validation worker died; validating in this process")
                _forget_pool()
        return validate(self._schema_path, self._xml)


def validate(schema_path: str, xml: bytes) -> Violation | None:
    """Validate here: the worker's task, and the fallback when there is no worker."""
    return xml_input.violation(xml_input.schema_of(schema_path), xml_input.resource(xml))


def begin(schema_path: str, xml: bytes) -> Pending:
    """Start validating `xml` against the XSD at `schema_path` in the worker process."""
    pool = _executor()
    if pool is None:
        return Pending(schema_path, xml, None)
    try:
        return Pending(schema_path, xml, pool.submit(validate, schema_path, xml))
    except (BrokenProcessPool, RuntimeError):  # RuntimeError: shut down at interpreter exit
        logger.warning("the XSD validation worker is gone; validating in this process")
        _forget_pool()
        return Pending(schema_path, xml, None)


def warm(schema_paths: list[str]) -> list[Future[None]]:
    """Start the worker and build these schemas in it (the API's start-up warm-up); the builds
    under way, for a caller that must wait for them (a benchmark)."""
    pool = _executor()
    if pool is None:
        return []
    builds = [pool.submit(_build, path) for path in schema_paths]
    for build in builds:
        build.add_done_callback(_ignore)
    return builds


def _build(schema_path: str) -> None:
    """Build a schema in the worker (kept there; the schema itself is not sent back)."""
    xml_input.schema_of(schema_path)


def _ignore(_future: Future[None]) -> None:
    """A warm-up build's outcome: a failed one is built again by the first file that needs it."""


def _executor() -> ProcessPoolExecutor | None:
    global _pool
    with _pool_lock:
        if _pool is None:
            try:
                # Spawned, not forked: the API process has threads (the server's, the sealer's).
                context = multiprocessing.get_context("spawn")
                _pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=context,
                    initializer=_outlive_no_parent,
                    initargs=(os.getpid(),),
                )
            except (OSError, ValueError) as error:
                logger.warning("no XSD validation worker (%s); validating in this process", error)
                return None
        return _pool


def _outlive_no_parent(parent_pid: int) -> None:
    """In the worker: end it when the process that started it is gone. A parent that exits
    without shutting the pool down (killed, or a server process ending on a signal) would
    otherwise leave it waiting forever: it holds both ends of its own task queue, so it never
    reads an end of file."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


_PARENT_POLL_SECONDS = 1.0


def _forget_pool() -> None:
    global _pool
    with _pool_lock:
        broken, _pool = _pool, None
    if broken is not None:
        broken.shutdown(wait=False, cancel_futures=True)
