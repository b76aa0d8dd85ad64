"""The treasurer's pages, `/treasury`: the group's cash, the ladder, pools, hedges, transfers.

Signed in like `/review` (see `treasury.api.web`): a bearer token is exchanged once for a signed
session cookie (HttpOnly, SameSite=Strict, here Path=/treasury) under the same signer, every form
carries the session's CSRF token, and cross-site POSTs are refused. Every tenant role that may
read signs in; the operator may not. Pages carry no script (the same Content-Security-Policy);
charts are inline SVG drawn on the server (`treasury.api.charts`), every asset is served here.
"""

from __future__ import annotations

import secrets
from datetime import date
from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from positions import service
from positions.model import GroupBy
from treasury.api.deps import SettingsDep, UowFactoryDep
from treasury.api.pages import (
    CROSS_SITE,
    FORGED,
    Area,
    FormDep,
    PageRoute,
    SignInRefused,
    Visitor,
    clear_cookie,
    error_page,
    guard_post,
    render,
    same_site,
    session_started,
    set_cookie,
    signer_of,
    signing_in,
    to_login,
    visitor_in,
)
from treasury.api.problems import status_of
from treasury.api.routes.positions import positions_csv
from treasury.api.sessions import new_nonce, valid_nonce
from treasury.api.workspace_views import workspace
from treasury.clock import today
from treasury.errors import TreasuryError, ValidationFailed
from treasury.payments.model import TransferStatus
from treasury.payments.service import cancellation
from treasury.payments.service.transfers import IdempotencyOptions
from treasury.settings import Settings
from treasury.tenancy.model import Permission

WORKSPACE = Area("/treasury", "treasury_workspace_session", "treasury_workspace_login")
_FLASHES = {
    "cancelled": "Cancelled: the transfer will not be paid and its reservation is released. "
    "已撤销，预留金额已释放。",
}
_REASON_LIMIT = 2000
_STATIC = {
    "workspace.css": "text/css",
    "review.css": "text/css",
    "favicon.svg": "image/svg+xml",
}

router = APIRouter(prefix="/treasury", route_class=PageRoute, include_in_schema=False)


def _visitor(request: Request, uow_factory: UowFactoryDep) -> Visitor | None:
    return visitor_in(WORKSPACE, request, uow_factory)


def _to_login() -> Response:
    return to_login(WORKSPACE)


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The pages' stylesheets and icon."""
    media_type = _STATIC.get(name)
    if media_type is None:
        return error_page(404, "Not found.")
    content = resources.files("treasury.api").joinpath(f"static/{name}").read_text("utf-8")
    return Response(
        content, media_type=media_type, headers={"Cache-Control": "public, max-age=300"}
    )


