"""Tracing profiles: the documents, their loading, and each shipped profile's rules on
stays whose expected numbers are worked out by hand in the comments."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from jejak.health.models import Designation
from jejak.notifications.models import Message
from jejak.tracing import cases, designation, profiles, search
from jejak.tracing.errors import TracingError
from jejak.tracing.models import Contact, TracingProfile
from jejak.tracing.notices import notice_context
from jejak.tracing.tests.conftest import T0, stay

DAY = dt.timedelta(days=1)
# Onset (day 0) is T0's date; the stays below fall on days -4 .. 3, isolation on day 4.
ISOLATION = T0 + 4 * DAY
NOW = T0 + 5 * DAY


def at(days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def open_case(person, slug: str):
    return cases.open_case(
        person=person,
        actor=None,
        specimen_date=T0.date(),
        symptom_onset=T0.date(),
        isolation_started_at=ISOLATION,
        profile=profiles.latest(slug),
        now=NOW,
    )


def trace(case) -> dict[int, Contact]:
    return {c.person_id: c for c in search.search_contacts(case=case, actor=None, now=NOW)}


def shipped(slug: str) -> dict:
    return json.loads((profiles.SHIPPED / f"{slug}.json").read_text(encoding="utf-8"))


# --- Documents and loading -------------------------------------------------------------


@pytest.mark.parametrize("slug", ["covid-19", "measles"])
def test_the_shipped_profiles_are_valid_and_stored(slug):
    assert profiles.validate_document(shipped(slug)) == []
    stored = profiles.latest(slug)
    assert stored is not None and stored.document == shipped(slug)


def test_the_legacy_profile_is_stored_from_the_sector_table():
    legacy = profiles.compile_row(profiles.latest("legacy"))
    assert legacy.threshold.within is None  # summed over the whole window
    assert legacy.presence.min_stay == dt.timedelta(0)
    assert legacy.flat and legacy.automation.designate == "none"
    assert legacy.sectors["rumah-makan"].weight == Decimal("1.2")


def test_validation_names_every_problem():
    doc = shipped("covid-19")
    doc["tail"] = {"rule": "sometimes", "minutes": -1}
    doc["infectiousness"]["by_day"]["x"] = 0.5
    doc["threshold"]["within_hours"] = 0
    del doc["auto_open_days"]
    doc["colour"] = "hijau"
    problems = profiles.validate_document(doc)
    assert "auto_open_days: missing" in problems
    assert "colour: unknown key" in problems
    del doc["colour"]
    doc["auto_open_days"] = 14
    problems = profiles.validate_document(doc)
    assert any(p.startswith("tail.rule:") for p in problems)
    assert any(p.startswith("tail.minutes:") for p in problems)
    assert any(p.startswith("infectiousness.by_day.x:") for p in problems)
    assert any(p.startswith("threshold.within_hours:") for p in problems)
    assert profiles.validate_document([]) == ["document: must be a JSON object"]


def test_a_stored_version_never_changes():
    doc = shipped("covid-19")
    row, created = profiles.load(copy.deepcopy(doc))
    assert not created and row == profiles.latest("covid-19")
    doc["threshold"]["minutes"] = 10
    with pytest.raises(profiles.ProfileRefused, match="never changes"):
        profiles.load(doc)
    doc["version"] = 2
    row, created = profiles.load(doc)
    assert created and profiles.latest("covid-19") == row
    # Cases already traced keep the version they were opened with.
    assert TracingProfile.objects.filter(slug="covid-19").count() == 2


def test_a_profile_naming_an_unknown_sector_is_refused():
    doc = shipped("measles")
    doc["version"] = 9
    doc["sectors"] = {"kapal-pesiar": {"weight": "1.0", "min_contact_minutes": 5}}
    with pytest.raises(profiles.ProfileRefused, match="kapal-pesiar: no such sector"):
        profiles.load(doc)


def test_the_command_loads_checks_and_refuses(tmp_path, capsys):
    doc = shipped("measles")
    doc["version"] = 2
    good = tmp_path / "measles-2.json"
    good.write_text(json.dumps(doc))
    call_command("load_tracing_profile", str(good), "--check")
    assert profiles.latest("measles").version == 1
    call_command("load_tracing_profile", str(good))
    assert profiles.latest("measles").version == 2
    call_command("load_tracing_profile", "--list")
    assert "measles v2" in capsys.readouterr().out
    doc["tail"]["rule"] = "never"
    good.write_text(json.dumps(doc))
    with pytest.raises(CommandError, match=r"tail\.rule"):
        call_command("load_tracing_profile", str(good))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_tracing_profile", str(tmp_path / "broken.json"))


def test_an_unknown_profile_is_refused_when_opening(person):
    with pytest.raises(TracingError) as refused:
        cases.chosen_profile("cacar-monyet")
    assert refused.value.code == "profile_unknown"


# --- COVID-19 --------------------------------------------------------------------------


def test_covid_weighs_each_day_by_the_cases_infectiousness(person, hotel):
    case_person, late, brief = person("Kasus"), person("Sore"), person("Sebentar")
    # Day 3 (weight 0.6): the case 10:00-11:00, tail min(60, 30) to 11:30.
    stay(case_person, hotel, at(3), at(3, 1))
    stay(late, hotel, at(3, 0.5), at(3, 1.5))  # 10:30-11:30: 60 min
    stay(brief, hotel, at(3), at(3, minutes=20))  # 10:00-10:20: 20 min
    case = open_case(case_person, "covid-19")
    found = trace(case)

    # 60 min x hotel 1.0 x day 3's 0.6 = 36 weighted minutes: close, score 36.0.
    assert found[late.pk].is_close and found[late.pk].score == Decimal("36.0")
    # 20 x 0.6 = 12 weighted minutes < 15: not close, though 20 minutes were shared.
    assert not found[brief.pk].is_close and found[brief.pk].score == Decimal("12.0")
    [visit] = found[late.pk].visits
    assert (visit["day"], visit["infectiousness"]) == (3, "0.6")
    assert case.searched_with == profiles.latest("covid-19")


def test_covid_ignores_the_cases_stays_under_ten_minutes(person, hotel, make_venue):
    restaurant = make_venue("rumah-makan", name="Warung Sate")
    case_person, a, b = person("Kasus"), person("A"), person("B")
    stay(case_person, hotel, at(0), at(0, minutes=9, seconds=59))  # 9:59: ignored
    stay(case_person, restaurant, at(1), at(1, minutes=10))  # exactly 10: counts
    stay(a, hotel, at(0), at(0, hours=2))
    stay(b, restaurant, at(1), at(1, hours=2))
    found = trace(open_case(case_person, "covid-19"))

    assert a.pk not in found
    # 10 min + tail 10 = 20 min x restaurant 1.2 x day 1's 1.0 = 24.0; 20/15 >= 1: close.
    assert found[b.pk].seconds == 20 * 60
    assert found[b.pk].score == Decimal("24.0") and found[b.pk].is_close


def test_covid_cuts_a_stay_at_midnight_into_its_days(person, hotel):
    case_person, night = person("Kasus"), person("Malam")
    # Day 1 23:00 to day 2 01:00 (Jakarta), tail to 01:30; the contact 23:30 to 00:30.
    stay(case_person, hotel, at(1, 13), at(1, 15))
    stay(night, hotel, at(1, 13.5), at(1, 14.5))
    contact = trace(open_case(case_person, "covid-19"))[night.pk]

    # 30 min on day 1 (x1.0) + 30 min on day 2 (x0.8) = 54 weighted minutes.
    assert [(v["day"], v["minutes"]) for v in contact.visits] == [(1, 30.0), (2, 30.0)]
    assert contact.score == Decimal("54.0") and contact.seconds == 60 * 60


# --- Measles ---------------------------------------------------------------------------


def test_measles_any_second_in_the_room_within_two_hours_counts(person, hotel):
    case_person, after, later = person("Kasus"), person("Sesudah"), person("Lebih lambat")
    stay(case_person, hotel, at(0), at(0, minutes=5))  # 5 minutes still count
    # The air stays infectious 120 minutes after the case left: until 12:05.
    stay(after, hotel, at(0, hours=2, minutes=4, seconds=59), at(0, hours=3))
    stay(later, hotel, at(0, hours=2, minutes=5), at(0, hours=3))  # touching: no contact
    found = trace(open_case(case_person, "measles"))

    assert found[after.pk].seconds == 1 and found[after.pk].is_close
    assert later.pk not in found


def test_measles_window_opens_four_days_before_onset(person, hotel):
    case_person, early, earlier = person("Kasus"), person("Awal"), person("Terlalu awal")
    # Day -4 begins at 00:00 Jakarta = T0's date - 4 days; T0 is 10:00, so -10 h.
    stay(case_person, hotel, at(-4, -10, 30), at(-4, -10, 40))  # day -4 00:30
    stay(case_person, hotel, at(-5, 12), at(-5, 13))  # day -5 22:00: outside
    stay(early, hotel, at(-4, -10, 35), at(-4, -9))
    stay(earlier, hotel, at(-5, 12), at(-5, 12.5))
    found = trace(open_case(case_person, "measles"))
    assert early.pk in found and earlier.pk not in found


def test_measles_contacts_are_designated_for_21_days(person, hotel):
    case_person, contact_person = person("Kasus"), person("Kontak")
    stay(case_person, hotel, at(0), at(0, 1))
    stay(contact_person, hotel, at(0, 0.5), at(0, 1.5))
    case = open_case(case_person, "measles")
    trace(case)
    designation.designate_contacts(case=case, actor=None, now=NOW)

    contact = Contact.objects.get(case=case, person=contact_person)
    assert Designation.objects.get(pk=contact.designation_id).days == 21
    # The last exposure is day 0 (11:30, when the contact left): quarantine to day 21.
    assert notice_context(contact)["until"] == T0.date() + 21 * DAY
    # The message names the disease of the case's profile, not COVID-19.
    [message] = Message.objects.filter(to_person=contact_person, channel="inapp")
    assert "campak" in message.body and "COVID" not in message.body + message.subject


# --- Legacy ----------------------------------------------------------------------------


def test_legacy_reproduces_the_rules_before_profiles(person, hotel):
    case_person, regular = person("Kasus"), person("Langganan")
    # 5 minutes on day -2 and 10 on day 0: 5 + 5 tail... the contact shares 5 and 10.
    stay(case_person, hotel, at(-2), at(-2, minutes=5))
    stay(case_person, hotel, at(0), at(0, minutes=10))
    stay(regular, hotel, at(-2), at(-2, minutes=5))
    stay(regular, hotel, at(0), at(0, minutes=10))

    legacy = trace(open_case(case_person, "legacy"))[regular.pk]
    # Whole window, flat, every stay: 15 minutes, close, score 15.0.
    assert legacy.is_close and legacy.score == Decimal("15.0")
    assert [v["day"] for v in legacy.visits] == [None, None]
