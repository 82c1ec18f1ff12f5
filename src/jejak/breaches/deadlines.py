"""The 3 x 24 hour deadline of a breach: how long is left, and which duty is late.

Two duties run from the discovery: the notices to the people affected and the report to
the authority. A breach is overdue once the deadline has passed with either undone;
a closed breach is not (its page still says whether each duty was met in time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from jejak.breaches.models import NOTICE_PERIOD, Breach, BreachStatus


@dataclass(frozen=True)
class Deadline:
    due: dt.datetime
    remaining: dt.timedelta  # negative once past
    subjects_notified_at: dt.datetime | None
    authority_reported_at: dt.datetime | None
    closed: bool

    @property
    def duties_done(self) -> bool:
        return self.subjects_notified_at is not None and self.authority_reported_at is not None

    @property
    def overdue(self) -> bool:
        return not self.closed and not self.duties_done and self.remaining < dt.timedelta(0)

    @property
    def subjects_late(self) -> bool:
        """Notified after the deadline, or not yet notified and the deadline has passed."""
        return _late(self.subjects_notified_at, self.due, self.remaining)

    @property
    def authority_late(self) -> bool:
        return _late(self.authority_reported_at, self.due, self.remaining)

    @property
    def label(self) -> str:
        """ "sisa 23 jam 5 menit" or "lewat 2 jam 0 menit" (of the time to the deadline)."""
        span = _span(abs(self.remaining))
        if self.remaining >= dt.timedelta(0):
            return _("sisa %(time)s") % {"time": span}
        return _("lewat %(time)s") % {"time": span}


def _late(done_at: dt.datetime | None, due: dt.datetime, remaining: dt.timedelta) -> bool:
    if done_at is not None:
        return done_at > due
    return remaining < dt.timedelta(0)


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)d jam %(minutes)d menit") % {"hours": hours, "minutes": minutes}


def deadline_of(breach: Breach, now: dt.datetime | None = None) -> Deadline:
    now = now or timezone.now()
    due = breach.discovered_at + NOTICE_PERIOD
    return Deadline(
        due=due,
        remaining=due - now,
        subjects_notified_at=breach.notified_subjects_at,
        authority_reported_at=breach.reported_to_authority_at,
        closed=breach.status == BreachStatus.CLOSED,
    )
