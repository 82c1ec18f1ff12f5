"""The contact search at the service level: who is a contact, for how many minutes, and
how they rank. Times are Asia/Jakarta around Tuesday 19 October 2021 (T0 = 10:00)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jejak.sectors.models import Sector
from jejak.tracing import cases, designation, search
from jejak.tracing.models import Case, CaseStatus, Contact
from jejak.tracing.tests.conftest import JKT, NOW, T0, at, stay

pytestmark = pytest.mark.django_db

# The window runs from 17 Oct 00:00 (two days before the specimen) to isolation.
ISOLATION = at(days=1)  # 20 Oct 10:00


def open_case(person, **kwargs) -> Case:
    kwargs.setdefault("specimen_date", T0.date())
    kwargs.setdefault("isolation_started_at", ISOLATION)
    return cases.open_case(person=person, actor=None, now=NOW, **kwargs)


def trace(case: Case) -> dict[int, Contact]:
    return {c.person_id: c for c in search.search_contacts(case=case, actor=None, now=NOW)}


@pytest.fixture
def case_person(person):
    return person("Kasus")


def test_the_default_window_starts_two_days_before_the_specimen_and_ends_at_isolation(
    case_person,
):
    case = open_case(case_person)
    assert case.window_start == dt.datetime(2021, 10, 17, 0, 0, tzinfo=JKT)
    assert case.window_end == ISOLATION


def test_symptom_onset_moves_the_window_start(case_person):
    case = open_case(case_person, symptom_onset=dt.date(2021, 10, 15))
    assert case.window_start == dt.datetime(2021, 10, 13, 0, 0, tzinfo=JKT)


def test_touching_intervals_are_not_contacts(case_person, person, hotel):
    stay(case_person, hotel, at(0), at(1))  # the tail runs to 11:30
    before, after = person("Sebelum"), person("Sesudah")
    stay(before, hotel, at(-1), at(0))
    stay(after, hotel, at(hours=1, minutes=30), at(3))

    assert trace(open_case(case_person)) == {}


def test_fifteen_minutes_make_a_close_contact_and_fourteen_do_not(case_person, person, hotel):
    stay(case_person, hotel, at(0), at(1))  # 10:00-11:00, tail to 11:30
    fifteen, fourteen, almost = person("Lima belas"), person("Empat belas"), person("Hampir")
    stay(fifteen, hotel, at(hours=1, minutes=15), at(2))
    stay(fourteen, hotel, at(hours=1, minutes=16), at(2))
    stay(almost, hotel, at(hours=1, minutes=15, seconds=1), at(2))

    found = trace(open_case(case_person))

    assert (found[fifteen.pk].minutes, found[fifteen.pk].is_close) == (15, True)
    assert (found[fourteen.pk].minutes, found[fourteen.pk].is_close) == (14, False)
    assert (found[almost.pk].seconds, found[almost.pk].is_close) == (14 * 60 + 59, False)


def test_the_aerosol_tail_is_the_stay_up_to_thirty_minutes(case_person, person, make_venue):
    short_stay, long_stay = make_venue(name="Toko Kecil"), make_venue(name="Aula")
    stay(case_person, short_stay, at(0), at(minutes=10))  # tail 10 minutes: to 10:20
    stay(case_person, long_stay, at(2), at(5))  # tail 30 minutes: to 15:30
    after_short, at_tail_end, after_long = person("A"), person("B"), person("C")
    stay(after_short, short_stay, at(minutes=10), at(1))
    stay(at_tail_end, short_stay, at(minutes=20), at(1))
    stay(after_long, long_stay, at(5), at(6))

    found = trace(open_case(case_person))

    assert found[after_short.pk].minutes == 10
    assert at_tail_end.pk not in found
    assert found[after_long.pk].minutes == 30


def test_the_aerosol_tail_follows_the_profile(case_person, person, hotel, tracing_profile):
    tracing_profile(tail={"rule": "proportional", "minutes": 0})
    stay(case_person, hotel, at(0), at(1))
    after = person()
    stay(after, hotel, at(hours=1), at(2))

    assert trace(open_case(case_person)) == {}


def test_an_open_stay_counts_until_its_planned_check_out(case_person, person, hotel):
    stay(case_person, hotel, at(0), planned=at(1))  # no check-out: until 11:00, tail 11:30
    contact = person()
    stay(contact, hotel, at(hours=1, minutes=20), planned=at(3))

    assert trace(open_case(case_person))[contact.pk].minutes == 10


def test_a_stay_with_neither_check_out_nor_plan_lasts_at_most_a_day(case_person, person, hotel):
    stay(case_person, hotel, at(0), at(1))
    # Still "inside" two days later (NOW): counted until 24 h after the check-in.
    forgotten = person()
    stay(forgotten, hotel, at(hours=-23, minutes=-30))

    assert trace(open_case(case_person))[forgotten.pk].minutes == 30


def test_minutes_add_up_over_several_visits_and_venues(case_person, person, hotel, make_venue):
    restaurant = make_venue("rumah-makan", name="RM Padang")
    stay(case_person, hotel, at(0), at(1))
    stay(case_person, restaurant, at(3), at(4))
    regular = person()
    stay(regular, hotel, at(hours=0, minutes=52), at(hours=1, minutes=0))  # 8 minutes
    stay(regular, restaurant, at(hours=3, minutes=52), at(4))  # 8 minutes

    contact = trace(open_case(case_person))[regular.pk]

    assert (contact.minutes, contact.is_close) == (16, True)
    # 8 x 1.0 (hotel) + 8 x 1.2 (restaurant)
    assert contact.score == Decimal("17.6")
    assert [v["short_code"] for v in contact.visits] == [hotel.short_code, restaurant.short_code]
    assert [v["minutes"] for v in contact.visits] == [8.0, 8.0]


def test_time_shared_during_two_visits_of_the_case_counts_once(case_person, person, hotel):
    stay(case_person, hotel, at(0), at(1))  # to 11:30 with its tail
    stay(case_person, hotel, at(hours=1, minutes=10), at(2))  # 11:10-12:30 with its tail
    all_day = person()
    stay(all_day, hotel, at(0), at(5))

    assert trace(open_case(case_person))[all_day.pk].minutes == 150


def test_only_presence_inside_the_window_counts_then_its_tail(case_person, person, hotel):
    # Issue 20, point 3. 16 Oct 22:00-23:50, before the window (17 Oct 00:00): its tail
    # would reach 00:20, but the case was not infectious then: nobody is exposed.
    stay(case_person, hotel, at(days=-3, hours=12), at(days=-3, hours=13, minutes=50))
    gone_before_midnight, across_midnight = person("A"), person("B")
    stay(gone_before_midnight, hotel, at(days=-3, hours=12), at(days=-3, hours=13, minutes=59))
    stay(across_midnight, hotel, at(days=-3, hours=13, minutes=55), at(days=-3, hours=15))
    # The window ends at isolation (20 Oct 10:00): a stay from 09:50 is 10 minutes of
    # presence, and their 10-minute tail after isolation began: 20 minutes shared.
    stay(case_person, hotel, at(days=1, minutes=-10), at(days=1, hours=2))
    late = person("C")
    stay(late, hotel, at(days=1, hours=-1), at(days=1, hours=2))

    found = trace(open_case(case_person))

    assert gone_before_midnight.pk not in found
    assert across_midnight.pk not in found
    assert found[late.pk].minutes == 20


def test_a_stay_across_midnight_is_one_stay(case_person, person, hotel):
    stay(case_person, hotel, at(hours=13, minutes=30), at(hours=14, minutes=30))  # 23:30-00:30
    night = person()
    stay(night, hotel, at(hours=14), at(hours=16))  # from 00:00 on 20 Oct

    assert trace(open_case(case_person))[night.pk].minutes == 60  # to 01:00 with the tail


def test_any_entrance_counts_and_employees_are_flagged(case_person, person, hotel):
    stay(case_person, hotel, at(0), at(1), entrance=0)
    waiter = person("Pelayan")
    stay(waiter, hotel, at(-2), at(8), entrance=1, visitor_type="employee")

    contact = trace(open_case(case_person))[waiter.pk]

    assert contact.is_employee
    assert contact.visits[0]["employee"] is True


def test_refused_check_ins_are_not_stays(case_person, person, hotel):
    stay(case_person, hotel, at(0), at(1))
    refused = person()
    stay(refused, hotel, at(0), decision="denied")

    assert trace(open_case(case_person)) == {}


def test_contacts_rank_close_first_then_by_score(case_person, person, hotel, make_venue):
    park = make_venue("tempat-wisata", name="Taman")
    stay(case_person, hotel, at(0), at(1))
    stay(case_person, park, at(3), at(6))
    brief, outdoors, indoors = person("A"), person("B"), person("C")
    stay(brief, hotel, at(hours=1, minutes=20), at(2))  # 10 min indoors: not close
    stay(outdoors, park, at(3), at(5))  # 120 min x 0.3 = 36
    stay(indoors, hotel, at(0), at(2))  # 90 min (with the tail) x 1.0 = 90

    ranked = search.search_contacts(case=open_case(case_person), actor=None, now=NOW)

    assert [c.person_id for c in ranked] == [indoors.pk, outdoors.pk, brief.pk]
    assert [c.rank for c in ranked] == [1, 2, 3]
    assert [c.score for c in ranked] == [Decimal("90.0"), Decimal("36.0"), Decimal("10.0")]


def test_minimum_minutes_are_per_venue_type_and_prorated_across_types(
    case_person, person, hotel, make_venue, tracing_profile
):
    terminal = make_venue("terminal", name="Terminal Poris")
    tracing_profile(sectors={"terminal": {"weight": "0.6", "min_contact_minutes": 30}})
    stay(case_person, hotel, at(0), at(1))
    stay(case_person, terminal, at(3), at(4))
    mixed, terminal_only = person("A"), person("B")
    stay(mixed, hotel, at(hours=1, minutes=20), at(2))  # 10 of 15: two thirds
    stay(mixed, terminal, at(hours=4, minutes=20), at(5))  # 10 of 30: one third
    stay(terminal_only, terminal, at(hours=4, minutes=10), at(5))  # 20 of 30

    found = trace(open_case(case_person))

    assert found[mixed.pk].is_close
    assert not found[terminal_only.pk].is_close


def test_a_sub_category_uses_its_sectors_weight(case_person, person, make_venue):
    parent = Sector.objects.get(slug="rumah-makan")
    Sector.objects.create(slug="kafe", name_id="Kafe", name_en="Cafe", parent=parent)
    cafe = make_venue("kafe", name="Kafe Sudut")
    stay(case_person, cafe, at(0), at(1))
    guest = person()
    stay(guest, cafe, at(0), at(2))

    assert trace(open_case(case_person))[guest.pk].score == Decimal("108.0")  # 90 x 1.2


def test_a_new_search_keeps_designated_contacts_and_drops_the_rest(case_person, person, hotel):
    stay(case_person, hotel, at(0), at(1))
    kept, dropped = person("A"), person("B")
    stay(kept, hotel, at(0), at(1))
    stay(dropped, hotel, at(0), at(1))
    case = open_case(case_person)
    trace(case)
    designation.designate_contacts(
        case=case, actor=None, contact_ids=[case.contacts.get(person=kept).pk], now=NOW
    )
    # The window shrinks to before both stays.
    cases.change_window(
        case=case, actor=None, start=at(days=-2), end=at(hours=-1), reason="Tes ulang", now=NOW
    )

    assert set(trace(case)) == {kept.pk}


def test_searching_marks_the_case_contacts_identified(case_person, hotel):
    case = open_case(case_person)
    trace(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.CONTACTS_IDENTIFIED
    assert case.searched_at == NOW


def test_the_number_of_queries_does_not_grow_with_the_contacts(case_person, person, hotel):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stay(case_person, hotel, at(0), at(1))
    case = open_case(case_person)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            search.search_contacts(case=case, actor=None, now=NOW)
        return len(captured)

    stay(person(), hotel, at(0), at(1))
    with_one = queries()
    for _ in range(15):
        stay(person(), hotel, at(0), at(1))
    assert queries() <= with_one + 2


def test_a_close_contact_needs_the_minutes_within_24_hours(
    case_person, person, hotel, settings, tracing_profile
):
    # Issue 20, point 1: 5 minutes with the case one day, 10 minutes two days later. Only
    # the 24-hour rule differs between the two profiles (every stay counts, flat days).
    stay(case_person, hotel, at(days=-2), at(days=-2, minutes=5))
    stay(case_person, hotel, at(days=0), at(days=0, minutes=10))
    regular = person("Langganan")
    stay(regular, hotel, at(days=-2), at(days=-2, minutes=5))
    stay(regular, hotel, at(days=0), at(days=0, minutes=10))

    tracing_profile(case_min_stay_minutes=0, infectiousness={"by_day": {}, "otherwise": "1.0"})
    case = open_case(case_person)
    assert not trace(case)[regular.pk].is_close

    cases.close_case(case=case, actor=None)
    settings.JEJAK_TRACE_PROFILE = "legacy"  # the rule before: the whole window
    assert trace(open_case(case_person))[regular.pk].is_close
