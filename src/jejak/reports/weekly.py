"""The weekly report for a city: what the communications office sends to the mayor and
the sector agencies. One `build_weekly` gathers the numbers (through the dashboards'
metrics, so the report and the pages never disagree), `render_pdf` and `render_xlsx`
print them.

The week is an ISO week of Asia/Jakarta days, Monday to Sunday. The scope is what the
reader may see: everything for the CLI and the issuer, a region for a city admin, and
for an agency officer the venues of its sectors only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jejak.accounts.jurisdiction import is_national
from jejak.dashboards import metrics, usage_counts
from jejak.followups.models import FollowUp
from jejak.inspections.models import (
    ChecklistResult,
    Closure,
    Inspection,
    InspectionStatus,
    Sanction,
)
from jejak.regions.models import Region
from jejak.reports.errors import ReportError, ReportErrorCode
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueQuerySet, venues_visible_to

if TYPE_CHECKING:
    from jejak.accounts.models import User

WEEK_RE = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)
LEAST_COMPLIANT_ROWS = 20


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def start(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def end(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 7)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @classmethod
    def of(cls, day: dt.date) -> Week:
        year, number, _weekday = day.isocalendar()
        return cls(year, number)


def parse_week(text: str, *, today: dt.date | None = None) -> Week:
    """ "2021-W44" (or "2021W44") as a Week; bad_week or a week not begun yet refused."""
    match = WEEK_RE.match((text or "").strip())
    if not match:
        raise ReportError(ReportErrorCode.BAD_WEEK)
    week = Week(int(match.group(1)), int(match.group(2)))
    try:
        start = week.start
    except ValueError:
        raise ReportError(ReportErrorCode.BAD_WEEK) from None
    if start > (today or timezone.localdate()):
        raise ReportError(ReportErrorCode.FUTURE_WEEK)
    return week


@dataclass
class UsageRow:
    key: str
    name: str
    total: int = 0
    admitted: int = 0
    denied: int = 0


@dataclass
class InspectionRow:
    visited_at: dt.datetime | None
    venue: str
    venue_name: str
    sector: str
    failed: list[str]
    sanction: str
    sanction_label: str
    occupancy: str


@dataclass
class ClosureRow:
    venue: str
    venue_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    lifted_at: dt.datetime | None


@dataclass
class FollowUpRow:
    venue: str
    venue_name: str
    sector: str
    kind: str
    deadline: dt.date | None
    overdue: bool
    officer: str


@dataclass
class WeeklyReport:
    week: Week
    scope_label: str
    generated_at: dt.datetime
    rollout: list[metrics.Row]
    rollout_total: metrics.Counts
    usage_by_sector: list[UsageRow]
    usage_by_day: list[UsageRow]
    usage_total: UsageRow
    refusals: list[usage_counts.ReasonCount]
    black_alerts: int
    least_compliant: list[usage_counts.Compliance]
    inspections: list[InspectionRow]
    inspections_planned: int
    sanctions: dict[str, int]
    closures: list[ClosureRow]
    open_followups: list[FollowUpRow]
    notes: list[str] = field(default_factory=list)

    @property
    def overdue_followups(self) -> int:
        return sum(1 for f in self.open_followups if f.overdue)


def _scope(
    user: User | None, region: Region | None, language: str
) -> tuple[VenueQuerySet, Region | None, list[Sector] | None, str]:
    """The venues of the report, the region holding them all (None: everywhere), the
    sectors its rows list (None: every one) and its heading."""
    venues: VenueQuerySet = Venue.objects.all() if user is None else venues_visible_to(user)
    if region is None and user is not None and not is_national(user):
        region = getattr(user, "region", None)
    if region is not None:
        venues = venues.filter(region.subtree_q("region"))
    label = f"{region.name} ({region.code})" if region is not None else _("Seluruh wilayah")
    sectors: list[Sector] | None = None
    if user is not None and not is_national(user) and user.sectors.exists():
        # An agency officer's report lists only its own sectors' rows.
        own = list(user.sectors.select_related("parent"))
        sectors = sorted({s.root for s in own}, key=lambda s: (s.position, s.slug))
        label += " · " + ", ".join(s.name(language) for s in sectors)
    return venues, region, sectors, label


def build_weekly(
    *, week: Week, user: User | None = None, region: Region | None = None, language: str = "id"
) -> WeeklyReport:
    """Every number of the weekly report for `week`, within what `user` may see (all
    when None, e.g. the CLI), narrowed to `region` if given."""
    scope, area, sectors, label = _scope(user, region, language)
    start, end = week.start, week.end
    since, until = metrics.day_bounds(start, end)

    rollout = metrics.rollout_by_sector(scope, sectors=sectors, language=language)
    per_day = usage_counts.checkins_per_day(
        scope, start, end, by="sector", language=language, area=area
    )
    by_sector: dict[str, UsageRow] = {}
    by_day = {d: UsageRow(d.isoformat(), d.isoformat()) for d in metrics.days_between(start, end)}
    total = UsageRow("total", _("Jumlah"))
    for row in per_day:
        for target in (
            by_sector.setdefault(row.key, UsageRow(row.key, row.name)),
            by_day[row.day],
            total,
        ):
            target.total += row.total
            target.admitted += row.admitted
            target.denied += row.denied

    refusals = [r for r in usage_counts.refusals_by_reason(scope, start, end, area=area) if r.count]
    alerts = sum(r.count for r in usage_counts.black_alerts(scope, start, end, language=language))
    least = usage_counts.least_compliant(
        scope, start, end, limit=LEAST_COMPLIANT_ROWS, language=language, area=area
    )

    scope_ids = scope.values("pk")
    visits = (
        Inspection.objects.filter(
            venue__in=scope_ids,
            status=InspectionStatus.DONE,
            visited_at__gte=since,
            visited_at__lt=until,
        )
        .select_related("venue", "venue__sector__parent")
        .prefetch_related("checks")
        .order_by("visited_at", "pk")
    )
    inspections = [
        InspectionRow(
            visited_at=i.visited_at,
            venue=i.venue.short_code,
            venue_name=i.venue.name,
            sector=i.venue.sector.root.name(language),
            failed=[
                str(c.get_item_display())
                for c in i.checks.all()
                if c.result == ChecklistResult.FAIL
            ],
            sanction=i.sanction,
            sanction_label=str(i.get_sanction_display()),
            occupancy=(
                f"{i.occupancy_inside}/{i.occupancy_capacity}"
                if i.occupancy_inside is not None
                else ""
            ),
        )
        for i in visits
    ]
    sanctions = {str(s.label): 0 for s in Sanction}
    for visit in inspections:
        sanctions[visit.sanction_label] += 1
    planned = Inspection.objects.filter(
        venue__in=scope_ids, planned_for__gte=start, planned_for__lte=end
    ).aggregate(n=Count("id"))["n"]
    closures = [
        ClosureRow(c.venue.short_code, c.venue.name, c.starts_at, c.ends_at, c.lifted_at)
        for c in Closure.objects.filter(venue__in=scope_ids, starts_at__lt=until, ends_at__gt=since)
        .exclude(lifted_at__lte=since)
        .select_related("venue")
        .order_by("starts_at", "pk")
    ]
    # Open at the end of the week (or now, for the week under way): created by then,
    # not done by then; overdue when the deadline's day is over by then.
    as_of = min(end + dt.timedelta(days=1), timezone.localdate())
    followups = (
        FollowUp.objects.filter(venue__in=scope_ids, created_at__lt=until)
        .filter(Q(done=False) | Q(done_at__gte=until))
        .select_related("venue", "venue__sector__parent", "officer")
        .order_by("deadline", "pk")
    )
    open_followups = [
        FollowUpRow(
            venue=f.venue.short_code,
            venue_name=f.venue.name,
            sector=f.venue.sector.root.name(language),
            kind=str(f.get_kind_display()),
            deadline=f.deadline,
            overdue=f.deadline is not None and f.deadline < as_of,
            officer=(f.officer.get_full_name() or f.officer.username) if f.officer else "",
        )
        for f in followups
    ]
    return WeeklyReport(
        week=week,
        scope_label=label,
        generated_at=timezone.now(),
        rollout=rollout,
        rollout_total=metrics.rollout_total(rollout),
        usage_by_sector=sorted(by_sector.values(), key=lambda r: (-r.total, r.key)),
        usage_by_day=list(by_day.values()),
        usage_total=total,
        refusals=refusals,
        black_alerts=alerts,
        least_compliant=least,
        inspections=inspections,
        inspections_planned=planned,
        sanctions=sanctions,
        closures=closures,
        open_followups=open_followups,
    )
