"""The compliance officers' page, `/review`: server-rendered HTML over the review use cases.

Sign-in takes a bearer token once and keeps a signed session cookie (HttpOnly, SameSite=Strict,
Path=/review, Secure over https, 8 hours) that names the token by id, never its secret; see
`treasury.api.sessions`. Every POST form carries the session's CSRF token, and a POST whose
Origin (or Sec-Fetch-Site) says it came from another site is refused. Officers decide; auditors,
treasurers and admins read; the operator may not sign in. Templates escape every value; pages
carry no script and a Content-Security-Policy that allows none.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from typing import TypeVar

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from compliance.model import Decision, ReviewKind, ReviewStatus
from hedging.service import held_deliveries
from treasury.api.deps import SettingsDep, UowFactoryDep
from treasury.api.pages import (
    LOGIN_COOKIE,
    REVIEW,
    SESSION_COOKIE,
    FormDep,
    PageRoute,
    SignInRefused,
    Visitor,
    VisitorDep,
    clear_cookie,
    error_page,
    guard_post,
    render,
    session_started,
    set_cookie,
    signer_of,
    signing_in,
    to_login,
)
from treasury.api.problems import status_of
from treasury.api.review_views import REFERENCE_KINDS, item_view, queue
from treasury.api.sessions import SessionSigner, new_nonce, valid_nonce
from treasury.errors import TreasuryError, ValidationFailed
from treasury.payments.service import reviews
from treasury.settings import Settings
from treasury.tenancy.model import Permission

Choice = TypeVar("Choice", bound=StrEnum)

_FLASHES = {
    "approved": "Approved: the review is complete and the transfer went on. 已批准。",
    "pending": "Approval recorded; a second officer must approve. "
    "已记录批准，待第二名合规人员批准。",
    "rejected": "Rejected: the reservation is released. 已拒绝，预留金额已释放。",
}
# A post-event item only records the decision: the bank made the payment already.
_POST_EVENT_FLASH = "Decision recorded on the executed payment. 已记录审核决定。"
_REASON_LIMIT = 2000
_REFERENCE_LIMIT = 100

router = APIRouter(prefix="/review", route_class=PageRoute, include_in_schema=False)


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the page and make its session signer (a random key when none is configured)."""
    secret = settings.session_secret
    app.state.review_signer = SessionSigner.from_setting(
        None if secret is None else secret.get_secret_value()
    )
    app.include_router(router)


# Sign-in and sign-out ------------------------------------------------------------------------


_STATIC = {"review.css": "text/css", "favicon.svg": "image/svg+xml"}


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The page's stylesheet and icon."""
    media_type = _STATIC.get(name)
    if media_type is None:
        return error_page(404, "Not found.")
    content = resources.files("treasury.api").joinpath(f"static/{name}").read_text("utf-8")
    return Response(
        content, media_type=media_type, headers={"Cache-Control": "public, max-age=300"}
    )


def _login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    signer = signer_of(request)
    nonce = request.cookies.get(LOGIN_COOKIE)
    if nonce is None or not valid_nonce(nonce):
        nonce = new_nonce()
    signed_out = request.query_params.get("signed_out") == "1"
    flash = "You have signed out. 已退出。" if signed_out and error is None else None
    response = render(
        "login.html", status, csrf=signer.login_csrf_token(nonce), error=error, flash=flash
    )
    set_cookie(response, request, LOGIN_COOKIE, nonce, max_age=3600)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="review"'
    return response


@router.get("/login")
def login_form(request: Request, visitor: VisitorDep) -> Response:
    """The sign-in form (straight to the queue when signed in already)."""
    if visitor is not None:
        return RedirectResponse("/review", status_code=303)
    return _login_page(request)


@router.post("/login")
def login(request: Request, form: FormDep, uow_factory: UowFactoryDep) -> Response:
    """Exchange a bearer token for a session cookie (tenant roles that may read only)."""
    try:
        principal = signing_in(REVIEW, request, form, uow_factory)
    except SignInRefused as refused:
        if not refused.on_login_page:
            return error_page(refused.status, refused.message)
        return _login_page(request, refused.status, refused.message)
    return session_started(REVIEW, request, principal)


@router.post("/logout")
def logout(request: Request, visitor: VisitorDep, form: FormDep) -> Response:
    """End the session in this browser."""
    if visitor is not None:
        refused = guard_post(request, visitor, form)
        if refused is not None:
            return refused
    response = RedirectResponse("/review/login?signed_out=1", status_code=303)
    clear_cookie(response, SESSION_COOKIE)
    return response


# The queue and an item -----------------------------------------------------------------------


