"""The FastAPI application, built by `create_app(settings)` (uvicorn --factory friendly)."""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from pooling import payment_extensions as pool_payment_extensions
from treasury.api import docs, openapi, problems, web, workspace_web
from treasury.api.deps import refuse_nul_characters
from treasury.api.listing import refuse_unknown_parameters
from treasury.api.middleware import BodySizeLimit, RequestId
from treasury.api.routes import (
    accounts,
    audit,
    corrections,
    counterparties,
    entities,
    foreign_debts,
    fx,
    health,
    hedging,
    iso20022,
    ledger,
    payment_runs,
    pool_restoration,
    pool_sweeps,
    pools,
    positions,
    refdata,
    reports,
    reviews,
    routing,
    settlement_refdata,
    tenancy,
    transfers,
)
from treasury.audit.sealer import AuditSealer
from treasury.clock import Clock, SystemClock
from treasury.db.engine import build_engine
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import trap_float_operations
from treasury.settings import Settings
from treasury.settlement import schemas as bank_file_schemas

ROUTERS = (
    health.router,
    entities.router,
    counterparties.router,
    accounts.router,
    ledger.router,
    transfers.router,
    payment_runs.router,
    reviews.router,
    audit.router,
    corrections.router,
    refdata.router,
    tenancy.router,
    routing.router,
    settlement_refdata.router,
    iso20022.router,
    pools.router,
    pool_sweeps.router,
    pool_restoration.router,
    foreign_debts.router,
    reports.router,
    fx.router,
    hedging.router,
    positions.router,
)


_frozen = threading.Event()


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Once per process, as it starts serving: what is loaded by now (modules, the routes'
    models, QuantLib's tables) lives as long as the process, so it is moved out of the
    collector's sight. Before, each full collection walked all of it: 190-225 ms with the
    writers' queue held, the api_transfers benchmark's p99 (gc callbacks, 15 s of load)."""
    if not _frozen.is_set():
        _frozen.set()
        gc.collect()
        gc.freeze()
    yield


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The API over the configured database; the caller migrates first (`treasury serve` does)."""
    trap_float_operations()
    settings = settings or Settings()
    app = FastAPI(
        title="Cross-border treasury service",
        version="0.1.0",
        description="Cash pools, RMB settlement routing, FX hedging and capital-account "
        "compliance for Chinese manufacturing groups.",
        docs_url=None,  # served from the package's own assets: treasury.api.docs
        redoc_url=None,
        lifespan=_lifespan,
    )
    engine = build_engine(settings.database_url, pool_size=settings.database_pool_size)
    app.state.settings = settings
    app.state.engine = engine
    app.state.uow_factory = UnitOfWorkFactory(
        engine, clock or SystemClock(), extensions=(pool_payment_extensions.EXTENSIONS,)
    )
    app.state.audit_sealer = AuditSealer(
        app.state.uow_factory, delay_seconds=settings.audit_seal_delay_seconds
    )
    problems.install(app)
    openapi.install(app)
    docs.install(app)
    for router in ROUTERS:
        app.include_router(
            router,
            dependencies=[Depends(refuse_nul_characters), Depends(refuse_unknown_parameters)],
        )
    web.install(app, settings)  # the officers' page, /review
    app.include_router(workspace_web.router)  # the treasurer's pages, /treasury
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestId)
    bank_file_schemas.warm_in_background()  # the first statement need not build its XSD
    return app
