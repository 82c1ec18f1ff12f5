"""`visitor_type: employee` is believed only for someone on the venue's staff roster at
the scan time; anyone else is decided as a guest and told so (`not_on_staff_roster`)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from jejak.accounts.models import ApiToken
from jejak.api import api
from jejak.checkins import plans, record
from jejak.checkins.errors import Note
from jejak.checkins.models import CheckIn
from jejak.checkins.tests.conftest import add_child, add_person, code_of
from jejak.rosters.tests.factories import put_on_roster

pytestmark = pytest.mark.django_db

NOTE = "not_on_staff_roster"


def only(result: dict[str, Any]) -> dict[str, Any]:
    [person] = result["people"]
    return person


def bearer_client(account: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user=account, name='phone')[1]}")


def api_check_in(client: Client, venue: Any, **changes: Any):
    body = {"qr": code_of(venue), "nonce": str(uuid.uuid4()), "people": ["self"]} | changes
    return client.post("/api/v1/checkins", json.dumps(body), content_type="application/json")


def closed_now(policy: Any) -> None:
    now = timezone.localtime()
    policy(
        opens_at=(now + dt.timedelta(hours=2)).time(),
        closes_at=(now + dt.timedelta(hours=3)).time(),
    )


def test_a_red_visitor_claiming_employee_off_the_roster_is_refused_as_a_guest(
    make_visitor, hotel, policy
):
    # The attack: "employee" was self-declared, and merah employees are admitted.
    red = make_visitor("merah")
    response = api_check_in(bearer_client(red), hotel, visitor_type="employee")
    assert response.status_code == 201, response.content
    person = only(response.json())
    assert (person["decision"], person["reasons"], person["notes"]) == (
        "denied",
        ["status_red"],
        [NOTE],
    )
    assert person["messages"] == [
        "Status merah tidak diizinkan masuk ke tempat ini.",
        "Anda tidak terdaftar sebagai karyawan tempat ini, jadi diperiksa sebagai pengunjung.",
    ]
    assert CheckIn.objects.get(public_id=person["checkin"]).visitor_type == "guest"


def test_the_note_is_in_the_callers_language(make_visitor, hotel, policy):
    client = bearer_client(make_visitor("hijau"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    person = only(api_check_in(client, hotel, visitor_type="employee").json())
    assert person["decision"] == "allowed" and person["notes"] == [NOTE]
    with translation.override("en"):
        assert person["messages"] == [str(Note.NOT_ON_STAFF_ROSTER.label)]


def test_a_claimed_employee_off_the_roster_is_held_to_hours_and_capacity(
    make_visitor, check_in, make_venue, policy
):
    small = make_venue(capacity=1)
    assert only(check_in(make_visitor(), venue=small))["decision"] == "allowed"
    stranger = only(check_in(make_visitor(), venue=small, visitor_type="employee"))
    assert (stranger["reasons"], stranger["notes"]) == (["capacity_full"], [NOTE])
    closed_now(policy)
    late = only(check_in(make_visitor(), venue=small, visitor_type="employee"))
    assert late["reasons"] == ["outside_hours"] and late["notes"] == [NOTE]


def test_a_rostered_employee_enters_outside_hours_over_capacity_and_red(
    make_visitor, make_venue, policy
):
    small = make_venue(capacity=1)
    api_check_in(bearer_client(make_visitor()), small)  # the one place is taken
    closed_now(policy)
    worker = make_visitor("merah")
    put_on_roster(small, account=worker)
    response = api_check_in(bearer_client(worker), small, visitor_type="employee")
    data = response.json()
    person = only(data)
    assert (person["decision"], person["reasons"], person["notes"]) == ("allowed", [], [])
    assert data["crowd"] == {"inside": 2, "capacity": 1}
    assert CheckIn.objects.get(public_id=person["checkin"]).visitor_type == "employee"


def test_a_rostered_employee_who_chooses_guest_is_a_guest(make_visitor, check_in, hotel):
    worker = make_visitor("merah")
    put_on_roster(hotel, account=worker)
    person = only(check_in(worker))
    assert (person["reasons"], person["notes"]) == (["status_red"], [])


@pytest.mark.parametrize(
    ("period", "employee"),
    [
        ({}, True),
        ({"valid_until": 0}, True),  # the last day counts
        ({"valid_from": 1}, False),  # not yet
        ({"valid_until": -1}, False),  # over
        ({"ended_at": dt.timedelta(minutes=-5)}, False),  # ended by the manager
        ({"ended_at": dt.timedelta(minutes=5)}, True),  # ends later
    ],
)
def test_the_roster_period_is_read_at_the_scan_time(
    make_visitor, check_in, hotel, period, employee
):
    now = timezone.now()
    today = timezone.localdate(now)
    changes: dict[str, Any] = {}
    for key, value in period.items():
        if key == "ended_at":
            changes[key] = now + value
        else:
            changes[key] = today + dt.timedelta(days=value)
    if "valid_from" not in changes:
        changes["valid_from"] = min(today, changes.get("valid_until", today))
    red = make_visitor("merah")
    put_on_roster(hotel, account=red, **changes)
    person = only(check_in(red, visitor_type="employee", now=now))
    assert (person["decision"] == "allowed") is employee
    assert person["notes"] == ([] if employee else [NOTE])


def test_an_offline_scan_before_the_entry_ended_counts(make_visitor, check_in, hotel):
    red = make_visitor("merah")
    now = timezone.now()
    put_on_roster(hotel, account=red, ended_at=now - dt.timedelta(hours=1))
    scanned = now - dt.timedelta(hours=2)
    person = only(check_in(red, visitor_type="employee", scanned_at=scanned, now=now))
    assert person["notes"] == [] and person["reasons"] == []


def test_another_venues_roster_does_not_count(make_visitor, check_in, hotel, make_venue):
    red = make_visitor("merah")
    put_on_roster(make_venue(name="Hotel Lain"), account=red)
    person = only(check_in(red, visitor_type="employee"))
    assert (person["reasons"], person["notes"]) == (["status_red"], [NOTE])


def test_a_nik_entry_counts_for_the_verified_person(make_user, check_in, hotel):
    from jejak.accounts.roles import Role

    account = make_user(Role.VISITOR)
    person = add_person(account, "merah")
    put_on_roster(hotel, person=person)
    assert only(check_in(account, visitor_type="employee"))["decision"] == "allowed"


def test_a_nik_entry_does_not_count_for_an_unverified_person(make_user, check_in, hotel):
    # A NIK anyone typed into a profile is not an identity: the registry must have said so.
    from jejak.accounts.roles import Role

    account = make_user(Role.VISITOR)
    person = add_person(account, "merah", unverified=True)
    put_on_roster(hotel, person=person)
    entry = only(check_in(account, visitor_type="employee"))
    assert entry["decision"] == "denied" and entry["notes"] == [NOTE]


def test_a_phone_entry_names_the_account_holder_not_the_dependants(make_visitor, check_in, hotel):
    parent = make_visitor("merah")
    child = add_child(parent, years=20, records=[])  # merah too, adult
    put_on_roster(hotel, account=parent)
    result = check_in(parent, people=["self", child.public_id], visitor_type="employee")
    holder, dependant = result["people"]
    assert (holder["decision"], holder["notes"]) == ("allowed", [])
    assert (dependant["reasons"], dependant["notes"]) == (["status_red"], [NOTE])


def test_a_batch_mixing_rostered_and_not_is_decided_person_by_person(make_visitor, hotel, policy):
    worker, stranger = make_visitor("merah"), make_visitor("merah")
    put_on_roster(hotel, account=worker)
    asks = [
        plans.Ask(
            account=a,
            qr=code_of(hotel),
            nonce=uuid.uuid4(),
            people=["self"],
            visitor_type="employee",
        )
        for a in (worker, stranger)
    ]
    first, second = record.record_many(asks=asks)
    assert only(first.data)["notes"] == [] and only(first.data)["decision"] == "allowed"
    assert only(second.data)["notes"] == [NOTE] and only(second.data)["decision"] == "denied"


def test_the_roster_costs_two_statements_per_batch_and_only_for_employees(
    make_visitor, hotel, policy
):
    def ask(account: Any, kind: str) -> plans.Ask:
        return plans.Ask(
            account=account,
            qr=code_of(hotel),
            nonce=uuid.uuid4(),
            people=["self"],
            visitor_type=kind,
        )

    visitors = [make_visitor("hijau") for _ in range(13)]
    for v in visitors[:4]:
        put_on_roster(hotel, account=v)
    record.record_many(asks=[ask(visitors[0], "guest")])  # the occupancy row, the caches
    counts = {}
    for kind, group in (
        ("guest", visitors[1:3]),
        ("employee", visitors[3:5]),
        ("employee-many", visitors[5:]),
    ):
        asks = [ask(v, kind.split("-")[0]) for v in group]
        with CaptureQueriesContext(connection) as queries:
            record.record_many(asks=asks)
        counts[kind] = len(queries)
    # Guests pay nothing for the roster; employees two look-ups (the claimants, then
    # their entries) whatever the batch's size.
    assert counts["employee"] == counts["employee-many"] == counts["guest"] + 2


def test_a_replayed_result_stored_before_notes_answers_an_empty_list(visitor, hotel, policy):
    from jejak.checkins.models import CheckInRequest

    client = bearer_client(visitor)
    nonce = str(uuid.uuid4())
    api_check_in(client, hotel, nonce=nonce)
    stored = CheckInRequest.objects.get(nonce=nonce)
    for person in stored.result["people"]:
        del person["notes"]
    stored.save()
    again = api_check_in(client, hotel, nonce=nonce)
    assert only(again.json())["notes"] == []


def test_the_web_apps_session_check_in_shows_the_note(make_visitor, hotel, policy):
    red = make_visitor("merah")
    client = Client()
    client.force_login(red)
    nonce = uuid.uuid4()
    response = client.post(
        "/saya/check-in/",
        {
            "qr": code_of(hotel),
            "nonce": str(nonce),
            "people": ["self"],
            "visitor_type": "employee",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Anda tidak terdaftar sebagai karyawan tempat ini" in response.content.decode()
    row = CheckIn.objects.get(person__account=red)
    assert (row.decision, row.visitor_type) == ("denied", "guest")


def test_the_openapi_schema_documents_the_notes():
    schemas = api.get_openapi_schema()["components"]["schemas"]
    person = schemas["CheckInPersonOut"]
    assert schemas["CheckInOut"]["properties"]["people"]["items"]["$ref"].endswith(
        "/CheckInPersonOut"
    )
    assert "notes" in person["required"]
    assert "not_on_staff_roster" in person["properties"]["notes"]["description"]
