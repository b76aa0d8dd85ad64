"""Screening throughput: the compliance rules in-process over a realistic mix, and the cost of
screening plus audit on `POST /v1/transfers` (on versus off, in-process ASGI on SQLite).

Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from compliance import rules
from compliance.model import PaymentContext
from treasury.accounts.model import (
    AccountKind,
    BankAccount,
    Counterparty,
    CrossBorderDebtMode,
    EntityKind,
    LegalEntity,
)
from treasury.api.app import create_app
from treasury.audit import service as audit_service
from treasury.clock import FixedClock
from treasury.db import migrate
from treasury.money import Money, trap_float_operations
from treasury.refdata.model import BopCode, Parameter, in_force
from treasury.settings import Settings
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import Role

SEED = Path(__file__).resolve().parent.parent / "treasury" / "refdata" / "seed"
VALUE_DATE = date(2026, 11, 26)
IN_PROCESS_PAYMENTS = 50_000
HTTP_TRANSFERS = 400


def seeded_parameters(on: date) -> dict[str, Parameter]:
    """The seeded parameters in force on a date."""
    history: dict[str, list[Parameter]] = {}
    for name in ("parameters.json", "parameters_compliance.json"):
        for item in json.loads((SEED / name).read_text(encoding="utf-8"))["parameters"]:
            parameter = Parameter(
                name=item["name"],
                value=item["value"],
                effective_from=date.fromisoformat(item["effective_from"]),
                source=item["source"],
                version=1,
                loaded_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            history.setdefault(parameter.name, []).append(parameter)
    found = {name: in_force(values, on) for name, values in history.items()}
    return {name: value for name, value in found.items() if value is not None}


def _entity(kind: EntityKind = EntityKind.ENTERPRISE, fx_class: str = "A") -> LegalEntity:
    return LegalEntity(
        id=str(uuid.uuid4()),
        code="E",
        name="Entity",
        country="CN",
        kind=kind,
        trade_fx_class=fx_class,
        owners_equity=None,
        net_assets=None,
        lending_in_business_scope=False,
        quality_enterprise=False,
        established_on=None,
        prior_year_revenue=None,
        prior_year_cross_border_volume=None,
        parent_entity_id=None,
        cross_border_debt_mode=CrossBorderDebtMode.MACRO_PRUDENTIAL,
        facilitation_certificate=None,
        shareholding_ratio=Decimal(1),
        total_investment=None,
        uscc=None,
        lei=None,
    )


def _account(kind: AccountKind) -> BankAccount:
    return BankAccount(
        id=str(uuid.uuid4()),
        entity_id="e",
        currency="CNY",
        kind=kind,
        bank_bic="BKCHCNBJ",
        number="1",
        overdraft_limit=Money.zero("CNY"),
        resident=True,
    )


def payment_mix() -> list[PaymentContext]:
    """Goods, services, capital-account spending, petty cash and pool legs, as a group pays."""
    parameters = seeded_parameters(VALUE_DATE)
    supplier = Counterparty(
        id="c",
        name="Supplier",
        country="HK",
        bank_bic=None,
        account=None,
        address=None,
        affiliated=False,
        lei=None,
    )
    listed = BopCode("121010", "一般贸易", "General trade", "goods", "both", "2014-seed")
    shapes: list[dict[str, Any]] = [
        {"purpose": "goods_trade", "bop_code": "121010", "bop_entry": listed, "usd": "180000"},
        {"purpose": "services_trade", "bop_code": "228029", "bop_entry": None, "usd": "65000"},
        {"purpose": "wealth_product", "kind": AccountKind.CAPITAL, "rating": 3, "usd": "90000"},
        {"purpose": "petty_cash", "kind": AccountKind.CAPITAL_SETTLEMENT, "usd": "30000"},
        {"purpose": "loan", "kind": AccountKind.FOREIGN_DEBT, "usd": "500000"},
        {"purpose": "cash_pool", "bop_code": "822030", "bop_entry": None, "usd": "1000000"},
        {"purpose": "goods_trade", "bop_code": "101010", "bop_entry": None, "usd": "20000"},
        {"purpose": "other", "kind": AccountKind.CAPITAL, "usd": "12000"},
    ]
    contexts = []
    for shape in shapes:
        contexts.append(
            PaymentContext(
                amount=Money.of("1000000.00", "CNY"),
                purpose=shape["purpose"],
                value_date=VALUE_DATE,
                debtor_account=_account(shape.get("kind", AccountKind.CURRENT)),
                debtor_entity=_entity(),
                crosses_border="bop_code" in shape,
                outbound="bop_code" in shape,
                bop_code=shape.get("bop_code"),
                references={},
                counterparty=supplier,
                wealth_product_risk_rating=shape.get("rating"),
                facts={"petty_cash_month_to_date_usd": "150000"},
                parameters=parameters,
                usd_equivalent=Decimal(shape["usd"]),
                bop_entry=shape.get("bop_entry"),
            )
        )
    return contexts


def screening_per_second() -> tuple[float, int]:
    """Payments screened per second by the pure rules, and the findings they produced."""
    contexts = payment_mix()
    findings = 0
    started = time.perf_counter()
    for index in range(IN_PROCESS_PAYMENTS):
        findings += len(rules.screen(contexts[index % len(contexts)]))
    return IN_PROCESS_PAYMENTS / (time.perf_counter() - started), findings


@contextmanager
def screening_and_audit_off() -> Iterator[None]:
    """Switch the rules and the audit trail off (benchmark baseline only)."""
    saved_rules, saved_record = rules.RULES, audit_service.record
    rules.RULES = ()
    audit_service.record = lambda *args, **kwargs: None
    try:
        yield
    finally:
        rules.RULES, audit_service.record = saved_rules, saved_record


def http_transfers_per_second(url: str) -> float:
    """POST /v1/transfers through the app in-process: booked internal transfers per second."""
    clock = FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    app = create_app(Settings(database_url=url, scheduler="off"), clock=clock)
    uow_factory = app.state.uow_factory
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    tenancy_service.create_tenant(uow_factory(), slug=slug, name=slug)
    token = tenancy_service.create_token(
        uow_factory(), tenant_slug=slug, role=Role.TREASURER, name="bench"
    )
    headers = {"Authorization": f"Bearer {token.secret}"}
    with TestClient(app) as client:
        entity = client.post(
            "/v1/entities", json={"code": "E1", "name": "E", "country": "CN"}, headers=headers
        ).json()
        accounts = [
            client.post(
                "/v1/accounts",
                json={
                    "entity_id": entity["id"],
                    "currency": "CNY",
                    "bank_bic": "BKCHCNBJ",  # both at one bank: the transfer books as BOOK
                    "number": f"{n}",
                },
                headers=headers,
            ).json()["id"]
            for n in range(2)
        ]
        line = {"bank_ref": "open", "value_date": "2026-11-20", "amount": "1000000000.00"}
        client.post(
            f"/v1/accounts/{accounts[0]}/statement-lines", json={"lines": [line]}, headers=headers
        )
        body = {
            "debtor_account_id": accounts[0],
            "creditor_account_id": accounts[1],
            "amount": {"amount": "10.00", "currency": "CNY"},
            "value_date": "2026-11-26",
            "purpose": "goods_trade",
        }
        started = time.perf_counter()
        for _ in range(HTTP_TRANSFERS):
            response = client.post(
                "/v1/transfers", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
            )
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "booked", response.text
        elapsed = time.perf_counter() - started
    app.state.engine.dispose()
    return HTTP_TRANSFERS / elapsed


def main() -> None:
    """Run both measurements and print one JSON line."""
    trap_float_operations()
    per_second, findings = screening_per_second()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        migrate.upgrade(url)
        with_rules = http_transfers_per_second(url)
        with screening_and_audit_off():
            without = http_transfers_per_second(url)
    print(
        json.dumps(
            {
                "benchmark": "screening",
                "screened_per_s": round(per_second),
                "findings_per_payment": round(findings / IN_PROCESS_PAYMENTS, 2),
                "target_screened_per_s": 5000,
                "http_transfers_per_s_screening_audit_on": round(with_rules, 1),
                "http_transfers_per_s_screening_audit_off": round(without, 1),
                "on_off_ratio": round(with_rules / without, 3),
                "database": "sqlite",
                "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, "
                f"{platform.platform()}",
            }
        )
    )


if __name__ == "__main__":
    main()
