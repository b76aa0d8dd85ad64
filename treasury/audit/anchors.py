"""Chain heads kept outside the database: one JSON file per anchoring, in the anchor directory.

Someone who can rewrite the database can rewrite the newest events and their hashes consistently;
a head kept elsewhere exposes that. Each file names the database it anchors (one directory may
serve several) and is written whole (a temporary file, then a rename), never rewritten; `latest`
is this database's newest file by anchoring time.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from treasury.audit.model import ChainHead
from treasury.errors import AuditAnchorInvalid


@dataclass(frozen=True)
class StoredAnchor:
    """A chain head as kept in its file."""

    path: Path
    head: ChainHead
    anchored_at: datetime


def database_identity(url: str) -> str:
    """The database a URL names, without driver or credentials; SQLite by its absolute path."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:{Path(parsed.database or '').resolve()}"
    return f"{backend}://{parsed.host or ''}:{parsed.port or ''}/{parsed.database or ''}"


class AnchorStore:
    """The anchor files of one database in one directory."""

    def __init__(self, directory: Path, database: str) -> None:
        self.directory = directory
        self.database = database
        self._prefix = hashlib.sha256(database.encode()).hexdigest()[:16]

    @classmethod
    def for_url(cls, directory: Path, database_url: str) -> AnchorStore:
        """The store of the database at `database_url`."""
        return cls(directory, database_identity(database_url))

    def latest(self) -> StoredAnchor | None:
        """The newest anchor of this database, or None when none was kept yet.

        Raises:
            AuditAnchorInvalid: the newest file cannot be read as this database's anchor.
        """
        files = sorted(self.directory.glob(f"{self._prefix}-*.json"))
        return None if not files else self._read(files[-1])

    def write(self, head: ChainHead, anchored_at: datetime) -> StoredAnchor:
        """Keep `head` as anchored at `anchored_at`."""
        self.directory.mkdir(parents=True, exist_ok=True)
        instant = anchored_at.astimezone(UTC)
        path = self.directory / f"{self._prefix}-{instant:%Y%m%dT%H%M%S%fZ}-{head.count:012d}.json"
        document = {
            "database": self.database,
            "count": head.count,
            "hash": head.hash,
            "anchored_at": instant.isoformat(),
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)
        return StoredAnchor(path, head, instant)

    def _read(self, path: Path) -> StoredAnchor:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            head = ChainHead.parse(f"{document['count']}:{document['hash']}")
            anchored_at = datetime.fromisoformat(document["anchored_at"])
            database = document["database"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise AuditAnchorInvalid(f"anchor file {path} is unreadable: {error}") from error
        if database != self.database:
            raise AuditAnchorInvalid(f"anchor file {path} anchors {database}, not {self.database}")
        return StoredAnchor(path, head, anchored_at)
