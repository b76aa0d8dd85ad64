"""Liveness: the process answers and the database is reachable."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from treasury.api.deps import UowFactoryDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """`{"status": "ok"}`."""

    status: str


@router.get("/healthz")
def healthz(uow_factory: UowFactoryDep) -> Health:
    """Answer ok when the database answers."""
    with uow_factory() as uow:
        uow.session.execute(text("SELECT 1"))
    return Health(status="ok")
