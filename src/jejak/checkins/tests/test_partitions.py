"""Check-ins partitioned by day on PostgreSQL (docs/partitions.md): days created ahead,
a day past retention dropped whole with the rows a hold keeps copied aside, what points
at the others deleted, and SQLite's single table left as it was."""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jejak.checkins import partitions, record, retention
from jejak.checkins.models import (
    BlackStatusAlert,
    CheckIn,
    CheckInRequest,
    HeldCheckIn,
)
from jejak.checkins.tests.conftest import code_of

on_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="partitions exist on PostgreSQL only",
)

# A past fortnight the test database has no partition for: each test makes its own days
# (inside its transaction, rolled back with it).
T = dt.datetime(2024, 3, 10, 10, 0, tzinfo=partitions.DAY_ZONE)
# The days ensure(T) makes: from T's retention cutoff to the days ahead.
DAYS = 21 + 1 + partitions.AHEAD


def visit(account: Any, venue: Any, start: dt.datetime, *, open_stay: bool = False) -> CheckIn:
    """One admitted stay of the account's own person, an hour long (or still open)."""
    person = account.people.get(relation="self")
    request = CheckInRequest.objects.create(
        account=account, nonce=uuid.uuid4(), received_at=start, result={}
    )
    return CheckIn.objects.create(
        request=request,
        person=person,
        account=account,
        venue=venue,
        entry_point=venue.entry_points.first(),
        visitor_type="guest",
        decision="allowed",
        colour="hijau",
        rule_set="2021-09",
        scanned_at=start,
        received_at=start,
        checked_in_at=start,
        planned_checkout_at=start + dt.timedelta(hours=1),
        checked_out_at=None if open_stay else start + dt.timedelta(hours=1),
        checkout_method="" if open_stay else "explicit",
    )


