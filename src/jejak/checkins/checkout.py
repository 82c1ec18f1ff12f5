"""Check-outs: the visitor's button, staff closing a venue, and the automatic check-out
of stays that are over. Each takes only the occupancy lock of its venue."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from jejak.audit import service as audit
from jejak.checkins.errors import CheckInError, Refusal
from jejak.checkins.models import (
    ACTIVE_Q,
    ADMITTED,
    CheckIn,
    CheckoutMethod,
)
from jejak.checkins.occupancy import expire, lock_occupancy, save_occupancy
from jejak.venues.models import Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User


def check_out(*, account: User, checkin_public_id: str, now: dt.datetime | None = None) -> CheckIn:
    """Check out one of the account's people (the button). Idempotent: a check-in that is
    already closed is returned as it is. Raises CheckInError."""
    now = now or timezone.now()
    found = (
        CheckIn.objects.filter(public_id=checkin_public_id, person__account=account)
        .select_related("venue")
        .first()
    )
    if found is None:
        raise CheckInError(Refusal.CHECKIN_NOT_FOUND)
    if found.decision not in ADMITTED:
        raise CheckInError(Refusal.NOT_CHECKED_IN)
    if found.checked_out_at is not None:
        return found
    with transaction.atomic():
        occupancy = lock_occupancy([found.venue_id])[found.venue_id]
        expire(occupancy, now)
        closed = CheckIn.objects.filter(ACTIVE_Q, pk=found.pk).update(
            checked_out_at=Greatest(F("checked_in_at"), Value(now)),
            checkout_method=CheckoutMethod.EXPLICIT,
        )
        occupancy.inside = max(0, occupancy.inside - closed)
        save_occupancy([occupancy], now)
    found.refresh_from_db()
    return found


def check_out_group(*, account: User, nonce: str, now: dt.datetime | None = None) -> list[CheckIn]:
    """Check out, at once, everyone the account checked in with one request (a family
    scanned together leaves together). Those already out stay as they are; returns the
    request's admitted check-ins. Raises CheckInError (checkin_not_found)."""
    now = now or timezone.now()
    rows = list(
        CheckIn.objects.filter(
            request__account=account, request__nonce=nonce, decision__in=ADMITTED
        ).select_related("venue")
    )
    if not rows:
        raise CheckInError(Refusal.CHECKIN_NOT_FOUND)
    venue_id = rows[0].venue_id
    with transaction.atomic():
        occupancy = lock_occupancy([venue_id])[venue_id]
        expire(occupancy, now)
        closed = CheckIn.objects.filter(ACTIVE_Q, pk__in=[r.pk for r in rows]).update(
            checked_out_at=Greatest(F("checked_in_at"), Value(now)),
            checkout_method=CheckoutMethod.EXPLICIT,
        )
        occupancy.inside = max(0, occupancy.inside - closed)
        save_occupancy([occupancy], now)
    # One read of what the update wrote, not one per person.
    return list(
        CheckIn.objects.filter(pk__in=[r.pk for r in rows]).select_related("venue").order_by("pk")
    )


def check_out_everyone(*, venue: Venue, actor: User, now: dt.datetime | None = None) -> int:
    """Close every stay at `venue` (staff, at closing time); returns how many were inside.

    The caller has checked that `actor` may do this for this venue.
    """
    now = now or timezone.now()
    with transaction.atomic():
        occupancy = lock_occupancy([venue.pk])[venue.pk]
        expire(occupancy, now)
        closed = CheckIn.objects.filter(ACTIVE_Q, venue_id=venue.pk).update(
            checked_out_at=Greatest(F("checked_in_at"), Value(now)),
            checkout_method=CheckoutMethod.STAFF_ALL,
        )
        occupancy.inside = 0
        save_occupancy([occupancy], now)
        audit.record(actor=actor, action="checkins.checked_out_everyone", obj=venue, count=closed)
    return closed


def auto_checkout(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Close every stay that is over, venue by venue; returns how many.

    The periodic task and `jejak auto-checkout` run this; check-ins do it lazily for their
    own venue, so a stopped worker never leaves people inside forever.
    """
    now = now or timezone.now()
    total = 0
    venue_ids = list(
        CheckIn.objects.filter(ACTIVE_Q, planned_checkout_at__lte=now)
        .values_list("venue_id", flat=True)
        .distinct()
        .order_by("venue_id")[:batch]
    )
    for venue_id in venue_ids:
        # One short transaction per venue: a check-in queues behind one venue, not all.
        with transaction.atomic():
            occupancy = lock_occupancy([venue_id])[venue_id]
            total += expire(occupancy, now)
            save_occupancy([occupancy], now)
    return total
