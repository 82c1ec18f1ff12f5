"""Each dashboard number against the hand-counted world of conftest.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from jejak.accounts.roles import Role
from jejak.checkins.errors import DenialReason
from jejak.dashboards import metrics, usage_counts
from jejak.dashboards.tests.conftest import END, START, wib
from jejak.sectors.models import Sector
from jejak.venues.models import venues_visible_to

D = dt.date


def counts(row):
    return {k: v for k, v in asdict(row.counts).items() if v}


def test_rollout_by_sector_counts_codes_per_entrance(world, city_scope):
    rows = {r.key: counts(r) for r in metrics.rollout_by_sector(city_scope)}
    assert len(rows) == 12  # every sector of the article, zeros kept
    assert rows["hotel"] == {"requested": 3, "issued": 3, "installed": 2}
    assert rows["sekolah"] == {"requested": 3, "pending": 3}  # the SD rolls up to Sekolah
    assert rows["pusat-perbelanjaan"] == {"requested": 1, "rejected": 1}
    assert rows["puskesmas"] == {"requested": 1, "issued": 1, "installed": 1}
    assert rows["terminal"] == {}
    total = metrics.rollout_total(metrics.rollout_by_sector(city_scope))
    assert asdict(total) == {
        "requested": 8,
        "pending": 3,
        "rejected": 1,
        "issued": 4,
        "installed": 3,
        "suspended": 0,
        "revoked": 0,
    }


def test_rollout_by_kecamatan(world, city_scope):
    rows = metrics.rollout_by_kecamatan(city_scope)
    assert [(r.key, r.name) for r in rows] == [
        ("36.71.01", "Tangerang"),
        ("36.71.02", "Karawaci"),
    ]
    assert counts(rows[0]) == {"requested": 5, "pending": 3, "issued": 2, "installed": 2}
    assert counts(rows[1]) == {"requested": 3, "rejected": 1, "issued": 2, "installed": 1}


def test_rollout_trend_replays_the_history(world, city_scope):
    points = metrics.rollout_trend(city_scope, D(2021, 10, 31), END)
    assert [p.day for p in points] == metrics.days_between(D(2021, 10, 31), END)
    by_day = {p.day: {k: v for k, v in asdict(p.counts).items() if v} for p in points}
    before = {"requested": 4, "pending": 1, "issued": 3, "installed": 3}
    assert by_day[D(2021, 10, 31)] == before
    assert by_day[D(2021, 11, 1)] == before
    assert by_day[D(2021, 11, 2)] == {**before, "requested": 7, "pending": 4}
    assert by_day[D(2021, 11, 3)] == {**before, "requested": 7, "pending": 3, "rejected": 1}
    after = {"requested": 8, "pending": 3, "rejected": 1, "issued": 4, "installed": 3}
    for day in metrics.days_between(D(2021, 11, 4), END):
        assert by_day[day] == after


def test_rollout_trend_before_anything_is_zero(world, city_scope):
    points = metrics.rollout_trend(city_scope, D(2021, 10, 1), D(2021, 10, 2))
    assert [asdict(p.counts) for p in points] == [asdict(metrics.Counts())] * 2


def test_checkins_per_day_by_sector(world, city_scope):
    rows = [
        (r.day, r.key, r.total, r.admitted, r.denied)
        for r in usage_counts.checkins_per_day(city_scope, START, END)
    ]
    assert rows == [
        (D(2021, 11, 1), "hotel", 3, 3, 0),
        (D(2021, 11, 1), "puskesmas", 1, 1, 0),
        # 06:00 WIB on the 2nd is still the 1st in UTC: counted on the Jakarta day.
        (D(2021, 11, 2), "hotel", 2, 1, 1),
        (D(2021, 11, 3), "hotel", 3, 0, 3),
        (D(2021, 11, 5), "hotel", 1, 1, 0),
    ]


def test_checkins_per_day_by_venue(world, city_scope):
    rows = [
        (r.day, r.key, r.total)
        for r in usage_counts.checkins_per_day(city_scope, START, END, by="venue")
    ]
    assert rows == [
        (D(2021, 11, 1), "H1-CISADANE", 3),
        (D(2021, 11, 1), "K1-PKM", 1),
        (D(2021, 11, 2), "H1-CISADANE", 2),
        (D(2021, 11, 3), "H1-CISADANE", 3),
        (D(2021, 11, 5), "H2-BINTANG", 1),
    ]


def test_decisions_by_outcome_and_colour(world, city_scope):
    found = {
        (r.decision, r.colour): r.count
        for r in usage_counts.decisions(city_scope, START, END)
        if r.count
    }
    assert found == {
        ("allowed", "hijau"): 5,
        ("allowed_after_staff_check", "kuning"): 1,
        ("denied", "hitam"): 1,
        ("denied", "hijau"): 2,
        ("denied", "merah"): 1,
    }
    assert len(usage_counts.decisions(city_scope, START, END)) == 3 * 4


def test_refusals_by_reason(world, city_scope):
    rows = usage_counts.refusals_by_reason(city_scope, START, END)
    assert [(r.reason, r.count) for r in rows if r.count] == [
        ("capacity_full", 3),
        ("status_black", 1),
        ("status_red", 1),
    ]
    assert len(rows) == len(DenialReason)  # every reason listed


def test_black_alerts(world, city_scope):
    (row,) = usage_counts.black_alerts(city_scope, START, END)
    assert (row.short_code, row.sector, row.count, row.days, row.open) == (
        "H1-CISADANE",
        "Hotel",
        1,
        1,
        1,
    )
    assert usage_counts.black_alerts(city_scope, D(2021, 11, 3), END) == []


def test_capacity_refusals(world, city_scope):
    (row,) = usage_counts.capacity_refusals(city_scope, START, END)
    assert (row.short_code, row.count, row.days) == ("H1-CISADANE", 3, 1)
    assert row.last_at == wib(11, 3, 13)


def test_least_compliant_ranks_scans_per_entrance_per_day(world, city_scope):
    rows = usage_counts.least_compliant(city_scope, START, END)
    assert [
        (
            r.short_code,
            r.entrances,
            r.issued_on,
            r.days,
            r.checkins,
            r.per_day,
            r.per_entrance_per_day,
        )
        for r in rows
    ] == [
        ("K1-PKM", 1, D(2021, 10, 22), 7, 1, 0.14, 0.14),
        # Issued on the 4th: judged on 4 days, not 7.
        ("H2-BINTANG", 1, D(2021, 11, 4), 4, 1, 0.25, 0.25),
        ("H1-CISADANE", 2, D(2021, 10, 22), 7, 8, 1.14, 0.57),
    ]
    assert [
        r.short_code for r in usage_counts.least_compliant(city_scope, START, END, limit=1)
    ] == ["K1-PKM"]


def test_least_compliant_skips_venues_issued_after_the_period(world, city_scope):
    rows = usage_counts.least_compliant(city_scope, D(2021, 10, 1), D(2021, 10, 31))
    assert [r.short_code for r in rows] == ["K1-PKM", "H1-CISADANE"]


def test_venue_points(world, city_scope):
    points = {p.short_code: p for p in metrics.venue_points(city_scope, START, END)}
    assert set(points) == {"H1-CISADANE", "H2-BINTANG", "S1-SDN", "M1-MALL", "R1-BARU", "K1-PKM"}
    assert (points["H1-CISADANE"].latitude, points["H1-CISADANE"].checkins) == (-6.178, 8)
    assert points["S1-SDN"].latitude is None
    assert points["S1-SDN"].sector == "sekolah"


def test_agency_officer_scope_sees_only_its_sectors(world, make_user):
    officer = make_user(
        Role.AGENCY_OFFICER, region=world.city, sectors=[Sector.objects.get(slug="hotel")]
    )
    scope = venues_visible_to(officer)
    found = {
        (r.decision, r.colour): r.count
        for r in usage_counts.decisions(scope, START, END)
        if r.count
    }
    assert found[("allowed", "hijau")] == 4  # the puskesmas' check-in is not theirs
    assert [r.key for r in metrics.rollout_by_kecamatan(scope)] == ["36.71.01", "36.71.02"]
    assert {r.short_code for r in usage_counts.least_compliant(scope, START, END)} == {
        "H1-CISADANE",
        "H2-BINTANG",
    }
