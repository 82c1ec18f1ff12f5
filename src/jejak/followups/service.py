"""Agency follow-ups: which venues of an officer's sectors lag behind, and the writes that
record what the agency did about them (`do_record_followup`, `do_update_followup`).

Every read goes through `venues_visible_to`, so an agency officer sees only the venues of
its sectors in its city, a city admin the whole city, and a venue outside is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.accounts.capabilities import Cap, require
from jejak.audit import service as audit
from jejak.checkins.models import CheckIn
from jejak.followups.errors import FollowUpError, FollowUpErrorCode
from jejak.followups.models import FollowUp, FollowUpKind, FollowUpQuerySet
from jejak.venues.models import Venue, VenueStatus, venues_visible_to

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser, User

# "Barely uses its codes": fewer than this many check-ins over the last LOW_USAGE_DAYS days.
LOW_USAGE_DAYS = 14
LOW_USAGE_MIN_CHECKINS = 10

NOT_REQUESTED = "not_requested"
NOT_INSTALLED = "not_installed"
LOW_USAGE = "low_usage"

LAG_LABELS = {
    NOT_REQUESTED: _("Belum mengajukan kode"),
    NOT_INSTALLED: _("Kode belum terpasang"),
    LOW_USAGE: _("Jarang dipakai"),
}
LAG_STATUSES = {
    NOT_REQUESTED: (VenueStatus.REGISTERED, VenueStatus.REJECTED),
    NOT_INSTALLED: (
        VenueStatus.REQUESTED,
        VenueStatus.UNDER_REVIEW,
        VenueStatus.APPROVED,
        VenueStatus.ISSUED,
    ),
    LOW_USAGE: (VenueStatus.INSTALLED,),
}


@dataclass(frozen=True)
class LaggingVenue:
    venue: Venue
    lag: str  # NOT_REQUESTED, NOT_INSTALLED or LOW_USAGE
    checkins: int  # over the last `days` days
    open_followups: int

    @property
    def lag_label(self) -> str:
        return str(LAG_LABELS[self.lag])


def _lag_of(status: str) -> str | None:
    for lag, statuses in LAG_STATUSES.items():
        if status in statuses:
            return lag
    return None


def lagging_venues(
    *,
    user: RequestUser,
    days: int = LOW_USAGE_DAYS,
    min_checkins: int = LOW_USAGE_MIN_CHECKINS,
    lag: str | None = None,
    sector_slug: str | None = None,
    now: dt.datetime | None = None,
    limit: int | None = 500,
) -> list[LaggingVenue]:
    """The venues `user` may see that have not requested codes, not installed them, or had
    fewer than `min_checkins` check-ins over the last `days` days; lowest use first within
    each kind. One query (the counts are subqueries, not joins that multiply rows)."""

    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    recent = (
        CheckIn.objects.filter(venue=OuterRef("pk"), scanned_at__gte=since, scanned_at__lte=now)
        .order_by()
        .values("venue")
        .annotate(n=Count("id"))
        .values("n")
    )
    open_followups = (
        FollowUp.objects.filter(venue=OuterRef("pk"), done=False)
        .order_by()
        .values("venue")
        .annotate(n=Count("id"))
        .values("n")
    )
    venues = venues_visible_to(user).select_related("sector", "region")
    if sector_slug:
        venues = venues.filter(Q(sector__slug=sector_slug) | Q(sector__parent__slug=sector_slug))
    kinds = [lag] if lag in LAG_STATUSES else list(LAG_STATUSES)
    statuses = [s for k in kinds for s in LAG_STATUSES[k]]
    venues = venues.filter(status__in=statuses).annotate(
        recent_checkins=Coalesce(Subquery(recent, output_field=IntegerField()), Value(0)),
        open_followups=Coalesce(Subquery(open_followups, output_field=IntegerField()), Value(0)),
    )
    # Installed venues lag only when barely used; the others lag by their status alone.
    venues = venues.exclude(status=VenueStatus.INSTALLED, recent_checkins__gte=min_checkins)
    venues = venues.order_by("recent_checkins", "short_code")
    if limit is not None:
        venues = venues[:limit]
    rows = [
        LaggingVenue(v, _lag_of(v.status) or LOW_USAGE, v.recent_checkins, v.open_followups)
        for v in venues
    ]
    order = {k: n for n, k in enumerate(LAG_STATUSES)}
    return sorted(rows, key=lambda r: (order[r.lag], r.checkins, r.venue.short_code))


def followups_visible_to(user: RequestUser) -> FollowUpQuerySet:
    """Follow-ups of the venues `user` may see (an agency officer: its sectors')."""
    return FollowUp.objects.filter(venue__in=venues_visible_to(user).values("pk"))


def overdue_followups(*, user: RequestUser, today: dt.date | None = None) -> FollowUpQuerySet:
    """Open follow-ups whose deadline has passed, oldest deadline first."""
    return (
        followups_visible_to(user)
        .overdue(today=today)
        .select_related("venue", "venue__sector", "officer")
        .order_by("deadline", "pk")
    )


def access_followup(user: RequestUser, pk: int) -> FollowUp:
    found: FollowUp | None = (
        followups_visible_to(user).select_related("venue", "officer").filter(pk=pk).first()
    )
    if found is None:
        raise FollowUpError(FollowUpErrorCode.FOLLOWUP_NOT_FOUND)
    return found


def _check_deadline(deadline: dt.date | None, today: dt.date) -> None:
    if deadline is not None and deadline < today:
        raise FollowUpError(FollowUpErrorCode.DEADLINE_IN_PAST)


@transaction.atomic
def do_record_followup(
    *,
    actor: User,
    venue: Venue,
    kind: str,
    notes: str = "",
    deadline: dt.date | None = None,
    outcome: str = "",
    done: bool = False,
    now: dt.datetime | None = None,
) -> FollowUp:
    """Record what the agency did about `venue` (which the caller fetched through
    `venues.access.access_venue`, so it is in the actor's jurisdiction)."""
    require(actor, Cap.RECORD_FOLLOWUPS)
    now = now or timezone.now()
    if kind not in FollowUpKind.values:
        raise FollowUpError(FollowUpErrorCode.INVALID_KIND)
    _check_deadline(deadline, timezone.localdate(now))
    if done and not outcome.strip():
        raise FollowUpError(FollowUpErrorCode.OUTCOME_REQUIRED)
    followup = FollowUp.objects.create(
        venue=venue,
        kind=kind,
        notes=notes.strip(),
        deadline=deadline,
        outcome=outcome.strip(),
        done=done,
        done_at=now if done else None,
        officer=actor,
        created_at=now,
        updated_at=now,
    )
    audit.record(actor=actor, action="followups.recorded", obj=followup, venue=venue.short_code)
    return followup


_UNSET: Any = object()


@transaction.atomic
def do_update_followup(
    *,
    actor: User,
    followup: FollowUp,
    outcome: str | None = None,
    done: bool | None = None,
    deadline: dt.date | None = _UNSET,
    notes: str | None = None,
    now: dt.datetime | None = None,
) -> FollowUp:
    """Change a follow-up's outcome, deadline or notes, or mark it done (or reopen it)."""
    require(actor, Cap.RECORD_FOLLOWUPS)
    now = now or timezone.now()
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    changed: list[str] = []
    if notes is not None:
        followup.notes = notes.strip()
        changed.append("notes")
    if outcome is not None:
        followup.outcome = outcome.strip()
        changed.append("outcome")
    if deadline is not _UNSET:
        if deadline != followup.deadline:
            _check_deadline(deadline, timezone.localdate(now))
        followup.deadline = deadline
        changed.append("deadline")
    if done is not None and done != followup.done:
        if done and not followup.outcome:
            raise FollowUpError(FollowUpErrorCode.OUTCOME_REQUIRED)
        followup.done = done
        followup.done_at = now if done else None
        changed += ["done", "done_at"]
    followup.updated_at = now
    followup.save(update_fields=[*changed, "updated_at"])
    audit.record(actor=actor, action="followups.updated", obj=followup, fields=changed)
    return followup
