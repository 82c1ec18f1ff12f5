"""Drafting and sending a breach's notices: once per person per channel, in the right
language, in batches, audited."""

import datetime as dt
import types

import pytest
from django.conf import settings
from django.utils import timezone

from jejak.audit.models import AuditEvent, AuditSubject, Purpose
from jejak.breaches import sending, service
from jejak.breaches.errors import BreachError
from jejak.breaches.models import BreachStatus, BreachSubject
from jejak.breaches.notices import breach_ref, language_of, preview
from jejak.breaches.selection import Selection
from jejak.breaches.tests.factories import breach, checkin, person, visitor
from jejak.checkins import periodic
from jejak.notifications.models import Message
from jejak.venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mall(city):
    return VenueFactory(short_code="MAL-SATU", region=city.children.first())


@pytest.fixture
def affected(mall):
    """Ani (with a phone) and her son Gita, Budi without a phone: all at the mall."""
    ani = visitor(full_name="Ani Lestari")
    gita = person(ani.account, relation="child", full_name="Gita Lestari")
    budi = visitor(full_name="Budi Santoso", phone=None)
    for p in (ani, gita, budi):
        checkin(p, mall, timezone.now() - dt.timedelta(days=2))
    visitor(full_name="Tak Terdampak")  # never at the mall
    return {"ani": ani, "gita": gita, "budi": budi}


@pytest.fixture
def drafted(affected):
    b = breach()
    service.set_selection(actor=None, breach=b, selection=Selection(venues=("MAL-SATU",)))
    assert service.draft_notices(actor=None, breach=b) == 3
    b.refresh_from_db()
    return b


def messages(b):
    return Message.objects.filter(ref=breach_ref(b))


def test_notices_are_queued_once_per_person_per_channel(drafted, affected):
    service.start_sending(actor=None, breach=drafted)
    assert sending.send_all(breach_id=drafted.pk) == 3
    got = sorted((m.to_person.full_name, m.channel) for m in messages(drafted))
    # Budi has no phone number: in-app only. Gita's reach her mother's account and phone.
    assert got == [
        ("Ani Lestari", "inapp"),
        ("Ani Lestari", "sms"),
        ("Budi Santoso", "inapp"),
        ("Gita Lestari", "inapp"),
        ("Gita Lestari", "sms"),
    ]
    drafted.refresh_from_db()
    assert drafted.status == BreachStatus.NOTIFIED and drafted.notified_subjects_at is not None

    # Sending again (a retried task, the periodic runner, the button) tells nobody twice.
    assert sending.send_all(breach_id=drafted.pk) == 0
    assert sending.periodic_step() == {"breach_notices": 0}
    with pytest.raises(BreachError) as again:
        service.start_sending(actor=None, breach=drafted)
    assert again.value.code == "wrong_status"
    assert messages(drafted).count() == 5


def test_batches_share_the_work_and_a_batch_never_repeats(drafted):
    service.start_sending(actor=None, breach=drafted)
    assert sending.send_batch(breach_id=drafted.pk, size=2) == 2
    assert sending.send_batch(breach_id=drafted.pk, size=2) == 1
    assert sending.send_batch(breach_id=drafted.pk, size=2) == 0
    assert messages(drafted).count() == 5
    assert BreachSubject.objects.filter(breach=drafted, notified_at__isnull=True).count() == 0


def test_the_periodic_runner_sends_when_no_worker_does(drafted):
    service.start_sending(actor=None, breach=drafted)
    step = next(s for s in periodic.steps() if s.name == "breach-notices")
    assert step.run() == {"breach_notices": 3}
    drafted.refresh_from_db()
    assert drafted.status == BreachStatus.NOTIFIED


def test_each_notice_in_its_accounts_language(drafted, affected):
    BreachSubject.objects.filter(breach=drafted, person=affected["budi"]).update(language="en")
    service.start_sending(actor=None, breach=drafted)
    sending.send_all(breach_id=drafted.pk)
    languages = {(m.to_person.full_name, m.language) for m in messages(drafted)}
    assert languages == {("Ani Lestari", "id"), ("Gita Lestari", "id"), ("Budi Santoso", "en")}


