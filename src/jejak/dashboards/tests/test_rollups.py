"""The per-day rollups give the numbers a scan of the check-ins gives (conftest's world:
every day of 2021 is closed and settled)."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import asdict
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jejak.accounts.roles import Role
from jejak.checkins import periodic
from jejak.dashboards import rollups, tables, usage_counts
from jejak.dashboards.models import DailyVenueCount, RolledDay
from jejak.dashboards.tests.conftest import END, START, wib
from jejak.sectors.models import Sector
from jejak.venues import service as venue_service
from jejak.venues.models import Venue, venues_visible_to

# The period reaches past the fixture's first and last check-ins (10-31 and 11-08).
FIRST = dt.date(2021, 10, 30)
LAST = dt.date(2021, 11, 9)


def everything(
    scope: Any, start: dt.date = FIRST, end: dt.date = LAST, *, area: Any = None
) -> dict[str, Any]:
    """Every number usage_counts.py gives, as plain data."""
    uc = usage_counts
    return {
        "sector": [asdict(r) for r in uc.checkins_per_day(scope, start, end, area=area)],
        "venue": [asdict(r) for r in uc.checkins_per_day(scope, start, end, by="venue", area=area)],
        "decisions": [asdict(r) for r in uc.decisions(scope, start, end, area=area)],
        "refusals": [asdict(r) for r in uc.refusals_by_reason(scope, start, end, area=area)],
        "black": [asdict(r) for r in uc.black_alerts(scope, start, end)],
        "capacity": [asdict(r) for r in uc.capacity_refusals(scope, start, end, area=area)],
        "least": [asdict(r) for r in uc.least_compliant(scope, start, end, limit=None, area=area)],
    }


def test_rollups_give_the_live_numbers(world, city_scope):
    live = everything(city_scope)
    week = everything(city_scope, START, END)
    assert any(r["count"] for r in live["capacity"])  # the fixture has refusals to compare
    call_command("rollup_usage", "--to", "2021-11-09")
    # Every day from the first check-in's (10-31), all final (2021 is long over).
    assert RolledDay.objects.filter(final=False).count() == 0
    assert RolledDay.objects.order_by("day").first().day == dt.date(2021, 10, 31)
    assert DailyVenueCount.objects.filter(day=dt.date(2021, 11, 3)).count() == 2
    # The rows hold each denial reason list once, whatever the number of check-ins.
    assert set(
        DailyVenueCount.objects.filter(day=dt.date(2021, 11, 3)).values_list("reasons", "count")
    ) == {("capacity_full", 2), ("status_red,capacity_full", 1)}
    assert everything(city_scope) == live
    assert everything(city_scope, START, END) == week


def test_a_period_partly_rolled_up_gives_the_live_numbers(world, city_scope):
    live = everything(city_scope)
    call_command("rollup_usage", "--from", "2021-11-02", "--to", "2021-11-03")
    call_command("rollup_usage", "--from", "2021-11-05", "--to", "2021-11-05")
    assert sorted(RolledDay.objects.values_list("day", flat=True)) == [
        dt.date(2021, 11, 2),
        dt.date(2021, 11, 3),
        dt.date(2021, 11, 5),
    ]
    parts = rollups.Parts.of(FIRST, LAST)
    assert parts.rolled == [
        (dt.date(2021, 11, 2), dt.date(2021, 11, 3)),
        (dt.date(2021, 11, 5), dt.date(2021, 11, 5)),
    ]
    assert parts.live == [
        (FIRST, dt.date(2021, 11, 1)),
        (dt.date(2021, 11, 4), dt.date(2021, 11, 4)),
        (dt.date(2021, 11, 6), LAST),
    ]
    assert everything(city_scope) == live


def test_rollups_respect_the_scope(world, make_user):
    officer = make_user(
        Role.AGENCY_OFFICER, region=world.city, sectors=[Sector.objects.get(slug="hotel")]
    )
    scope = venues_visible_to(officer)
    live = everything(scope)
    call_command("rollup_usage", "--to", "2021-11-09")
    assert everything(scope) == live
    found = {(r["decision"], r["colour"]): r["count"] for r in live["decisions"] if r["count"]}
    assert found[("allowed", "hijau")] == 6  # H1: 10-31, 3 on 11-01, 11-08; H2: 11-05


def test_a_late_offline_scan_is_counted_after_the_day_is_rolled_again(world, city_scope):
    day = dt.date(2021, 11, 5)
    # The periodic step 10 minutes after the day ended: provisional, as offline scans of
    # the last 24 hours may still come.
    just_after = wib(11, 6, 0, 10)
    assert rollups.roll_pending(just_after) == {"days": 6, "checkins": 12}
    assert RolledDay.objects.get(day=day).final is False
    assert RolledDay.objects.get(day=dt.date(2021, 11, 3)).final is True
    assert rollups.pending(just_after) == []

    before = everything(city_scope)
    # An offline scan of 11-05 23:00 uploaded the next morning.
    late = world.check_in("H2", wib(11, 5, 23), decision="denied", reasons=["capacity_full"])
    late[0].received_at = wib(11, 6, 9)
    late[0].save(update_fields=["received_at"])
    assert everything(city_scope) == before  # read from the provisional rollup: not yet
    # Until 24 h 2 min (and the margin) after the day's end, nothing to do.
    assert rollups.pending(wib(11, 7, 0, 5)) == [dt.date(2021, 11, 6)]
    # Then the day is computed again, once, and final.
    settled = wib(11, 7, 0, 10)
    assert dt.date(2021, 11, 5) in rollups.pending(settled)
    rollups.roll_pending(settled)
    assert RolledDay.objects.get(day=day).final is True
    assert RolledDay.objects.get(day=day).checkins == 2
    rolled = everything(city_scope)
    assert rolled != before
    assert [r["short_code"] for r in rolled["capacity"]] == ["H1-CISADANE", "H2-BINTANG"]
    assert rollups.pending(settled) == []
    RolledDay.objects.all().delete()  # every day read from the check-ins
    assert everything(city_scope) == rolled


def test_today_is_never_read_from_a_rollup(world, city_scope):
    from django.utils import timezone

    today = timezone.localdate()
    RolledDay.objects.create(day=today, rolled_at=timezone.now())
    assert rollups.Parts.of(today, today).rolled == []


def test_the_usage_page_shows_the_same_numbers_with_rollups(world, client_for):
    client = client_for(Role.CITY_ADMIN, region=world.city)
    url = "/dasbor/penggunaan/?start=2021-11-01&end=2021-11-07"
    keys = [
        "day_rows",
        "venue_rows",
        "decision_rows",
        "refusals",
        "black_alerts",
        "capacity_refusals",
        "least_compliant",
        "refusal_total",
    ]

    def numbers() -> dict[str, Any]:
        response = client.get(url)
        assert response.status_code == 200
        return {k: repr(response.context[k]) for k in keys}

    def exports() -> dict[str, bytes]:
        return {
            name: client.get(
                f"/dasbor/ekspor/{name}/?start=2021-11-01&end=2021-11-07&format=csv"
            ).content
            for name in tables.TABLES
        }

    before, files = numbers(), exports()
    call_command("rollup_usage", "--to", "2021-11-09")
    assert RolledDay.objects.count() == 10  # 10-31 .. 11-09
    assert numbers() == before
    assert exports() == files


def test_the_usage_page_runs_as_many_queries_with_rollups(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(Role.CITY_ADMIN, region=world.city)
    call_command("rollup_usage", "--to", "2021-11-09")
    # The period is all rolled up: each count reads the rollups instead of the check-ins.
    with django_assert_max_num_queries(27):
        assert client.get("/dasbor/penggunaan/?start=2021-11-01&end=2021-11-07").status_code == 200


@pytest.mark.django_db
def test_the_periodic_step_is_registered():
    names = [step.name for step in periodic.steps()]
    assert "usage-rollups" in names


def test_run_periodic_rolls_up_closed_days(world, monkeypatch):
    # An hour after 11-08 ended (the fixture's last check-in's day).
    monkeypatch.setattr("django.utils.timezone.now", lambda: wib(11, 9, 1))
    plan = [s for s in periodic.steps() if s.name == "usage-rollups"]
    results = periodic.run_round(plan)
    assert results["usage-rollups"] == {"days": 9, "checkins": 13}
    assert periodic.run_round(plan) == {}  # not again within 10 minutes
    assert periodic.run_round(plan, force=True)["usage-rollups"] == {"days": 0, "checkins": 0}
    # 11-08 may still get offline scans until 11-10 00:07.
    assert list(RolledDay.objects.filter(final=False).values_list("day", flat=True)) == [
        dt.date(2021, 11, 8)
    ]


def test_the_command_rebuilds_and_checks_its_dates(world, capsys):
    call_command("rollup_usage", "--to", "2021-11-01")
    assert "2 day(s), 6 check-ins" in capsys.readouterr().out
    call_command("rollup_usage", "--to", "2021-11-01")
    assert "0 day(s)" in capsys.readouterr().out
    DailyVenueCount.objects.all().delete()
    call_command("rollup_usage", "--rebuild", "--from", "2021-11-01", "--to", "2021-11-01")
    assert "1 day(s), 5 check-ins" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not a date"):
        call_command("rollup_usage", "--from", "1 November")
    with pytest.raises(CommandError, match="--rebuild needs --from"):
        call_command("rollup_usage", "--rebuild")


def test_the_area_reads_its_own_rows_and_gives_the_same_numbers(world, city_scope):
    live = everything(city_scope)
    call_command("rollup_usage", "--to", "2021-11-09")
    # Each row carries its venue's region: O1's, in the other city, is left out by the
    # area before the scope is looked at.
    codes = dict(DailyVenueCount.objects.values_list("venue__short_code", "region_code"))
    assert codes["O1-SERPONG"] == world.venues["O1"].region.code
    assert codes["H1-CISADANE"] == world.venues["H1"].region.code
    parts = rollups.Parts.of(FIRST, LAST, area=world.city)
    assert "O1-SERPONG" not in set(
        parts.counts(Venue.objects.all()).values_list("venue__short_code", flat=True)
    )
    assert everything(city_scope, area=world.city) == live
    kec = world.venues["H1"].region
    in_kec = Venue.objects.filter(kec.subtree_q("region"))
    assert everything(in_kec, area=kec) == everything(in_kec)


def test_a_venue_that_moves_takes_its_rolled_up_days_along(world, city_scope, make_user):
    call_command("rollup_usage", "--to", "2021-11-09")
    o1 = world.venues["O1"]
    kec = world.venues["H1"].region
    officer = make_user(Role.CITY_ADMIN, region=world.city)
    o1.region = kec
    venue_service.update_venue(actor=officer, venue=o1, changed=["region"])
    assert set(DailyVenueCount.objects.filter(venue=o1).values_list("region_code", flat=True)) == {
        kec.code
    }
    # The city's numbers now count O1's check-in of 11-01, as the check-ins would.
    rolled = everything(city_scope, area=world.city)
    RolledDay.objects.all().delete()
    assert everything(city_scope) == rolled
    assert any(r["key"] == "O1-SERPONG" for r in rolled["venue"])


def test_a_save_that_cannot_move_the_venue_leaves_the_rollups(world, django_assert_num_queries):
    call_command("rollup_usage", "--to", "2021-11-09")
    o1 = world.venues["O1"]
    o1.name = "Hotel Serpong Baru"
    with django_assert_num_queries(1):  # the UPDATE of the venue alone
        o1.save(update_fields=["name"])


def test_the_migration_fills_the_rows_rolled_up_before_it(world):
    from django.apps import apps

    fill = importlib.import_module("jejak.dashboards.migrations.0003_region_code")
    call_command("rollup_usage", "--to", "2021-11-09")
    expected = dict(DailyVenueCount.objects.values_list("pk", "region_code"))
    DailyVenueCount.objects.update(region_code="")
    fill.fill_region_codes(apps, None)
    assert dict(DailyVenueCount.objects.values_list("pk", "region_code")) == expected
    assert "" not in expected.values()
