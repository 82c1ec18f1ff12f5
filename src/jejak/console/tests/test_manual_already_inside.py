"""Issue 18, defect 3: staff typing in someone still inside is refused, never a check-out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jejak.checkins.models import CheckIn
from jejak.console.tests.conftest import post_manual

pytestmark = pytest.mark.django_db


def test_a_second_manual_check_in_of_someone_inside_is_refused(
    staff_client: Client, hall: Any, make_registered: Any
) -> None:
    person = make_registered("hijau")
    assert 'data-decision="allowed"' in post_manual(staff_client, hall, "hijau").content.decode()
    again = post_manual(staff_client, hall, "hijau").content.decode()
    assert "masih tercatat di dalam" in again
    [row] = CheckIn.objects.filter(person=person)
    assert row.checked_out_at is None  # still inside: nothing was checked out