def test_language_is_the_accounts_when_it_keeps_one(affected):
    account = affected["ani"].account
    assert language_of(account) == "id"
    account.language = "en"  # an account that keeps a language
    assert language_of(account) == "en"
    account.language = "xx"
    assert language_of(account) == "id"


def test_what_the_notice_says(drafted, affected):
    service.start_sending(actor=None, breach=drafted)
    sending.send_all(breach_id=drafted.pk)
    inapp = messages(drafted).get(to_person=affected["ani"], channel="inapp")
    assert inapp.subject == "Pemberitahuan insiden data pribadi"
    for fact in (
        "NIK",
        "Nama",
        "Riwayat check-in",
        drafted.description,
        drafted.cause,
        drafted.measures,
        drafted.public_id,
        settings.JEJAK_DPO_EMAIL,  # whom to ask
        settings.JEJAK_DPO_PHONE,
    ):
        assert fact in inapp.body
    sms = messages(drafted).get(to_person=affected["ani"], channel="sms")
    assert (
        "NIK (nomor induk kependudukan), Nama, Riwayat check-in" in sms.body
        and drafted.public_id in sms.body
    )
    # A dependant's notice says whom it is about.
    child = messages(drafted).get(to_person=affected["gita"], channel="sms")
    assert child.body.startswith("Untuk Gita (keluarga Anda):")
    assert "Gita" not in sms.body
    assert preview(drafted)["inapp"].startswith("Pada ")


def test_the_draft_is_a_snapshot_and_an_audited_read(drafted, affected, mall):
    latecomer = visitor(full_name="Datang Belakangan")
    checkin(latecomer, mall, timezone.now() - dt.timedelta(days=1))
    service.start_sending(actor=None, breach=drafted)
    sending.send_all(breach_id=drafted.pk)
    assert not messages(drafted).filter(to_person=latecomer).exists()

    read = AuditEvent.objects.get(action="breaches.notices_drafted")
    assert read.purpose == Purpose.DATA_PROTECTION and read.detail["count"] == 3
    assert set(AuditSubject.objects.filter(event=read).values_list("nik_index", flat=True)) == {
        p.nik_index for p in affected.values()
    }
    actions = list(
        AuditEvent.objects.filter(object_id=str(drafted.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "breaches.recorded",
        "breaches.selection_set",
        "breaches.notices_drafted",
        "breaches.sending_started",
        "breaches.notices_queued",
        "breaches.subjects_notified",
    ]


def test_the_selection_is_frozen_once_sending_starts(drafted):
    service.start_sending(actor=None, breach=drafted)
    for act in (
        lambda: service.set_selection(
            actor=None, breach=drafted, selection=Selection(all_accounts=True)
        ),
        lambda: service.draft_notices(actor=None, breach=drafted),
    ):
        with pytest.raises(BreachError) as frozen:
            act()
        assert frozen.value.code == "selection_frozen"


def test_a_new_selection_drops_the_draft(drafted):
    service.set_selection(actor=None, breach=drafted, selection=Selection(all_accounts=True))
    drafted.refresh_from_db()
    assert drafted.drafted_at is None and not drafted.subjects.exists()
    with pytest.raises(BreachError) as undrafted:
        service.start_sending(actor=None, breach=drafted)
    assert undrafted.value.code == "not_drafted"


def test_nobody_to_tell_is_refused(affected):
    b = breach()
    service.set_selection(
        actor=None, breach=b, selection=Selection(residence_regions=("36.71.02",))
    )
    assert service.draft_notices(actor=None, breach=b) == 0
    with pytest.raises(BreachError) as nobody:
        service.start_sending(actor=None, breach=b)
    assert nobody.value.code == "no_subjects"


def test_with_a_worker_the_task_is_enqueued_after_commit(
    drafted, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr("jejak.breaches.service.tasks_run_inline", lambda: False)
    monkeypatch.setattr(
        "jejak.breaches.service.send_notices",
        types.SimpleNamespace(enqueue=lambda **kw: enqueued.append(kw)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        service.start_sending(actor=None, breach=drafted)
    assert enqueued == [{"breach_id": drafted.pk}]


def test_without_a_worker_the_request_sends_nothing_itself(
    drafted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        service.start_sending(actor=None, breach=drafted)
    assert callbacks == [] and not messages(drafted).exists()
