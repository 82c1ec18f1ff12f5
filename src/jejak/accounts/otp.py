"""Visitors sign in with their phone number and a one-time code sent by SMS.

The rules, each enforced here and nowhere else:

- A code has 6 digits, is valid for 5 minutes and works once. Only a keyed hash of it is
  stored (HMAC-SHA256 under a key derived from SECRET_KEY, bound to the number), and the
  comparison is constant-time. Requesting a new code retires the older unused ones.
- Wrong codes are limited three ways, so that guessing is bounded without letting a
  stranger lock a citizen out:
  - per code: after 5 wrong codes for a number (from anywhere) its live code is retired
    (`otp_retired`): at most 5 guesses per code, and a number gets at most 10 codes a
    day, so blind guessing succeeds once in 20,000 days. The owner just asks for a new
    code; nothing is locked.
  - per number and address: 5 wrong codes within 15 minutes from one address lock that
    number *for that address* for 15 minutes (`otp_locked`, with the unlock time; even
    the right code and new codes are refused there). The owner's phone, at another
    address, is not affected.
  - per address, across numbers: JEJAK_OTP_WRONG_CODES_PER_ADDRESS (20) wrong codes
    within 15 minutes stop that address from trying any code for 15 minutes
    (`otp_rate_limited`). Spreading guesses over many numbers gains nothing.
  Every refused code counts, including an expired or already used one.
- Codes requested per number: 3 per 15 minutes and 10 per day; per client address:
  JEJAK_OTP_PER_ADDRESS_PER_HOUR (20) per hour. Beyond that, `otp_rate_limited` with the
  seconds until the next request can succeed. (Someone who knows a number can use up its
  requests; the owner's wait is then at most 15 minutes, never a lockout by guessing.)
- `otp_expired` is reported only when the code given was the right one but is older than
  5 minutes; every other wrong code is `otp_invalid`. An attacker learns nothing from the
  difference (an expired code is useless), while the person who was simply slow is told
  to ask for a new code rather than to retype it.
- A number without an account gets one only with the privacy notice's current version
  accepted (accounts/privacy.py): the right code without it is refused with
  `privacy_notice_not_accepted` and stays usable.

The limits are counted in the database, not in a cache, so they hold across processes
and hosts with no Redis: every request first locks the SignInGuard rows of its number, its
client address and the pair (always in that order), then counts and writes.

The client address is REMOTE_ADDR. Behind nginx, the app server makes it the real
client's from X-Forwarded-For, believed only from JEJAK_TRUSTED_PROXIES (`jejak serve
--forwarded-allow-ips`, docs/configuration.md); nothing here reads the header itself,
since any client can write one.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import secrets
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q, TextChoices
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from jejak.accounts import privacy, tasks, token_usage
from jejak.accounts.language import remember_language
from jejak.accounts.models import ApiToken, OneTimeCode, SignInGuard, User
from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.core import crypto
from jejak.core import phone as phones

CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_WRONG_TRIES = 5  # per number and address, then that pair is locked
MAX_WRONG_TRIES_PER_CODE = 5  # from anywhere, then the code is retired
LOCK_DURATION = dt.timedelta(minutes=15)  # also the window the wrong tries count in
# (how many codes, within how long) for one number.
PER_NUMBER_LIMITS = ((3, dt.timedelta(minutes=15)), (10, dt.timedelta(days=1)))
ADDRESS_WINDOW = dt.timedelta(hours=1)
# Rows older than the longest window count for nothing any more.
KEEP_FOR = dt.timedelta(days=1)

# In the language of the page or app that asked for it.
MESSAGE = _("Kode Jejak Anda: %(code)s. Berlaku 5 menit. Jangan berikan kepada siapa pun.")


class Reason(TextChoices):
    # The label is the sentence shown to people; the value never changes.
    PHONE_INVALID = (
        phones.PhoneInvalid.code,
        _("Nomor HP tidak valid. Gunakan nomor seluler Indonesia, misalnya 0812-3456-7890."),
    )
    RATE_LIMITED = "otp_rate_limited", _("Terlalu banyak permintaan kode. Coba lagi nanti.")
    LOCKED = "otp_locked", _("Terlalu banyak kode salah. Nomor ini dikunci sementara.")
    INVALID = "otp_invalid", _("Kode salah atau sudah tidak berlaku.")
    RETIRED = (
        "otp_retired",
        _("Kode ini dibatalkan setelah terlalu banyak percobaan salah. Minta kode baru."),
    )
    EXPIRED = "otp_expired", _("Kode sudah kedaluwarsa. Minta kode baru.")
    ACCOUNT_DISABLED = (
        "account_disabled",
        _("Nomor ini tidak dapat dipakai untuk masuk sebagai pengunjung."),
    )
    PRIVACY_NOT_ACCEPTED = (
        privacy.NOT_ACCEPTED,
        _("Untuk membuat akun, baca dan setujui Pemberitahuan Privasi terlebih dahulu."),
    )


# Clients should switch on the reason code; the status only groups them.
HTTP_STATUS: dict[str, int] = {
    Reason.PHONE_INVALID: 400,
    Reason.RATE_LIMITED: 429,
    Reason.LOCKED: 423,
    Reason.INVALID: 400,
    Reason.RETIRED: 400,
    Reason.EXPIRED: 400,
    Reason.ACCOUNT_DISABLED: 403,
    Reason.PRIVACY_NOT_ACCEPTED: 403,
}


class SignInError(Exception):
    """A refused request or code, with a stable `code` (a Reason value).

    `retry_after` (seconds) is set for otp_rate_limited and otp_locked; `locked_until`
    for otp_locked.
    """

    def __init__(
        self,
        code: Reason | str,
        *,
        retry_after: int | None = None,
        locked_until: dt.datetime | None = None,
    ) -> None:
        self.code = Reason(code)
        self.message = str(self.code.label)
        self.retry_after = retry_after
        self.locked_until = locked_until
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]


def client_address(request: HttpRequest) -> str:
    """The address the per-address limit counts: REMOTE_ADDR only (see the module docstring)."""
    return request.META.get("REMOTE_ADDR") or ""


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _normalize(raw: str) -> str:
    try:
        return phones.normalize_phone(raw)
    except phones.PhoneInvalid:
        raise SignInError(Reason.PHONE_INVALID) from None


def _digest(index: str, code: str) -> str:
    return salted_hmac("jejak.accounts.otp", f"{index}:{code}", algorithm="sha256").hexdigest()


def _guard(key: str, now: dt.datetime) -> SignInGuard:
    """Create the row if needed and lock it until the transaction ends."""
    for _attempt in range(3):
        SignInGuard.objects.bulk_create(
            [SignInGuard(key=key, created_at=now)], ignore_conflicts=True
        )
        try:
            return SignInGuard.objects.select_for_update().get(key=key)
        except SignInGuard.DoesNotExist:
            # The purge in request_code removed an idle row between the two statements.
            continue
    raise RuntimeError(f"could not lock sign-in guard {key}")


def _locked(guard: SignInGuard, now: dt.datetime) -> SignInError | None:
    if guard.locked_until is not None and guard.locked_until > now:
        return SignInError(
            Reason.LOCKED,
            retry_after=_seconds_until(guard.locked_until, now),
            locked_until=guard.locked_until,
        )
    return None


def _over_limit(
    times: list[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime
) -> int | None:
    """Seconds until one more request fits in `window`, or None if it fits now."""
    recent = sorted((t for t in times if t > now - window), reverse=True)
    if len(recent) < limit:
        return None
    # Once the limit-th most recent request leaves the window, there is room for one more.
    return _seconds_until(recent[limit - 1] + window, now)


def _purge(now: dt.datetime) -> None:
    # The same period as the periodic purge (retention.py), which also catches the rows
    # of a quiet night with no sign-in.
    keep = max(KEEP_FOR, dt.timedelta(days=settings.JEJAK_OTP_RETENTION_DAYS))
    OneTimeCode.objects.filter(created_at__lt=now - keep).delete()
    SignInGuard.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        Q(last_failed_at__isnull=True) | Q(last_failed_at__lt=now - LOCK_DURATION),
        created_at__lt=now - keep,
    ).delete()


def request_code(*, phone: str, client_ip: str, now: dt.datetime | None = None) -> None:
    """Send a new sign-in code to `phone` by SMS after commit (a task: tasks.py), or
    raise SignInError."""
    number = _normalize(phone)
    now = now or timezone.now()
    index = phones.phone_index(number)
    address = crypto.blind_index(client_ip or "unknown", purpose="client_address")
    _purge(now)
    with transaction.atomic():
        # Always number, then address, then the pair: a fixed order cannot deadlock.
        _guard(f"phone:{index}", now)
        _guard(f"address:{address}", now)
        refusal = _locked(_guard(_pair_key(index, address), now), now)
        if refusal is not None:
            raise refusal
        day_ago = now - KEEP_FOR
        by_number = list(
            OneTimeCode.objects.filter(phone_index=index, created_at__gt=day_ago).values_list(
                "created_at", flat=True
            )
        )
        by_address = list(
            OneTimeCode.objects.filter(address_index=address, created_at__gt=day_ago).values_list(
                "created_at", flat=True
            )
        )
        waits = [_over_limit(by_number, limit, window, now) for limit, window in PER_NUMBER_LIMITS]
        waits.append(
            _over_limit(by_address, settings.JEJAK_OTP_PER_ADDRESS_PER_HOUR, ADDRESS_WINDOW, now)
        )
        longest = max((wait for wait in waits if wait is not None), default=None)
        if longest is not None:
            raise SignInError(Reason.RATE_LIMITED, retry_after=longest)

        OneTimeCode.objects.filter(
            phone_index=index, used_at__isnull=True, superseded_at__isnull=True
        ).update(superseded_at=now)
        code = f"{secrets.randbelow(10**6):06d}"
        OneTimeCode.objects.create(
            phone_index=index,
            address_index=address,
            digest=_digest(index, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        # The code leaves this process only sealed, in the task that sends it (tasks.py):
        # a rolled-back request sends nothing, and with a task worker a slow gateway
        # delays neither the transaction nor the response.
        sealed = tasks.seal(
            to=number,
            text=str(MESSAGE) % {"code": code},
            valid_seconds=CODE_LIFETIME.total_seconds(),
        )
        transaction.on_commit(lambda: tasks.send_sign_in_code.enqueue(sealed))


def verify_code(
    *,
    phone: str,
    code: str,
    client_ip: str,
    channel: str = "api",
    privacy_notice_version: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Check a code and return the visitor's account, created on first sign-in; or raise.

    `privacy_notice_version` is the version of the privacy notice the person accepted
    with this sign-in, if any. A new account needs the current one: without it the right
    code is refused with `privacy_notice_not_accepted` and stays usable, so the person
    can accept and send it again. An existing account's acceptance is recorded when the
    version is the current one and new to it."""
    number = _normalize(phone)
    now = now or timezone.now()
    index = phones.phone_index(number)
    address = crypto.blind_index(client_ip or "unknown", purpose="client_address")
    user: User | None = None
    with transaction.atomic():
        _guard(f"phone:{index}", now)
        from_address = _guard(f"address:{address}", now)
        pair = _guard(_pair_key(index, address), now)
        refusal = _locked(pair, now) or _address_blocked(from_address, now)
        if refusal is None:
            live = (
                OneTimeCode.objects.filter(
                    phone_index=index, used_at__isnull=True, superseded_at__isnull=True
                )
                .order_by("-created_at")
                .first()
            )
            given = _digest(index, code if isinstance(code, str) else "")
            # Compared even when there is no live code, so timing says nothing either way.
            expected = live.digest if live is not None else _digest(index, "")
            matches = hmac.compare_digest(given, expected) and live is not None
            if live is not None and matches and live.expires_at > now:
                user, refusal = _sign_in(
                    _SignIn(number, index, live, pair, client_ip, channel, privacy_notice_version),
                    now,
                )
            else:
                if live is not None and matches:
                    OneTimeCode.objects.filter(pk=live.pk).update(used_at=now)
                refusal = _count_failure(
                    pair, from_address, None if matches else live, number, client_ip, now
                ) or SignInError(Reason.EXPIRED if matches else Reason.INVALID)
    # Raised outside the atomic block: the wrong try and any lockout must be committed
    # (which is also why this must not run inside a caller's transaction).
    if refusal is not None:
        raise refusal
    assert user is not None
    # The language the code was asked for in: what is sent to this visitor later reads in it.
    remember_language(user, translation.get_language() or "")
    return user


