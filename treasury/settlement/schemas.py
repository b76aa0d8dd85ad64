"""The bank files' official XSDs compiled before the first file arrives.

xmlschema builds a schema from its XSD in 0.3-0.6 s of CPU (2.6 s measured on a loaded machine),
once per process (`xml_input.schema_of` keeps each version built): without a warm-up the first
statement or status report of every API process pays it. The entry point warms the versions
banks send most at start in the validation worker, where bank files are validated
(`warm_in_background`); any other version is built on its first file, as before. Validation
itself is never skipped.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Final

from treasury.settlement import camt053, pain002, validation

CAMT053_VERSIONS: Final = ("02", "08")
"""camt.053.001.02 (most banks' statements still) and .08 (SWIFT's CBPR+ MX statements)."""

PAIN002_VERSIONS: Final = ("03", "12")
"""pain.002.001.03 (most banks' status reports still) and .12 (the newest shipped with pain.001's
.09 generation)."""


def warm() -> list[Future[None]]:
    """Build the common versions' schemas now in the validation worker, started now
    (`treasury.settlement.validation`: bank files are validated there), each kept for the
    worker's life; the builds under way."""
    return validation.warm(
        [str(camt053.schema_path(version)) for version in CAMT053_VERSIONS]
        + [pain002.schema_path(version) for version in PAIN002_VERSIONS]
    )


def warm_in_background() -> threading.Thread:
    """`warm` in a daemon thread, so that starting never waits for it (a file arriving meanwhile
    waits for that build rather than making its own)."""
    thread = threading.Thread(target=warm, name="bank-file-schemas", daemon=True)
    thread.start()
    return thread
