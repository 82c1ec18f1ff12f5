"""The issuer's registry: `jejak partner add|list|approve|suspend|usage`, the back office
(Django admin), retention, and the number of statements a partner check-in costs."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import Application

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.checkins.tests.conftest import code_of
from jejak.partners import usage
from jejak.partners.models import (
    Connection,
    DailyUsage,
    DailyUser,
    Partner,
    PartnerCheckIn,
    PartnerStatus,
)
from jejak.partners.retention import purge_expired
from jejak.partners.tests.conftest import REDIRECT

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("partner", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_cli_add_list_approve_suspend_usage():
    printed = run(
        "add",
        "--name=Tiket Jalan",
        "--organisation=PT Tiket Jalan",
        "--contact=ops@tiket.example",
        f"--redirect-uri={REDIRECT}",
        "--scopes=checkin,history:read",
        "--confidential",
        "--rate=120",
    )
    partner = Partner.objects.get()
    assert partner.status == PartnerStatus.PENDING
    assert partner.allowed_scopes == "checkin history:read" and partner.rate_limit == 120
    assert f"client_id {partner.application.client_id}" in printed
    secret = printed.split("client_secret ")[1].split()[0]
    # Only the secret's hash is kept.
    assert Application.objects.get().client_secret != secret
    assert "pending" in run("list")
    assert "approved" in run("approve", str(partner.pk))
    assert "suspended" in run("suspend", partner.application.client_id, "--reason=abuse")
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.SUSPENDED and partner.status_reason == "abuse"
    assert set(
        AuditEvent.objects.filter(action__startswith="partners.").values_list("action", flat=True)
    ) == {"partners.registered", "partners.approved", "partners.suspended"}
    assert "calls" in run("usage", str(partner.pk))


def test_cli_refuses_unknown_scopes_and_bad_redirects():
    with pytest.raises(CommandError):
        run("add", "--name=X", "--organisation=Y", "--contact=Z",
            f"--redirect-uri={REDIRECT}", "--scopes=everything")  # fmt: skip
    with pytest.raises(CommandError):
        run("add", "--name=X", "--organisation=Y", "--contact=Z",
            "--redirect-uri=http://insecure.example/cb")  # fmt: skip
    with pytest.raises(CommandError):
        run("suspend", "999")
    assert not Partner.objects.exists()


def test_back_office_registers_and_suspends(issuer, client_for):
    client = Client()
    client.force_login(issuer)
    answer = client.post(
        "/admin/partners/partner/add/",
        {
            "name": "Bioskop 21",
            "organisation": "PT Bioskop",
            "contact": "it@bioskop.example",
            "rate_limit": "600",
            "scope_list": ["checkin"],
            "redirect_uris": REDIRECT,
            "confidential": "on",
        },
        follow=True,
    )
    assert answer.status_code == 200
    partner = Partner.objects.get()
    assert partner.status == PartnerStatus.PENDING
    assert "Client secret" in answer.content.decode()
    client.post(
        "/admin/partners/partner/",
        {"action": "approve", "_selected_action": [partner.pk]},
    )
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.APPROVED
    page = client.get(f"/admin/partners/partner/{partner.pk}/change/")
    assert page.status_code == 200 and partner.application.client_id in page.content.decode()
    # Others may not: a city admin is not an admin user, a superuser-less staff neither.
    other = client_for(Role.CITY_ADMIN, is_staff=True)
    assert other.get("/admin/partners/partner/").status_code in (302, 403)


def test_the_library_admin_pages_are_gone(issuer):
    client = Client()
    client.force_login(issuer)
    assert client.get("/admin/oauth2_provider/accesstoken/").status_code == 404


def test_retention_purges_past_the_checkin_period(visitor, partner, settings):
    settings.JEJAK_CHECKIN_RETENTION_DAYS = 21
    now = timezone.now()
    old = now - dt.timedelta(days=30)
    PartnerCheckIn.objects.create(
        account=visitor, nonce=uuid.uuid4(), partner=partner.partner, received_at=old
    )
    PartnerCheckIn.objects.create(account=visitor, nonce=uuid.uuid4(), partner=partner.partner)
    day = timezone.localdate(old)
    DailyUsage.objects.create(partner=partner.partner, day=day, calls=5)
    DailyUser.objects.create(partner=partner.partner, day=day, account=visitor)
    Connection.objects.create(
        account=visitor, partner=partner.partner, scopes="checkin", disconnected_at=old
    )
    assert purge_expired(now=now, dry_run=True)["partner_checkins"] == 1
    counts = purge_expired(now=now, dry_run=False)
    assert counts == {
        "partner_checkins": 1,
        "partner_daily_users": 1,
        "partner_connections": 1,
        "partner_tokens_expired": 0,
    }
    assert PartnerCheckIn.objects.count() == 1
    assert DailyUsage.objects.get(day=day).users == 1


def test_a_partner_check_in_costs_a_bounded_number_of_statements(
    visitor, partner, connect, hotel, policy, django_assert_max_num_queries
):
    tokens = connect(visitor, partner, "checkin")
    client = Client()

    def check_in() -> int:
        body = {"qr": code_of(hotel), "nonce": str(uuid.uuid4()), "people": ["self"]}
        answer = client.post(
            "/api/v1/partner/checkins",
            json.dumps(body),
            content_type="application/json",
            **tokens.headers(),
        )
        return answer.status_code

    assert check_in() == 201  # the process caches warm (keys, rule sets, closures)
    # A rescan (a check-out) then a check-in: the token look-up, the people, the
    # check-in's own statements (checkins/tests/test_batch.py), the partner's row and
    # the audit rows in one transaction.
    for _ in range(2):
        with django_assert_max_num_queries(18):
            assert check_in() == 201
    usage.flush()


def test_the_partners_record_commits_with_the_check_in(visitor, partner, hotel, policy):
    """Written by the batch's own transaction (checkins.signals.recorded): a batch that
    fails after it leaves neither the check-in nor the partner's rows."""
    from jejak.checkins import plans, record
    from jejak.checkins.models import CheckIn
    from jejak.partners.recording import Submitted

    ask = plans.Ask(
        account=visitor,
        qr=code_of(hotel),
        nonce=uuid.uuid4(),
        people=["self"],
        visitor_type="guest",
        origin=Submitted(partner.partner.pk, "Ojek Kita", ("x",)),
    )

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("after the partner's rows")

    from jejak.checkins import signals

    signals.recorded.connect(boom, dispatch_uid="test.boom")
    try:
        with pytest.raises(RuntimeError):
            record.record_many(asks=[ask])
    finally:
        signals.recorded.disconnect(dispatch_uid="test.boom")
    assert not CheckIn.objects.exists()
    assert not PartnerCheckIn.objects.exists()
    assert not AuditEvent.objects.filter(action="partners.checkin").exists()
    record.record_many(asks=[ask])
    assert CheckIn.objects.count() == 1
    assert PartnerCheckIn.objects.get().partner_id == partner.partner.pk
    assert AuditEvent.objects.get(action="partners.checkin").subjects.count() == 1


