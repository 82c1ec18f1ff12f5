"""Issue 18, defect 3: staff typing in someone still inside is refused, never a check-out."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from jejak.checkins.models import CheckIn
from jejak.console.tests.conftest import identity

pytestmark = pytest.mark.django_db


def manual(client: Client, hall: Any, colour: str) -> str:
    data = identity(colour)
    return client.post(
        "/tempat/PUSPEM-UJI/manual/",
        {
            "entry_point": hall.entry_points.first().pk,
            "nik": data["nik"],
            "full_name": data["full_name"],
            "birth_date": data["birth_date"].isoformat(),
            "visitor_type": "guest",
            "nonce": str(uuid.uuid4()),
        },
    ).content.decode()


def test_a_second_manual_check_in_of_someone_inside_is_refused(
    staff_client: Client, hall: Any, make_registered: Any
) -> None:
    person = make_registered("hijau")
    assert 'data-decision="allowed"' in manual(staff_client, hall, "hijau")
    again = manual(staff_client, hall, "hijau")
    assert "masih tercatat di dalam" in again
    [row] = CheckIn.objects.filter(person=person)
    assert row.checked_out_at is None  # still inside: nothing was checked out