def _login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    nonce = request.cookies.get(WORKSPACE.login_cookie)
    if nonce is None or not valid_nonce(nonce):
        nonce = new_nonce()
    flash = "You have signed out. 已退出。" if request.query_params.get("signed_out") else None
    response = render(
        "workspace_login.html",
        status,
        csrf=signer_of(request).login_csrf_token(nonce),
        error=error,
        flash=None if error else flash,
    )
    set_cookie(response, request, WORKSPACE.login_cookie, nonce, 3600, area=WORKSPACE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="treasury"'
    return response


@router.get("/login")
def login_form(request: Request, uow_factory: UowFactoryDep) -> Response:
    """The sign-in form (straight to the workspace when signed in already)."""
    if _visitor(request, uow_factory) is not None:
        return RedirectResponse("/treasury", status_code=303)
    return _login_page(request)


@router.post("/login")
def login(request: Request, form: FormDep, uow_factory: UowFactoryDep) -> Response:
    """Exchange a bearer token for a session cookie (tenant roles that may read)."""
    try:
        principal = signing_in(WORKSPACE, request, form, uow_factory)
    except SignInRefused as refused:
        if not refused.on_login_page:
            return error_page(refused.status, refused.message)
        return _login_page(request, refused.status, refused.message)
    return session_started(WORKSPACE, request, principal)


@router.post("/logout")
def logout(request: Request, form: FormDep, uow_factory: UowFactoryDep) -> Response:
    """End the session in this browser."""
    visitor = _visitor(request, uow_factory)
    if not same_site(request):
        return error_page(403, CROSS_SITE, visitor)
    if visitor is not None and not signer_of(request).csrf_valid(
        visitor.session, form.get("csrf_token")
    ):
        return error_page(403, FORGED, visitor)
    response = RedirectResponse("/treasury/login?signed_out=1", status_code=303)
    clear_cookie(response, WORKSPACE.session_cookie, area=WORKSPACE)
    return response


def _filters(
    as_of: str | None, group_by: str | None, days: str | None, today_: date
) -> tuple[date, GroupBy, int]:
    try:
        chosen_date = date.fromisoformat(as_of) if as_of else today_
    except ValueError as error:
        raise ValidationFailed("as_of must be a date (YYYY-MM-DD). 日期格式错误。") from error
    try:
        chosen_group = GroupBy(group_by or GroupBy.ENTITY.value)
    except ValueError as error:
        raise ValidationFailed("group_by: entity, currency, bank or country. 分组无效。") from error
    count = int(days) if days and days.isascii() and days.isdigit() else service.DEFAULT_LADDER_DAYS
    if not 1 <= count <= service.MAX_LADDER_DAYS:
        raise ValidationFailed(f"days: 1 to {service.MAX_LADDER_DAYS}. 天数超出范围。")
    return chosen_date, chosen_group, count


@router.get("")
def workspace_page(
    request: Request,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    as_of: str | None = None,
    group_by: str | None = None,
    days: str | None = None,
    done: str | None = None,
) -> Response:
    """The group's positions, ladder, pool quotas, hedges and the visitor's transfers."""
    visitor = _visitor(request, uow_factory)
    if visitor is None:
        return _to_login()
    return _page(
        uow_factory, settings, visitor, (as_of, group_by, days), flash=_FLASHES.get(done or "")
    )


def _page(
    uow_factory: UowFactoryDep,
    settings: Settings,
    visitor: Visitor,
    filters: tuple[str | None, str | None, str | None],
    *,
    status: int = 200,
    flash: str | None = None,
    error: str | None = None,
) -> Response:
    today_ = today(uow_factory.clock, settings.timezone)
    chosen_date, chosen_group, count = _filters(*filters, today_)
    principal = visitor.principal
    mine = principal.can(Permission.WRITE_TREASURY)
    page = workspace(
        uow_factory,
        tenant_id=visitor.tenant_id,
        token_id=principal.token_id if mine else None,
        as_of=chosen_date,
        group_by=chosen_group,
        days=count,
        today_=today_,
        timezone=settings.timezone,
    )
    return render(
        "workspace.html",
        status,
        visitor=visitor,
        page=page,
        as_of=chosen_date.isoformat(),
        group_by=chosen_group.value,
        days=count,
        group_choices=[g.value for g in GroupBy],
        own_transfers=mine,
        may_cancel=mine,
        form_key=secrets.token_urlsafe(18),
        flash=flash,
        error=error,
    )


@router.post("/transfers/{transfer_id}/cancellation")
def cancel_transfer(
    transfer_id: str,
    request: Request,
    form: FormDep,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> Response:
    """Cancel one of the treasurer's held transfers with a reason (the API's cancellation, with
    the form's one-time key as its Idempotency-Key: a second click replays the first)."""
    visitor = _visitor(request, uow_factory)
    refused = guard_post(request, visitor, form)
    if refused is not None:
        return refused
    assert visitor is not None
    if not visitor.principal.can(Permission.WRITE_TREASURY):
        message = f"The {visitor.principal.role.value} role may not cancel. 该角色无权撤销。"
        return _page(uow_factory, settings, visitor, (None, None, None), status=403, error=message)
    reason = form.get("reason", "").strip()
    key = form.get("idempotency_key", "").strip()
    try:
        if not reason:
            raise ValidationFailed("a cancellation needs a reason. 请填写撤销理由。")
        if len(reason) > _REASON_LIMIT or not key or len(key) > 100:
            raise ValidationFailed("the form is not valid; reload the page. 表单无效。")
        request_document = {"transfer_id": transfer_id, "reason": reason, "expected_status": "held"}
        cancellation.cancel_transfer(
            uow_factory(),
            principal=visitor.principal,
            request=cancellation.CancellationRequest(
                transfer_id=transfer_id, reason=reason, expected_status=TransferStatus.HELD
            ),
            idempotency_options=IdempotencyOptions(
                key=f"treasury-page:{key}",
                request_document=request_document,
                wait_seconds=settings.idempotency_wait_seconds,
            ),
        )
    except TreasuryError as error:
        return _page(
            uow_factory,
            settings,
            visitor,
            (None, None, None),
            status=status_of(error),
            error=error.detail,
        )
    return RedirectResponse("/treasury?done=cancelled#transfers", status_code=303)


@router.get("/positions.csv")
def positions_export(
    request: Request,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    as_of: str | None = None,
    group_by: str | None = None,
) -> Response:
    """The group view as CSV, as filtered on the page."""
    visitor = _visitor(request, uow_factory)
    if visitor is None:
        return _to_login()
    today_ = today(uow_factory.clock, settings.timezone)
    chosen_date, chosen_group, _ = _filters(as_of, group_by, None, today_)
    view = service.cash_positions(
        uow_factory.read_only(),
        tenant_id=visitor.tenant_id,
        as_of=chosen_date,
        group_by=chosen_group,
    )
    return positions_csv(view)
