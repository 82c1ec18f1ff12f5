"""Claim attempts, identity refusals and decided dependant requests go after their
period; pending requests wait for their officer whatever their age."""

from __future__ import annotations

import datetime as dt

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.core.tests.retention_tools import ago, purge
from jejak.people.models import DependantRequest, IdentityRefusal, NikClaimAttempt, RequestStatus


def refusal(account, days: float) -> IdentityRefusal:
    return IdentityRefusal.objects.create(
        account=account,
        nik_index="n" * 64,
        nik_masked="3671********0001",
        outcome="name_mismatch",
        backend="registry_file",
        purpose="profile",
        at=ago(days),
    )


def test_claim_attempts_and_refusals_go_after_their_period(make_user, settings):
    settings.JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS = 90
    account = make_user(Role.VISITOR)
    old = NikClaimAttempt.objects.create(nik_index="n" * 64, attempted_by=account, at=ago(91))
    recent = NikClaimAttempt.objects.create(nik_index="n" * 64, attempted_by=account, at=ago(89))
    old_refusal, recent_refusal = refusal(account, 91), refusal(account, 89)

    assert purge("claim-attempts") == {"claim_attempts": 1, "identity_refusals": 1}

    assert list(NikClaimAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(IdentityRefusal.objects.values_list("pk", flat=True)) == [recent_refusal.pk]
    assert not NikClaimAttempt.objects.filter(pk=old.pk).exists()
    assert not IdentityRefusal.objects.filter(pk=old_refusal.pk).exists()
    event = AuditEvent.objects.get(action="people.claims_purged")
    assert event.detail == {
        "before": event.detail["before"],
        "days": 90,
        "claim_attempts": 1,
        "identity_refusals": 1,
    }


def test_the_daily_caps_keep_a_day_of_attempts_whatever_the_setting(make_user, settings):
    settings.JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS = 0
    account = make_user(Role.VISITOR)
    today = NikClaimAttempt.objects.create(nik_index="n" * 64, attempted_by=account, at=ago(0.5))
    assert purge("claim-attempts")["claim_attempts"] == 0
    assert NikClaimAttempt.objects.filter(pk=today.pk).exists()


def request(account, *, status: str, decided_days_ago: float | None) -> DependantRequest:
    return DependantRequest.objects.create(
        account=account,
        nik_index=f"{status}{decided_days_ago}".ljust(64, "x"),
        nik_encrypted=b"sealed",
        nik_masked="3671********0002",
        full_name="Sri Wahyuni",
        birth_date=dt.date(1950, 3, 1),
        sex="F",
        relation="parent",
        identity_backend="registry_file",
        region_code="36.71",
        reason="Ibu saya tinggal bersama kami",
        status=status,
        requested_at=ago(200),
        decided_at=ago(decided_days_ago) if decided_days_ago is not None else None,
    )


def test_decided_dependant_requests_go_after_their_period(make_user, settings):
    settings.JEJAK_DEPENDANT_REQUEST_RETENTION_DAYS = 90
    account = make_user(Role.VISITOR)
    rejected = request(account, status=RequestStatus.REJECTED, decided_days_ago=91)
    approved = request(account, status=RequestStatus.APPROVED, decided_days_ago=91)
    recent = request(account, status=RequestStatus.REJECTED, decided_days_ago=89)
    # Held: a pending request waits for an officer, however old.
    pending = request(account, status=RequestStatus.PENDING, decided_days_ago=None)

    assert purge("dependant-requests", dry_run=True) == {"requests": 2}
    assert DependantRequest.objects.count() == 4
    assert purge("dependant-requests") == {"requests": 2}

    assert set(DependantRequest.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not DependantRequest.objects.filter(pk__in=[rejected.pk, approved.pk]).exists()
