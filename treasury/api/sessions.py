"""Signed, stateless sessions and CSRF tokens for the officers' page (`/review`).

The cookie never carries the bearer secret. It names the token by id, with a random session
nonce and an expiry, under an HMAC-SHA256 signature:

    v1.<token_id>.<nonce>.<expires_unix>.<base64url(mac)>

Each request verifies the signature and expiry, then looks the token up by id, so a revoked token
ends every session made with it. The CSRF token of a session is an HMAC of its nonce and token id
under a second key: forms carry it in a hidden field and a POST without it is refused. The sign-in
form, before any session exists, is bound the same way to a random nonce in a short-lived cookie.

Both keys derive from `TREASURY_SESSION_SECRET`; without it a random key is made per process, so
sessions end at a restart and do not span processes. Being stateless, signing out clears the
browser's cookie but cannot revoke a copied one before its expiry; revoking the token does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

SESSION_LIFETIME = timedelta(hours=8)
_VERSION = "v1"
_COOKIE_PATTERN = re.compile(
    r"^v1\.(?P<token_id>[A-Za-z0-9-]{1,64})\.(?P<nonce>[A-Za-z0-9_-]{16,64})"
    r"\.(?P<expires>[0-9]{1,12})\.(?P<mac>[A-Za-z0-9_-]{43})$"
)
_NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: which token, which sign-in (nonce), until when (Unix seconds)."""

    token_id: str
    nonce: str
    expires_at: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _derive(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, f"treasury.review.{purpose}".encode(), hashlib.sha256).digest()


class SessionSigner:
    """Issues and verifies session cookies and CSRF tokens under keys derived from one secret."""

    def __init__(self, master_secret: bytes) -> None:
        if len(master_secret) < 32:
            raise ValueError("the session secret needs at least 32 bytes")
        self._session_key = _derive(master_secret, "session")
        self._csrf_key = _derive(master_secret, "csrf")

    @classmethod
    def from_setting(cls, secret: str | None) -> SessionSigner:
        """From `TREASURY_SESSION_SECRET`, or a random per-process key when it is unset."""
        return cls(secrets.token_bytes(32) if secret is None else secret.encode())

    def _mac(self, token_id: str, nonce: str, expires_at: int) -> str:
        message = f"{_VERSION}|{token_id}|{nonce}|{expires_at}".encode()
        return _b64(hmac.new(self._session_key, message, hashlib.sha256).digest())

    def issue(self, token_id: str, now: datetime) -> tuple[str, WebSession]:
        """A new session for a token: the cookie value and the session it stands for."""
        expires_at = int((now + SESSION_LIFETIME).timestamp())
        session = WebSession(token_id, new_nonce(), expires_at)
        mac = self._mac(session.token_id, session.nonce, expires_at)
        return f"{_VERSION}.{token_id}.{session.nonce}.{expires_at}.{mac}", session

    def read(self, cookie: str | None, now: datetime) -> WebSession | None:
        """The session of a cookie value, or None when absent, forged, malformed or expired."""
        if not cookie:
            return None
        match = _COOKIE_PATTERN.match(cookie)
        if match is None:
            return None
        token_id, nonce = match["token_id"], match["nonce"]
        expires_at = int(match["expires"])
        if not hmac.compare_digest(match["mac"], self._mac(token_id, nonce, expires_at)):
            return None
        if expires_at <= now.timestamp():
            return None
        return WebSession(token_id, nonce, expires_at)

    def csrf_token(self, session: WebSession) -> str:
        """The CSRF token of a session (the same for every form of that sign-in)."""
        return self._csrf(f"session|{session.token_id}|{session.nonce}")

    def csrf_valid(self, session: WebSession, presented: str | None) -> bool:
        """True when `presented` is this session's CSRF token."""
        return presented is not None and hmac.compare_digest(presented, self.csrf_token(session))

    def login_csrf_token(self, nonce: str) -> str:
        """The CSRF token of the sign-in form, bound to the nonce in the sign-in cookie."""
        return self._csrf(f"login|{nonce}")

    def login_csrf_valid(self, nonce: str | None, presented: str | None) -> bool:
        """True when the sign-in form's token matches the sign-in cookie's nonce."""
        if nonce is None or presented is None or not valid_nonce(nonce):
            return False
        return hmac.compare_digest(presented, self.login_csrf_token(nonce))

    def _csrf(self, message: str) -> str:
        return _b64(hmac.new(self._csrf_key, message.encode(), hashlib.sha256).digest())


def new_nonce() -> str:
    """A random, URL-safe nonce."""
    return secrets.token_urlsafe(24)


def valid_nonce(nonce: str) -> bool:
    """True for a nonce of the shape `new_nonce` makes."""
    return _NONCE_PATTERN.match(nonce) is not None
