"""Designating contacts: the close-contact designation and its colour, the messages, the
exposure sites and the informational notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.core.phone import mask_phone, phone_index, seal_phone
from jejak.health.models import Designation
from jejak.notifications import outbox
from jejak.screening.service import status_for_person
from jejak.screening.tests.factories import dose
from jejak.tracing import cases, notices, search
from jejak.tracing.designation import designate_contacts
from jejak.tracing.errors import TracingError
from jejak.tracing.models import CaseStatus, ExposureSite
from jejak.tracing.public import published_sites
from jejak.tracing.tests.conftest import NOW, T0, at, stay

pytestmark = pytest.mark.django_db


def give_phone(account, number):
    index = phone_index(number)
    account.phone_index = index
    account.phone_encrypted = seal_phone(number, index=index)
    account.phone_masked = mask_phone(number)
    account.save()


@pytest.fixture
def traced(officer, person, hotel):
    """A case at the hotel with one close contact (60 minutes) and one brief visitor."""
    case_person, close, brief = person("Kasus"), person("Rina Kontak"), person("Sekilas")
    for n, someone in enumerate((close, brief), start=1):
        for build in (dose(1), dose(2)):
            build(someone.nik_index, NOW)
        give_phone(someone.account, f"+62811000000{n:02d}")
    stay(case_person, hotel, at(0), at(1))
    stay(close, hotel, at(0), at(1))
    stay(brief, hotel, at(hours=1, minutes=25), at(2))  # 5 minutes of the tail
    case = cases.open_case(
        person=case_person, actor=officer, specimen_date=T0.date(), isolation_started_at=at(days=1),
        now=NOW,
    )  # fmt: skip
    search.search_contacts(case=case, actor=officer, now=NOW)
    return case, close, brief


def test_designated_contacts_turn_black_until_day_eleven(officer, traced):
    case, close, brief = traced
    assert status_for_person(close, at=NOW).colour == "hijau"

    done = designate_contacts(case=case, actor=officer, now=NOW)

    assert (done.designated, done.informed) == (1, 1)
    designation = Designation.objects.get(nik_index=close.nik_index, kind="close_contact")
    assert designation.kind == "close_contact"
    # The last exposure: the end of the case's aerosol tail, capped by the contact's stay.
    assert designation.starts_at == at(1)
    assert status_for_person(close, at=NOW).colour == "hitam"
    assert status_for_person(close, at=at(days=10, hours=12)).colour == "hitam"
    assert status_for_person(close, at=at(days=11, hours=14)).colour == "hijau"
    # The visitor below the threshold keeps their colour.
    assert status_for_person(brief, at=NOW).colour == "hijau"


def test_a_negative_test_lifts_the_contacts_black(officer, traced):
    from jejak.health.models import LabResult

    case, close, _brief = traced
    designate_contacts(case=case, actor=officer, now=NOW)
    LabResult.objects.create(
        nik_index=close.nik_index, source="manual", method="pcr", result="negative",
        specimen_at=NOW + dt.timedelta(days=2),
    )  # fmt: skip
    assert status_for_person(close, at=NOW + dt.timedelta(days=2, hours=1)).colour != "hitam"


def test_messages_name_the_venue_and_date_never_the_case(officer, traced):
    case, close, brief = traced
    designate_contacts(case=case, actor=officer, now=NOW)

    sent = list(outbox.messages_for(notices.case_ref(case)))
    to_close = [m for m in sent if m.to_person_id == close.pk]
    to_brief = [m for m in sent if m.to_person_id == brief.pk]
    assert {m.channel for m in to_close} == {"inapp"} | (
        {"sms"} if close.account.phone_index else set()
    )
    assert {m.template for m in to_close} == {"exposure_close_contact"}
    assert {m.template for m in to_brief} == {"exposure_informational"}
    for message in sent:
        assert "Hotel Cisadane" in message.body
        assert "Kasus" not in message.body
        assert case.person.nik_masked not in message.body
    inapp = next(m for m in to_close if m.channel == "inapp")
    assert "19 Okt 2021" in inapp.body or "19 Oct 2021" in inapp.body
    assert "puskesmas" in inapp.body.lower()


def test_choosing_some_contacts_designates_only_those(officer, traced):
    case, _close, brief = traced
    contact = case.contacts.get(person=brief)

    designate_contacts(case=case, actor=officer, contact_ids=[contact.pk], now=NOW)

    designated = Designation.objects.filter(kind="close_contact")
    assert list(designated.values_list("nik_index", flat=True)) == [brief.nik_index]
    case.refresh_from_db()
    assert case.status == CaseStatus.NOTIFIED
    event = AuditEvent.objects.get(action="tracing.contacts.designate")
    assert event.detail["contacts"] == [contact.pk]


def test_designating_again_sends_nothing_twice(officer, traced):
    case, _close, _brief = traced
    designate_contacts(case=case, actor=officer, now=NOW)
    count = outbox.messages_for(notices.case_ref(case)).count()

    again = designate_contacts(case=case, actor=officer, now=NOW)

    assert (again.designated, again.informed) == (0, 0)
    assert outbox.messages_for(notices.case_ref(case)).count() == count
    assert Designation.objects.filter(kind="close_contact").count() == 1


def test_designation_needs_a_search_and_the_capability(officer, make_user, city, person):
    case = cases.open_case(person=person(), actor=officer, specimen_date=T0.date(), now=NOW)
    with pytest.raises(TracingError) as refused:
        designate_contacts(case=case, actor=officer)
    assert refused.value.code == "not_searched"
    with pytest.raises(PermissionDenied):
        designate_contacts(case=case, actor=make_user(Role.CITY_ADMIN, region=city))


def test_another_cases_contact_is_refused(officer, traced, person):
    case, _close, _brief = traced
    with pytest.raises(TracingError) as refused:
        designate_contacts(case=case, actor=officer, contact_ids=[999_999])
    assert refused.value.code == "contact_not_found"


def test_exposure_sites_are_published_on_notification_without_personal_data(officer, traced):
    case, _close, _brief = traced
    [site] = ExposureSite.objects.filter(case=case)
    assert site.published_at is None
    assert published_sites(now=NOW) == []

    designate_contacts(case=case, actor=officer, now=NOW)

    [public] = published_sites(now=NOW)
    assert public["venue"] == "Hotel Cisadane"
    assert public["district"] == "Tangerang"
    assert (public["window_start"], public["window_end"]) == (at(0), at(hours=1, minutes=30))
    assert set(public) == {
        "venue", "short_code", "sector", "district", "city", "window_start", "window_end",
    }  # fmt: skip
    # Listed for 14 days after the window.
    assert published_sites(now=at(days=15)) == []


def test_a_family_members_message_says_whom_it_is_about(officer, person, hotel):
    """Issue 18, defect 10: two children's SMS to one parent are not identical."""
    from jejak.screening.tests.factories import make_person

    case_person, parent = person("Kasus"), person("Rina Ibu")
    give_phone(parent.account, "+6281100000077")
    children = [
        make_person(parent.account, full_name=name, relation="child", serial=900 + n)
        for n, name in enumerate(["Nabila Putri", "Bima Putra"])
    ]
    for someone in (case_person, *children):
        stay(someone, hotel, at(0), at(1))
    case = cases.open_case(
        person=case_person, actor=officer, specimen_date=T0.date(), isolation_started_at=at(days=1),
        now=NOW,
    )  # fmt: skip
    search.search_contacts(case=case, actor=officer, now=NOW)
    designate_contacts(case=case, actor=officer, now=NOW)
    sms = [m for m in outbox.messages_for(notices.case_ref(case)) if m.channel == "sms"]
    bodies = sorted(m.body for m in sms if m.to_person_id in {c.pk for c in children})
    assert len(bodies) == 2 and bodies[0] != bodies[1]
    assert bodies[0].startswith("Untuk Bima (keluarga Anda):")
    assert bodies[1].startswith("Untuk Nabila (keluarga Anda):")
