"""Manual check-in: a staff-chosen "employee" goes through the venue's staff roster too."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jejak.checkins.models import CheckIn
from jejak.console.tests.conftest import post_manual
from jejak.rosters.tests.factories import put_on_roster

pytestmark = pytest.mark.django_db


def manual_employee(client: Client, hall: Any, colour: str):
    return post_manual(client, hall, colour, "employee")


def test_an_employee_off_the_roster_is_checked_in_as_a_guest(staff_client, hall, make_registered):
    person = make_registered("merah")
    response = manual_employee(staff_client, hall, "merah")
    html = response.content.decode()
    assert 'data-decision="denied"' in html
    assert 'data-note="not_on_staff_roster"' in html
    row = CheckIn.objects.get(person=person)
    assert (row.decision, row.reasons, row.visitor_type) == ("denied", ["status_red"], "guest")


def test_a_rostered_employee_is_checked_in_as_one(staff_client, hall, make_registered):
    person = make_registered("merah")
    put_on_roster(hall, person=person)
    html = manual_employee(staff_client, hall, "merah").content.decode()
    assert 'data-decision="allowed"' in html and "data-note" not in html
    assert CheckIn.objects.get(person=person).visitor_type == "employee"
