"""Cluster alerts: N cases at one venue within the period of its venue type."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from jejak.notifications import outbox
from jejak.tracing import cases, clusters
from jejak.tracing.models import ClusterAlert
from jejak.tracing.tests.conftest import at, stay

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_at(person):
    """case_at(venue, day): a new case whose one stay, on `day` after T0, was at `venue`."""

    def make(venue, day: float):
        visitor = person(f"Kasus {day}")
        stay(visitor, venue, at(days=day), at(days=day, hours=1))
        moment = at(days=day, hours=2)
        return cases.open_case(
            person=visitor, actor=None, specimen_date=moment.date(),
            isolation_started_at=moment, now=moment + dt.timedelta(hours=1),
        )  # fmt: skip

    return make


def test_three_cases_within_the_period_raise_one_alert(case_at, hotel, officer, other_officer):
    first, second = case_at(hotel, 0), case_at(hotel, 3)
    assert not ClusterAlert.objects.exists()

    third = case_at(hotel, 6)  # the hotel's period is 7 days

    [alert] = ClusterAlert.objects.all()
    assert alert.venue == hotel
    assert set(alert.cases.all()) == {first, second, third}
    assert (alert.period_start, alert.period_end) == (at(0), at(days=6))
    [message] = outbox.messages_for(clusters.cluster_ref(alert))
    assert (message.to_user, message.channel) == (officer, "inapp")
    assert "Hotel Cisadane" in message.body and "3" in message.body


def test_cases_further_apart_than_the_period_are_no_cluster(case_at, hotel, make_venue):
    case_at(hotel, 0)
    case_at(hotel, 4)
    case_at(hotel, 8)  # 0 and 8 are 8 days apart; 4 and 8 only two cases
    assert not ClusterAlert.objects.exists()
    restaurant = make_venue("rumah-makan", name="RM Sederhana")  # period: 3 days
    case_at(restaurant, 0)
    case_at(restaurant, 2)
    case_at(restaurant, 3)
    assert not ClusterAlert.objects.exists()


def test_the_number_of_cases_is_a_setting(case_at, hotel, settings):
    settings.JEJAK_CLUSTER_CASES = 2
    case_at(hotel, 0)
    case_at(hotel, 1)
    assert ClusterAlert.objects.count() == 1


def test_a_later_case_joins_the_raised_alert(case_at, hotel, officer):
    for day in (0, 1, 2):
        case_at(hotel, day)
    fourth = case_at(hotel, 3)

    [alert] = ClusterAlert.objects.all()
    assert alert.cases.count() == 4 and fourth in alert.cases.all()
    # The officers were told once.
    assert outbox.messages_for(clusters.cluster_ref(alert)).count() == 1


def test_the_cluster_page_shows_the_venues_cases_in_the_region_only(
    case_at, hotel, officer_client, other_client
):
    for day in (0, 1, 2):
        case_at(hotel, day)
    alert = ClusterAlert.objects.get()

    page = officer_client.get(f"/pelacakan/klaster/{alert.pk}/")
    listing = officer_client.get("/pelacakan/klaster/")

    assert page.status_code == 200 and "Hotel Cisadane" in page.content.decode()
    assert page.content.decode().count("/pelacakan/kasus/") == 3
    assert "Hotel Cisadane" in listing.content.decode()
    assert other_client.get(f"/pelacakan/klaster/{alert.pk}/").status_code == 404
    assert other_client.get("/api/v1/tracing/clusters").json() == []
    assert [a["id"] for a in officer_client.get("/api/v1/tracing/clusters").json()] == [alert.pk]

    officer_client.post(f"/pelacakan/klaster/{alert.pk}/")
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None


def test_anonymous_users_cannot_see_clusters(case_at, hotel):
    for day in (0, 1, 2):
        case_at(hotel, day)
    alert = ClusterAlert.objects.get()
    assert Client().get(f"/pelacakan/klaster/{alert.pk}/").status_code == 302
