"""Staff whose role reads personal data widely confirm a TOTP code after their password."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jejak.accounts import second_factor
from jejak.accounts.models import User
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _enforced(settings: Any) -> None:
    settings.JEJAK_DEMO_SKIP_SECOND_FACTOR = False


def code_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def sign_in(user: User) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": "test-password-123"})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    "role",
    [
        Role.ISSUER,
        Role.CITY_ADMIN,
        Role.AGENCY_OFFICER,
        Role.ENFORCEMENT_OFFICER,
        Role.HEALTH_OFFICER,
    ],
)
def test_a_wide_role_must_enrol_before_reaching_any_page(make_user: Any, role: str) -> None:
    client = sign_in(make_user(role))
    response = client.get("/venues/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/faktor-kedua/?next=")
    api = client.get("/api/v1/venues")
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"


@pytest.mark.parametrize("role", [Role.VENUE_MANAGER, Role.VENUE_STAFF, Role.VISITOR])
def test_venue_roles_need_it_only_when_the_city_says_so(
    make_user: Any, settings: Any, role: str
) -> None:
    user = make_user(role)
    assert not second_factor.required_for(user)
    settings.JEJAK_SECOND_FACTOR_FOR_VENUE_ROLES = True
    assert second_factor.required_for(user) == (role != Role.VISITOR)


def test_enrolment_then_every_sign_in_asks_for_a_code(make_user: Any, city: Any) -> None:
    user = make_user(Role.CITY_ADMIN, region=city)
    client = sign_in(user)
    page = client.get("/login/faktor-kedua/?next=/venues/")
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code of the key
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed

    wrong = client.post("/login/faktor-kedua/", {"token": "000000", "next": "/venues/"})
    device.refresh_from_db()
    assert wrong.status_code == 200 and not device.confirmed
    device.throttle_reset()  # as if the second that a wrong code costs had passed

    done = client.post("/login/faktor-kedua/", {"token": code_of(device), "next": "/venues/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/venues/").status_code == 200
    assert AuditEvent.objects.filter(action="staff.second_factor_enrolled", actor=user).exists()

    # The next sign-in: the password is not enough; the enrolment page is closed now.
    again = sign_in(user)
    assert again.get("/venues/")["Location"].startswith("/login/kode/?next=")
    assert again.get("/login/faktor-kedua/")["Location"] == "/login/kode/"
    refused = again.post("/login/kode/", {"token": "123456", "next": "/venues/"})
    assert refused.status_code == 200
    assert AuditEvent.objects.filter(action="staff.second_factor_failed", actor=user).exists()
    for each in devices_for_user(user):
        each.throttle_reset()  # the wrong code's wait, passed
    # A backup code works once.
    used = again.post("/login/kode/", {"token": codes[0], "next": "/venues/"})
    assert used["Location"] == "/venues/"
    assert again.get("/venues/").status_code == 200
    assert second_factor.backup_codes_left(user) == 9
    third = sign_in(user)
    assert third.post("/login/kode/", {"token": codes[0]}).status_code == 200  # refused


def test_wrong_codes_are_throttled_by_the_device(make_user: Any) -> None:
    user = make_user(Role.CITY_ADMIN)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = sign_in(user)
    client.post("/login/kode/", {"token": "000000"})
    # Right after a wrong code even the right one waits (django-otp's throttle).
    client.post("/login/kode/", {"token": code_of(device)})
    assert client.get("/venues/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1


def test_admin_pages_need_the_second_factor_too(make_user: Any) -> None:
    user = make_user(Role.ISSUER, is_staff=True, is_superuser=True)
    client = sign_in(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login/faktor-kedua/" in response["Location"]


def test_the_demo_waiver_is_a_deploy_error(settings: Any) -> None:
    from jejak.accounts.checks import second_factor_not_waived

    assert second_factor_not_waived(None) == []
    settings.JEJAK_DEMO_SKIP_SECOND_FACTOR = True
    assert [m.id for m in second_factor_not_waived(None)] == ["jejak.accounts.E001"]


def test_reset_command_removes_the_factors(make_user: Any) -> None:
    from django.core.management import call_command

    user = make_user(Role.CITY_ADMIN)
    second_factor.confirm(TOTPDevice.objects.create(user=user, name="authenticator"))
    call_command("reset_second_factor", user.username)
    assert not second_factor.has_confirmed_device(user)
    assert AuditEvent.objects.filter(action="staff.second_factor_reset").exists()
