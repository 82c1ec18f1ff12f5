"""From shared visits to ranked contacts: minutes, thresholds and risk scores.

No database access here except `load_weights` and `weights_for`; the rules are plain
functions of the overlap search's rows and a tracing profile (profiles.py), so the
boundaries are easy to test.

Threshold over several venues: each venue type has its own minimum (15 minutes by
default). A visit counts for the fraction `minutes / that type's minimum`, and a person
is a close contact when the fractions add up to at least 1 within some 24 hours
(`within`, JEJAK_TRACE_THRESHOLD_HOURS). With the same minimum everywhere this is simply
"at least 15 minutes within 24 hours"; 10 minutes at a restaurant whose minimum is
15 (2/3) plus 10 at a terminal whose minimum is 30 (1/3) make a contact as well. Exact
fractions of the exact overlaps (microseconds, summed before anything is rounded), so
14:59.9 is not 15:00; the score is rounded down to a tenth, so it never reads 15.0 for
less than 15 weighted minutes.

Infectiousness: with a profile whose weights differ by day (relative to the case's onset,
or specimen date, in Asia/Jakarta), each interval is cut at local midnight and each
microsecond counts times its day's weight, in the threshold and in the score alike (as
Corona-Warn-App weights presence-tracing exposure by the case's transmission risk that
day). A profile whose threshold rule is "any" makes every contact with weighted time
above zero close.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from jejak.sectors.models import Sector
from jejak.tracing import memo
from jejak.tracing.models import (
    DEFAULT_CLUSTER_PERIOD_DAYS,
    DEFAULT_MIN_CONTACT_MINUTES,
    DEFAULT_WEIGHT,
    VenueTypeWeight,
)
from jejak.tracing.overlap import SharedVisit, from_micros

if TYPE_CHECKING:
    from jejak.tracing.profiles import Profile

JAKARTA = ZoneInfo("Asia/Jakarta")
ONE = Decimal(1)


@dataclass(frozen=True)
class VenueType:
    weight: Decimal = DEFAULT_WEIGHT
    min_contact_minutes: int = DEFAULT_MIN_CONTACT_MINUTES
    cluster_period_days: int = DEFAULT_CLUSTER_PERIOD_DAYS


DEFAULT_TYPE = VenueType()


@dataclass(frozen=True)
class Weights:
    """Venue types by sector id; a sub-category falls back to its top-level sector."""

    by_sector: dict[int, VenueType]
    parents: dict[int, int | None]
    default: VenueType = DEFAULT_TYPE

    def of(self, sector_id: int) -> VenueType:
        seen: set[int] = set()
        current: int | None = sector_id
        while current is not None and current not in seen:
            if current in self.by_sector:
                return self.by_sector[current]
            seen.add(current)
            current = self.parents.get(current)
        return self.default


def _parents() -> dict[int, int | None]:
    return dict(memo.table("parents", lambda: dict(Sector.objects.values_list("id", "parent_id"))))


def load_weights() -> Weights:
    """The sector table's rows (VenueTypeWeight): the cluster periods read them."""
    return cast(
        Weights,
        memo.table(
            "weights",
            lambda: Weights(
                by_sector={
                    w.sector_id: VenueType(w.weight, w.min_contact_minutes, w.cluster_period_days)
                    for w in VenueTypeWeight.objects.all()
                },
                parents=_parents(),
            ),
        ),
    )


def weights_for(profile: Profile) -> Weights:
    """The profile's sector weights and minimums by sector id; a sector it does not list
    (nor its parent) weighs 1.0 with the threshold's minutes."""
    by_slug = memo.table("slugs", lambda: dict(Sector.objects.values_list("slug", "id")))
    return Weights(
        by_sector={
            by_slug[slug]: VenueType(rule.weight, rule.min_contact_minutes)
            for slug, rule in profile.sectors.items()
            if slug in by_slug
        },
        parents=_parents(),
        default=VenueType(ONE, profile.threshold.minutes),
    )


@dataclass(frozen=True)
class Infectiousness:
    """How infectious the case was on each local day relative to `reference` (the onset,
    or the specimen date): the weight of a minute shared that day."""

    reference: dt.date
    by_day: dict[int, Decimal]
    otherwise: Decimal = ONE

    @property
    def flat(self) -> bool:
        return all(w == self.otherwise for w in self.by_day.values())

    def day_of(self, moment: dt.datetime) -> int:
        return (moment.astimezone(JAKARTA).date() - self.reference).days

    def on(self, day: int) -> Decimal:
        return self.by_day.get(day, self.otherwise)


FLAT = None  # rank(infectiousness=None): every day weighs 1


@dataclass(frozen=True)
class ExposureInterval:
    """A contact's merged time with the case at one venue."""

    venue_id: int
    sector_id: int
    start: dt.datetime
    end: dt.datetime
    employee: bool
    weight: Decimal
    min_contact_minutes: int
    infectiousness: Decimal = ONE
    day: int | None = None  # relative to onset, when the profile weighs days

    @property
    def microseconds(self) -> int:
        """The exact overlap: every threshold and score is computed from this."""
        return _micros(self.end - self.start)

    @property
    def seconds(self) -> int:
        """Whole seconds, for display only."""
        return self.microseconds // 1_000_000


