"""Payment runs (DESIGN §4.4): an ERP's payments as JSON or pain.001, each item on its own."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.api.api_support import assert_problem, get_json, ledger_state, transfer_ids
from tests.support import (
    TenantFixture,
    balance,
    create_entity,
    fund,
    open_account,
    transfer_body,
)
from treasury import cli
from treasury.db.unit_of_work import UnitOfWorkFactory

Json = dict[str, Any]
SUPPLIER = {
    "name": "Shanghai Precision Parts Co Ltd",
    "country": "CN",
    "bank_bic": "ICBKCNBJ",
    "account": "6222020200112233",
    "address": {"street": "Zhangjiang Road", "building": "88", "town": "Shanghai", "country": "CN"},
}


def post_run(
    client: TestClient, headers: dict[str, str], body: Json, key: str | None = None
) -> Any:
    """POST a JSON run with an Idempotency-Key (a fresh one unless given)."""
    return client.post(
        "/v1/payment-runs",
        json=body,
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def post_pain001(
    client: TestClient, headers: dict[str, str], xml: bytes, key: str | None = None
) -> Any:
    """POST an ERP's pain.001 as a run."""
    return client.post(
        "/v1/payment-runs",
        content=xml,
        headers={
            **headers,
            "Content-Type": "application/xml",
            "Idempotency-Key": key or uuid.uuid4().hex,
        },
    )


def created(response: Any) -> Json:
    """A 201 run body."""
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


@pytest.fixture
def payer(client: TestClient, tenant: TenantFixture) -> tuple[Json, Json]:
    """A funded CNY account (1,000.00) and a second account of the same entity."""
    entity = create_entity(client, tenant.treasurer)
    debtor = open_account(client, tenant.treasurer, entity["id"], number="31001234500001")
    other = open_account(client, tenant.treasurer, entity["id"], number="31001234500002")
    fund(client, tenant.treasurer, debtor["id"], "1000.00")
    return debtor, other


def test_each_item_has_its_own_outcome_and_a_bad_one_stops_none(
    client: TestClient, tenant: TenantFixture, payer: tuple[Json, Json]
) -> None:
    debtor, other = payer
    items = [
        transfer_body(debtor["id"], other["id"], "100.00"),
        transfer_body(debtor["id"], other["id"], "5000.00"),  # beyond the balance
        {**transfer_body(debtor["id"], other["id"], "1.00"), "amount": 1.0},  # a JSON number
        transfer_body(str(uuid.uuid4()), other["id"], "1.00"),  # no such account
        {**transfer_body(debtor["id"], other["id"], "1.00"), "purpose": "lottery"},
        transfer_body(debtor["id"], other["id"], "200.00"),
    ]

    run = created(post_run(client, tenant.treasurer, {"name": "suppliers 26 Nov", "items": items}))

    statuses = [item["status"] for item in run["items"]]
    assert statuses == ["booked", "rejected", "invalid", "invalid", "invalid", "booked"]
    assert run["counts"] == {"total": 6, "booked": 2, "rejected": 1, "invalid": 3}
    assert [item["index"] for item in run["items"]] == list(range(6))
    rejected = run["items"][1]
    assert [f["rule"] for f in rejected["findings"]] == ["INSUFFICIENT_FUNDS"]
    assert rejected["transfer_id"] is not None
    assert rejected["error"] is None
    number = run["items"][2]
    assert number["transfer_id"] is None
    assert number["error"]["code"] == "VALIDATION_ERROR"
    assert any(e["pointer"].startswith("/amount") for e in number["error"]["errors"])
    assert run["items"][3]["error"]["code"] == "NOT_FOUND"
    assert "/purpose" in run["items"][4]["error"]["detail"]
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "700.00"
    assert balance(client, tenant.treasurer, other["id"])["balance"] == "300.00"
    # Each transfer is an ordinary one: listed and readable on its own.
    booked = get_json(client, f"/v1/transfers/{run['items'][0]['transfer_id']}", tenant.auditor)
    assert booked["status"] == "booked"
    assert booked["journal_id"] is not None
    assert get_json(client, f"/v1/payment-runs/{run['id']}", tenant.auditor) == run


