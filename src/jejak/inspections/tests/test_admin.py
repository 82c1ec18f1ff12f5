"""The national issuer manages follow-ups, inspections and closures in Django admin; a
closure saved there reaches the check-in path at once."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.inspections.closures import closure_at
from jejak.inspections.models import Closure

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user):
    c = Client()
    c.force_login(make_user(Role.ISSUER, is_staff=True))
    return c


@pytest.mark.parametrize(
    "path",
    [
        "/admin/followups/followup/",
        "/admin/inspections/inspection/",
        "/admin/inspections/closure/",
        "/admin/inspections/closure/add/",
    ],
)
def test_admin_pages_open(admin_client, path):
    assert admin_client.get(path).status_code == 200


def test_closure_added_in_admin_blocks_at_once(admin_client, hotel):
    now = timezone.localtime()
    assert closure_at(hotel.pk, now) is None
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    response = admin_client.post(
        "/admin/inspections/closure/add/",
        {
            "venue": hotel.pk,
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "ends_at_0": end.strftime("%Y-%m-%d"),
            "ends_at_1": end.strftime("%H:%M:%S"),
            "reason": "Perintah wali kota",
            "created_at_0": now.strftime("%Y-%m-%d"),
            "created_at_1": now.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert closure_at(hotel.pk, now) == Closure.objects.get()
