"""Sign-in for API clients under /api/v1/auth/: a one-time code by SMS, then a bearer
token; the privacy notice under /api/v1/privacy-notice."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from jejak.accounts import otp, privacy, tokens
from jejak.accounts.capabilities import signed_in_user
from jejak.accounts.models import PrivacyAcceptance
from jejak.core.api_errors import ApiError

router = Router(tags=["auth"])
# Mounted at /api/v1/me/tokens by the API root.
tokens_router = Router(tags=["auth"])
# Mounted at /api/v1/privacy-notice by the API root.
privacy_router = Router(tags=["privacy"])


class OtpIn(Schema):
    phone: str


class OtpOut(Schema):
    sent: bool
    expires_in: int


class VerifyIn(Schema):
    phone: str
    code: str
    # The privacy notice version the person accepted on this screen (GET /privacy-notice).
    privacy_notice_version: str | None = Field(None, max_length=32)


class UserOut(Schema):
    phone_masked: str


class VerifyOut(Schema):
    token: str
    user: UserOut


class ErrorOut(Schema):
    code: str
    message: str


def _refused(exc: otp.SignInError) -> ApiError:
    extra: dict[str, object] = {}
    if exc.code == otp.Reason.PRIVACY_NOT_ACCEPTED:
        extra["version"] = privacy.current_version()
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        extra["retry_after"] = exc.retry_after
        headers["Retry-After"] = str(exc.retry_after)
    if exc.locked_until is not None:
        extra["locked_until"] = exc.locked_until.isoformat()
    return ApiError(exc.http_status, exc.code.value, exc.message, extra=extra, headers=headers)


@router.post(
    "/otp",
    auth=None,
    response={202: OtpOut, frozenset({400, 423, 429}): ErrorOut},
    summary="Send a sign-in code by SMS",
)
def request_otp(request: HttpRequest, payload: OtpIn) -> Status[OtpOut] | HttpResponse:
    """Send a 6-digit code, valid 5 minutes, to an Indonesian mobile number.

    The answer is the same whether or not the number has an account. Refusals:
    `phone_invalid` 400; `otp_locked` 423 (too many wrong codes for this number from this
    address; `locked_until` and a Retry-After header); `otp_rate_limited` 429 (3 codes
    per number per 15 minutes, 10 per day, and a per-address hourly limit; `retry_after`
    seconds and a Retry-After header).
    """
    try:
        otp.request_code(phone=payload.phone, client_ip=otp.client_address(request))
    except otp.SignInError as exc:
        raise _refused(exc) from None
    return Status(202, OtpOut(sent=True, expires_in=int(otp.CODE_LIFETIME.total_seconds())))


@router.post(
    "/verify",
    auth=None,
    response={200: VerifyOut, frozenset({400, 403, 423, 429}): ErrorOut},
    summary="Exchange a sign-in code for a bearer token",
)
def verify_otp(request: HttpRequest, payload: VerifyIn) -> VerifyOut | HttpResponse:
    """Check the code; on success create the visitor's account if new and return a token.

    Send the token as `Authorization: Bearer <token>`. Refusals: `phone_invalid` 400;
    `otp_invalid` 400 (wrong, used or replaced code); `otp_expired` 400 (the right code,
    but older than 5 minutes); `otp_retired` 400 (the number's code took 5 wrong tries
    and was cancelled: ask for a new one); `otp_locked` 423 (5 wrong codes from this
    address lock the number here for 15 minutes, even against the right code; other
    addresses are not affected); `otp_rate_limited` 429 (too many wrong codes from this
    address, whatever the numbers; `retry_after`); `account_disabled` 403;
    `privacy_notice_not_accepted` 403 (a number without an account, and no
    `privacy_notice_version` or not the current one: show the notice, then send the same
    code again with the version accepted, which the refusal names as `version`).

    `privacy_notice_version` also records an existing account's acceptance of a new
    version; without it, an account that has not accepted the current version gets 403
    `privacy_notice_changed` from every other operation until `POST
    /privacy-notice/accept`.
    """
    try:
        user, raw = otp.verify_code_for_app(
            phone=payload.phone,
            code=payload.code,
            client_ip=otp.client_address(request),
            privacy_notice_version=payload.privacy_notice_version,
        )
    except otp.SignInError as exc:
        raise _refused(exc) from None
    return VerifyOut(token=raw, user=UserOut(phone_masked=user.phone_masked))


@router.post("/logout", response={204: None}, summary="Sign out: revoke the token in use")
def sign_out(request: HttpRequest) -> Status[None]:
    """Revoke the bearer token this request came with (a browser session is ended
    instead). The token stops working at once; other tokens of the account stay."""
    user = signed_in_user(request)
    token_id = getattr(request, "api_token_id", None)
    if token_id is not None:
        tokens.revoke(user=user, token_id=token_id)
    else:
        logout(request)
    return Status(204, None)


class TokenOut(Schema):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    current: bool


@tokens_router.get("", response=list[TokenOut], summary="My live bearer tokens")
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    """The caller's tokens that still work, newest first; `current` marks the one this
    request came with. A token lapses `JEJAK_TOKEN_IDLE_DAYS` (90) after its last use."""
    user = signed_in_user(request)
    current = getattr(request, "api_token_id", None)
    return [
        TokenOut(
            id=t.pk,
            name=t.name,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            expires_at=t.expires_at,
            current=t.pk == current,
        )
        for t in tokens.tokens_of(user)
    ]


@tokens_router.delete(
    "/{token_id}", response={204: None, 404: ErrorOut}, summary="Revoke one of my tokens"
)
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    """Revoke a token (a lost phone's, say). `token_not_found` 404 for a token that is
    not the caller's, or no longer works."""
    if not tokens.revoke(user=signed_in_user(request), token_id=token_id):
        raise ApiError(404, "token_not_found", _("Token ini tidak ada di akun Anda."))
    return Status(204, None)


class DpoOut(Schema):
    name: str
    email: str
    phone: str


class PrivacyNoticeOut(Schema):
    version: str
    effective_date: dt.date | None
    url: str
    controller: str
    data_protection_officer: DpoOut
    checkin_retention_days: int


@privacy_router.get(
    "",
    auth=None,
    response=PrivacyNoticeOut,
    summary="The current privacy notice",
)
def privacy_notice(request: HttpRequest) -> PrivacyNoticeOut:
    """The version a visitor accepts, when it took effect, the page with its full text
    (`url`, `/privasi/`: Indonesian, English through its language switch), the
    controller and its data protection officer. Show the page, then send the version
    with `POST /auth/verify` (a new account) or `POST /privacy-notice/accept`."""
    found = privacy.notice()
    return PrivacyNoticeOut(
        version=found.version,
        effective_date=found.effective_date,
        url=reverse("privacy_notice"),
        controller=found.controller,
        data_protection_officer=DpoOut(
            name=found.dpo_name, email=found.dpo_email, phone=found.dpo_phone
        ),
        checkin_retention_days=found.checkin_retention_days,
    )


class AcceptIn(Schema):
    version: str = Field(..., max_length=32)


class AcceptOut(Schema):
    version: str
    accepted_at: dt.datetime


@privacy_router.post(
    "/accept",
    response={200: AcceptOut, frozenset({403, 409}): ErrorOut},
    summary="Accept the current privacy notice",
)
def accept_privacy_notice(request: HttpRequest, payload: AcceptIn) -> AcceptOut:
    """The signed-in visitor accepts the notice's current `version`; every operation
    then works again (until the next version: 403 `privacy_notice_changed`).

    Refusals: `privacy_notice_outdated` 409 (not the current version: the notice changed
    since it was shown; fetch it again); `visitor_only` 403 (staff accept no notice: they
    work under their employer's rules). Each call is recorded as an acceptance."""
    user = signed_in_user(request)
    if not privacy.concerned(user):
        raise ApiError(403, "visitor_only", _("Halaman ini hanya untuk akun pengunjung."))
    current = privacy.current_version()
    if payload.version != current:
        raise ApiError(
            409,
            privacy.OUTDATED,
            _("Pemberitahuan Privasi sudah diperbarui. Baca versi terbaru lalu setujui."),
            extra={"version": current},
        )
    acceptance = privacy.accept(user=user, version=current, channel=PrivacyAcceptance.Channel.API)
    return AcceptOut(version=acceptance.version, accepted_at=acceptance.accepted_at)
