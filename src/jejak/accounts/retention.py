"""How long sign-in data is kept (docs/retention.md); registered in apps.py, run by
`jejak run-periodic`.

- Sign-in codes and their guards: the per-number and per-address limits count a day of
  codes (otp.py), so JEJAK_OTP_RETENTION_DAYS cannot be less than a day; a guard still
  locking, or whose wrong tries still count, stays whatever its age.
- Staff sign-in attempts (django-axes: user name, address, browser): kept
  JEJAK_LOGIN_ATTEMPT_RETENTION_DAYS to investigate an attack on staff accounts, never
  less than the lockout they enforce.
- API tokens revoked or expired: JEJAK_API_TOKEN_RETENTION_DAYS after they ended, so a
  partner asking why its token stopped can still be answered.
- Sessions: Django's, deleted once expired (SESSION_COOKIE_AGE).
- Django admin's log of changes (who changed which row, named by its text): an audit
  trail, kept as long as the audit rows, JEJAK_AUDIT_RETENTION_DAYS.
"""

from __future__ import annotations

import datetime as dt

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db.models import Q

from jejak.accounts.models import ApiToken, OneTimeCode, SignInGuard
from jejak.accounts.otp import KEEP_FOR, LOCK_DURATION
from jejak.core import retention

OTP_SETTING = "JEJAK_OTP_RETENTION_DAYS"
LOGIN_SETTING = "JEJAK_LOGIN_ATTEMPT_RETENTION_DAYS"
TOKENS_SETTING = "JEJAK_API_TOKEN_RETENTION_DAYS"
ADMIN_LOG_SETTING = "JEJAK_AUDIT_RETENTION_DAYS"


def otp_cutoff(now: dt.datetime) -> dt.datetime:
    """Codes and idle guards created before this moment are past retention."""
    return now - dt.timedelta(days=retention.days(OTP_SETTING, at_least=KEEP_FOR.days))


def idle_guards(now: dt.datetime) -> Q:
    """Guards that neither lock nor count wrong tries any more, past retention."""
    return Q(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        Q(last_failed_at__isnull=True) | Q(last_failed_at__lt=now - LOCK_DURATION),
        created_at__lt=otp_cutoff(now),
    )


def purge_sign_in_codes(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Sign-in codes and idle guards past JEJAK_OTP_RETENTION_DAYS."""
    before = otp_cutoff(now)
    counts = {
        "codes": retention.count_or_delete(
            OneTimeCode.objects.filter(created_at__lt=before), dry_run=dry_run, name="codes"
        ),
        "guards": retention.count_or_delete(
            SignInGuard.objects.filter(idle_guards(now)), dry_run=dry_run, name="guards"
        ),
    }
    # Deleted on every sign-in request too (otp.py): no audit row for so routine a sweep.
    return counts


def purge_login_attempts(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """django-axes' rows of staff sign-ins past JEJAK_LOGIN_ATTEMPT_RETENTION_DAYS."""
    period = dt.timedelta(days=retention.days(LOGIN_SETTING))
    # A lockout in force is never lifted by retention.
    before = now - max(period, settings.AXES_COOLOFF_TIME)
    counts = {
        name: retention.count_or_delete(
            model.objects.filter(attempt_time__lt=before), dry_run=dry_run, name=name
        )
        for name, model in (
            ("attempts", AccessAttempt),
            ("failures", AccessFailureLog),
            ("logins", AccessLog),
        )
    }
    if not dry_run:
        retention.record_purge(
            "accounts.login_attempts_purged", before=before, days=period.days, counts=counts
        )
    return counts


def purge_ended_tokens(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """API tokens revoked or expired more than JEJAK_API_TOKEN_RETENTION_DAYS ago."""
    days = retention.days(TOKENS_SETTING)
    before = now - dt.timedelta(days=days)
    ended = ApiToken.objects.filter(Q(revoked_at__lt=before) | Q(expires_at__lt=before))
    counts = {"tokens": retention.count_or_delete(ended, dry_run=dry_run, name="tokens")}
    if not dry_run:
        retention.record_purge("accounts.tokens_purged", before=before, days=days, counts=counts)
    return counts


def purge_expired_sessions(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Django's sessions past their expiry (only when they are kept in the database)."""
    if not settings.SESSION_ENGINE.startswith("django.contrib.sessions.backends.") or not (
        settings.SESSION_ENGINE.endswith(".db") or settings.SESSION_ENGINE.endswith(".cached_db")
    ):
        return {"sessions": 0}
    expired = Session.objects.filter(expire_date__lt=now)
    return {"sessions": retention.count_or_delete(expired, dry_run=dry_run, name="sessions")}


def purge_admin_log(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Django admin's log entries older than the audit rows' period."""
    days = retention.days(ADMIN_LOG_SETTING)
    before = now - dt.timedelta(days=days)
    old = LogEntry.objects.filter(action_time__lt=before)
    counts = {"entries": retention.count_or_delete(old, dry_run=dry_run, name="entries")}
    if not dry_run:
        retention.record_purge("accounts.admin_log_purged", before=before, days=days, counts=counts)
    return counts
