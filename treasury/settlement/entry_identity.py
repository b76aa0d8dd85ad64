"""A stable identity for a camt.053 entry that carries neither AcctSvcrRef nor NtryRef.

Many schema-valid bank files identify entries by neither (the Dutch and German samples of OCA's
camt importer do not), yet an import must skip what it has seen when the same statement is sent
again, possibly regenerated with a new message id and creation time. The reference is derived
from what such a re-send keeps:

- the statement: account number, `Stmt/Id` (the servicer's identification of this statement)
  and its page number (`StmtPgntn/PgNb`, else the message's `MsgPgntn/PgNb`), so the same entry
  in another day's statement, or on another page, is another entry;
- the entry's whole content (amount, currency, sign, status, dates, bank transaction code, every
  reference and remittance text it does carry), read by element names without the namespace;
- its occurrence among the entries of identical content in the statement: two genuinely
  identical entries (two equal fees on one day) are the first and the second, not one.

Counting equal content rather than position keeps every other entry's identity when a bank
inserts or drops an entry in a corrected statement. A re-send that changes an entry's content or
the statement's id makes new identities: such entries are imported again.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final
from xml.etree import ElementTree as ET

DERIVED_PREFIX: Final = "derived:"
"""Marks a derived reference (48 characters in all); no bank reference (Max35Text) is that long."""


@dataclass
class DerivedReferences:
    """The derived references of one statement's unreferenced entries, in document order."""

    account: str
    statement_id: str
    page: str | None
    _seen: Counter[str] = field(default_factory=Counter)

    def next(self, entry: ET.Element) -> str:
        """The reference of the next unreferenced entry of the statement."""
        content = json.dumps(list(_content(entry, 0)), ensure_ascii=False, separators=(",", ":"))
        self._seen[content] += 1
        scope = [self.account, self.statement_id, self.page, content, self._seen[content]]
        digest = hashlib.sha256(json.dumps(scope, ensure_ascii=False).encode()).hexdigest()
        return DERIVED_PREFIX + digest[:40]


def _content(node: ET.Element, depth: int) -> Iterator[list[Any]]:
    """The element and its descendants in document order: depth, local name, attributes, text."""
    yield [depth, _local(node.tag), sorted(node.attrib.items()), (node.text or "").strip()]
    for child in node:
        yield from _content(child, depth + 1)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
