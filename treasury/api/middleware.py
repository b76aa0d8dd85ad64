"""ASGI middleware: the request-body limit (413) and a request id on every response."""

from __future__ import annotations

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


class RequestId:
    """Echo the caller's X-Request-ID or make one, so a 500 can be found in the logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id") or str(uuid.uuid4()).encode()
        if b"x-request-id" not in headers:
            scope["headers"] = [*scope["headers"], (b"x-request-id", request_id)]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)
