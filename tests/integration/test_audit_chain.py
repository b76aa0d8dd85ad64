"""The tamper-evident audit chain: state changes append events, and edits or deletions are caught.

The chain is global (every tenant's events and the operator's), so each test here works on a
database of its own, freshly migrated: an SQLite file, or a new PostgreSQL database created on the
test cluster and dropped afterwards. Tampering uses raw SQL, as an attacker with database access
would; `treasury audit verify` is also run as a subprocess against the tampered database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Table, create_engine, insert, text
from sqlalchemy.engine import make_url

from tests.support import (
    TenantFixture,
    create_entity,
    dispose_app,
    fund,
    join_audit_sealers,
    make_tenant,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.api.app import create_app
from treasury.audit import service as audit_service
from treasury.audit.model import ChainHead, Verification, chain_hash
from treasury.audit.repository import to_event
from treasury.audit.tables import AuditEventRow
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.db.engine import is_sqlite
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import AuditChainBroken
from treasury.refdata import service as refdata_service
from treasury.scheduler import build_scheduler
from treasury.settings import Settings

TODAY = date(2026, 11, 26)


@dataclass
class Fresh:
    """A freshly migrated database of its own, with the API over it."""

    url: str
    engine: Engine
    uow_factory: UnitOfWorkFactory
    client: TestClient
    anchor_dir: Path


@pytest.fixture
def fresh(
    database_url: str, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Fresh]:
    """A new database of the session's kind, migrated, with an app and client on it."""
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    admin: Engine | None = None
    name = f"treasury_audit_{uuid.uuid4().hex[:12]}"
    if is_sqlite(database_url):
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        app = create_app(Settings(database_url=url, scheduler="off"), clock=clock)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Fresh(url, app.state.engine, app.state.uow_factory, client, tmp_path / "anchors")
        dispose_app(app)
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


# Producing state changes ------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What `make_history` did: the tenant and the objects whose events to look for."""

    tenant: TenantFixture
    entity_id: str
    booked_id: str
    approved_id: str
    rejected_review_id: str
    refused_id: str


def _transfer(client: TestClient, tenant: TenantFixture, body: dict[str, Any], status: str) -> Any:
    response = post_transfer(client, tenant.treasurer, body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == status, response.json()
    return response.json()


def make_history(fresh: Fresh) -> History:
    """A tenant, its tokens, master data, transfers of every outcome, decisions, reference data."""
    client, factory = fresh.client, fresh.uow_factory
    tenant = make_tenant(factory, f"audit-{uuid.uuid4().hex[:8]}")
    refdata_service.add_reference_rate(
        factory(),
        refdata_service.RateInput("USDCNY", TODAY, Decimal("7.10"), "CFETS (test)"),
        actor="operator-test",
    )
    refdata_service.add_parameter(
        factory(),
        refdata_service.ParameterInput(
            "audit.test_marker", "1", date(2026, 1, 1), "audit chain test"
        ),
        actor="operator-test",
    )
    entity = create_entity(client, tenant.treasurer)
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital")
    current = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, capital["id"], "1000000.00")
    fund(client, tenant.treasurer, current["id"], "1000000.00")
    booked = _transfer(
        client,
        tenant,
        transfer_body(current["id"], capital["id"], "10.00", purpose="goods_trade"),
        "booked",
    )
    to_approve = _transfer(
        client, tenant, transfer_body(capital["id"], current["id"], "20.00"), "held"
    )
    to_reject = _transfer(
        client, tenant, transfer_body(capital["id"], current["id"], "30.00"), "held"
    )
    refused = _transfer(
        client,
        tenant,
        transfer_body(capital["id"], current["id"], "40.00", purpose="securities_investment"),
        "rejected",
    )
    for transfer, decision in ((to_approve, "approve"), (to_reject, "reject")):
        response = client.post(
            f"/v1/reviews/{transfer['review_id']}/decision",
            json={"decision": decision, "reason": f"{decision} after checking"},
            headers=tenant.officer,
        )
        assert response.status_code == 200, response.text
    settings = client.patch(
        "/v1/settings",
        json={"dual_approval_threshold": {"amount": "1000000.00", "currency": "CNY"}},
        headers=tenant.admin,
    )
    assert settings.status_code == 200, settings.text
    return History(
        tenant, entity["id"], booked["id"], to_approve["id"], to_reject["review_id"], refused["id"]
    )