def verify_code_for_app(
    *,
    phone: str,
    code: str,
    client_ip: str,
    privacy_notice_version: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[User, str]:
    """verify_code, then a new bearer token named "app"; returns the user and the raw token."""
    user = verify_code(
        phone=phone,
        code=code,
        client_ip=client_ip,
        channel="api",
        privacy_notice_version=privacy_notice_version,
        now=now,
    )
    expires_at = (now or timezone.now()) + token_usage.idle_lifetime()
    _token, raw = ApiToken.issue(user=user, name="app", expires_at=expires_at)
    return user, raw


def _pair_key(index: str, address: str) -> str:
    return f"pair:{index}:{address}"


def _address_blocked(guard: SignInGuard, now: dt.datetime) -> SignInError | None:
    if guard.locked_until is not None and guard.locked_until > now:
        return SignInError(Reason.RATE_LIMITED, retry_after=_seconds_until(guard.locked_until, now))
    return None


def _one_more(guard: SignInGuard, limit: int, now: dt.datetime) -> bool:
    """Count a wrong try on `guard`; True (and the guard locked) when it is the limit-th."""
    recent = guard.last_failed_at is not None and guard.last_failed_at > now - LOCK_DURATION
    guard.failed_attempts = (guard.failed_attempts if recent else 0) + 1
    guard.last_failed_at = now
    reached = guard.failed_attempts >= limit
    if reached:
        guard.failed_attempts = 0
        guard.locked_until = now + LOCK_DURATION
    guard.save(update_fields=["failed_attempts", "last_failed_at", "locked_until"])
    return reached


def _count_failure(
    pair: SignInGuard,
    from_address: SignInGuard,
    live: OneTimeCode | None,
    number: str,
    client_ip: str,
    now: dt.datetime,
) -> SignInError | None:
    """Record one wrong code on the pair, the address and the live code. Returns the
    refusal that a limit reached now calls for, else None."""
    pair_locked = _one_more(pair, MAX_WRONG_TRIES, now)
    address_blocked = _one_more(from_address, settings.JEJAK_OTP_WRONG_CODES_PER_ADDRESS, now)
    retired = False
    if live is not None:
        live.wrong_tries += 1
        retired = live.wrong_tries >= MAX_WRONG_TRIES_PER_CODE
        live.superseded_at = now if retired else None
        live.save(update_fields=["wrong_tries", "superseded_at"])
    if pair_locked:
        audit.record(
            actor=None,
            action="visitor.sign_in_locked",
            ip=client_ip or None,
            phone_masked=phones.mask_phone(number),
            locked_until=pair.locked_until.isoformat() if pair.locked_until else None,
        )
        return _locked(pair, now)
    if address_blocked:
        audit.record(actor=None, action="visitor.sign_in_address_blocked", ip=client_ip or None)
        return _address_blocked(from_address, now)
    if retired:
        return SignInError(Reason.RETIRED)
    return None


class _SignIn(NamedTuple):
    """A sign-in whose code matched and has not expired."""

    number: str
    phone_index: str
    code: OneTimeCode
    pair: SignInGuard
    client_ip: str
    channel: str
    accepted: str | None  # the privacy notice version accepted with it


def _sign_in(attempt: _SignIn, now: dt.datetime) -> tuple[User | None, SignInError | None]:
    number, index = attempt.number, attempt.phone_index
    user = User.objects.filter(phone_index=index).first()
    created = user is None
    if user is None:
        user = User(
            username=f"v-{secrets.token_hex(6)}",
            role=Role.VISITOR,
            phone_index=index,
            phone_encrypted=phones.seal_phone(number, index=index),
            phone_masked=phones.mask_phone(number),
        )
        if privacy.needs_acceptance(user) and attempt.accepted != privacy.current_version():
            # Before the code is used: the person accepts and sends the same code again.
            # Only the holder of the right code learns that the number has no account.
            return None, SignInError(Reason.PRIVACY_NOT_ACCEPTED)
    used = OneTimeCode.objects.filter(pk=attempt.code.pk, used_at__isnull=True).update(used_at=now)
    if not used:
        return None, SignInError(Reason.INVALID)
    pair = attempt.pair
    pair.failed_attempts = 0
    pair.last_failed_at = None
    pair.save(update_fields=["failed_attempts", "last_failed_at"])
    if created:
        user.set_unusable_password()
        user.save()
    elif user.role != Role.VISITOR or not user.is_active:
        # phone_index belongs to visitor accounts; staff sign in with a password.
        return None, SignInError(Reason.ACCOUNT_DISABLED)
    detail: dict[str, Any] = {"channel": attempt.channel, "new_account": created}
    user.last_login = now
    User.objects.filter(pk=user.pk).update(last_login=now)
    audit.record(
        actor=user, action="visitor.sign_in", obj=user, ip=attempt.client_ip or None, **detail
    )
    current = privacy.current_version()
    if attempt.accepted == current and user.privacy_notice_version != current:
        privacy.accept(user=user, version=current, channel=attempt.channel, now=now)
    return user, None
