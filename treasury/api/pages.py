"""Plumbing of the officers' page: templates, security headers, the session cookie, CSRF checks.

Every response of a `PageRoute` carries the security headers, and errors become HTML pages with
their status (a TreasuryError's family; 500 with the request id otherwise), never a trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.exceptions import HTTPException

from treasury.api.deps import UowFactoryDep
from treasury.api.problems import status_of
from treasury.api.sessions import SESSION_LIFETIME, SessionSigner, WebSession
from treasury.errors import TreasuryError, Unauthenticated
from treasury.tenancy import service as tenancy_service
from treasury.tenancy.model import Permission, Principal

logger = logging.getLogger("treasury.api.pages")


@dataclass(frozen=True)
class Area:
    """A set of signed-in pages: where they live (their cookies' path) and their cookies' names.
    `/review` and `/treasury` sign in alike under one signer, each with cookies of its own."""

    path: str
    session_cookie: str
    login_cookie: str

    @property
    def login_path(self) -> str:
        """The area's sign-in form."""
        return f"{self.path}/login"


REVIEW = Area("/review", "treasury_review_session", "treasury_review_login")
SESSION_COOKIE = REVIEW.session_cookie
LOGIN_COOKIE = REVIEW.login_cookie
COOKIE_PATH = REVIEW.path
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

templates = Environment(
    loader=PackageLoader("treasury.api", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Visitor:
    """A signed-in browser: the token's principal, its session and the session's CSRF token."""

    principal: Principal
    session: WebSession
    csrf: str

    @property
    def tenant_id(self) -> str:
        """The visitor's tenant (only tenant roles sign in)."""
        assert self.principal.tenant_id is not None
        return self.principal.tenant_id


def render(template: str, status_code: int = 200, /, **context: Any) -> HTMLResponse:
    """A page from a template; `visitor`, `flash` and `error` default to None."""
    values = {"visitor": None, "flash": None, "error": None, **context}
    return HTMLResponse(templates.get_template(template).render(**values), status_code=status_code)


def error_page(status: int, message: str, visitor: Visitor | None = None) -> HTMLResponse:
    """An error page with its status and message."""
    return render("error.html", status, visitor=visitor, status=status, error=message)


class PageRoute(APIRoute):
    """Every page response carries the security headers; errors become pages, never traces."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler: security headers, errors rendered as pages."""
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except (HTTPException, RequestValidationError):
                raise  # rendered by treasury.api.problems (e.g. 413 from the body limit)
            except Unauthenticated:
                response = to_login() if request.method == "GET" else expired()
            except TreasuryError as error:
                response = error_page(status_of(error), error.detail)
            except Exception:
                request_id = request.headers.get("x-request-id", "-")
                logger.exception("review page failed (request id %s)", request_id)
                response = error_page(500, f"Something went wrong; request id {request_id}.")
            response.headers.update(SECURITY_HEADERS)
            if "cache-control" not in response.headers:
                response.headers["Cache-Control"] = "no-store"
            return response

        return page_handler


# Sessions, cookies, CSRF ---------------------------------------------------------------------


def signer_of(request: Request) -> SessionSigner:
    """The app's session signer (made by `web.install`)."""
    signer: SessionSigner = request.app.state.review_signer
    return signer


def now_of(request: Request) -> datetime:
    """Now, by the app's clock (sessions expire on it)."""
    now: datetime = request.app.state.uow_factory.clock.now()
    return now


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    max_age: int,
    *,
    area: Area = REVIEW,
) -> None:
    """Set a page cookie: HttpOnly, SameSite=Strict, Path=the area's, Secure over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=area.path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, name: str, *, area: Area = REVIEW) -> None:
    """Expire a page cookie."""
    response.delete_cookie(name, path=area.path, httponly=True, samesite="strict")


def visitor_in(area: Area, request: Request, uow_factory: UowFactoryDep) -> Visitor | None:
    """The area's signed-in visitor: a valid, unexpired cookie of a live token that may read."""
    signer = signer_of(request)
    session = signer.read(request.cookies.get(area.session_cookie), now_of(request))
    if session is None:
        return None
    try:
        principal = tenancy_service.principal_for_token_id(uow_factory(), session.token_id)
    except Unauthenticated:
        return None
    if not principal.can(Permission.READ) or principal.tenant_id is None:
        return None
    return Visitor(principal, session, signer.csrf_token(session))


def current_visitor(request: Request, uow_factory: UowFactoryDep) -> Visitor | None:
    """The signed-in visitor of `/review`."""
    return visitor_in(REVIEW, request, uow_factory)


class SignInRefused(Exception):
    """A sign-in form refused: shown on the sign-in page again, or (cross-site) as an error."""

    def __init__(self, status: int, message: str, *, on_login_page: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.on_login_page = on_login_page


def signing_in(area: Area, request: Request, form: dict[str, str], uow_factory: Any) -> Principal:
    """The principal whose bearer token the sign-in form presents (tenant roles that may read),
    or SignInRefused: a cross-site post, a forged form, an unknown token, a role kept out."""
    if not same_site(request):
        raise SignInRefused(403, CROSS_SITE, on_login_page=False)
    if not signer_of(request).login_csrf_valid(
        request.cookies.get(area.login_cookie), form.get("csrf_token")
    ):
        raise SignInRefused(403, FORGED)
    try:
        principal = tenancy_service.authenticate(uow_factory(), form.get("token", "").strip())
    except Unauthenticated as error:
        raise SignInRefused(401, "Unknown or revoked token. 令牌无效或已撤销。") from error
    if not principal.can(Permission.READ) or principal.tenant_id is None:
        message = f"The {principal.role.value} role cannot use this page. 该角色无权访问。"
        raise SignInRefused(403, message)
    return principal


def session_started(area: Area, request: Request, principal: Principal) -> Response:
    """Signed in: the session cookie set, the sign-in nonce dropped, on to the area's home."""
    cookie, _ = signer_of(request).issue(principal.token_id, now_of(request))
    response = RedirectResponse(area.path, status_code=303)
    lifetime = int(SESSION_LIFETIME.total_seconds())
    set_cookie(response, request, area.session_cookie, cookie, lifetime, area=area)
    clear_cookie(response, area.login_cookie, area=area)
    return response


VisitorDep = Annotated[Visitor | None, Depends(current_visitor)]


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded form of a POST (first value of each field); {} for any other body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return {}
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


FormDep = Annotated[dict[str, str], Depends(read_form)]


def _netloc(scheme: str, netloc: str) -> str:
    host = netloc.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme, "")
    return host.removesuffix(default) if default else host


def same_site(request: Request) -> bool:
    """False when Origin names another host, or Sec-Fetch-Site says another site sent it.

    Under `Referrer-Policy: no-referrer` browsers send `Origin: null` with a same-origin form
    POST, so a null Origin decides nothing here; Sec-Fetch-Site (and always the CSRF token) do.
    """
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        parsed = urlsplit(origin)
        host = request.headers.get("host", "")
        if _netloc(parsed.scheme, parsed.netloc) != _netloc(parsed.scheme, host):
            return False
    return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"


FORGED = (
    "This form did not come from this page or has expired; reload it and try again. 表单已失效。"
)
CROSS_SITE = "Cross-site requests are refused. 拒绝跨站请求。"


def guard_post(request: Request, visitor: Visitor | None, form: dict[str, str]) -> Response | None:
    """Refuse a POST from another site, without a session, or without this session's token."""
    if not same_site(request):
        return error_page(403, CROSS_SITE, visitor)
    if visitor is None:
        return expired()
    if not signer_of(request).csrf_valid(visitor.session, form.get("csrf_token")):
        return error_page(403, FORGED, visitor)
    return None


def to_login(area: Area = REVIEW) -> Response:
    """Send the browser to the area's sign-in form, dropping a stale session cookie."""
    response = RedirectResponse(area.login_path, status_code=303)
    clear_cookie(response, area.session_cookie, area=area)
    return response


def expired() -> Response:
    """The 401 page of a POST without a live session."""
    response = render(
        "error.html",
        401,
        status=401,
        error="Your session has ended; sign in again. 会话已结束，请重新登录。",
    )
    clear_cookie(response, SESSION_COOKIE)
    return response