def test_an_item_that_fails_inside_the_pipeline_leaves_nothing_behind(
    client: TestClient, tenant: TenantFixture, payer: tuple[Json, Json]
) -> None:
    debtor, other = payer
    usd = open_account(
        client, tenant.treasurer, create_entity(client, tenant.treasurer)["id"], currency="USD"
    )
    before = ledger_state(client, tenant.treasurer, debtor["id"], other["id"])

    run = created(
        post_run(
            client,
            tenant.treasurer,
            {
                "items": [
                    transfer_body(debtor["id"], usd["id"], "10.00"),
                    transfer_body(debtor["id"], other["id"], "10.00"),
                ]
            },
        )
    )

    first, second = run["items"]
    assert first["status"] == "invalid"
    assert first["transfer_id"] is None
    assert first["error"]["code"] != "INTERNAL_ERROR"
    assert second["status"] == "booked"
    after = ledger_state(client, tenant.treasurer, debtor["id"], other["id"])
    assert after.transfers == [second["transfer_id"], *before.transfers]
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "990.00"


def test_a_run_is_idempotent_by_key(
    client: TestClient, tenant: TenantFixture, payer: tuple[Json, Json]
) -> None:
    debtor, other = payer
    body = {"items": [transfer_body(debtor["id"], other["id"], "100.00")]}
    key = uuid.uuid4().hex
    first = created(post_run(client, tenant.treasurer, body, key))
    listed = transfer_ids(client, tenant.treasurer)

    again = post_run(client, tenant.treasurer, body, key)

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first
    assert transfer_ids(client, tenant.treasurer) == listed
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "900.00"
    other_body = {"items": [transfer_body(debtor["id"], other["id"], "100.01")]}
    assert_problem(
        post_run(client, tenant.treasurer, other_body, key), 409, "IDEMPOTENCY_KEY_REUSED"
    )


def test_a_run_needs_items_and_a_key(client: TestClient, tenant: TenantFixture) -> None:
    assert_problem(post_run(client, tenant.treasurer, {"items": []}), 422, "VALIDATION_ERROR")
    assert_problem(
        post_run(client, tenant.treasurer, {"items": [{}], "x": 1}), 422, "VALIDATION_ERROR"
    )
    response = client.post("/v1/payment-runs", json={"items": [{}]}, headers=tenant.treasurer)
    assert response.status_code in (400, 422)


def test_only_a_treasurer_posts_a_run_and_every_role_reads_it(
    client: TestClient, tenant: TenantFixture, payer: tuple[Json, Json]
) -> None:
    debtor, other = payer
    body = {"items": [transfer_body(debtor["id"], other["id"], "1.00")]}
    for headers in (tenant.auditor, tenant.officer):
        assert_problem(post_run(client, headers, body), 403, "FORBIDDEN")
    run = created(post_run(client, tenant.treasurer, body))
    for headers in (tenant.auditor, tenant.officer, tenant.admin):
        assert client.get(f"/v1/payment-runs/{run['id']}", headers=headers).status_code == 200


def test_another_tenants_run_and_accounts_are_not_found(
    client: TestClient,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    payer: tuple[Json, Json],
) -> None:
    debtor, other = payer
    run = created(
        post_run(
            client, tenant.treasurer, {"items": [transfer_body(debtor["id"], other["id"], "1.00")]}
        )
    )
    assert_problem(
        client.get(f"/v1/payment-runs/{run['id']}", headers=other_tenant.auditor), 404, "NOT_FOUND"
    )
    theirs = created(
        post_run(
            client,
            other_tenant.treasurer,
            {"items": [transfer_body(debtor["id"], other["id"], "1.00")]},
        )
    )
    assert theirs["items"][0]["error"]["code"] == "NOT_FOUND"
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "999.00"


# -- an ERP's pain.001 ---------------------------------------------------------------------------

NS03 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
NS09 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


