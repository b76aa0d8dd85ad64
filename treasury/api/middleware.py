"""ASGI middleware: the request-body limit (413) and a request id on every response."""

from __future__ import annotations

import re
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Refuse bodies above `max_bytes`, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            receive = _refusing_receive(self.max_bytes)
        else:
            receive = _counting_receive(receive, self.max_bytes)
        await self.app(scope, receive, send)


def _too_large(max_bytes: int) -> HTTPException:
    # An HTTPException passes through FastAPI's body parsing untouched and is rendered as a problem.
    return HTTPException(413, f"request body exceeds {max_bytes} bytes")


def _refusing_receive(max_bytes: int) -> Receive:
    async def receive() -> Message:
        raise _too_large(max_bytes)

    return receive


def _counting_receive(receive: Receive, max_bytes: int) -> Receive:
    received = 0

    async def counting() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise _too_large(max_bytes)
        return message

    return counting


# A caller's request id is echoed only when it looks like one: anything else (long, or with
# characters a log line or a header should not carry) is replaced by a fresh UUID.
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
# Sent with every response: no browser may guess another content type than the one declared.
_ALWAYS = [(b"x-content-type-options", b"nosniff")]


class RequestId:
    """Echo the caller's X-Request-ID or make one, so a 500 can be found in the logs.

    Every response also says `X-Content-Type-Options: nosniff`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != b"x-request-id"]
        given = dict(scope["headers"]).get(b"x-request-id", b"")
        request_id = given if _REQUEST_ID.match(given) else str(uuid.uuid4()).encode()
        scope["headers"] = [*headers, (b"x-request-id", request_id)]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message["headers"] = [*sent, (b"x-request-id", request_id), *_ALWAYS]
            await send(message)

        await self.app(scope, receive, send_with_id)


_NAMES = {b"x-request-id", *(name for name, _ in _ALWAYS)}