def _choice(enum: type[Choice], value: str | None, default: Choice | None) -> Choice | None:
    if value is None or value == "":
        return default
    if value == "all":
        return None
    try:
        return enum(value)
    except ValueError as error:
        raise ValidationFailed(f"unknown filter value {value!r}") from error


@router.get("")
def queue_page(
    visitor: VisitorDep,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    status: str | None = None,
    kind: str | None = None,
    offset: str | None = None,
) -> Response:
    """The review queue, pending items first by default, filtered by status and kind."""
    if visitor is None:
        return to_login()
    chosen_status = _choice(ReviewStatus, status, ReviewStatus.PENDING)
    chosen_kind = _choice(ReviewKind, kind, None)
    start = int(offset) if offset is not None and offset.isascii() and offset.isdigit() else 0
    rows, more = queue(
        uow_factory,
        tenant_id=visitor.tenant_id,
        status=chosen_status,
        kind=chosen_kind,
        offset=start,
        timezone=settings.timezone,
    )
    return render(
        "queue.html",
        visitor=visitor,
        rows=rows,
        status="all" if chosen_status is None else chosen_status.value,
        kind="all" if chosen_kind is None else chosen_kind.value,
        statuses=["all", *(s.value for s in ReviewStatus)],
        kinds=["all", *(k.value for k in ReviewKind)],
        next_offset=start + len(rows) if more else None,
        page_start=start,
    )


def _item_page(
    uow_factory: UowFactoryDep,
    settings: Settings,
    visitor: Visitor,
    review_id: str,
    *,
    status: int = 200,
    done: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    item = item_view(
        uow_factory, tenant_id=visitor.tenant_id, review_id=review_id, timezone=settings.timezone
    )
    flash = _FLASHES.get(done or "")
    if flash is not None and item.kind == ReviewKind.POST_EVENT.value:
        flash = _POST_EVENT_FLASH
    may_decide = visitor.principal.can(Permission.DECIDE_REVIEWS)
    approved_already = visitor.principal.token_id in item.approved_by
    return render(
        "item.html",
        status,
        visitor=visitor,
        item=item,
        flash=flash,
        error=error,
        may_decide=may_decide,
        approved_already=approved_already,
        show_form=may_decide and item.pending and not approved_already,
        form=form or {},
        reference_kinds=REFERENCE_KINDS,
    )


@router.get("/{review_id}")
def item_page(
    review_id: str,
    visitor: VisitorDep,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    done: str | None = None,
) -> Response:
    """One item: its transfer, parties, findings in both languages, history and approvals."""
    if visitor is None:
        return to_login()
    return _item_page(uow_factory, settings, visitor, review_id, done=done)


def _decision_of(form: dict[str, str]) -> tuple[Decision, str, dict[str, str]]:
    try:
        decision = Decision(form.get("decision", ""))
    except ValueError as error:
        raise ValidationFailed("choose approve or reject. 请选择批准或拒绝。") from error
    reason = form.get("reason", "").strip()
    if not reason:
        raise ValidationFailed("a decision needs a reason. 请填写理由。")
    if len(reason) > _REASON_LIMIT:
        raise ValidationFailed(f"the reason is longer than {_REASON_LIMIT} characters.")
    references = {kind: form.get(kind, "").strip() for kind in REFERENCE_KINDS}
    if any(len(value) > _REFERENCE_LIMIT for value in references.values()):
        raise ValidationFailed(f"a reference is longer than {_REFERENCE_LIMIT} characters.")
    return decision, reason, {kind: value for kind, value in references.items() if value}


@router.post("/{review_id}/decision")
def decide(
    review_id: str,
    request: Request,
    visitor: VisitorDep,
    form: FormDep,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> Response:
    """Approve or reject with a reason; outcomes the rules refuse are shown on the item."""
    refused = guard_post(request, visitor, form)
    if refused is not None:
        return refused
    assert visitor is not None
    if not visitor.principal.can(Permission.DECIDE_REVIEWS):
        message = (
            f"The {visitor.principal.role.value} role may not decide on reviews. 该角色无权审批。"
        )
        return _item_page(uow_factory, settings, visitor, review_id, status=403, error=message)
    try:
        decision, reason, references = _decision_of(form)
        result = reviews.decide_review(
            uow_factory(),
            officer=visitor.principal,
            review_id=review_id,
            decision=decision,
            reason=reason,
            references=references,
            timezone=settings.timezone,
            after_decision=(held_deliveries.on_transfer_decided,),
        )
    except TreasuryError as error:
        return _item_page(
            uow_factory,
            settings,
            visitor,
            review_id,
            status=status_of(error),
            error=error.detail,
            form=form,
        )
    location = f"/review/{result.review.id}?done={result.review.status.value}"
    return RedirectResponse(location, status_code=303)
