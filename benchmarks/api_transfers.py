"""HTTP throughput: POST /v1/transfers from 16 concurrent clients against `treasury serve`.

The server runs as a subprocess (TREASURY_SCHEDULER=off) on 127.0.0.1: first on the embedded
default, a temp SQLite file served by one process as `make run` does, then with `--workers 2` over a
fresh PostgreSQL database when TREASURY_BENCH_POSTGRES_URL is set. Tenant and token come from the
CLI, entities, accounts and funding over HTTP. The load generator is one asyncio loop with 16 tasks
sharing an httpx.AsyncClient, for a bounded duration.

Duplicates under retries: about 10% of transfers are sent a second time with the same
Idempotency-Key and body by another task, usually while the first is still in flight, as a client
retrying after a timeout would. Afterwards GET /v1/transfers must hold exactly one transfer per key
and the balances must equal the opening funding moved by those transfers.

Targets (DESIGN §6): ≥ 300 requests/s, p99 < 100 ms, zero duplicates. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from benchmarks._setup import (
    last_line,
    load_average,
    log,
    machine,
    postgres_database,
    postgres_url,
    process_tree_cpu_seconds,
    run_cli,
    served,
    server_environment,
    sqlite_database,
    tail,
)

CLIENTS = 16
WORKERS = 2
CORES = 2
DURATION_SECONDS = 20.0
MAX_REQUESTS = 60_000  # a bound on the loop whatever the duration
RETRY_SHARE = 0.10
ACCOUNTS = 16  # about one debtor per client: row locks collide, but not on every request
FUNDING = Decimal("1000000000.00")
REQUEST_TIMEOUT_SECONDS = 30.0
TARGET_REQUESTS_PER_S = 300
TARGET_P99_MS = 100
TIMEZONE = "Asia/Shanghai"  # the server's default TREASURY_TIMEZONE: "today" for value dates
CENT = Decimal("0.01")
SERVER_LOG_LEVEL = "warning"  # no access log line per request


@dataclass(frozen=True)
class Sent:
    """One POST as the load generator saw it."""

    key: str
    retry: bool
    status: int | None  # None: no response (transport error or timeout)
    latency_ms: float
    transfer_id: str | None
    replayed: bool
    code: str | None


@dataclass
class Load:
    """What the tasks share: the transfers to retry, and everything sent."""

    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    retries: deque[str] = field(default_factory=deque)
    sent: list[Sent] = field(default_factory=list)


def _headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def prepare(base_url: str, token: str, funded_on: date) -> list[str]:
    """One onshore entity with funded CNY accounts, over HTTP; their ids."""
    headers = _headers(token)
    with httpx.Client(base_url=base_url, headers=headers, timeout=60.0) as client:
        entity = client.post(
            "/v1/entities", json={"code": "BENCH", "name": "Bench Co.", "country": "CN"}
        )
        entity.raise_for_status()
        accounts = []
        for number in range(ACCOUNTS):
            account = client.post(
                "/v1/accounts",
                json={
                    "entity_id": entity.json()["id"],
                    "currency": "CNY",
                    "bank_bic": "BKCHCNBJ",
                    "number": f"BENCH{number:04d}",
                },
            )
            account.raise_for_status()
            account_id = account.json()["id"]
            line = {
                "bank_ref": f"open-{number}",
                "value_date": funded_on.isoformat(),
                "amount": str(FUNDING),
                "description": "opening balance",
            }
            client.post(
                f"/v1/accounts/{account_id}/statement-lines", json={"lines": [line]}
            ).raise_for_status()
            accounts.append(account_id)
    return accounts


async def _post(
    client: httpx.AsyncClient, token: str, key: str, body: dict[str, Any], *, retry: bool
) -> Sent:
    started = time.perf_counter()
    try:
        response = await client.post(
            "/v1/transfers", json=body, headers=_headers(token, **{"Idempotency-Key": key})
        )
    except httpx.HTTPError as error:
        latency = (time.perf_counter() - started) * 1000
        return Sent(key, retry, None, latency, None, False, type(error).__name__)
    latency = (time.perf_counter() - started) * 1000
    try:
        document = response.json()
    except ValueError:  # e.g. a bare 500 page
        document = {}
    created = response.status_code == 201
    return Sent(
        key=key,
        retry=retry,
        status=response.status_code,
        latency_ms=latency,
        transfer_id=document.get("id") if created else None,
        replayed=response.headers.get("Idempotent-Replayed") == "true",
        code=None if created else document.get("code"),
    )


async def _client_task(
    client: httpx.AsyncClient,
    token: str,
    accounts: list[str],
    value_date: date,
    load: Load,
    deadline: float,
    seed: int,
) -> None:
    chooser = random.Random(seed)
    while time.perf_counter() < deadline and len(load.sent) < MAX_REQUESTS:
        if load.retries:  # another task's transfer, most likely still in flight
            key = load.retries.popleft()
            load.sent.append(await _post(client, token, key, load.bodies[key], retry=True))
            continue
        debtor, creditor = chooser.sample(accounts, 2)
        amount = (Decimal(chooser.randint(100, 99_999)) * CENT).quantize(CENT)
        key = uuid.uuid4().hex
        body = {
            "debtor_account_id": debtor,
            "creditor_account_id": creditor,
            "amount": {"amount": str(amount), "currency": "CNY"},
            "value_date": value_date.isoformat(),
            "purpose": "other",
            "remark": key,  # so that the check afterwards can group the booked transfers by key
        }
        load.bodies[key] = body
        if chooser.random() < RETRY_SHARE:
            load.retries.append(key)
        load.sent.append(await _post(client, token, key, body, retry=False))


async def generate(
    base_url: str, token: str, accounts: list[str], value_date: date, duration: float
) -> Load:
    """16 tasks posting transfers for `duration` seconds (or MAX_REQUESTS)."""
    load = Load()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
    ) as client:
        deadline = time.perf_counter() + duration
        await asyncio.gather(
            *(
                _client_task(client, token, accounts, value_date, load, deadline, seed)
                for seed in range(CLIENTS)
            )
        )
    return load


def booked_transfers(base_url: str, token: str) -> list[dict[str, Any]]:
    """Every transfer of the tenant, page by page along the list's cursor (bounded)."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    with httpx.Client(base_url=base_url, headers=_headers(token), timeout=120.0) as client:
        for _ in range(MAX_REQUESTS // 1000 + 2):
            response = client.get("/v1/transfers", params=params)
            response.raise_for_status()
            page = response.json()
            items.extend(page["items"])
            if page["next"] is None:
                break
            params = {"limit": 1000, "cursor": page["next"]}
    return items


def balances(base_url: str, token: str, accounts: list[str], as_of: date) -> dict[str, Decimal]:
    """Each account's booked balance by `as_of`."""
    with httpx.Client(base_url=base_url, headers=_headers(token), timeout=60.0) as client:
        found = {}
        for account_id in accounts:
            response = client.get(
                f"/v1/accounts/{account_id}/balance", params={"as_of": as_of.isoformat()}
            )
            response.raise_for_status()
            found[account_id] = Decimal(response.json()["balance"])
        return found


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def verify(
    load: Load, transfers: list[dict[str, Any]], accounts: list[str], found: dict[str, Decimal]
) -> dict[str, Any]:
    """One transfer per key (the key rides in `remark`), replays naming it, balances adding up."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for item in transfers:
        by_key.setdefault(item["remark"] or "", []).append(item)
    first_id = {
        sent.key: sent.transfer_id
        for sent in load.sent
        if not sent.retry and sent.transfer_id is not None
    }
    answered = {sent.key for sent in load.sent if sent.transfer_id is not None}
    expected = dict.fromkeys(accounts, FUNDING)
    for key in by_key.keys() & load.bodies.keys():
        body = load.bodies[key]
        amount = Decimal(body["amount"]["amount"])
        expected[body["debtor_account_id"]] -= amount
        expected[body["creditor_account_id"]] += amount
    statuses: dict[str, int] = {}
    for item in transfers:
        statuses[item["status"]] = statuses.get(item["status"], 0) + 1
    return {
        "distinct_keys": len(load.bodies),
        "distinct_keys_answered_201": len(answered),
        "transfers_on_server": len(transfers),
        "transfer_statuses": statuses,
        "duplicates": sum(len(items) - 1 for items in by_key.values()),
        "keys_without_transfer": len(load.bodies.keys() - by_key.keys()),
        "transfers_without_key": len(by_key.keys() - load.bodies.keys()),
        "responses_naming_another_transfer": sum(
            1
            for sent in load.sent
            if sent.transfer_id is not None
            and (
                sent.transfer_id != first_id.get(sent.key, sent.transfer_id)
                or sent.transfer_id != by_key.get(sent.key, [{"id": None}])[0]["id"]
            )
        ),
        "balances_match": all(found[account] == expected[account] for account in accounts),
    }


def measure(database_url: str, work: Path, duration: float, workers: int) -> dict[str, Any]:
    """Migrate, make the tenant and token with the CLI, serve, prepare, load, verify."""
    env = server_environment(database_url, TREASURY_LOG_LEVEL=SERVER_LOG_LEVEL)
    run_cli(["migrate"], env)
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    run_cli(["tenant", "create", slug, "--name", "Bench group"], env)
    token = last_line(
        run_cli(
            ["token", "create", "--tenant", slug, "--role", "treasurer", "--name", "bench"], env
        )
    )
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / "server.log"
    with served(env, workers=workers, log_path=log_path) as (base_url, process):
        accounts = prepare(base_url, token, today - timedelta(days=3))
        log(f"api_transfers: serving on {base_url}; {CLIENTS} clients for {duration:.0f} s")
        server_cpu_started = process_tree_cpu_seconds(process.pid)
        cpu_started, started = time.process_time(), time.perf_counter()
        load = asyncio.run(generate(base_url, token, accounts, today, duration))
        elapsed = time.perf_counter() - started
        generator_cpu = time.process_time() - cpu_started
        server_cpu = process_tree_cpu_seconds(process.pid) - server_cpu_started
        transfers = booked_transfers(base_url, token)
        found = balances(base_url, token, accounts, today + timedelta(days=30))
        if any(sent.status is None or sent.status >= 500 for sent in load.sent):
            log(f"api_transfers: server log tail:\n{tail(log_path)}")
    latencies = [sent.latency_ms for sent in load.sent]
    retries = [sent for sent in load.sent if sent.retry]
    retried = {sent.key for sent in retries}
    # Either send of a retried key may find the other in flight: a 409 then is the contract.
    in_flight = [
        sent
        for sent in load.sent
        if sent.key in retried and sent.code == "IDEMPOTENCY_KEY_IN_FLIGHT"
    ]
    errors = [sent for sent in load.sent if sent.status != 201 and sent not in in_flight]
    codes: dict[str, int] = {}
    for sent in errors:
        label = f"{sent.status} {sent.code}"
        codes[label] = codes.get(label, 0) + 1
    return {
        "seconds": round(elapsed, 2),
        "requests": len(load.sent),
        "requests_per_s": round(len(load.sent) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "errors": len(errors),
        "error_codes": codes,
        "retries_sent": len(retries),
        # Either send of a retried key may arrive first: the other one is the replay.
        "replayed_responses": sum(1 for sent in load.sent if sent.replayed),
        "in_flight_409": len(in_flight),
        **verify(load, transfers, accounts, found),
        "load_generator_cpu_s": round(generator_cpu, 2),
        "load_generator_share_of_2_cores": round(generator_cpu / (elapsed * CORES), 3),
        "server_cpu_s": round(server_cpu, 2),
        "server_share_of_2_cores": round(server_cpu / (elapsed * CORES), 3),
        # API processes only (PostgreSQL's backends are not their children).
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(load.sent)), 2),
    }


def main() -> None:
    """Run against PostgreSQL (or SQLite without a URL) and print one JSON line.

    `--seconds N` shortens or lengthens the load (default DURATION_SECONDS).
    """
    arguments = sys.argv[1:]
    duration = (
        float(arguments[arguments.index("--seconds") + 1])
        if "--seconds" in arguments
        else DURATION_SECONDS
    )
    load_at_start = load_average()
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="treasury-bench-api-") as directory:
        with sqlite_database() as url:  # the embedded default: one process, as `make run` serves
            runs["sqlite"] = measure(url, Path(directory) / "sqlite", duration, workers=1)
        base = postgres_url()
        if base is None:
            log("api_transfers: TREASURY_BENCH_POSTGRES_URL not set; SQLite only")
        else:
            with postgres_database(base, "bench_api") as url:
                runs["postgresql"] = measure(url, Path(directory) / "pg", duration, WORKERS)
    for figures in runs.values():
        figures["meets_targets"] = (
            figures["requests_per_s"] >= TARGET_REQUESTS_PER_S
            and figures["p99_ms"] < TARGET_P99_MS
            and figures["duplicates"] == 0
            and figures["balances_match"]
        )
    print(
        json.dumps(
            {
                "benchmark": "api_transfers",
                "workers": {"sqlite": 1, "postgresql": WORKERS},
                "clients": CLIENTS,
                "retry_share": RETRY_SHARE,
                "accounts": ACCOUNTS,
                "server_log_level": SERVER_LOG_LEVEL,
                **runs,
                "target_requests_per_s": TARGET_REQUESTS_PER_S,
                "target_p99_ms": TARGET_P99_MS,
                "target_duplicates": 0,
                "meets_targets": all(figures["meets_targets"] for figures in runs.values()),
                "load_average_1m": [load_at_start, load_average()],
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