@dataclass
class RankedContact:
    person_id: int
    intervals: list[ExposureInterval] = field(default_factory=list)
    # The threshold counts the time within any span this long (24 h: WHO's and CDC's
    # "cumulative 15 minutes within 24 hours"); None sums the whole window.
    within: dt.timedelta | None = None
    any_contact: bool = False  # the profile's threshold rule "any"
    # The last exposure computed and the intervals it was computed from: ranking, storing
    # and counting each ask for it, and with many intervals it is the costliest property.
    _exposure: tuple[tuple[ExposureInterval, ...], Fraction] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def microseconds(self) -> int:
        return sum(i.microseconds for i in self.intervals)

    @property
    def seconds(self) -> int:
        """The whole seconds of the exact total (not a sum of per-interval floors)."""
        return self.microseconds // 1_000_000

    @property
    def exposure(self) -> Fraction:
        """The sum of each interval's share of its venue type's minimum within the best
        span of `within` (all of it when None); 1 or more is close."""
        key = tuple(self.intervals)
        if self._exposure is not None and self._exposure[0] == key:
            return self._exposure[1]
        if self.within is None:
            found = _shares(self.intervals, None, None)
        else:
            # The best span starts where an interval starts or ends where one ends.
            within = self.within
            starts = {i.start for i in self.intervals} | {i.end - within for i in self.intervals}
            found = max(_shares(self.intervals, lo, lo + within) for lo in starts)
        self._exposure = (key, found)
        return found

    @property
    def is_close(self) -> bool:
        if self.any_contact:
            return any(i.microseconds > 0 and i.infectiousness > 0 for i in self.intervals)
        return self.exposure >= 1

    @property
    def score(self) -> Decimal:
        total = sum(
            (
                Decimal(i.microseconds) / 60_000_000 * i.weight * i.infectiousness
                for i in self.intervals
            ),
            Decimal(0),
        )
        return total.quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    @property
    def is_employee(self) -> bool:
        return any(i.employee for i in self.intervals)

    @property
    def last_exposure_at(self) -> dt.datetime:
        return max(i.end for i in self.intervals)


def _shares(
    intervals: Iterable[ExposureInterval], lo: dt.datetime | None, hi: dt.datetime | None
) -> Fraction:
    total = Fraction(0)
    for i in intervals:
        start = i.start if lo is None else max(i.start, lo)
        end = i.end if hi is None else min(i.end, hi)
        if end > start:
            share = Fraction(_micros(end - start), i.min_contact_minutes * 60_000_000)
            total += share * Fraction(i.infectiousness)
    return total


def rank(
    shared: Iterable[SharedVisit],
    weights: Weights,
    *,
    within: dt.timedelta | None = None,
    infectiousness: Infectiousness | None = FLAT,
    any_contact: bool = False,
) -> list[RankedContact]:
    """Group shared visits by contact, merge overlapping time at one venue (a contact who
    stayed through two of the case's visits there is not counted twice), weigh each day
    by the case's infectiousness, score and rank: close contacts first, then by score,
    then by minutes."""
    daily = infectiousness is not None and not infectiousness.flat
    by_key: dict[tuple[int, int], list[SharedVisit]] = defaultdict(list)
    for s in shared:
        by_key[(s.contact_person_id, s.venue_id)].append(s)
    contacts: dict[int, RankedContact] = {}
    for (person_id, venue_id), visits in by_key.items():
        venue_type = weights.of(visits[0].sector_id)
        contact = contacts.setdefault(
            person_id, RankedContact(person_id, within=within, any_contact=any_contact)
        )
        for merged_start, merged_end, employee in _merge(visits):
            pieces = _days(merged_start, merged_end) if daily else [(merged_start, merged_end)]
            for start, end in pieces:
                day = infectiousness.day_of(start) if infectiousness is not None else None
                contact.intervals.append(
                    ExposureInterval(
                        venue_id=venue_id,
                        sector_id=visits[0].sector_id,
                        start=start,
                        end=end,
                        employee=employee,
                        weight=venue_type.weight,
                        min_contact_minutes=venue_type.min_contact_minutes,
                        infectiousness=(
                            infectiousness.on(day)
                            if infectiousness is not None and day is not None
                            else ONE
                        ),
                        day=day if daily else None,
                    )
                )
    ranked = list(contacts.values())
    for contact in ranked:
        contact.intervals.sort(key=lambda i: (i.start, i.venue_id))
    ranked.sort(key=lambda c: (not c.is_close, -c.score, -c.seconds, c.person_id))
    return ranked


def _merge(visits: Sequence[SharedVisit]) -> list[tuple[dt.datetime, dt.datetime, bool]]:
    """The visits' overlaps merged where they meet, on the integer microseconds they
    come in (cheaper to sort and compare than datetimes); datetimes once merged."""
    merged: list[list[Any]] = []
    for s in sorted(visits, key=attrgetter("start_us")):
        employee = s.contact_visitor_type == "employee"
        if merged and s.start_us <= merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], s.end_us)
            last[2] = last[2] or employee
        else:
            merged.append([s.start_us, s.end_us, employee])
    return [(from_micros(start), from_micros(end), employee) for start, end, employee in merged]


def _days(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut at each local midnight between them."""
    pieces = []
    while True:
        local = start.astimezone(JAKARTA)
        midnight = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=JAKARTA
        ).astimezone(dt.UTC)
        if midnight >= end:
            pieces.append((start, end))
            return pieces
        pieces.append((start, midnight))
        start = midnight


def _micros(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def duration(microseconds: int) -> str:
    """ "14:59" (minutes:seconds, both whole, rounded down): what officers read."""
    seconds = microseconds // 1_000_000
    return f"{seconds // 60}:{seconds % 60:02d}"
