"""The review queue end to end: holds, reservations, maker-checker, dual approval and races.

Set-up goes through the API (tests/support helpers); decisions go through the API or straight to
`treasury.payments.service.reviews.decide_review`, which is what the API calls, so that officers
can race from threads. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compliance.model import Decision, ReviewKind, ReviewStatus
from compliance.tables import ReviewDecisionRow, ReviewRow
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    post_transfer,
    transfer_body,
)
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import Conflict, Forbidden, NotFound, ValidationFailed
from treasury.ledger.tables import JournalEntryRow
from treasury.payments.model import TransferStatus
from treasury.payments.service import reviews
from treasury.refdata import service as refdata_service
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import Principal, Role

TIMEZONE = "Asia/Shanghai"
TODAY = date(2026, 11, 26)
Json = dict[str, Any]


@dataclass(frozen=True)
class CapitalAndCurrent:
    """An onshore entity with a funded capital account and an empty current account."""

    entity_id: str
    capital: str
    current: str


def principal_of(uow_factory: UnitOfWorkFactory, headers: dict[str, str]) -> Principal:
    """The principal behind a bearer header."""
    secret = headers["Authorization"].removeprefix("Bearer ")
    return tenancy_service.authenticate(uow_factory(), secret)


def new_officer(uow_factory: UnitOfWorkFactory, tenant: TenantFixture) -> Principal:
    """Another compliance officer of the tenant (a token of their own)."""
    issued = tenancy_service.create_token(
        uow_factory(),
        tenant_slug=tenant.slug,
        role=Role.COMPLIANCE_OFFICER,
        name=f"officer-{uuid.uuid4().hex[:8]}",
    )
    return tenancy_service.authenticate(uow_factory(), issued.secret)


def headers_of(uow_factory: UnitOfWorkFactory, tenant: TenantFixture, role: Role) -> dict[str, str]:
    """A bearer header of a fresh token of `role`."""
    issued = tenancy_service.create_token(
        uow_factory(), tenant_slug=tenant.slug, role=role, name=f"{role.value}-{uuid.uuid4().hex}"
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def funded_books(
    client: TestClient, tenant: TenantFixture, funding: str = "1000000.00"
) -> CapitalAndCurrent:
    """An entity with a capital account funded with `funding` CNY and an empty current account."""
    entity = create_entity(client, tenant.treasurer)
    capital = open_account(client, tenant.treasurer, entity["id"], kind="capital")
    current = open_account(client, tenant.treasurer, entity["id"])
    fund(client, tenant.treasurer, capital["id"], funding)
    return CapitalAndCurrent(entity["id"], capital["id"], current["id"])


def held_transfer(
    client: TestClient, tenant: TenantFixture, ledger: CapitalAndCurrent, amount: str = "100000.00"
) -> Json:
    """Capital-account income spent on `other`: held for an officer to see."""
    response = post_transfer(
        client, tenant.treasurer, transfer_body(ledger.capital, ledger.current, amount)
    )
    assert response.status_code == 201, response.text
    transfer: Json = response.json()
    assert transfer["status"] == "held", transfer
    assert {f["rule"] for f in transfer["findings"]} == {"CAPITAL_ACCOUNT_USE_UNSPECIFIED"}
    assert transfer["review_id"] is not None
    assert transfer["journal_id"] is None
    return transfer


def decide(
    uow_factory: UnitOfWorkFactory,
    officer: Principal,
    review_id: str,
    decision: Decision = Decision.APPROVE,
    *,
    reason: str = "checked the contract",
    references: dict[str, str] | None = None,
) -> reviews.DecisionResult:
    """An officer's decision through the use case the API calls."""
    return reviews.decide_review(
        uow_factory(),
        officer=officer,
        review_id=review_id,
        decision=decision,
        reason=reason,
        references=references or {},
        timezone=TIMEZONE,
    )


def get_transfer(client: TestClient, tenant: TenantFixture, transfer_id: str) -> Json:
    """GET a transfer."""
    response = client.get(f"/v1/transfers/{transfer_id}", headers=tenant.auditor)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def get_review(client: TestClient, tenant: TenantFixture, review_id: str) -> Json:
    """GET a review item."""
    response = client.get(f"/v1/reviews/{review_id}", headers=tenant.auditor)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def money(client: TestClient, tenant: TenantFixture, account_id: str) -> tuple[str, str]:
    """(balance, available) of an account today."""
    body = balance(client, tenant.treasurer, account_id)
    return body["balance"], body["available"]


