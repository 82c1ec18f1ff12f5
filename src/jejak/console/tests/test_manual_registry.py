"""A manual check-in is verified against the civil registry like a visitor's own NIK:
staff type what the KTP says, and only a resident the registry confirms gets in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jejak.audit.models import AuditEvent
from jejak.checkins.models import CheckIn
from jejak.console.tests.conftest import identity
from jejak.console.tests.test_console import manual
from jejak.identity import port
from jejak.identity.models import Resident
from jejak.identity.port import IdentityServiceUnavailable
from jejak.identity.tests.factories import register_resident
from jejak.people.nik import nik_index

pytestmark = pytest.mark.django_db


def test_a_registered_person_the_registry_lists_as_deceased_is_refused(
    staff_client: Any, hall: Any, make_registered: Any
) -> None:
    make_registered("hijau")
    Resident.objects.filter(nik_index=nik_index(identity("hijau")["nik"])).update(
        died_on=dt.date(2021, 7, 1)
    )

    body = manual(staff_client, hall, "hijau").content.decode()

    assert "identity_mismatch" in body
    assert not CheckIn.objects.exists()
    event = AuditEvent.objects.get(action="console.manual_checkin")
    assert (event.detail["outcome"], event.detail["registry"]) == ("mismatch", "deceased")


def test_a_resident_without_a_profile_is_the_same_mismatch(
    staff_client: Any, hall: Any, make_registered: Any
) -> None:
    make_registered("hijau")
    Resident.objects.all().delete()
    in_registry_only = identity("kuning")
    register_resident(**in_registry_only, sex="M")

    body = manual(staff_client, hall, "kuning").content.decode()

    assert "identity_mismatch" in body
    event = AuditEvent.objects.get(action="console.manual_checkin")
    assert event.detail["registry"] == "not_registered"


def test_a_registry_outage_is_a_clear_refusal_never_an_entry(
    staff_client: Any, hall: Any, make_registered: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_registered("hijau")

    def down(**_: Any) -> Any:
        raise IdentityServiceUnavailable("timeout")

    monkeypatch.setattr(port, "verify", down)

    body = manual(staff_client, hall, "hijau").content.decode()

    assert "identity_service_unavailable" in body
    assert not CheckIn.objects.exists()
    event = AuditEvent.objects.get(action="console.manual_checkin")
    assert event.detail["outcome"] == "unavailable"
