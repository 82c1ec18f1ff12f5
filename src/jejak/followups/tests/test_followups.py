"""Agency follow-ups: which venues lag, sector scoping, recording, overdue lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.followups import service
from jejak.followups.errors import FollowUpError
from jejak.followups.models import FollowUp, FollowUpKind
from jejak.followups.tests.factories import add_checkins, venue_at
from jejak.sectors.models import Sector
from jejak.venues.access import VenueNotFound, access_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotel_sector():
    return Sector.objects.get(slug="hotel")


@pytest.fixture
def school_sector():
    return Sector.objects.filter(slug__startswith="sekolah").order_by("pk").first()


@pytest.fixture
def kec(city):
    return city.children.order_by("code").first()


@pytest.fixture
def tourism_officer(make_user, city, hotel_sector):
    return make_user(Role.AGENCY_OFFICER, region=city, sectors=[hotel_sector])


@pytest.fixture
def venues(kec, other_city, hotel_sector, school_sector):
    """Hotels at each stage, one busy hotel, a school and a hotel in another city."""
    now = timezone.now()
    made = {
        "H-REG": venue_at("registered", short_code="H-REG", region=kec, sector=hotel_sector),
        "H-REJ": venue_at("rejected", short_code="H-REJ", region=kec, sector=hotel_sector),
        "H-REQ": venue_at("requested", short_code="H-REQ", region=kec, sector=hotel_sector),
        "H-ISS": venue_at("issued", short_code="H-ISS", region=kec, sector=hotel_sector),
        "H-IDLE": venue_at("installed", short_code="H-IDLE", region=kec, sector=hotel_sector),
        "H-BUSY": venue_at("installed", short_code="H-BUSY", region=kec, sector=hotel_sector),
        "S-REG": venue_at("registered", short_code="S-REG", region=kec, sector=school_sector),
        "O-REG": venue_at(
            "registered",
            short_code="O-REG",
            region=other_city.children.first(),
            sector=hotel_sector,
        ),
    }
    add_checkins(made["H-IDLE"], now - dt.timedelta(days=1), n=3)
    # Busy, but most of it too long ago to count.
    add_checkins(made["H-BUSY"], now - dt.timedelta(days=2), n=service.LOW_USAGE_MIN_CHECKINS)
    add_checkins(made["H-IDLE"], now - dt.timedelta(days=30), n=20)
    return made


def codes(rows):
    return {r.venue.short_code: r.lag for r in rows}


def test_lagging_venues_by_kind_for_the_agency_officer(tourism_officer, venues):
    rows = service.lagging_venues(user=tourism_officer)
    assert codes(rows) == {
        "H-REG": "not_requested",
        "H-REJ": "not_requested",
        "H-REQ": "not_installed",
        "H-ISS": "not_installed",
        "H-IDLE": "low_usage",
    }
    idle = next(r for r in rows if r.venue.short_code == "H-IDLE")
    assert idle.checkins == 3


def test_agency_officer_sees_only_its_sectors_in_its_city(make_user, city, school_sector, venues):
    education = make_user(Role.AGENCY_OFFICER, region=city, sectors=[school_sector])
    assert set(codes(service.lagging_venues(user=education))) == {"S-REG"}
    with pytest.raises(VenueNotFound) as refused:
        access_venue(education, "H-REG")
    assert refused.value.code == "venue_not_found"


def test_city_admin_sees_every_sector_of_the_city(city_admin, venues):
    assert set(codes(service.lagging_venues(user=city_admin))) == {
        "H-REG",
        "H-REJ",
        "H-REQ",
        "H-ISS",
        "H-IDLE",
        "S-REG",
    }


def test_filter_by_kind_and_window(tourism_officer, venues):
    assert set(codes(service.lagging_venues(user=tourism_officer, lag="low_usage"))) == {"H-IDLE"}
    # Over 60 days the idle hotel had 23 check-ins: no longer lagging.
    assert "H-IDLE" not in codes(service.lagging_venues(user=tourism_officer, days=60))


def test_record_followup_is_audited(tourism_officer, venues):
    venue = access_venue(tourism_officer, "h-reg")
    deadline = timezone.localdate() + dt.timedelta(days=7)
    followup = service.do_record_followup(
        actor=tourism_officer,
        venue=venue,
        kind=FollowUpKind.LETTER_SENT,
        notes="Surat edaran dikirim",
        deadline=deadline,
    )
    assert (followup.venue, followup.officer, followup.deadline) == (
        venue,
        tourism_officer,
        deadline,
    )
    event = AuditEvent.objects.get(action="followups.recorded")
    assert event.object_id == str(followup.pk) and event.detail == {"venue": "H-REG"}
    [row] = [r for r in service.lagging_venues(user=tourism_officer) if r.venue == venue]
    assert row.open_followups == 1


def test_refusals(tourism_officer, city_admin, venues):
    venue = venues["H-REG"]
    with pytest.raises(FollowUpError) as past:
        service.do_record_followup(
            actor=tourism_officer,
            venue=venue,
            kind="visit",
            deadline=timezone.localdate() - dt.timedelta(days=1),
        )
    assert past.value.code == "deadline_in_past"
    with pytest.raises(FollowUpError) as bad_kind:
        service.do_record_followup(actor=tourism_officer, venue=venue, kind="telepathy")
    assert bad_kind.value.code == "invalid_kind"
    with pytest.raises(FollowUpError) as no_outcome:
        service.do_record_followup(actor=tourism_officer, venue=venue, kind="visit", done=True)
    assert no_outcome.value.code == "outcome_required"
    # The city admin watches; recording is the agency's job.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.do_record_followup(actor=city_admin, venue=venue, kind="visit")


def _followup(venue, officer, deadline, **kwargs):
    return FollowUp.objects.create(
        venue=venue, officer=officer, kind="contacted", deadline=deadline, **kwargs
    )


def test_overdue_means_deadline_day_over_and_not_done(
    tourism_officer, city_admin, make_user, city, school_sector, venues
):
    today = timezone.localdate()
    late = _followup(venues["H-REG"], tourism_officer, today - dt.timedelta(days=1))
    _followup(venues["H-REQ"], tourism_officer, today)  # due today: not late yet
    _followup(venues["H-ISS"], tourism_officer, None)  # no deadline: never late
    _followup(
        venues["H-IDLE"], tourism_officer, today - dt.timedelta(days=3), done=True, outcome="ok"
    )
    school_late = _followup(venues["S-REG"], None, today - dt.timedelta(days=2))
    _followup(venues["O-REG"], None, today - dt.timedelta(days=2))  # another city

    assert list(service.overdue_followups(user=tourism_officer)) == [late]
    assert list(service.overdue_followups(user=city_admin)) == [school_late, late]
    education = make_user(Role.AGENCY_OFFICER, region=city, sectors=[school_sector])
    assert list(service.overdue_followups(user=education)) == [school_late]
    assert late.is_overdue() and not late.is_overdue(today - dt.timedelta(days=1))


def test_update_marks_done_and_leaves_the_overdue_list(tourism_officer, venues):
    today = timezone.localdate()
    late = _followup(venues["H-REG"], tourism_officer, today - dt.timedelta(days=1))
    with pytest.raises(FollowUpError):
        service.do_update_followup(actor=tourism_officer, followup=late, done=True)
    service.do_update_followup(
        actor=tourism_officer, followup=late, outcome="Sudah mengajukan", done=True
    )
    late.refresh_from_db()
    assert late.done and late.done_at is not None
    assert not service.overdue_followups(user=tourism_officer).exists()
    # Reopening with a new deadline; a past deadline that is unchanged is accepted.
    service.do_update_followup(actor=tourism_officer, followup=late, done=False)
    assert list(service.overdue_followups(user=tourism_officer)) == [late]
