"""The bank files' official XSDs compiled before the first file arrives.

xmlschema builds a schema from its XSD in 0.3-0.6 s of CPU (2.6 s measured on a loaded machine),
once per process (`camt053.schema`, `pain002.schema` keep each version built): without a warm-up
the first statement or status report of every API process pays it. The entry point warms the
versions banks send most at start, in a background thread and the validation worker
(`warm_in_background`); any other version is built on its first file, as before. Validation
itself is never skipped.
"""

from __future__ import annotations

import threading
from typing import Final

from treasury.settlement import camt053, pain002, validation

CAMT053_VERSIONS: Final = ("02", "08")
"""camt.053.001.02 (most banks' statements still) and .08 (SWIFT's CBPR+ MX statements)."""

PAIN002_VERSIONS: Final = ("03", "12")
"""pain.002.001.03 (most banks' status reports still) and .12 (the newest shipped with pain.001's
.09 generation)."""


def warm() -> None:
    """Build the common versions' schemas now, each kept for the process's life: camt.053's in
    the validation worker, started now (`treasury.settlement.validation`: statements are
    validated there), pain.002's here."""
    validation.warm([str(camt053.schema_path(version)) for version in CAMT053_VERSIONS])
    for version in PAIN002_VERSIONS:
        pain002.schema(version)


def warm_in_background() -> threading.Thread:
    """`warm` in a daemon thread, so that starting never waits for it (a file arriving meanwhile
    waits for that build rather than making its own)."""
    thread = threading.Thread(target=warm, name="bank-file-schemas", daemon=True)
    thread.start()
    return thread