def journal_entries_of(uow_factory: UnitOfWorkFactory, transfer_id: str) -> int:
    """How many journal entries a transfer has posted."""
    with uow_factory() as uow:
        query = select(func.count()).where(JournalEntryRow.source_id == transfer_id)
        return int(uow.session.scalar(query) or 0)


def recorded_approvals(uow_factory: UnitOfWorkFactory, review_id: str) -> tuple[int, int]:
    """(approvals counted on the review row, approve decisions stored) of a review."""
    with uow_factory() as uow:
        row = uow.session.get(ReviewRow, review_id)
        assert row is not None
        stored = uow.session.scalar(
            select(func.count()).where(
                ReviewDecisionRow.review_id == review_id, ReviewDecisionRow.decision == "approve"
            )
        )
        return row.approvals, int(stored or 0)


def lower_dual_approval_threshold(client: TestClient, tenant: TenantFixture, amount: str) -> None:
    """PATCH /v1/settings as the admin."""
    response = client.patch(
        "/v1/settings",
        json={"dual_approval_threshold": {"amount": amount, "currency": "CNY"}},
        headers=tenant.admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["dual_approval_threshold"]["amount"] == amount


@pytest.fixture(autouse=True)
def _audit_sealed_before_the_app_closes(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Let the audit sealer's pending timer finish before the `app` fixture disposes its engine.

    The sealer runs shortly after a commit on the engine that committed; firing after the API's
    engine was disposed, it would open a connection nobody closes (a ResourceWarning, an error
    under `filterwarnings = error`, in whichever test happens to be running). A short delay keeps
    the wait short.
    """
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


# Reservation arithmetic -------------------------------------------------------------------------


def test_hold_then_approve_reserves_then_books(client: TestClient, tenant: TenantFixture) -> None:
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)

    assert money(client, tenant, ledger.capital) == ("1000000.00", "900000.00")
    assert money(client, tenant, ledger.current) == ("0.00", "0.00")

    response = client.post(
        f"/v1/reviews/{transfer['review_id']}/decision",
        json={"decision": "approve", "reason": "capital increase agreed by the board"},
        headers=tenant.officer,
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    assert response.json()["transfer"] == {"id": transfer["id"], "status": "booked"}
    assert money(client, tenant, ledger.capital) == ("900000.00", "900000.00")
    assert money(client, tenant, ledger.current) == ("100000.00", "100000.00")
    booked = get_transfer(client, tenant, transfer["id"])
    assert booked["status"] == "booked"
    assert booked["journal_id"] is not None
    assert booked["value_date"] == TODAY.isoformat()


def test_hold_then_reject_releases_the_reservation(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger, "250000.00")
    assert money(client, tenant, ledger.capital) == ("1000000.00", "750000.00")

    response = client.post(
        f"/v1/reviews/{transfer['review_id']}/decision",
        json={"decision": "reject", "reason": "no contract supplied"},
        headers=tenant.officer,
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    assert response.json()["transfer"] == {"id": transfer["id"], "status": "rejected"}
    assert money(client, tenant, ledger.capital) == ("1000000.00", "1000000.00")
    assert money(client, tenant, ledger.current) == ("0.00", "0.00")
    rejected = get_transfer(client, tenant, transfer["id"])
    assert rejected["status"] == "rejected"
    assert rejected["journal_id"] is None
    assert journal_entries_of(uow_factory, transfer["id"]) == 0


def test_two_holds_reserve_both_amounts(client: TestClient, tenant: TenantFixture) -> None:
    ledger = funded_books(client, tenant)
    held_transfer(client, tenant, ledger, "300000.00")
    held_transfer(client, tenant, ledger, "600000.00")
    assert money(client, tenant, ledger.capital) == ("1000000.00", "100000.00")

    beyond = post_transfer(
        client, tenant.treasurer, transfer_body(ledger.capital, ledger.current, "100000.01")
    )

    assert beyond.status_code == 201, beyond.text
    assert beyond.json()["status"] == "rejected"
    assert "INSUFFICIENT_FUNDS" in {f["rule"] for f in beyond.json()["findings"]}
    assert money(client, tenant, ledger.capital) == ("1000000.00", "100000.00")


# References attached by the officer re-run the rules ---------------------------------------------


@dataclass(frozen=True)
class TaxFilingHold:
    """An onshore services payment to the group's HK entity, held for its tax filing."""

    transfer: Json
    debtor: str
    creditor: str


def tax_filing_hold(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> TaxFilingHold:
    """CNY 800,000 (USD 112,676 at 7.10) of services_trade without references.tax_filing."""
    refdata_service.add_reference_rate(
        uow_factory(),
        refdata_service.RateInput("USDCNY", TODAY, Decimal("7.10"), "CFETS central parity (test)"),
        actor="test-operator",
    )
    onshore = create_entity(client, tenant.treasurer)
    offshore = create_entity(client, tenant.treasurer, country="HK")
    # At the seeded house bank (a CIPS direct participant): the cross-border leg routes over CIPS.
    debtor = open_account(client, tenant.treasurer, onshore["id"], bank_bic="HBKACNSH")
    creditor = open_account(client, tenant.treasurer, offshore["id"], bank_bic="BKCHHKHH")
    fund(client, tenant.treasurer, debtor["id"], "1000000.00")
    body = transfer_body(
        debtor["id"], creditor["id"], "800000.00", purpose="services_trade", bop_code="228021"
    )
    held = post_transfer(client, tenant.treasurer, body)
    assert held.status_code == 201, held.text
    assert held.json()["status"] == "held"
    assert held.json()["crosses_border"] is True
    assert [f["rule"] for f in held.json()["findings"]] == ["TAX_FILING_MISSING"]
    return TaxFilingHold(held.json(), debtor["id"], creditor["id"])


def test_approving_a_tax_filing_hold_without_the_reference_is_refused(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    hold = tax_filing_hold(client, tenant, uow_factory)

    response = client.post(
        f"/v1/reviews/{hold.transfer['review_id']}/decision",
        json={"decision": "approve", "reason": "looks fine", "references": {"tax_filing": " "}},
        headers=tenant.officer,
    )

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "REFERENCE_REQUIRED"
    review = get_review(client, tenant, hold.transfer["review_id"])
    assert (review["status"], review["decisions"]) == ("pending", [])
    assert get_transfer(client, tenant, hold.transfer["id"])["status"] == "held"
    assert money(client, tenant, hold.debtor) == ("1000000.00", "200000.00")
    rejected = client.post(  # rejecting needs no document
        f"/v1/reviews/{hold.transfer['review_id']}/decision",
        json={"decision": "reject", "reason": "no filing"},
        headers=tenant.officer,
    )
    assert rejected.status_code == 200, rejected.text
    assert money(client, tenant, hold.debtor) == ("1000000.00", "1000000.00")


def test_approval_with_a_tax_filing_reference_books_and_keeps_the_reference(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    hold = tax_filing_hold(client, tenant, uow_factory)
    held_id, review_id = hold.transfer["id"], hold.transfer["review_id"]
    officer = principal_of(uow_factory, tenant.officer)

    result = decide(
        uow_factory,
        officer,
        review_id,
        reason="tax filing form received",
        references={"tax_filing": "TAX-2026-000123"},
    )

    assert result.review.status is ReviewStatus.APPROVED
    assert result.transfer.status is TransferStatus.BOOKED
    assert result.transfer.references == {"tax_filing": "TAX-2026-000123"}
    stored = get_transfer(client, tenant, held_id)
    assert stored["status"] == "booked"
    assert stored["references"] == {"tax_filing": "TAX-2026-000123"}
    assert "TAX_FILING_MISSING" not in {f["rule"] for f in stored["findings"]}
    assert money(client, tenant, hold.debtor) == ("200000.00", "200000.00")
    assert money(client, tenant, hold.creditor) == ("800000.00", "800000.00")
    decision = get_review(client, tenant, review_id)["decisions"][0]
    assert decision["references"] == {"tax_filing": "TAX-2026-000123"}


# Maker-checker ----------------------------------------------------------------------------------


def test_the_creator_never_decides(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)

    by_treasurer = client.post(
        f"/v1/reviews/{transfer['review_id']}/decision",
        json={"decision": "approve", "reason": "my own payment"},
        headers=tenant.treasurer,
    )
    assert by_treasurer.status_code == 403
    assert by_treasurer.json()["code"] == "FORBIDDEN"

    creator = principal_of(uow_factory, tenant.treasurer)
    for decision in Decision:
        with pytest.raises(Forbidden):
            decide(uow_factory, creator, transfer["review_id"], decision)

    review = get_review(client, tenant, transfer["review_id"])
    assert review["status"] == "pending"
    assert review["decisions"] == []
    assert get_transfer(client, tenant, transfer["id"])["status"] == "held"
    assert money(client, tenant, ledger.capital) == ("1000000.00", "900000.00")


@pytest.mark.parametrize(("amount", "required"), [("49999.99", 1), ("50000.00", 2)])
def test_dual_approval_applies_at_or_above_the_threshold(
    client: TestClient, tenant: TenantFixture, amount: str, required: int
) -> None:
    lower_dual_approval_threshold(client, tenant, "50000.00")
    transfer = held_transfer(client, tenant, funded_books(client, tenant), amount)
    assert get_review(client, tenant, transfer["review_id"])["required_approvals"] == required


@pytest.mark.parametrize(("amount", "required"), [("70999.99", 1), ("71000.00", 2)])
def test_a_threshold_set_in_usd_is_compared_in_cny_equivalents(
    client: TestClient,
    tenant: TenantFixture,
    uow_factory: UnitOfWorkFactory,
    amount: str,
    required: int,
) -> None:
    refdata_service.add_reference_rate(
        uow_factory(),
        refdata_service.RateInput("USDCNY", TODAY, Decimal("7.10"), "CFETS central parity (test)"),
        actor="test-operator",
    )
    response = client.patch(
        "/v1/settings",
        json={"dual_approval_threshold": {"amount": "10000.00", "currency": "USD"}},
        headers=tenant.admin,
    )
    assert response.status_code == 200, response.text
    transfer = held_transfer(client, tenant, funded_books(client, tenant), amount)
    assert get_review(client, tenant, transfer["review_id"])["required_approvals"] == required


def test_dual_approval_needs_two_different_officers(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    lower_dual_approval_threshold(client, tenant, "50000.00")
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)
    review_id = transfer["review_id"]
    first, second = new_officer(uow_factory, tenant), new_officer(uow_factory, tenant)

    one = decide(uow_factory, first, review_id)
    assert one.review.status is ReviewStatus.PENDING
    assert (len(one.review.approvals), one.review.required_approvals) == (1, 2)
    assert one.transfer.status is TransferStatus.HELD
    assert money(client, tenant, ledger.capital) == ("1000000.00", "900000.00")

    with pytest.raises(Conflict):
        decide(uow_factory, first, review_id)
    assert recorded_approvals(uow_factory, review_id) == (1, 1)

    two = decide(uow_factory, second, review_id)
    assert two.review.status is ReviewStatus.APPROVED
    assert [a.officer for a in two.review.approvals] == [first.name, second.name]
    assert two.transfer.status is TransferStatus.BOOKED
    assert money(client, tenant, ledger.capital) == ("900000.00", "900000.00")
    assert journal_entries_of(uow_factory, transfer["id"]) == 1


def test_dual_approval_same_officer_twice_is_409_over_http(
    client: TestClient, tenant: TenantFixture
) -> None:
    lower_dual_approval_threshold(client, tenant, "50000.00")
    transfer = held_transfer(client, tenant, funded_books(client, tenant))
    url = f"/v1/reviews/{transfer['review_id']}/decision"
    body = {"decision": "approve", "reason": "ok"}

    first = client.post(url, json=body, headers=tenant.officer)
    again = client.post(url, json=body, headers=tenant.officer)

    assert first.status_code == 200, first.text
    assert first.json()["status"] == "pending"
    assert first.json()["transfer"]["status"] == "held"
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


@pytest.mark.parametrize("approve_first", [True, False])
def test_a_reject_by_either_officer_ends_a_dual_approval(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, approve_first: bool
) -> None:
    lower_dual_approval_threshold(client, tenant, "50000.00")
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)
    first, second = new_officer(uow_factory, tenant), new_officer(uow_factory, tenant)
    if approve_first:
        assert decide(uow_factory, first, transfer["review_id"]).review.status == "pending"

    result = decide(uow_factory, second, transfer["review_id"], Decision.REJECT)

    assert result.review.status is ReviewStatus.REJECTED
    assert result.transfer.status is TransferStatus.REJECTED
    assert money(client, tenant, ledger.capital) == ("1000000.00", "1000000.00")
    assert journal_entries_of(uow_factory, transfer["id"]) == 0
    with pytest.raises(Conflict):
        decide(uow_factory, first, transfer["review_id"])


# Races ------------------------------------------------------------------------------------------


def race(calls: list[Callable[[], reviews.DecisionResult]]) -> list[object]:
    """Run the calls at once from threads; each outcome is a result or the exception raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = calls[index]()
        except Exception as error:  # collected and asserted on by the test
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _successes(outcomes: list[object]) -> list[reviews.DecisionResult]:
    unexpected = [o for o in outcomes if not isinstance(o, reviews.DecisionResult | Conflict)]
    assert unexpected == [], unexpected
    return [o for o in outcomes if isinstance(o, reviews.DecisionResult)]


@pytest.mark.parametrize("round_", range(3))
def test_two_officers_racing_on_one_approval_one_wins_the_other_conflicts(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, round_: int
) -> None:
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)
    officers = [new_officer(uow_factory, tenant) for _ in range(2)]
    decisions = [Decision.APPROVE, Decision.APPROVE if round_ else Decision.REJECT]

    outcomes = race(
        [
            partial(decide, uow_factory, officer, transfer["review_id"], decision)
            for officer, decision in zip(officers, decisions, strict=True)
        ]
    )

    won = _successes(outcomes)
    assert len(won) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    final = won[0].review.status
    assert get_review(client, tenant, transfer["review_id"])["status"] == final.value
    assert len(get_review(client, tenant, transfer["review_id"])["decisions"]) == 1
    expected = "booked" if final is ReviewStatus.APPROVED else "rejected"
    assert get_transfer(client, tenant, transfer["id"])["status"] == expected
    assert journal_entries_of(uow_factory, transfer["id"]) == (1 if expected == "booked" else 0)
    capital = "900000.00" if expected == "booked" else "1000000.00"
    assert money(client, tenant, ledger.capital) == (capital, capital)


@pytest.mark.parametrize("round_", range(3))
def test_three_officers_racing_on_a_dual_approval_never_exceed_two(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory, round_: int
) -> None:
    lower_dual_approval_threshold(client, tenant, "50000.00")
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)
    officers = [new_officer(uow_factory, tenant) for _ in range(3)]

    outcomes = race(
        [partial(decide, uow_factory, officer, transfer["review_id"]) for officer in officers]
    )

    won = _successes(outcomes)
    assert len(won) == 2, outcomes
    assert sorted(result.review.status.value for result in won) == ["approved", "pending"]
    assert recorded_approvals(uow_factory, transfer["review_id"]) == (2, 2)
    assert get_transfer(client, tenant, transfer["id"])["status"] == "booked"
    assert journal_entries_of(uow_factory, transfer["id"]) == 1
    assert money(client, tenant, ledger.capital) == ("900000.00", "900000.00")


# Back-valued transfers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "rule"),
    [
        ("other", "CAPITAL_ACCOUNT_USE_UNSPECIFIED"),  # a review finding
        ("securities_investment", "CAPITAL_ACCOUNT_NEGATIVE_LIST"),  # a block finding
    ],
)
def test_a_back_valued_transfer_is_booked_and_opens_a_post_event_item(
    client: TestClient,
    tenant: TenantFixture,
    uow_factory: UnitOfWorkFactory,
    purpose: str,
    rule: str,
) -> None:
    ledger = funded_books(client, tenant)
    body = transfer_body(
        ledger.capital, ledger.current, "100000.00", value_date="2026-11-25", purpose=purpose
    )

    response = post_transfer(client, tenant.treasurer, body)

    assert response.status_code == 201, response.text
    transfer = response.json()
    assert transfer["status"] == "booked"
    assert transfer["back_valued"] is True
    assert transfer["value_date"] == "2026-11-25"
    assert transfer["route"] is None
    assert [f["rule"] for f in transfer["findings"]] == [rule]
    assert money(client, tenant, ledger.capital) == ("900000.00", "900000.00")
    review = get_review(client, tenant, transfer["review_id"])
    assert review["kind"] == ReviewKind.POST_EVENT.value
    assert review["status"] == "pending"
    assert review["transfer_id"] == transfer["id"]
    assert [f["rule"] for f in review["findings"]] == [rule]

    seen = decide(uow_factory, principal_of(uow_factory, tenant.officer), transfer["review_id"])

    assert seen.review.status is ReviewStatus.APPROVED
    assert seen.transfer.status is TransferStatus.BOOKED
    assert journal_entries_of(uow_factory, transfer["id"]) == 1
    assert money(client, tenant, ledger.capital) == ("900000.00", "900000.00")


def test_a_transfer_valued_today_is_held_not_recorded_after_the_event(
    client: TestClient, tenant: TenantFixture
) -> None:
    ledger = funded_books(client, tenant)
    today = post_transfer(
        client,
        tenant.treasurer,
        transfer_body(ledger.capital, ledger.current, "1.00", value_date="2026-11-26"),
    )
    assert today.json()["status"] == "held"
    assert get_review(client, tenant, today.json()["review_id"])["kind"] == "hold"


# Bad decisions ----------------------------------------------------------------------------------


def test_deciding_a_closed_item_is_409(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)
    url = f"/v1/reviews/{transfer['review_id']}/decision"
    done = client.post(url, json={"decision": "reject", "reason": "no"}, headers=tenant.officer)
    assert done.status_code == 200, done.text
    other = headers_of(uow_factory, tenant, Role.COMPLIANCE_OFFICER)

    for decision in ("approve", "reject"):
        late = client.post(url, json={"decision": decision, "reason": "late"}, headers=other)
        assert late.status_code == 409, late.text
        assert late.json()["code"] == "CONFLICT"

    assert get_transfer(client, tenant, transfer["id"])["status"] == "rejected"
    assert money(client, tenant, ledger.capital) == ("1000000.00", "1000000.00")


def test_another_tenants_review_is_not_found(
    client: TestClient,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    uow_factory: UnitOfWorkFactory,
) -> None:
    transfer = held_transfer(client, tenant, funded_books(client, tenant))
    review_id = transfer["review_id"]

    posted = client.post(
        f"/v1/reviews/{review_id}/decision",
        json={"decision": "approve", "reason": "not mine"},
        headers=other_tenant.officer,
    )
    read = client.get(f"/v1/reviews/{review_id}", headers=other_tenant.officer)

    assert posted.status_code == 404
    assert posted.json()["code"] == "NOT_FOUND"
    assert read.status_code == 404
    with pytest.raises(NotFound):
        decide(uow_factory, principal_of(uow_factory, other_tenant.officer), review_id)
    assert get_review(client, tenant, review_id)["status"] == "pending"


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "approve"},
        {"decision": "approve", "reason": ""},
        {"decision": "approve", "reason": "   "},
        {"decision": "maybe", "reason": "unsure"},
        {"reason": "no decision"},
    ],
)
def test_a_decision_without_a_reason_or_verdict_is_422(
    client: TestClient, tenant: TenantFixture, body: Json
) -> None:
    ledger = funded_books(client, tenant)
    transfer = held_transfer(client, tenant, ledger)

    response = client.post(
        f"/v1/reviews/{transfer['review_id']}/decision", json=body, headers=tenant.officer
    )

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert get_review(client, tenant, transfer["review_id"])["decisions"] == []
    assert get_transfer(client, tenant, transfer["id"])["status"] == "held"
    assert money(client, tenant, ledger.capital) == ("1000000.00", "900000.00")


def test_the_use_case_refuses_a_blank_reason(
    client: TestClient, tenant: TenantFixture, uow_factory: UnitOfWorkFactory
) -> None:
    transfer = held_transfer(client, tenant, funded_books(client, tenant))
    with pytest.raises(ValidationFailed):
        decide(
            uow_factory,
            principal_of(uow_factory, tenant.officer),
            transfer["review_id"],
            reason=" ",
        )
    assert get_review(client, tenant, transfer["review_id"])["status"] == "pending"
