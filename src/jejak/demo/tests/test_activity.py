"""The demo looks alive: venues where their kecamatan is, two weeks of check-ins that
retention keeps, shaped by the PPKM rules, and tracing cases with contacts, so that the
dashboards, the map and the tracing pages show real numbers on the first look."""

import datetime as dt
import heapq
from collections import Counter, defaultdict
from itertools import pairwise

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone

from jejak.accounts.models import User
from jejak.checkins.models import ACTIVE_Q, BlackStatusAlert, CheckIn, VenueOccupancy
from jejak.demo.activity import DEMO_DAYS, demo_days
from jejak.demo.places import KECAMATAN, distance_km
from jejak.ppkm.service import policy_for
from jejak.tracing.models import Case, CaseStatus, Contact, ExposureSite
from jejak.venues.models import Venue, VenueStatus, VenueTransition

# Kota Tangerang, with a margin: about 106.55-106.77 E, 6.11-6.26 S.
CITY_BOX = ((-6.27, -6.10), (106.54, 106.78))
# A kecamatan of Kota Tangerang spans two to five kilometres: a venue lies within this
# of its kecamatan's centre.
KECAMATAN_REACH_KM = 2.5


def test_demo_days_stay_inside_retention():
    assert demo_days(21) == DEMO_DAYS == 14
    assert demo_days(10) == 8  # two days fewer than kept: the first is not purged at once
    assert demo_days(2) == 1


def test_every_venue_stands_inside_its_kecamatan(db_with_demo):
    venues = list(Venue.objects.select_related("region"))
    assert len(venues) == 331
    for v in venues:
        assert v.latitude is not None and v.longitude is not None, v.short_code
        lat, lon = float(v.latitude), float(v.longitude)
        (south, north), (west, east) = CITY_BOX
        assert south < lat < north and west < lon < east, v.short_code
        own = KECAMATAN[v.region.code]
        assert distance_km(lat, lon, own.latitude, own.longitude) < KECAMATAN_REACH_KM
        # Nearer its own kecamatan's centre than any other's.
        nearest = min(
            KECAMATAN.values(), key=lambda k: distance_km(lat, lon, k.latitude, k.longitude)
        )
        assert nearest.code == v.region.code, v.short_code
    # The catalogue's surveyed points are kept; the others are spread, not stacked.
    assert (float(Venue.objects.get(short_code="PUSPEM-TNG").latitude)) == -6.1783
    assert len({(v.latitude, v.longitude) for v in venues}) == len(venues)


def test_checkins_span_the_days_retention_keeps(db_with_demo):
    now = timezone.now()
    tz = timezone.get_default_timezone()
    span = CheckIn.objects.aggregate(first=Min("scanned_at"), last=Max("scanned_at"))
    assert span["last"] <= now
    # None older than retention less a day: the periodic purge finds nothing to delete.
    keep = settings.JEJAK_CHECKIN_RETENTION_DAYS
    assert span["first"] > now - dt.timedelta(days=keep - 1)
    days = {
        timezone.localtime(at, tz).date()
        for at in CheckIn.objects.values_list("scanned_at", flat=True)
    }
    assert len(days) >= DEMO_DAYS - 1
    assert CheckIn.objects.count() > 10_000
    # Made by the demo's residents, on their own accounts.
    assert CheckIn.objects.values("person").distinct().count() > 1000
    assert not CheckIn.objects.filter(account__username__startswith="v-demo").exists()


def test_checkins_are_shaped_like_service(db_with_demo):
    decisions = Counter(CheckIn.objects.values_list("decision", flat=True))
    total = sum(decisions.values())
    assert decisions["allowed"] / total > 0.6
    assert decisions["allowed_after_staff_check"] > 0  # yellow, checked by staff
    assert 0 < decisions["denied"] / total < 0.05
    reasons = Counter(
        r
        for rs in CheckIn.objects.filter(decision="denied").values_list("reasons", flat=True)
        for r in rs
    )
    assert reasons["status_red"] > 0 and reasons["outside_hours"] > 0
    # Offices are a weekday place, parks a weekend one.
    tz = timezone.get_default_timezone()

    def weekend_share(sector: str) -> float:
        at = CheckIn.objects.filter(venue__sector__slug=sector).values_list("scanned_at", flat=True)
        days = [timezone.localtime(a, tz).weekday() >= 5 for a in at]
        return sum(days) / len(days)

    assert weekend_share("kantor-pemerintahan") < 0.05 < 0.3 < weekend_share("tempat-wisata")
    # Most stays are closed by the visitor; a third by the automatic check-out or the
    # next check-in elsewhere.
    methods = Counter(CheckIn.objects.values_list("checkout_method", flat=True))
    assert methods["explicit"] > methods["automatic"] > 0 and methods["elsewhere"] > 0
    # Every decision names the rule set and the PPKM level that made it.
    assert not CheckIn.objects.filter(rule_set="").exists()
    assert set(CheckIn.objects.values_list("policy__level", flat=True).distinct()) == {1}


