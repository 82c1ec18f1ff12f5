"""Closing an account: what goes now, what a hold keeps (with its date) and when it goes,
the 72-hour deadline and overdue list, the erasure log and its replay after a restore."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from jejak.accounts.models import ApiToken, User
from jejak.accounts.roles import Role
from jejak.checkins.models import CheckIn
from jejak.checkins.periodic import run_round, steps
from jejak.checkins.tests.conftest import add_child
from jejak.erasure import log, service
from jejak.erasure.models import ErasureRequest, ErasureStatus
from jejak.health.models import VaccinationDose
from jejak.notifications import outbox
from jejak.notifications.models import Message
from jejak.people.models import Person
from jejak.tracing.models import Case, CaseStatus, CaseVisit

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _log(settings, tmp_path):
    settings.JEJAK_ERASURE_LOG = tmp_path / "erasure.jsonl"


def _checked_out(result):
    row = CheckIn.objects.get(public_id=result["people"][0]["checkin"])
    CheckIn.objects.filter(pk=row.pk).update(checked_out_at=timezone.now())
    return row


def _open_case(person, checkin):
    now = timezone.now()
    case = Case.objects.create(
        person=person,
        source="manual",
        specimen_date=now.date(),
        isolation_started_at=now,
        window_start=now - 2 * DAY,
        window_end=now,
    )
    CaseVisit.objects.create(
        case=case,
        checkin=checkin,
        venue=checkin.venue,
        start=checkin.scanned_at,
        end=checkin.scanned_at + dt.timedelta(hours=1),
    )
    return case


def test_closing_erases_profile_dependants_tokens_and_messages(make_visitor, check_in):
    account = make_visitor()
    add_child(account)
    other = make_visitor()
    _checked_out(check_in(account))
    _checked_out(check_in(other))
    ApiToken.issue(user=account, name="phone")
    outbox.enqueue(
        template="identity_corrected",
        context={"name": "x", "old_nik": "1", "new_nik": "2", "reason": "r"},
        channels=["inapp"],
        to_user=account,
        ref="t",
    )
    niks = list(Person.objects.filter(account=account).values_list("nik_index", flat=True))
    assert len(niks) == 2 and VaccinationDose.objects.filter(nik_index__in=niks).exists()

    before = service.preview(account)
    assert before["account"] == "delete" and before["held"] == []
    assert before["erase_now"]["people"] == 2 and before["erase_now"]["checkins"] == 1

    request = service.request_closure(account)

    assert request.status == ErasureStatus.COMPLETED and request.holds == []
    assert not User.objects.filter(pk=account.pk).exists()
    assert not Person.objects.filter(nik_index__in=niks).exists()
    assert not VaccinationDose.objects.filter(nik_index__in=niks).exists()
    assert not Message.objects.filter(to_user_id=account.pk).exists()
    assert not ApiToken.objects.filter(user_id=account.pk).exists()
    assert not CheckIn.objects.filter(account_id=account.pk).exists()
    # Another account's data is untouched.
    assert Person.objects.filter(account=other).exists()
    assert CheckIn.objects.filter(account=other).count() == 1
    request.refresh_from_db()
    assert request.account is None and request.nik_indexes == sorted(niks)


def test_a_hold_keeps_what_an_open_case_needs_until_it_closes(make_visitor, check_in):
    account = make_visitor()
    person = Person.objects.get(account=account)
    checkin = _checked_out(check_in(account))
    case = _open_case(person, checkin)

    shown = service.preview(account)
    assert shown["account"] == "deactivate"
    assert {(h["class"], h["until"]) for h in shown["held"]} == {
        ("checkins", None),
        ("person", None),
    }

    request = service.request_closure(account)
    assert request.status == ErasureStatus.PARTLY_ERASED and request.answered_at
    assert not request.overdue()
    held = Person.objects.get(pk=person.pk)
    assert held.full_name == "" and bytes(held.nik_encrypted) == b""
    assert held.nik_index == person.nik_index  # the hold is keyed by it
    account.refresh_from_db()
    assert not account.is_active and account.phone_index is None
    assert CheckIn.objects.filter(pk=checkin.pk).exists()

    # The case closes: the next periodic round erases the check-in; the person stays
    # (a closed case protects its person) until the case's retention, dated.
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now())
    run_round([s for s in steps() if s.name == "erasure"], force=True)
    request.refresh_from_db()
    assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    assert [h["class"] for h in request.holds] == ["person"] and request.holds[0]["until"]

    case.delete()  # the cases purge, once its period is over
    run_round([s for s in steps() if s.name == "erasure"], force=True)
    request.refresh_from_db()
    assert request.status == ErasureStatus.COMPLETED
    assert not Person.objects.filter(pk=person.pk).exists()
    assert not User.objects.filter(pk=account.pk).exists()


def test_deadline_and_overdue(make_user):
    account = make_user(Role.VISITOR)
    request = ErasureRequest.objects.create(account=account, account_ref=account.pk)
    assert request.deadline - request.requested_at == dt.timedelta(hours=72)
    assert not request.overdue()
    assert request.overdue(timezone.now() + dt.timedelta(hours=73))
    service.process_pending()
    request.refresh_from_db()
    assert request.status == ErasureStatus.COMPLETED
    assert not request.overdue(timezone.now() + dt.timedelta(hours=73))


def test_the_log_is_written_and_replay_is_idempotent_after_a_restore(make_visitor, check_in):
    account = make_visitor()
    other = make_visitor()
    person = Person.objects.get(account=account)
    index, account_id = person.nik_index, account.pk
    request = service.request_closure(account)

    lines = log.path().read_text().splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    assert row == {
        "account": account_id,
        "at": row["at"],
        "nik_indexes": [index],
        "request": request.public_id,
    }

    # A restore from before the erasure brings the rows back, keyed the same.
    restored = User.objects.create(
        pk=account_id,
        username="restored",
        role=Role.VISITOR,
        date_joined=request.requested_at - DAY,
    )
    Person.objects.create(
        account=restored,
        relation="self",
        nik_index=index,
        nik_encrypted=b"x",
        nik_masked="3671********0001",
        full_name="Budi",
        birth_date=dt.date(1990, 1, 1),
        sex="M",
    )
    assert service.replay_all()["entries"] == 1
    assert not Person.objects.filter(nik_index=index).exists()
    assert not User.objects.filter(pk=account_id).exists()
    assert service.replay_all() == {"entries": 1, "rows": 0}
    assert Person.objects.filter(account=other).exists()


def test_pages_and_api(client, make_visitor, make_user, city):
    account = make_visitor()
    client.force_login(account)
    page = client.get("/saya/tutup-akun/")
    assert page.status_code == 200
    assert client.get("/api/v1/me/closure").json()["account"] == "delete"
    assert client.post("/saya/tutup-akun/", {}).status_code == 400
    done = client.post("/saya/tutup-akun/", {"confirm": "yes"})
    assert done.status_code == 200 and b"Akun Anda ditutup" in done.content
    assert not User.objects.filter(pk=account.pk).exists()

    visitor = make_visitor()
    client.force_login(visitor)
    refused = client.post("/api/v1/me/closure", {"confirm": False}, content_type="application/json")
    assert refused.status_code == 400
    answered = client.post("/api/v1/me/closure", {"confirm": True}, content_type="application/json")
    assert answered.status_code == 202 and answered.json()["status"] == "completed"

    issuer = make_user(Role.ISSUER)
    client.force_login(issuer)
    ErasureRequest.objects.create(
        account_ref=1, deadline=timezone.now() - DAY, requested_at=timezone.now() - 4 * DAY
    )
    ErasureRequest.objects.create(
        account_ref=2,
        deadline=timezone.now() + DAY,
        holds=[{"class": "checkins", "reason": "open_case", "until": None, "count": 2}],
    )
    listing = client.get("/pelindungan-data/penghapusan/")
    assert listing.status_code == 200 and b"Lewat tenggat" in listing.content
    # What is held reads as words, not as stored codes.
    text = listing.content.decode()
    assert "Riwayat check-in (2, kasus yang masih terbuka)" in text
    assert "open_case" not in text and ">checkins" not in text
    client.force_login(make_user(Role.CITY_ADMIN, region=city))
    assert client.get("/pelindungan-data/penghapusan/").status_code == 403