# Reading and tampering with raw SQL -------------------------------------------------------------


def stored_events(fresh: Fresh) -> list[dict[str, Any]]:
    """Every stored event row, in chain order."""
    with fresh.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT seq, id, tenant_id, actor, action, object_type, object_id, before_json, "
                "after_json, chain_index, prev_hash, hash FROM audit_event ORDER BY chain_index"
            )
        )
        return [dict(row._mapping) for row in rows]


def execute(fresh: Fresh, statement: str, **parameters: Any) -> int:
    """Run one raw SQL statement in its own transaction; returns the rows it touched."""
    with fresh.engine.begin() as connection:
        return connection.execute(text(statement), parameters).rowcount


def verify(fresh: Fresh, anchor: ChainHead | None = None) -> Verification:
    """`treasury.audit.service.verify` on the fresh database."""
    report = audit_service.verify(fresh.uow_factory(), anchor)
    assert report.unsealed == 0
    return report.verification


def sealed_history(fresh: Fresh) -> tuple[History, ChainHead, list[dict[str, Any]]]:
    """Make the history, seal it, and return it with the anchor and the stored rows."""
    history = make_history(fresh)
    head = audit_service.anchor(fresh.uow_factory())
    events = stored_events(fresh)
    assert head.count == len(events) > 15
    return history, head, events


def event_of(events: list[dict[str, Any]], action: str, object_id: str) -> dict[str, Any]:
    """The one stored event of an action on an object."""
    found = [e for e in events if e["action"] == action and e["object_id"] == object_id]
    assert len(found) == 1, (action, object_id, found)
    return found[0]


# The chain records and verifies -----------------------------------------------------------------