def test_nobody_is_in_two_places_and_capacity_holds(db_with_demo):
    stays = defaultdict(list)
    for person, start, out, planned in CheckIn.objects.filter(
        checked_in_at__isnull=False
    ).values_list("person", "checked_in_at", "checked_out_at", "planned_checkout_at"):
        stays[person].append((start, out or planned))
    for person, spans in stays.items():
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            assert end <= start, person
    # The busiest small venue: at no moment more inside than its PPKM capacity.
    for venue in Venue.objects.filter(short_code__in=["RM-001", "TOKO-001", "MALL-TCITY"]):
        capacity = policy_for(venue=venue, at=timezone.now()).capacity_for(venue.capacity)
        inside: list[dt.datetime] = []
        rows = CheckIn.objects.filter(venue=venue, checked_in_at__isnull=False).order_by(
            "checked_in_at"
        )
        for start, out, planned in rows.values_list(
            "checked_in_at", "checked_out_at", "planned_checkout_at"
        ):
            while inside and inside[0] <= start:
                heapq.heappop(inside)
            heapq.heappush(inside, out or planned)
            assert len(inside) <= capacity, venue.short_code


def test_the_live_counters_match_who_is_inside(db_with_demo):
    active = dict(
        CheckIn.objects.filter(ACTIVE_Q).values_list("venue").annotate(n=Count("id")).order_by()
    )
    assert sum(active.values()) > 0  # someone is inside somewhere now
    counters = dict(VenueOccupancy.objects.values_list("venue", "inside"))
    assert {v: n for v, n in counters.items() if n} == active


def test_the_rollout_happened_before_the_checkins(db_with_demo):
    first_scan = CheckIn.objects.aggregate(first=Min("scanned_at"))["first"]
    in_service = Venue.objects.filter(status__in=(VenueStatus.ISSUED, VenueStatus.INSTALLED))
    issued = VenueTransition.objects.filter(venue__in=in_service, to_status=VenueStatus.ISSUED)
    assert issued.aggregate(last=Max("at"))["last"] < first_scan
    # Each venue's steps in the order the workflow took them.
    for venue in Venue.objects.prefetch_related("transitions")[:50]:
        steps = sorted(venue.transitions.all(), key=lambda t: t.at)
        assert [t.to_status for t in steps][-1:] in ([], [venue.status])


def test_tracing_cases_with_contacts(db_with_demo):
    cases = Case.objects.exclude(person__account__username__startswith="v-demo")
    assert {c.status for c in cases} == {CaseStatus.NOTIFIED, CaseStatus.CONTACTS_IDENTIFIED}
    for case in cases:
        assert Contact.objects.filter(case=case).exists()
    notified = cases.get(status=CaseStatus.NOTIFIED)
    assert Contact.objects.filter(case=notified, designated_at__isnull=False).exists()
    assert ExposureSite.objects.filter(case=notified, published_at__isnull=False).exists()
    # The case and a close contact tried to enter somewhere anyway: refused as black,
    # and the venue's staff and health officers were alerted (in the past: notified).
    alerts = BlackStatusAlert.objects.all()
    assert alerts.count() >= 1 and not alerts.filter(notified_at__isnull=True).exists()


def test_dashboards_show_real_numbers(db_with_demo, client):
    client.force_login(User.objects.get(username="kominfo"))
    for table in ("checkins-sector", "decisions", "refusals", "least-compliant"):
        rows = client.get(f"/api/v1/dashboards/{table}").json()["rows"]
        assert rows, table
    per_sector = client.get("/api/v1/dashboards/checkins-sector").json()["rows"]
    assert sum(r["total"] for r in per_sector) > 10_000
    ranking = client.get("/api/v1/dashboards/least-compliant").json()["rows"]
    # Judged on the days since the codes were issued, which is before the check-ins.
    assert all(r["days"] >= DEMO_DAYS for r in ranking)
    per_venue_day = client.get("/api/v1/dashboards/checkins-venue").json()["rows"]
    assert max(r["total"] for r in per_venue_day) > 100  # the mall on a weekend
    points = client.get("/api/v1/dashboards/map").json()
    assert len(points["venues"]) == 331 and points["without_coordinates"] == []
    assert {v["kecamatan_name"] for v in points["venues"]} >= {"Cipondoh", "Benda", "Larangan"}
    assert sum(v["checkins"] for v in points["venues"]) > 10_000
    assert "Tempat tanpa koordinat" in client.get("/dasbor/peta/").content.decode()
