"""Real concurrent connections on PostgreSQL: capacity and nonces hold under races."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from jejak.checkins import alerts, record
from jejak.checkins.models import CheckIn, CheckInRequest, VenueOccupancy
from jejak.checkins.tests.conftest import code_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs DATABASE_URL pointing at PostgreSQL",
    ),
]


@pytest.fixture(autouse=True)
def _reference_data(reference_data: None) -> None:
    """Every test here is transactional: the reference data back first."""


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread and database connection, released together."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as exc:  # reported by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_fifty_simultaneous_check_ins_for_the_last_ten_places_admit_ten(
    make_venue, make_visitor, policy
):
    venue = make_venue(capacity=10)
    qr = code_of(venue)
    visitors = [make_visitor() for _ in range(50)]

    def attempt(account: Any) -> Callable[[], Any]:
        return lambda: record.record_checkins(
            account=account, qr=qr, nonce=uuid.uuid4(), people=["self"], visitor_type="guest"
        ).data["people"][0]["decision"]

    decisions = race([attempt(v) for v in visitors])
    assert sorted(decisions, key=str) == ["allowed"] * 10 + ["denied"] * 40, decisions
    assert VenueOccupancy.objects.get(venue=venue).inside == 10
    assert CheckIn.objects.filter(decision="allowed").count() == 10
    assert CheckIn.objects.filter(reasons=["capacity_full"]).count() == 40


def test_racing_retries_with_one_nonce_store_one_row_set(hotel, visitor, policy):
    qr, nonce = code_of(hotel), uuid.uuid4()

    def retry() -> Any:
        return record.record_checkins(
            account=visitor, qr=qr, nonce=nonce, people=["self"], visitor_type="guest"
        ).data

    results = race([retry for _ in range(8)])
    assert all(r == results[0] for r in results), results
    assert results[0]["people"][0]["action"] == "check_in"
    assert CheckInRequest.objects.count() == 1
    assert CheckIn.objects.count() == 1
    assert VenueOccupancy.objects.get(venue=hotel).inside == 1


def test_racing_sweeps_and_tasks_notify_each_black_alert_once(
    make_visitor, make_user, hotel, policy
):
    from jejak.accounts.roles import Role
    from jejak.audit.models import AuditEvent
    from jejak.checkins.models import BlackStatusAlert
    from jejak.notifications.models import Message

    make_user(Role.VENUE_STAFF, venues=[hotel])
    for _ in range(12):
        record.record_checkins(
            account=make_visitor("hitam"),
            qr=code_of(hotel),
            nonce=uuid.uuid4(),
            people=["self"],
            visitor_type="guest",
        )
    ids = list(BlackStatusAlert.objects.values_list("pk", flat=True))

    def sweep() -> int:
        return alerts.notify_unnotified_alerts(older_than=0)["alerts"]

    def task() -> int:
        return alerts.notify_black_status.call(alert_ids=ids)

    results = race([sweep, sweep, sweep, task, task, task])
    assert not [r for r in results if isinstance(r, Exception)], results
    # The sweeps count alerts, the tasks recipients: one staff member per alert.
    assert sum(results) == 12, results
    assert not BlackStatusAlert.objects.filter(notified_at__isnull=True).exists()
    assert Message.objects.count() == 12
    assert AuditEvent.objects.filter(action="checkins.black_status_alert_sent").count() == 12


def test_racing_check_ins_of_one_person_leave_one_stay_open(make_venue, visitor, policy):
    # On PostgreSQL no unique index backs this any more (a partitioned table's unique
    # index must hold the day, docs/partitions.md): the lock on the person's rows does.
    from jejak.checkins.models import ACTIVE_Q

    # A venue each: never a rescan (which checks out), so the last one stays open.
    venues = [make_venue() for _ in range(6)]

    def scan(venue: Any) -> Callable[[], Any]:
        return lambda: record.record_checkins(
            account=visitor, qr=code_of(venue), nonce=uuid.uuid4(), people=["self"],
            visitor_type="guest",
        ).data["people"][0]["action"]  # fmt: skip

    results = race([scan(venue) for venue in venues])
    assert results == ["check_in"] * len(venues), results
    assert CheckIn.objects.filter(ACTIVE_Q).count() == 1
    inside = VenueOccupancy.objects.filter(venue__in=venues).values_list("inside", flat=True)
    assert sum(inside) == 1
