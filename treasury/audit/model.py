"""The pure side of the chain: canonical events and their hashes, and how a chain is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """A state change: who did what to which object, before and after."""

    id: str
    tenant_id: str | None
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    occurred_at: datetime


@dataclass(frozen=True)
class SealedEvent:
    """An event with its place in the chain and the hashes that bind it there."""

    event: AuditEvent
    chain_index: int
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainHead:
    """The chain's length and last hash: kept outside the database, it exposes truncation."""

    count: int
    hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> ChainHead:
        """Read `COUNT:HASH` as printed by `treasury audit anchor`."""
        count, _, digest = text.strip().partition(":")
        if not count.isdigit() or len(digest) != 64:
            raise ValueError(f"anchor {text!r} is not COUNT:SHA256")
        return cls(int(count), digest)


def canonical(event: AuditEvent) -> str:
    """The event as canonical JSON (sorted keys, UTC instant, no whitespace)."""
    document = {
        "id": event.id,
        "tenant_id": event.tenant_id,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "occurred_at": event.occurred_at.isoformat(),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    """SHA-256 over the previous hash and the canonical event."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(event)}".encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a chain: ok, or the first broken place and why."""

    ok: bool
    count: int
    head: ChainHead
    broken_at: int | None = None
    broken_event_id: str | None = None
    reason: str | None = None


def verify_chain(sealed: Iterable[SealedEvent], anchor: ChainHead | None = None) -> Verification:
    """Check every link; with an anchor, also that the anchored prefix is intact and present."""
    prev_hash, count, hash_at_anchor = GENESIS_HASH, 0, None
    for item in sealed:
        reason = _link_problem(item, count + 1, prev_hash)
        if reason is not None:
            return Verification(
                False, count, ChainHead(count, prev_hash), count + 1, item.event.id, reason
            )
        prev_hash, count = item.hash, count + 1
        if anchor is not None and count == anchor.count:
            hash_at_anchor = item.hash
    head = ChainHead(count, prev_hash)
    if anchor is not None and anchor.count > 0:
        if count < anchor.count:
            reason = f"the chain has {count} events but the anchor recorded {anchor.count}"
            return Verification(False, count, head, count + 1, None, reason)
        if hash_at_anchor != anchor.hash:
            reason = f"event {anchor.count} does not carry the anchored hash"
            return Verification(False, count, head, anchor.count, None, reason)
    return Verification(True, count, head)


def _link_problem(item: SealedEvent, expected_index: int, prev_hash: str) -> str | None:
    if item.chain_index != expected_index:
        return f"event {expected_index} is missing (found {item.chain_index} next)"
    if item.prev_hash != prev_hash:
        return "its previous-hash does not match the event before it"
    if item.hash != chain_hash(prev_hash, item.event):
        return "its content does not match its hash (edited)"
    return None


@dataclass(frozen=True)
class UnsealedEvent:
    """A stored event without a place in the chain: committed moments ago and waiting for the
    sealer, or a row the application never sealed (`problem` says why it cannot be the former)."""

    seq: int
    id: str
    occurred_at: datetime
    has_chain_fields: bool = False
    problem: str | None = None


def unsealed_problem(event: UnsealedEvent, *, now: datetime, grace: timedelta) -> str | None:
    """Why an unsealed event cannot be one the application is about to seal, or None.

    The application sets an event's chain index, previous hash and hash together, in one
    statement, shortly after commit (`audit_seal_delay_seconds`; the `audit.seal` job each minute).
    So a hash without a place in the chain, or an event recorded more than `grace` away from
    now, was not left so by the application: written or edited behind its back.
    """
    if event.has_chain_fields:
        return "it carries a hash but has no place in the chain"
    if abs(now - event.occurred_at) > grace:
        return (
            f"recorded at {event.occurred_at.isoformat()}, more than "
            f"{grace.total_seconds():g} s from now, and never sealed"
        )
    return None