def test_a_batch_records_each_partners_check_in_with_its_own_audit_subjects(
    make_visitor, make_partner, hotel, policy
):
    """One batch of several partners' requests (the batcher's): a row and an audit event
    each, every event with the subjects of its own request only."""
    from jejak.checkins import plans, record
    from jejak.partners.recording import Submitted

    first, second = make_partner("Satu"), make_partner("Dua")
    asks = []
    for registered, subjects in ((first, ("a" * 64,)), (second, ("b" * 64, "c" * 64))):
        asks.append(
            plans.Ask(
                account=make_visitor("hijau"),
                qr=code_of(hotel),
                nonce=uuid.uuid4(),
                people=["self"],
                visitor_type="guest",
                origin=Submitted(registered.partner.pk, registered.partner.name, subjects),
            )
        )
    record.record_many(asks=asks)
    rows = {(r.account_id, r.nonce, r.partner_id) for r in PartnerCheckIn.objects.all()}
    assert rows == {
        (asks[0].account.pk, asks[0].nonce, first.partner.pk),
        (asks[1].account.pk, asks[1].nonce, second.partner.pk),
    }
    events = AuditEvent.objects.filter(action="partners.checkin").order_by("id")
    assert [
        (e.actor_org, e.detail["account"], sorted(e.subjects.values_list("nik_index", flat=True)))
        for e in events
    ] == [
        ("Satu", asks[0].account.pk, ["a" * 64]),
        ("Dua", asks[1].account.pk, ["b" * 64, "c" * 64]),
    ]
    # A retried request (the same nonce) is recorded once.
    record.record_many(asks=[asks[0]])
    assert PartnerCheckIn.objects.count() == 2
