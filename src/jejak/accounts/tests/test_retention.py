"""Sign-in data past its retention goes; recent rows and the ones still in use stay."""

from __future__ import annotations

import datetime as dt

from axes.models import AccessAttempt, AccessLog
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from jejak.accounts.models import ApiToken, OneTimeCode, SignInGuard
from jejak.audit.models import AuditEvent
from jejak.core.tests.retention_tools import ago, purge


def code(days: float) -> OneTimeCode:
    at = ago(days)
    return OneTimeCode.objects.create(
        phone_index="p" * 64,
        address_index="a" * 64,
        digest="d" * 64,
        created_at=at,
        expires_at=at + dt.timedelta(minutes=5),
    )


def test_sign_in_codes_and_idle_guards_go_after_their_period(db, settings):
    settings.JEJAK_OTP_RETENTION_DAYS = 3
    old, recent = code(4), code(2.9)
    idle = SignInGuard.objects.create(key="phone:old", created_at=ago(4))
    fresh = SignInGuard.objects.create(key="phone:new", created_at=ago(1))
    # Held: a guard still locking, or whose wrong tries still count, stays.
    locking = SignInGuard.objects.create(
        key="pair:locked", created_at=ago(30), locked_until=timezone.now() + dt.timedelta(minutes=5)
    )
    counting = SignInGuard.objects.create(
        key="address:tries", created_at=ago(30), last_failed_at=ago(0.001)
    )

    assert purge("sign-in-codes") == {"codes": 1, "guards": 1}

    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not OneTimeCode.objects.filter(pk=old.pk).exists()
    assert set(SignInGuard.objects.values_list("pk", flat=True)) == {
        fresh.pk,
        locking.pk,
        counting.pk,
    }
    assert not SignInGuard.objects.filter(pk=idle.pk).exists()


def test_sign_in_codes_are_kept_at_least_the_day_the_limits_count(db, settings):
    settings.JEJAK_OTP_RETENTION_DAYS = 0
    within_the_day = code(0.9)
    assert purge("sign-in-codes") == {"codes": 0, "guards": 0}
    assert OneTimeCode.objects.filter(pk=within_the_day.pk).exists()


def attempt(days: float, username: str) -> AccessAttempt:
    row = AccessAttempt.objects.create(
        username=username,
        ip_address="10.0.0.1",
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/masuk/staf/",
        failures_since_start=1,
    )
    # auto_now_add: moved into the past afterwards.
    AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=ago(days))
    return row


def test_staff_sign_in_attempts_go_after_their_period(db, settings):
    settings.JEJAK_LOGIN_ATTEMPT_RETENTION_DAYS = 30
    old, recent = attempt(31, "old"), attempt(29, "recent")
    log = AccessLog.objects.create(username="x", ip_address="10.0.0.2", user_agent="t")
    AccessLog.objects.filter(pk=log.pk).update(attempt_time=ago(31))

    assert purge("login-attempts") == {"attempts": 1, "failures": 0, "logins": 1}

    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AccessAttempt.objects.filter(pk=old.pk).exists()
    assert not AccessLog.objects.exists()
    event = AuditEvent.objects.get(action="accounts.login_attempts_purged")
    assert event.detail["attempts"] == 1 and event.detail["days"] == 30


def test_a_lockout_in_force_is_never_lifted_by_retention(db, settings):
    settings.JEJAK_LOGIN_ATTEMPT_RETENTION_DAYS = 0
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    locking = attempt(5 / (24 * 60), "locked")  # five minutes ago
    assert purge("login-attempts")["attempts"] == 0
    assert AccessAttempt.objects.filter(pk=locking.pk).exists()


def test_ended_api_tokens_go_after_their_period(db, make_user, settings):
    settings.JEJAK_API_TOKEN_RETENTION_DAYS = 30
    user = make_user()
    revoked_long_ago, _ = ApiToken.issue(user=user, name="a")
    revoked_recently, _ = ApiToken.issue(user=user, name="b")
    expired_long_ago, _ = ApiToken.issue(user=user, name="c", expires_at=ago(31))
    expired_recently, _ = ApiToken.issue(user=user, name="d", expires_at=ago(29))
    live, _ = ApiToken.issue(user=user, name="e")  # no expiry: a partner's token
    ApiToken.objects.filter(pk=revoked_long_ago.pk).update(revoked_at=ago(31))
    ApiToken.objects.filter(pk=revoked_recently.pk).update(revoked_at=ago(29))

    assert purge("api-tokens") == {"tokens": 2}

    assert set(ApiToken.objects.values_list("pk", flat=True)) == {
        revoked_recently.pk,
        expired_recently.pk,
        live.pk,
    }
    assert not ApiToken.objects.filter(pk__in=[revoked_long_ago.pk, expired_long_ago.pk])


def test_expired_sessions_go(db):
    expired, live = SessionStore(), SessionStore()
    for session in (expired, live):
        session["jejak"] = "x"
        session.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=ago(1))

    assert purge("sessions") == {"sessions": 1}

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_the_admin_log_goes_with_the_audit_period(db, make_user, settings):
    settings.JEJAK_AUDIT_RETENTION_DAYS = 730
    user = make_user()
    old = LogEntry.objects.create(user=user, object_repr="Budi", action_flag=ADDITION)
    recent = LogEntry.objects.create(user=user, object_repr="Siti", action_flag=ADDITION)
    LogEntry.objects.filter(pk=old.pk).update(action_time=ago(731))
    LogEntry.objects.filter(pk=recent.pk).update(action_time=ago(729))

    assert purge("admin-log") == {"entries": 1}

    assert list(LogEntry.objects.values_list("pk", flat=True)) == [recent.pk]