def _transaction(
    version: str, end_to_end: str, amount: str, creditor: str, account: str, *, town: bool = True
) -> str:
    bic = "<BIC>ICBKCNBJ</BIC>" if version == "03" else "<BICFI>ICBKCNBJ</BICFI>"
    address = (
        "<PstlAdr><StrtNm>Zhangjiang Road</StrtNm><BldgNb>88</BldgNb><PstCd>201203</PstCd>"
        "<TwnNm>Shanghai</TwnNm><Ctry>CN</Ctry></PstlAdr>"
        if town
        else "<PstlAdr><Ctry>CN</Ctry><AdrLine>Zhangjiang Road 88, Shanghai</AdrLine></PstlAdr>"
    )
    return f"""
      <CdtTrfTxInf>
        <PmtId><InstrId>{end_to_end}</InstrId><EndToEndId>{end_to_end}</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="CNY">{amount}</InstdAmt></Amt>
        <CdtrAgt><FinInstnId>{bic}</FinInstnId></CdtrAgt>
        <Cdtr><Nm>{creditor}</Nm>{address}</Cdtr>
        <CdtrAcct><Id><Othr><Id>{account}</Id></Othr></Id></CdtrAcct>
        <Purp><Cd>GDDS</Cd></Purp>
        <RmtInf><Ustrd>INV 2026-{end_to_end[-4:]}</Ustrd></RmtInf>
      </CdtTrfTxInf>"""


