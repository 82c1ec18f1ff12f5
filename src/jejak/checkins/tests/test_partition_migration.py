"""Migrating an existing PostgreSQL database to check-ins partitioned by day (checkins
0010): every row is kept, with its id, in the partition of its day, the id sequence goes
on, and the way back gives the same rows in one table (docs/partitions.md).

In a database of this test's own, migrated with Django's MigrationExecutor: to the state
before, check-ins recorded over several days through the real pipeline, then forward."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import load_backend
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.checkins import checkout, partitions, record
from jejak.checkins.models import ACTIVE_Q, BlackStatusAlert, CheckIn, CheckInRequest
from jejak.checkins.tests.conftest import add_person, code_of, take_to_issued
from jejak.ppkm import service as ppkm
from jejak.qrcodes import keys
from jejak.regions.tests.factories import city_with_districts
from jejak.sectors.models import Sector
from jejak.venues.tests.factories import VenueFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="partitions exist on PostgreSQL only",
    ),
]

BEFORE = {"checkins": "0009_model_names", "tracing": "0009_run_resume"}


def _admin(settings: dict[str, Any], statement: str) -> None:
    """A statement outside any transaction (CREATE and DROP DATABASE), as the test's user."""
    info = psycopg.conninfo.make_conninfo(
        dbname="postgres",
        host=settings["HOST"] or "localhost",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
    )
    with psycopg.connect(info, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture
def scratch(db: None, django_db_blocker: Any) -> Iterator[Any]:
    """`default` pointed at an empty database of this test's own, dropped afterwards."""
    test_connection = connections["default"]
    settings = {**test_connection.settings_dict}
    settings["NAME"] = f"{settings['NAME']}_partition_migration"
    assert settings["NAME"].startswith("test_"), "never the real database"
    with django_db_blocker.unblock():
        _admin(settings, f'DROP DATABASE IF EXISTS "{settings["NAME"]}"')
        _admin(settings, f'CREATE DATABASE "{settings["NAME"]}"')
        other = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, "default")
        connections["default"] = other
        keys.invalidate_cache()
        try:
            yield other
        finally:
            other.close()
            connections["default"] = test_connection
            keys.invalidate_cache()
            ppkm.invalidate(shared=False)
            _admin(settings, f'DROP DATABASE IF EXISTS "{settings["NAME"]}"')


def migrate(connection: Any, *, before: bool) -> None:
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    targets = [(app, BEFORE[app] if before and app in BEFORE else name) for app, name in leaves]
    executor.migrate(targets)


def rows() -> list[tuple[Any, ...]]:
    return list(
        CheckIn.objects.order_by("pk").values_list(
            "pk", "public_id", "request_id", "person_id", "scanned_at", "checked_out_at"
        )
    )


def layout(connection: Any) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.conrelid = 'checkins_checkin'::regclass AND c.contype IN ('p', 'u')"
        )
        keys_ = dict(cursor.fetchall())
        cursor.execute(
            "SELECT x.indisunique FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE i.relname = 'checkin_one_active_per_person'"
        )
        (unique,) = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' "
            "AND confrelid = 'checkins_checkin'::regclass"
        )
        (keys_into,) = cursor.fetchone()
    return {"keys": keys_, "one_active_unique": unique, "keys_into": keys_into}


def test_an_existing_database_keeps_every_check_in(scratch, policy):
    migrate(scratch, before=True)
    assert not partitions.active()

    city = city_with_districts()
    hotel = take_to_issued(
        VenueFactory(region=city.children.first(), sector=Sector.objects.get(slug="hotel"))
    )
    now = timezone.now()

    # Five days of check-ins, one stay still open, a black status's alert, and one check-in
    # older than the retention period (it goes to the default partition).
    def scan(colour: str = "hijau", *, days: float = 0, hours: float = 0) -> None:
        account = UserFactory(role=Role.VISITOR)
        add_person(account, colour)
        record.record_checkins(
            account=account,
            qr=code_of(hotel),
            nonce=uuid.uuid4(),
            people=["self"],
            visitor_type="guest",
            now=now - dt.timedelta(days=days, hours=hours),
        )

    for days in (30, 4, 3, 2, 1):
        for hours in (0, 5):
            scan(days=days, hours=hours)
    checkout.auto_checkout()  # the stays of days ago are over
    scan("hitam")  # refused, with an alert
    scan()  # still inside
    before = rows()
    assert len(before) == 12 and CheckIn.objects.filter(ACTIVE_Q).count() == 1
    alerts = list(BlackStatusAlert.objects.values_list("pk", "checkin_id"))
    assert alerts
    requests = CheckInRequest.objects.count()
    assert layout(scratch)["keys"]["checkins_checkin_pkey"] == "PRIMARY KEY (id)"

    migrate(scratch, before=False)

    assert partitions.active()
    assert rows() == before
    assert list(BlackStatusAlert.objects.values_list("pk", "checkin_id")) == alerts
    assert CheckInRequest.objects.count() == requests
    shape = layout(scratch)
    assert shape == {
        "keys": {
            "checkins_checkin_pkey": "PRIMARY KEY (id, scanned_at)",
            "checkin_public_id": "UNIQUE (public_id, scanned_at)",
        },
        "one_active_unique": False,
        "keys_into": 0,
    }
    with scratch.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, COUNT(*) FROM checkins_checkin GROUP BY 1")
        where = dict(cursor.fetchall())
    assert where.pop(partitions.DEFAULT) == 2  # the two of 30 days ago
    assert sum(where.values()) == 10
    assert all(name.startswith("checkins_checkin_p") for name in where)
    # The id sequence goes on after the copied rows.
    later = UserFactory(role=Role.VISITOR)
    add_person(later)
    record.record_checkins(
        account=later, qr=code_of(hotel), nonce=uuid.uuid4(), people=["self"],
        visitor_type="guest",
    )  # fmt: skip
    assert CheckIn.objects.order_by("-pk").first().pk > before[-1][0]
    after = rows()

    # And back: one table again, the same rows, the unique indexes as they were.
    migrate(scratch, before=True)
    assert not partitions.active()
    assert rows() == after
    assert layout(scratch) == {
        "keys": {
            "checkins_checkin_pkey": "PRIMARY KEY (id)",
            "checkin_public_id": "UNIQUE (public_id)",
        },
        "one_active_unique": True,
        # The alerts' key and the case visits' (tracing 0010, undone too).
        "keys_into": 2,
    }
