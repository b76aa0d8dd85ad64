"""Every error rendered once, as RFC 9457 application/problem+json with a stable `code`."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from treasury.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Rejected,
    TreasuryError,
    Unauthenticated,
)

logger = logging.getLogger("treasury.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Family → HTTP status; a new error class needs no change here.
_STATUS_BY_FAMILY: tuple[tuple[type[TreasuryError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (Rejected, 422),
)

_CODE_BY_STATUS = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
}


def status_of(error: TreasuryError) -> int:
    """The HTTP status of an error's family."""
    for family, status in _STATUS_BY_FAMILY:
        if isinstance(error, family):
            return status
    return 500


# RFC 3986 `pchar` minus percent: what may stand unescaped in a path segment.
_PATH_SAFE = "/-._~!$&'()*+,;=:@"


def instance_of(request: Request) -> str:
    """The request's path, percent-encoded: never raw text from the caller (markup, surrogates)."""
    return quote(request.url.path, safe=_PATH_SAFE, errors="replace")


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": f"/problems/{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance_of(request),
        **(extra or {}),
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def _treasury_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, TreasuryError)
    status = status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(
        request,
        status=status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        extra=error.extra or None,
        headers=headers,
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            "pointer": "/" + "/".join(str(part) for part in item.get("loc", ())),
            "message": str(item.get("msg", "")),
        }
        for item in error.errors()
    ]
    detail = "; ".join(f"{e['pointer']}: {e['message']}" for e in errors)[:2000]
    return problem(
        request,
        status=422,
        code="VALIDATION_ERROR",
        title="Validation error",
        detail=detail or "invalid request",
        extra={"errors": errors},
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    # FastAPI answers 400 to a body it cannot decode (e.g. invalid UTF-8): malformed input is
    # VALIDATION_ERROR 422 in the catalogue, like malformed JSON.
    status = 422 if error.status_code == 400 else error.status_code
    return problem(
        request,
        status=status,
        code=_CODE_BY_STATUS.get(status, "HTTP_ERROR"),
        title=str(error.detail) if status != 413 else "Payload too large",
        detail=str(error.detail),
        headers=dict(error.headers) if error.headers else None,
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    request_id = request.headers.get("x-request-id", "-")
    logger.exception("unexpected error (request id %s)", request_id, exc_info=error)
    return problem(
        request,
        status=500,
        code="INTERNAL_ERROR",
        title="Internal server error",
        detail=f"an unexpected error occurred; request id {request_id}",
    )


def install(app: FastAPI) -> None:
    """Register the problem renderers on the app."""
    app.add_exception_handler(TreasuryError, _treasury_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