def pain001(version: str, debtor_number: str, transactions: list[str]) -> bytes:
    """A supplier run as an ERP (SAP-style: one batch, structured addresses) writes it."""
    namespace = NS03 if version == "03" else NS09
    executed = (
        "<ReqdExctnDt>2026-11-26</ReqdExctnDt>"
        if version == "03"
        else "<ReqdExctnDt><Dt>2026-11-26</Dt></ReqdExctnDt>"
    )
    debtor_bic = "<BIC>BKCHCNBJ</BIC>" if version == "03" else "<BICFI>BKCHCNBJ</BICFI>"
    total = sum(float(t.split('Ccy="CNY">')[1].split("<")[0]) for t in transactions)
    del total  # CtrlSum is optional; an ERP that leaves it out is common
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{namespace}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>ERP-20261126-0001</MsgId>
      <CreDtTm>2026-11-26T09:15:00</CreDtTm>
      <NbOfTxs>{len(transactions)}</NbOfTxs>
      <InitgPty><Nm>Acme Trading (Shanghai) Co Ltd</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>SUPPLIERS-1126</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <BtchBookg>false</BtchBookg>
      <NbOfTxs>{len(transactions)}</NbOfTxs>
      {executed}
      <Dbtr><Nm>Acme Trading (Shanghai) Co Ltd</Nm></Dbtr>
      <DbtrAcct><Id><Othr><Id>{debtor_number}</Id></Othr></Id><Ccy>CNY</Ccy></DbtrAcct>
      <DbtrAgt><FinInstnId>{debtor_bic}</FinInstnId></DbtrAgt>
      <ChrgBr>SLEV</ChrgBr>{"".join(transactions)}
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
""".encode()


@pytest.mark.parametrize("version", ["03", "09"])
def test_an_erps_pain001_becomes_a_run(
    client: TestClient, tenant: TenantFixture, payer: tuple[Json, Json], version: str
) -> None:
    debtor, other = payer
    xml = pain001(
        version,
        debtor["number"],
        [
            _transaction(
                version, "E2E-0001", "120.50", "Shanghai Precision Parts", "6222020200112233"
            ),
            _transaction(version, "E2E-0002", "10.001", "Ningbo Moulds", "6222020200445566"),
            _transaction(version, "E2E-0003", "30.00", "Acme Trading", other["number"]),
            _transaction(
                version, "E2E-0004", "5.00", "Suzhou Cables", "6222020200778899", town=False
            ),
        ],
    )

    run = created(post_pain001(client, tenant.treasurer, xml))

    assert run["source"] == f"pain.001.001.{version}"
    assert run["message_id"] == "ERP-20261126-0001"
    assert [item["reference"] for item in run["items"]] == [
        "E2E-0001",
        "E2E-0002",
        "E2E-0003",
        "E2E-0004",
    ]
    supplier, too_precise, own, no_town = run["items"]
    assert supplier["status"] in ("booked", "held"), supplier
    transfer = get_json(client, f"/v1/transfers/{supplier['transfer_id']}", tenant.auditor)
    assert transfer["creditor"]["name"] == "Shanghai Precision Parts"
    assert transfer["creditor"]["address"]["town"] == "Shanghai"
    assert transfer["amount"] == {"amount": "120.50", "currency": "CNY"}
    assert transfer["purpose"] == "goods_trade"
    assert transfer["remark"] == "INV 2026-0001"
    assert too_precise["status"] == "invalid"
    assert too_precise["error"]["code"] == "VALIDATION_ERROR"
    assert own["status"] == "booked"
    assert (
        get_json(client, f"/v1/transfers/{own['transfer_id']}", tenant.auditor)[
            "creditor_account_id"
        ]
        == other["id"]
    )
    assert no_town["status"] == "invalid"
    assert no_town["error"]["code"] == "ADDRESS_UNSTRUCTURED"
    # Replayed by key: the same run, nothing booked twice.
    key = uuid.uuid4().hex
    first = created(post_pain001(client, tenant.treasurer, xml, key))
    again = post_pain001(client, tenant.treasurer, xml, key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"]


def test_a_pain001_for_an_unknown_debtor_account_books_nothing(
    client: TestClient, tenant: TenantFixture, payer: tuple[Json, Json]
) -> None:
    xml = pain001("09", "NOT-OURS-1", [_transaction("09", "E2E-1", "1.00", "X", "1")])

    run = created(post_pain001(client, tenant.treasurer, xml))

    assert run["items"][0]["error"]["code"] == "NOT_FOUND"
    assert run["counts"] == {"total": 1, "invalid": 1}


@pytest.mark.parametrize(
    "xml",
    [
        b"<Document>",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><Document/>',
        f'<Document xmlns="{NS09}"><CstmrCdtTrfInitn/></Document>'.encode(),
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.05"/>',
    ],
)
def test_a_pain001_that_is_not_valid_is_refused_whole(
    client: TestClient, tenant: TenantFixture, xml: bytes
) -> None:
    before = transfer_ids(client, tenant.treasurer)

    assert_problem(post_pain001(client, tenant.treasurer, xml), 422, "PAYMENT_RUN_FILE_INVALID")

    assert transfer_ids(client, tenant.treasurer) == before


def test_the_cli_imports_a_run_and_a_second_import_replays_it(
    client: TestClient,
    tenant: TenantFixture,
    payer: tuple[Json, Json],
    uow_factory: UnitOfWorkFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    debtor, other = payer
    monkeypatch.setattr(cli, "_uow_factory", lambda _settings: uow_factory)
    path = tmp_path / "suppliers.xml"
    path.write_bytes(
        pain001(
            "03",
            debtor["number"],
            [
                _transaction("03", "E2E-CLI-1", "40.00", "Acme Trading", other["number"]),
                _transaction("03", "E2E-CLI-2", "1.001", "Acme Trading", other["number"]),
            ],
        )
    )
    command = ["payment-run", "import", str(path), "--tenant", tenant.slug]

    first = CliRunner().invoke(cli.app, command)
    again = CliRunner().invoke(cli.app, command)

    assert first.exit_code == 0, first.output
    shown = json.loads(first.stdout.strip().splitlines()[-1])
    assert shown["source"] == "pain.001.001.03"
    assert shown["counts"] == {"total": 2, "booked": 1, "invalid": 1}
    assert "item 1: VALIDATION_ERROR" in first.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["id"] == shown["id"]
    assert "already imported" in again.stderr
    assert balance(client, tenant.treasurer, debtor["id"])["balance"] == "960.00"
    run = get_json(client, f"/v1/payment-runs/{shown['id']}", tenant.auditor)
    assert run["items"][0]["status"] == "booked"


def test_the_runs_booked_payments_make_the_days_payment_file(
    client: TestClient, tenant: TenantFixture, payer: tuple[Json, Json]
) -> None:
    debtor, _ = payer
    supplier = {
        "debtor_account_id": debtor["id"],
        "creditor": SUPPLIER,
        "amount": {"amount": "12.34", "currency": "CNY"},
        "value_date": "2026-11-26",
        "purpose": "goods_trade",
        "remark": "INV 2026-118",
    }
    items = [supplier, {**supplier, "amount": {"amount": "56.78", "currency": "CNY"}}, {}]

    run = created(post_run(client, tenant.treasurer, {"name": "suppliers", "items": items}))

    booked = [item["transfer_id"] for item in run["items"] if item["status"] == "booked"]
    assert len(booked) == 2, run
    response = client.get(
        f"/v1/payment-files?debtor_account_id={debtor['id']}&date=2026-11-26",
        headers={**tenant.treasurer, "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert sorted(response.json()["transfer_ids"]) == sorted(booked)
    assert '<InstdAmt Ccy="CNY">56.78</InstdAmt>' in response.json()["xml"]