def where(checkin: CheckIn) -> str:
    """The partition a check-in's row is in."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {partitions.TABLE} WHERE id = %s",  # noqa: S608
            [checkin.pk],
        )
        return str(cursor.fetchone()[0])


def test_the_held_table_has_the_columns_of_the_check_ins(db):
    # A migration that adds a column to CheckIn adds it to HeldCheckIn too: a day's rows
    # are copied column by column.
    def shape(table: str) -> dict[str, Any]:
        with connection.cursor() as cursor:
            described = connection.introspection.get_table_description(cursor, table)
        return {c.name: (c.type_code, c.null_ok) for c in described}

    held = sorted(str(f.column) for f in HeldCheckIn._meta.concrete_fields)
    assert sorted(partitions.columns()) == held
    if connection.vendor == "postgresql":
        # The same types too (on SQLite the held table is never used).
        assert shape(partitions.TABLE) == shape(partitions.HELD)


def test_keys_into_check_ins_have_no_database_constraint():
    # A key into a partitioned table must name the partition key; dropping a day runs
    # partitions.cascade instead.
    into = [rel.field for rel in partitions.relations()]
    assert {f.model._meta.label for f in into} >= {"checkins.BlackStatusAlert", "tracing.CaseVisit"}
    assert [f for f in into if f.db_constraint] == []


def test_sqlite_keeps_one_table(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert not partitions.active()
    out = io.StringIO()
    call_command("partitions", stdout=out)
    assert "not partitioned" in out.getvalue()


@on_postgres
def test_the_migrated_table_is_partitioned_by_day_from_the_cutoff_to_a_week_ahead(db):
    assert partitions.active()
    days = [d.day for d in partitions.existing()]
    today = partitions.day_of(dt.datetime.now(dt.UTC))
    assert days[-1] >= today + dt.timedelta(days=partitions.AHEAD - 1)
    assert days[0] <= today - dt.timedelta(days=20)
    assert days == [days[0] + dt.timedelta(days=k) for k in range(len(days))]


@on_postgres
def test_days_are_created_ahead_once(db):
    created = partitions.ensure(T)
    assert created == {"created": DAYS, "moved": 0}
    assert partitions.ensure(T) == {"created": 0, "moved": 0}
    mine = [d for d in partitions.existing() if d.day.year == 2024]
    assert mine[0].day == dt.date(2024, 2, 18)
    assert mine[-1].day == T.date() + dt.timedelta(days=partitions.AHEAD)
    # A Jakarta day: from local midnight (17:00 UTC the day before) to the next.
    assert mine[0].lo == dt.datetime(2024, 2, 17, 17, 0, tzinfo=dt.UTC)
    assert partitions.ensure(T, ahead=partitions.AHEAD + 2)["created"] == 2


@on_postgres
def test_a_new_day_takes_its_rows_from_the_default_partition(db, visitor, hotel):
    early = visit(visitor, hotel, T - dt.timedelta(days=3))
    assert where(early) == partitions.DEFAULT
    assert partitions.ensure(T)["moved"] == 1
    assert where(early) == "checkins_checkin_p20240307"
    early.refresh_from_db()  # the same row, the same id


@on_postgres
def test_a_day_past_retention_is_dropped_not_deleted(db, make_visitor, hotel, settings):
    settings.JEJAK_CHECKIN_RETENTION_DAYS = 21
    partitions.ensure(T)
    black = make_visitor()
    old = [visit(make_visitor(), hotel, T + dt.timedelta(hours=h)) for h in range(3)]
    alerted = visit(black, hotel, T + dt.timedelta(hours=4))
    BlackStatusAlert.objects.create(venue=hotel, checkin=alerted, created_at=T)
    young = visit(make_visitor(), hotel, T + dt.timedelta(days=1))

    # 21 days and 20 hours later: T's day is over for 21 days, the next one is not.
    later = T + dt.timedelta(days=21, hours=20)
    with CaptureQueriesContext(connection) as queries:
        done = retention.purge_expired_checkins(now=later)

    # T's day, and the (empty) days before it that ensure() made.
    assert done == {"checkins": 4, "requests": 4, "days": 22}
    sql = [q["sql"] for q in queries.captured_queries]
    assert any(s.startswith('DROP TABLE "checkins_checkin_p20240310"') for s in sql)
    assert not any(s.startswith('DELETE FROM "checkins_checkin"') for s in sql)
    assert not CheckIn.objects.filter(pk__in=[c.pk for c in [*old, alerted]]).exists()
    assert not BlackStatusAlert.objects.exists()
    assert CheckIn.objects.filter(pk=young.pk).exists()
    assert dt.date(2024, 3, 10) not in [d.day for d in partitions.existing()]
    assert HeldCheckIn.objects.count() == 0


@on_postgres
def test_rows_a_hold_keeps_move_to_the_held_table_until_released(
    db, make_visitor, hotel, monkeypatch
):
    partitions.ensure(T)
    kept = visit(make_visitor(), hotel, T)
    BlackStatusAlert.objects.create(venue=hotel, checkin=kept, created_at=T)
    gone = visit(make_visitor(), hotel, T + dt.timedelta(hours=1))
    holding = [kept.pk]

    def hold(cutoff: dt.datetime, *, rows: Any = CheckIn) -> Any:
        return rows.objects.filter(pk__in=holding).values("pk")

    monkeypatch.setattr(retention, "KEEP_PREDICATES", [hold])
    later = T + dt.timedelta(days=30)
    done = retention.purge_expired_checkins(now=later)
    assert done == {"checkins": 1, "requests": 2, "days": DAYS, "held": 1}
    assert not CheckIn.objects.filter(pk__in=[kept.pk, gone.pk]).exists()
    held = HeldCheckIn.objects.get()
    assert (held.pk, held.public_id, held.person_id) == (kept.pk, kept.public_id, kept.person_id)
    assert held.scanned_at == kept.scanned_at and held.policy == kept.policy
    # Its alert stays with it (it points at the same id).
    assert BlackStatusAlert.objects.filter(checkin_id=kept.pk).exists()

    # Still held: nothing happens; released: it goes, with what pointed at it.
    assert retention.purge_expired_checkins(now=later) == {"checkins": 0, "requests": 0}
    holding.clear()
    assert retention.purge_expired_checkins(now=later) == {
        "checkins": 0,
        "requests": 0,
        "released": 1,
    }
    assert not HeldCheckIn.objects.exists()
    assert not BlackStatusAlert.objects.exists()


@on_postgres
def test_a_day_with_a_stay_still_open_waits(db, visitor, hotel):
    partitions.ensure(T)
    open_stay = visit(visitor, hotel, T, open_stay=True)
    done = retention.purge_expired_checkins(now=T + dt.timedelta(days=30))
    assert done["waiting"] == 1 and done["days"] == DAYS - 1
    assert CheckIn.objects.filter(pk=open_stay.pk).exists()
    assert [d.day for d in partitions.existing() if d.day.year == 2024] == [T.date()]


@on_postgres
def test_rows_outside_every_day_go_row_by_row(db, make_visitor, hotel, monkeypatch):
    # Older than the oldest day: in the default partition, deleted as on SQLite.
    partitions.ensure(T)
    old = visit(make_visitor(), hotel, T - dt.timedelta(days=40))
    kept = visit(make_visitor(), hotel, T - dt.timedelta(days=40))
    assert where(old) == where(kept) == partitions.DEFAULT
    monkeypatch.setattr(
        retention,
        "KEEP_PREDICATES",
        [lambda cutoff, **_: CheckIn.objects.filter(pk=kept.pk).values("pk")],
    )
    assert retention.purge_expired_checkins(now=T) == {"checkins": 1, "requests": 1}
    assert list(CheckIn.objects.values_list("pk", flat=True)) == [kept.pk]
    assert retention.purge_expired_checkins(now=T, dry_run=True) == {"checkins": 0, "requests": 0}


@on_postgres
def test_a_dry_run_counts_the_days_that_would_go(db, make_visitor, hotel):
    partitions.ensure(T)
    for hours in (0, 1):
        visit(make_visitor(), hotel, T + dt.timedelta(hours=hours))
    later = T + dt.timedelta(days=30)
    assert retention.purge_expired_checkins(now=later, dry_run=True) == {
        "checkins": 2,
        "requests": 2,
    }
    assert CheckIn.objects.count() == 2


@on_postgres
def test_the_command_lists_creates_and_drops(db, make_visitor, hotel, monkeypatch):
    partitions.ensure(T)
    visit(make_visitor(), hotel, T)
    out = io.StringIO()
    call_command("partitions", "--list", "--count", stdout=out)
    lines = out.getvalue().splitlines()
    assert "checkins_checkin_p20240310 2024-03-10 rows=1" in [
        " ".join(line.split()[:3]) for line in lines
    ]
    assert any(line.startswith("checkins_checkin_default - rows=") for line in lines)
    assert any(line.startswith("checkins_checkin_held - rows=0") for line in lines)

    out = io.StringIO()
    call_command("partitions", "--ahead", str(partitions.AHEAD + 1), stdout=out)
    assert out.getvalue().startswith("created=1 moved=0")

    # Days past retention before the date given; none younger, whatever the date.
    out = io.StringIO()
    call_command("partitions", "--drop-before", "2024-03-11", stdout=out)
    assert out.getvalue().strip() == "checkins=1 days=22"
    assert all(d.day >= dt.date(2024, 3, 11) for d in partitions.existing())
    assert len(partitions.existing()) > 20


def test_a_retried_nonce_after_midnight_answers_the_stored_result(db, visitor, hotel, policy):
    # An offline scan at 23:59, sent at 23:59:30, its answer lost, sent again after
    # midnight: the request is found whatever the day (requests are not partitioned).
    midnight = dt.datetime.combine(
        partitions.day_of(dt.datetime.now(dt.UTC)), dt.time(0), tzinfo=partitions.DAY_ZONE
    )
    scanned, nonce = midnight - dt.timedelta(minutes=1), uuid.uuid4()

    def send(now: dt.datetime) -> Any:
        return record.record_checkins(
            account=visitor,
            qr=code_of(hotel),
            nonce=nonce,
            people=["self"],
            visitor_type="guest",
            scanned_at=scanned,
            now=now,
        )

    first = send(midnight - dt.timedelta(seconds=30))
    again = send(midnight + dt.timedelta(minutes=5))
    assert again.replayed and again.data == first.data
    assert CheckInRequest.objects.filter(nonce=nonce).count() == 1
    (row,) = CheckIn.objects.filter(request__nonce=nonce)
    if partitions.active():
        # The check-in is in the day of its scan.
        assert where(row) == partitions.Day(partitions.day_of(scanned)).name


@on_postgres
def test_a_second_runner_leaves_the_days_to_the_first(db, make_visitor, hotel, monkeypatch):
    partitions.ensure(T)
    visit(make_visitor(), hotel, T)
    # Another `jejak run-periodic` holds the maintenance lock (an advisory lock: this
    # test's transaction already holds it since ensure(), so a second connection of the
    # test would wait for it, not be refused).
    monkeypatch.setattr(partitions, "_one_maintainer", lambda cursor, **_: False)
    done = retention.purge_expired_checkins(now=T + dt.timedelta(days=30))
    assert done["busy"] == DAYS and "days" not in done
    assert partitions.create(partitions.Day(dt.date(2024, 4, 1))) is None
    assert CheckIn.objects.count() == 1


@on_postgres
def test_a_day_a_stopped_drop_left_detached_goes_at_the_next_run(
    db, make_visitor, hotel, monkeypatch
):
    partitions.ensure(T)
    kept, *gone = [visit(make_visitor(), hotel, T + dt.timedelta(hours=h)) for h in range(3)]
    monkeypatch.setattr(
        retention,
        "KEEP_PREDICATES",
        [lambda cutoff, *, rows=CheckIn: rows.objects.filter(pk=kept.pk).values("pk")],
    )

    # The first step (hold, cascade, detach) done, the process stopped before the second.
    def stopped(day: partitions.Day, **_: Any) -> None:
        raise ConnectionError("the runner died")

    real = partitions.discard
    monkeypatch.setattr(partitions, "discard", stopped)
    keep = [hold(T) for hold in retention.KEEP_PREDICATES]
    with pytest.raises(ConnectionError):
        partitions.drop(partitions.Day(T.date()), keep)
    monkeypatch.setattr(partitions, "discard", real)
    assert [d.day for d in partitions.detached()] == [T.date()]
    assert T.date() not in [d.day for d in partitions.existing()]
    assert not CheckIn.objects.filter(pk__in=[c.pk for c in gone]).exists()
    assert HeldCheckIn.objects.filter(pk=kept.pk).exists()

    # The next run drops it, counting the rows it had that were not held.
    done = retention.purge_expired_checkins(now=T + dt.timedelta(days=30))
    assert done == {"checkins": 2, "requests": 3, "days": DAYS}
    assert partitions.detached() == []
    assert HeldCheckIn.objects.filter(pk=kept.pk).exists()


@on_postgres
def test_a_detached_day_not_past_retention_is_left_alone(db):
    day = partitions.Day(T.date())
    partitions.create(day)
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{partitions.TABLE}" DETACH PARTITION "{day.name}"')
    assert partitions.sweep(day.hi - dt.timedelta(seconds=1)) == (0, 0)
    assert partitions.detached() == [day]
    out = io.StringIO()
    call_command("partitions", "--list", stdout=out)
    (line,) = [line for line in out.getvalue().splitlines() if line.endswith("drops it)")]
    assert line.startswith(f"{day.name} 2024-03-10 rows=0 bytes=")
    assert line.endswith(" detached (the next retention run drops it)")
    assert partitions.sweep(day.hi) == (1, 0)
    assert partitions.detached() == []


@pytest.mark.postgres
@on_postgres
def test_check_ins_do_not_wait_while_a_dropped_day_is_removed(
    reference_data, make_visitor, hotel, monkeypatch
):
    # Committed for real (a transactional test): the check-in table is locked from the
    # DETACH to the first commit only, not while the day's files go.
    day = partitions.Day(T.date())
    partitions.create(day)
    try:
        visit(make_visitor(), hotel, T)
        seen: list[Any] = []
        real = partitions.discard

        def read_beside() -> None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '1s'")
                    cursor.execute(f'SELECT COUNT(*) FROM "{partitions.TABLE}"')  # noqa: S608
                    seen.append(cursor.fetchone()[0])
            except Exception as exc:  # a lock timeout: reported below
                seen.append(exc)
            finally:
                connection.close()

        def discard(d: partitions.Day, **kwargs: Any) -> int | None:
            reader = threading.Thread(target=read_beside)
            reader.start()
            reader.join()
            return real(d, **kwargs)

        monkeypatch.setattr(partitions, "discard", discard)
        dropped = partitions.drop(day, [])
        assert seen == [0]
        assert (dropped.checkins, dropped.held) == (1, 0) and 0 < dropped.locked < 1
        assert partitions.detached() == [] and day not in partitions.existing()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE IF EXISTS "{day.name}"')


def test_the_partitions_on_metrics(db, settings):
    from jejak.core import metrics
    from jejak.core.tests.metrics_tools import TOKEN, scrape

    settings.JEJAK_METRICS_TOKEN, settings.JEJAK_METRICS_NETWORKS = TOKEN, []

    def scraped() -> Any:
        metrics._sources["checkin_partitions"].expires = 0.0
        return scrape()

    if not partitions.active():
        assert "jejak_checkin_partitions" not in scraped().names()
        return
    today = partitions.day_of(dt.datetime.now(dt.UTC))
    first = scraped()
    assert first.value("jejak_checkin_partitions") == len(partitions.existing())
    assert first.value("jejak_checkin_partition_days_ahead") >= partitions.AHEAD
    assert first.value("jejak_checkin_partitions_detached") == 0

    # An old day, then that day detached by a drop that stopped half-way.
    day = partitions.Day(T.date())
    partitions.create(day)
    assert scraped().value("jejak_checkin_partition_oldest_age_days") == (today - T.date()).days
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{partitions.TABLE}" DETACH PARTITION "{day.name}"')
    then = scraped()
    assert then.value("jejak_checkin_partitions_detached") == 1
    assert then.value("jejak_checkin_partitions") == first.value("jejak_checkin_partitions")