def test_every_state_change_appends_an_event_and_the_chain_verifies(fresh: Fresh) -> None:
    history, head, events = sealed_history(fresh)
    tenant_id = history.tenant.id

    actions = {(e["action"], e["object_id"]) for e in events}
    assert ("tenant.created", tenant_id) in actions
    tokens = [e for e in events if e["action"] == "token.created" and e["tenant_id"] == tenant_id]
    assert sorted(json.loads(e["after_json"])["role"] for e in tokens) == [
        "admin",
        "auditor",
        "compliance_officer",
        "treasurer",
    ]
    assert ("entity.created", history.entity_id) in actions
    assert sum(e["action"] == "account.opened" for e in events) == 2
    assert ("reference_rate.loaded", "USDCNY@2026-11-26") in actions
    assert ("parameter.loaded", "audit.test_marker@2026-01-01") in actions
    assert ("settings.updated", tenant_id) in actions
    assert ("transfer.booked", history.booked_id) in actions
    assert ("transfer.rejected", history.refused_id) in actions
    # held, then approved by an officer and booked
    held = event_of(events, "transfer.held", history.approved_id)
    booked = event_of(events, "transfer.booked", history.approved_id)
    assert json.loads(booked["before_json"]) == {"status": "held"}
    assert booked["actor"] == f"compliance_officer-{history.tenant.slug}"
    assert held["chain_index"] < booked["chain_index"]
    decisions = [e for e in events if e["action"] in ("review.approve", "review.reject")]
    assert [e["action"] for e in decisions] == ["review.approve", "review.reject"]
    assert decisions[1]["object_id"] == history.rejected_review_id
    assert json.loads(decisions[1]["after_json"])["reason"] == "reject after checking"

    assert [e["chain_index"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["hash"] and e["prev_hash"] for e in events)
    assert verify(fresh) == Verification(True, len(events), head)
    assert head == ChainHead(len(events), events[-1]["hash"])
    assert verify(fresh, head).ok


def test_the_stored_hashes_are_the_chain_of_the_canonical_events(fresh: Fresh) -> None:
    _, head, _ = sealed_history(fresh)
    with fresh.uow_factory() as uow:
        rows = uow.session.query(AuditEventRow).order_by(AuditEventRow.chain_index).all()
        previous = "0" * 64
        for row in rows:
            assert row.prev_hash == previous
            assert row.hash == chain_hash(previous, to_event(row))
            previous = row.hash
    assert previous == head.hash


def test_an_anchor_stays_valid_as_the_chain_grows(fresh: Fresh) -> None:
    history, head, _ = sealed_history(fresh)
    entity = create_entity(fresh.client, history.tenant.treasurer)

    grown = audit_service.anchor(fresh.uow_factory())

    assert grown.count == head.count + 1
    assert verify(fresh, head).ok
    assert verify(fresh, grown).ok
    assert event_of(stored_events(fresh), "entity.created", entity["id"])["chain_index"] == (
        grown.count
    )


# Tampering --------------------------------------------------------------------------------------


EDITS = [
    ("after_json", None),
    ("actor", "someone-else"),
    ("action", "transfer.rejected"),
    ("object_id", "00000000-0000-0000-0000-000000000000"),
    ("before_json", '{"status": "booked"}'),
    ("tenant_id", None),
]


def test_an_edited_event_is_named_and_restoring_it_heals_the_chain(fresh: Fresh) -> None:
    history, head, events = sealed_history(fresh)
    target = event_of(events, "transfer.booked", history.approved_id)

    for column, value in EDITS:
        update = f"UPDATE audit_event SET {column} = :v WHERE id = :id"
        assert execute(fresh, update, v=value, id=target["id"]) == 1

        result = verify(fresh, head)
        assert (result.ok, result.broken_at, result.broken_event_id) == (
            False,
            target["chain_index"],
            target["id"],
        ), column
        assert result.reason is not None
        assert "edited" in result.reason

        execute(fresh, update, v=target[column], id=target["id"])
        assert verify(fresh, head).ok, column


def test_an_edited_amount_is_named(fresh: Fresh) -> None:
    history, _, events = sealed_history(fresh)
    target = event_of(events, "transfer.booked", history.booked_id)
    after = json.loads(target["after_json"])
    assert after["amount"] == 1000
    after["amount"] = 1

    execute(
        fresh,
        "UPDATE audit_event SET after_json = :v WHERE id = :id",
        v=json.dumps(after, sort_keys=True),
        id=target["id"],
    )

    result = verify(fresh)
    assert (result.ok, result.broken_at, result.broken_event_id) == (
        False,
        target["chain_index"],
        target["id"],
    )


def test_a_document_edited_into_non_json_is_named_not_a_crash(fresh: Fresh) -> None:
    history, head, events = sealed_history(fresh)
    target = event_of(events, "transfer.booked", history.booked_id)

    execute(
        fresh, "UPDATE audit_event SET after_json = '{not json' WHERE id = :id", id=target["id"]
    )

    result = verify(fresh, head)
    assert (result.ok, result.broken_at, result.broken_event_id) == (
        False,
        target["chain_index"],
        target["id"],
    )


def test_sealers_racing_on_an_empty_database_make_one_chain(fresh: Fresh) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def seal() -> None:
        try:
            barrier.wait(timeout=10)
            audit_service.seal_pending(fresh.uow_factory())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    make_history(fresh)
    # verification no longer seals: the sealer does, as the application would after commit
    audit_service.seal_pending(fresh.uow_factory())
    assert verify(fresh).ok


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(fresh: Fresh) -> None:
    _, _, events = sealed_history(fresh)
    middle = events[len(events) // 2]
    with fresh.uow_factory() as uow:
        row = uow.session.get(AuditEventRow, middle["seq"])
        assert row is not None
        row.actor = "forger"
        forged = chain_hash(middle["prev_hash"], to_event(row))
    execute(
        fresh,
        "UPDATE audit_event SET actor = 'forger', hash = :h WHERE id = :id",
        h=forged,
        id=middle["id"],
    )

    result = verify(fresh)

    assert not result.ok
    assert result.broken_at == middle["chain_index"] + 1
    assert result.broken_event_id == events[len(events) // 2 + 1]["id"]
    assert result.reason is not None
    assert "previous-hash" in result.reason


def test_a_deleted_middle_event_is_caught_at_the_gap(fresh: Fresh) -> None:
    _, head, events = sealed_history(fresh)
    gap = events[len(events) // 2]

    assert execute(fresh, "DELETE FROM audit_event WHERE id = :id", id=gap["id"]) == 1

    for anchor in (None, head):
        result = verify(fresh, anchor)
        assert not result.ok
        assert result.broken_at == gap["chain_index"]
        assert result.broken_event_id == events[len(events) // 2 + 1]["id"]
        assert result.reason == (
            f"event {gap['chain_index']} is missing (found {gap['chain_index'] + 1} next)"
        )


def test_deleting_the_newest_events_is_caught_only_against_the_anchor(fresh: Fresh) -> None:
    _, head, events = sealed_history(fresh)

    removed = execute(
        fresh, "DELETE FROM audit_event WHERE chain_index > :keep", keep=len(events) - 2
    )

    assert removed == 2
    shortened = verify(fresh)
    assert shortened.ok  # a consistent prefix: without the anchor, nothing to compare with
    assert shortened.count == len(events) - 2
    against_anchor = verify(fresh, head)
    assert not against_anchor.ok
    assert against_anchor.reason == (
        f"the chain has {len(events) - 2} events but the anchor recorded {len(events)}"
    )


def test_a_rewritten_newest_event_is_caught_only_against_the_anchor(fresh: Fresh) -> None:
    _, head, events = sealed_history(fresh)
    last = events[-1]
    with fresh.uow_factory() as uow:
        row = uow.session.get(AuditEventRow, last["seq"])
        assert row is not None
        row.actor = "forger"
        forged = chain_hash(last["prev_hash"], to_event(row))
    execute(
        fresh,
        "UPDATE audit_event SET actor = 'forger', hash = :h WHERE id = :id",
        h=forged,
        id=last["id"],
    )

    assert verify(fresh).ok
    against_anchor = verify(fresh, head)
    assert not against_anchor.ok
    assert against_anchor.broken_at == head.count


# The CLI ----------------------------------------------------------------------------------------


def treasury_cli(
    fresh: Fresh, *arguments: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run the `treasury` console script against the fresh database (its anchors in a temp dir;
    `settings` are more TREASURY_ variables, e.g. audit_seal_grace_seconds="60")."""
    executable = Path(sys.executable).with_name("treasury")
    environment = {
        **os.environ,
        "TREASURY_DATABASE_URL": fresh.url,
        "TREASURY_SCHEDULER": "off",
        "TREASURY_AUDIT_ANCHOR_DIR": str(fresh.anchor_dir),
        **{f"TREASURY_{name.upper()}": value for name, value in settings.items()},
    }
    return subprocess.run(
        [str(executable), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_verify_exits_non_zero_on_tamper_and_truncation(fresh: Fresh) -> None:
    history, _, events = sealed_history(fresh)

    anchored = treasury_cli(fresh, "audit", "anchor")
    assert anchored.returncode == 0, anchored.stderr
    anchor = anchored.stdout.strip().splitlines()[-1]
    assert ChainHead.parse(anchor) == ChainHead(len(events), events[-1]["hash"])
    clean = treasury_cli(fresh, "audit", "verify", "--anchor", anchor)
    assert clean.returncode == 0, clean.stderr
    assert f"audit chain ok: {len(events)} events" in clean.stdout

    target = event_of(events, "transfer.rejected", history.refused_id)
    execute(fresh, "UPDATE audit_event SET actor = 'nobody' WHERE id = :id", id=target["id"])
    edited = treasury_cli(fresh, "audit", "verify")
    assert edited.returncode == 1
    assert f"broken at event {target['chain_index']}" in edited.stderr
    assert target["id"] in edited.stderr

    execute(
        fresh,
        "UPDATE audit_event SET actor = :a WHERE id = :id",
        a=target["actor"],
        id=target["id"],
    )
    assert verify(fresh).ok  # restored
    execute(fresh, "DELETE FROM audit_event WHERE chain_index = :i", i=len(events))
    assert verify(fresh).ok  # what remains is consistent on its own: only the anchor tells
    against_anchor = treasury_cli(fresh, "audit", "verify", "--anchor", anchor)
    assert against_anchor.returncode == 1
    assert "anchor" in against_anchor.stderr


# Verification only reads; rows the application did not seal are reported -----------------------


def forge_event(fresh: Fresh, *, occurred_at: datetime) -> str:
    """An event written straight into `audit_event`, as a forger with database access would
    (no hash, no place in the chain); returns its id.

    Written once the app's sealer timers are done: the sealer seals whatever it finds unsealed
    (it cannot tell a forged row from one just committed), so these tests show what
    verification does with the row, before the application's next seal.
    """
    join_audit_sealers()
    forged_id = str(uuid.uuid4())
    with fresh.engine.begin() as connection:
        connection.execute(
            insert(cast(Table, AuditEventRow.__table__)).values(
                id=forged_id,
                tenant_id=None,
                actor="forger",
                action="transfer.booked",
                object_type="transfer",
                object_id=str(uuid.uuid4()),
                before_json='{"status": "held"}',
                after_json='{"status": "booked"}',
                occurred_at=occurred_at,
            )
        )
    return forged_id


def unsealed_ids(fresh: Fresh) -> list[str]:
    """The ids of the stored events without a place in the chain."""
    with fresh.engine.connect() as connection:
        query = "SELECT id FROM audit_event WHERE chain_index IS NULL ORDER BY seq"
        return [row[0] for row in connection.execute(text(query))]


def run_anchor_job(fresh: Fresh) -> None:
    """The scheduler's daily `audit.anchor` job, as registered, run once (under its lease)."""
    settings = Settings(database_url=fresh.url, scheduler="off", audit_anchor_dir=fresh.anchor_dir)
    scheduler = build_scheduler(settings, fresh.uow_factory, blocking=False, pools=False)
    job = scheduler.get_job("audit.anchor")
    assert job is not None
    assert "hour='0'" in str(job.trigger)
    job.func(*job.args)


def anchor_files(fresh: Fresh) -> list[Path]:
    return sorted(fresh.anchor_dir.glob("*.json"))


def test_verify_names_a_forged_unsealed_event_and_does_not_seal_it(fresh: Fresh) -> None:
    sealed_history(fresh)
    # backdated by an hour, as a forger making an event look like part of the day's history
    forged = forge_event(fresh, occurred_at=datetime.now(UTC) - timedelta(hours=1))

    result = treasury_cli(fresh, "audit", "verify")

    assert result.returncode == 1, result.stdout + result.stderr
    assert forged in result.stderr
    assert "not sealed by the application" in result.stderr
    assert unsealed_ids(fresh) == [forged]  # verification wrote nothing


def test_an_unsealed_event_is_pending_within_the_grace_period_and_named_after_it(
    fresh: Fresh, clock: FixedClock
) -> None:
    sealed_history(fresh)
    forged = forge_event(fresh, occurred_at=clock.now())
    grace = timedelta(minutes=5)

    recent = audit_service.verify(fresh.uow_factory(), None, grace=grace)
    clock.instant += timedelta(minutes=6)
    late = audit_service.verify(fresh.uow_factory(), None, grace=grace)

    assert recent.ok
    assert recent.verification.ok
    assert [event.id for event in recent.pending] == [forged]
    assert recent.not_sealed == ()
    assert not late.ok
    assert late.verification.ok  # the sealed chain itself is intact
    assert [event.id for event in late.not_sealed] == [forged]
    assert unsealed_ids(fresh) == [forged]


def test_the_newest_event_with_its_chain_fields_nulled_is_caught_and_stays_unsealed(
    fresh: Fresh,
) -> None:
    _, head, events = sealed_history(fresh)
    run_anchor_job(fresh)
    [anchor_file] = anchor_files(fresh)
    newest = events[-1]
    join_audit_sealers()  # else a late timer of the app's would seal the row again

    execute(
        fresh,
        "UPDATE audit_event SET chain_index = NULL, prev_hash = NULL, hash = NULL WHERE id = :id",
        id=newest["id"],
    )
    # by the anchor file, however long the grace period
    by_anchor = treasury_cli(fresh, "audit", "verify", audit_seal_grace_seconds=str(10**9))
    anchor_file.unlink()
    # and without one, by its age: it was committed long before now
    by_age = treasury_cli(fresh, "audit", "verify")

    assert by_anchor.returncode == 1, by_anchor.stdout + by_anchor.stderr
    assert str(anchor_file) in by_anchor.stdout
    assert f"the anchor recorded {head.count}" in by_anchor.stderr
    assert by_age.returncode == 1, by_age.stdout + by_age.stderr
    assert newest["id"] in by_age.stderr
    assert unsealed_ids(fresh) == [newest["id"]]


def test_verify_uses_the_latest_anchor_file_the_scheduler_wrote(
    fresh: Fresh, clock: FixedClock
) -> None:
    history, first_head, _ = sealed_history(fresh)
    run_anchor_job(fresh)
    create_entity(fresh.client, history.tenant.treasurer)
    clock.instant += timedelta(days=1)
    run_anchor_job(fresh)
    first, latest = anchor_files(fresh)
    stored = json.loads(latest.read_text(encoding="utf-8"))
    events = stored_events(fresh)

    clean = treasury_cli(fresh, "audit", "verify")
    execute(fresh, "DELETE FROM audit_event WHERE chain_index = :i", i=len(events))
    truncated = treasury_cli(fresh, "audit", "verify")

    assert json.loads(first.read_text(encoding="utf-8"))["count"] == first_head.count
    assert (stored["count"], stored["hash"]) == (len(events), events[-1]["hash"])
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert str(latest) in clean.stdout
    assert truncated.returncode == 1
    assert str(latest) in truncated.stdout
    assert f"the anchor recorded {len(events)}" in truncated.stderr


def test_the_anchor_job_keeps_no_head_of_a_broken_chain(fresh: Fresh) -> None:
    history, _, events = sealed_history(fresh)
    run_anchor_job(fresh)
    target = event_of(events, "transfer.booked", history.booked_id)
    execute(fresh, "UPDATE audit_event SET actor = 'nobody' WHERE id = :id", id=target["id"])

    with pytest.raises(AuditChainBroken, match=target["id"]):
        run_anchor_job(fresh)

    assert len(anchor_files(fresh)) == 1


def test_a_sealed_event_with_its_hash_nulled_is_named_not_a_crash(fresh: Fresh) -> None:
    _, _, events = sealed_history(fresh)
    middle = events[len(events) // 2]
    execute(fresh, "UPDATE audit_event SET hash = NULL WHERE id = :id", id=middle["id"])

    result = treasury_cli(fresh, "audit", "verify")

    assert result.returncode == 1
    assert f"broken at event {middle['chain_index']}" in result.stderr
    assert middle["id"] in result.stderr


def test_cli_anchor_save_keeps_the_head_that_verify_then_uses(fresh: Fresh) -> None:
    _, head, _ = sealed_history(fresh)

    saved = treasury_cli(fresh, "audit", "anchor", "--save")
    [kept] = anchor_files(fresh)
    verified = treasury_cli(fresh, "audit", "verify")

    assert saved.returncode == 0, saved.stderr
    assert ChainHead.parse(saved.stdout.strip().splitlines()[-1]) == head
    assert str(kept) in saved.stderr
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"anchor {kept}: {head}" in verified.stdout
