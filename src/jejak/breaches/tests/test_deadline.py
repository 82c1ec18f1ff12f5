import datetime as dt

import pytest
from django.utils import timezone

from jejak.breaches import service
from jejak.breaches.deadlines import deadline_of
from jejak.breaches.models import Breach
from jejak.breaches.tests.factories import breach

pytestmark = pytest.mark.django_db


def _row(html: str, text: str) -> str:
    """The table row of the page that holds `text`."""
    return next(row for row in html.split("<tr") if text in row)


def test_the_deadline_is_72_hours_after_discovery():
    found = timezone.now() - dt.timedelta(hours=10)
    b = breach(discovered_at=found)
    assert b.deadline == found + dt.timedelta(hours=72)
    d = deadline_of(b, now=found + dt.timedelta(hours=10))
    assert d.due == found + dt.timedelta(hours=72)
    assert d.remaining == dt.timedelta(hours=62)
    assert not d.overdue
    assert d.label == "sisa 62 jam 0 menit"


def test_past_the_deadline_with_a_duty_undone_is_overdue():
    b = breach(discovered_at=timezone.now() - dt.timedelta(hours=75, minutes=30))
    d = deadline_of(b)
    assert d.overdue and d.subjects_late and d.authority_late
    assert d.label.startswith("lewat 3 jam 3")

    service.mark_reported(actor=None, breach=b)
    b.refresh_from_db()
    d = deadline_of(b)
    # Reported late; the people are still not told: still overdue.
    assert d.authority_late and d.overdue


def test_duties_done_in_time_are_not_late_nor_overdue_afterwards():
    found = timezone.now() - dt.timedelta(hours=80)
    b = breach(discovered_at=found)
    Breach.objects.filter(pk=b.pk).update(
        notified_subjects_at=found + dt.timedelta(hours=20),
        reported_to_authority_at=found + dt.timedelta(hours=30),
    )
    b.refresh_from_db()
    d = deadline_of(b)
    assert not d.overdue and not d.subjects_late and not d.authority_late


def test_a_closed_breach_is_not_overdue():
    b = breach(discovered_at=timezone.now() - dt.timedelta(days=5))
    service.close_breach(actor=None, breach=b)
    b.refresh_from_db()
    assert not deadline_of(b).overdue


def test_the_list_flags_overdue_breaches_and_counts_down_the_others(client_for):
    late = breach(title="Bocor lama", discovered_at=timezone.now() - dt.timedelta(hours=80))
    fresh = breach(title="Bocor baru", discovered_at=timezone.now() - dt.timedelta(hours=2))
    page = client_for("issuer").get("/pelindungan-data/insiden/")
    assert page.status_code == 200
    html = page.content.decode()
    rows = {b.title: _row(html, b.title) for b in (late, fresh)}
    assert "Lewat tenggat" in rows["Bocor lama"] and "lewat 8 jam" in rows["Bocor lama"]
    assert "Lewat tenggat" not in rows["Bocor baru"] and "sisa 69 jam" in rows["Bocor baru"]
    assert "Lewat tenggat: 1 insiden." in html
