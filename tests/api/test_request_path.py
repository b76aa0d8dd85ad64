"""What every request pays before and after its use case (issue 14, the API's share of a
transfer's cost): no thread hop per dependency, no full garbage collection over what the process
loaded at start."""

from __future__ import annotations

import gc
import inspect
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.support import TenantFixture, create_entity
from treasury.api.deps import refuse_nul_characters
from treasury.api.listing import refuse_unknown_parameters
from treasury.api.routes import transfers


def _route(router: APIRouter, method: str, path: str) -> APIRoute:
    return next(
        route
        for route in router.routes
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or set())
    )


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def _runs_on_the_event_loop(call: object) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 - an instance with an async __call__
    )


def test_a_transfers_dependencies_run_on_the_event_loop() -> None:
    # FastAPI runs a plain `def` dependency in its thread pool: a hop per dependency and request.
    # Only the endpoint itself (the unit of work) belongs in a thread.
    route = _route(transfers.router, "POST", "/v1/transfers")
    calls = [dependency.call for dependency in _dependencies(route.dependant)]
    calls += [refuse_nul_characters, refuse_unknown_parameters]  # every route's, by `create_app`

    in_threads = [
        getattr(call, "__name__", repr(call))
        for call in calls
        if call is not None and not _runs_on_the_event_loop(call)
    ]

    assert in_threads == []
    assert not _runs_on_the_event_loop(route.dependant.call)  # the work itself: in a thread


def test_a_cached_caller_is_still_refused_where_the_role_may_not(
    client: TestClient, tenant: TenantFixture
) -> None:
    # The principal comes from the cache on the event loop from the second request on; the role
    # check behind it still holds.
    assert create_entity(client, tenant.treasurer)["id"]
    for _ in range(2):
        refused = client.post(
            "/v1/entities", json={"code": "X", "name": "X", "country": "CN"}, headers=tenant.auditor
        )
        assert refused.status_code == 403, refused.text


def test_the_serving_process_keeps_what_it_loaded_out_of_full_collections(
    client: TestClient,
) -> None:
    # Started (the client runs the app's lifespan): modules, models and tables are frozen, so a
    # full collection no longer walks them with the writers' queue held (190-225 ms before).
    assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() > 0
