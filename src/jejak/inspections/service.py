"""Satpol PP inspections: plan a visit, record it (checklist, findings, photos, the crowd
at that moment, the sanction), schedule a re-inspection, lift a closure.

Jurisdiction: an enforcement officer (and the city admin) sees the inspections of the
venues in their region; a venue manager sees only the recorded inspections of their own
venues (`venue_findings`), never the planned ones, which are unannounced visits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from jejak.accounts.capabilities import Cap, require
from jejak.accounts.models import User
from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.checkins.occupancy import crowd
from jejak.inspections.errors import InspectionError
from jejak.inspections.errors import InspectionErrorCode as Code
from jejak.inspections.models import (
    ChecklistItem,
    ChecklistResult,
    Closure,
    Inspection,
    InspectionCheck,
    InspectionPhoto,
    InspectionQuerySet,
    InspectionStatus,
    Sanction,
)
from jejak.notifications import outbox
from jejak.venues.models import Venue, venues_visible_to

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 10
PHOTO_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_CLOSURE = dt.timedelta(days=90)


@dataclass(frozen=True)
class Answer:
    """One checklist answer as the caller gives it."""

    result: str
    note: str = ""


def inspections_visible_to(user: RequestUser) -> InspectionQuerySet:
    """Every inspection (plans included) of the venues `user` may see; for officers."""
    return Inspection.objects.filter(venue__in=venues_visible_to(user).values("pk"))


def access_inspection(user: RequestUser, pk: int) -> Inspection:
    """An inspection the officer may see (VIEW_INSPECTIONS), or inspection_not_found."""
    require(user, Cap.VIEW_INSPECTIONS)
    found: Inspection | None = (
        inspections_visible_to(user)
        .select_related("venue", "venue__sector", "venue__region", "inspector", "previous")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise InspectionError(Code.INSPECTION_NOT_FOUND)
    return found


def venue_findings(*, user: RequestUser, venue: Venue) -> InspectionQuerySet:
    """The recorded inspections of `venue` for its manager: findings and sanctions only,
    no plans. The caller fetched `venue` through the user's jurisdiction."""
    require(user, Cap.VIEW_VENUE_FINDINGS)
    return (
        Inspection.objects.recorded()
        .filter(venue=venue)
        .select_related("closure")
        .prefetch_related("checks")
        .order_by("-visited_at", "-pk")
    )


def check_photo(photo: UploadedFile[bytes]) -> None:
    """Refuse a file over MAX_PHOTO_BYTES or that is not a real JPEG, PNG or WebP image
    (the content decides, not the name or the declared type)."""
    from django import forms
    from django.core.exceptions import ValidationError

    if photo.size is None or photo.size > MAX_PHOTO_BYTES:
        raise InspectionError(Code.PHOTO_TOO_LARGE)
    try:
        cleaned = forms.ImageField().clean(photo)
    except ValidationError:
        raise InspectionError(Code.PHOTO_INVALID) from None
    image = getattr(cleaned, "image", None)
    if image is None or image.format not in PHOTO_FORMATS:
        raise InspectionError(Code.PHOTO_INVALID)
    photo.seek(0)


@transaction.atomic
def do_plan_inspection(
    *,
    actor: User,
    venue: Venue,
    planned_for: dt.date,
    previous: Inspection | None = None,
    now: dt.datetime | None = None,
) -> Inspection:
    """Plan a visit to `venue` (fetched through the actor's jurisdiction) on a local date."""
    require(actor, Cap.RECORD_INSPECTIONS)
    now = now or timezone.now()
    if planned_for < timezone.localdate(now):
        raise InspectionError(Code.DATE_IN_PAST)
    inspection = Inspection.objects.create(
        venue=venue, planned_for=planned_for, previous=previous, planned_by=actor, created_at=now
    )
    audit.record(
        actor=actor,
        action="inspections.planned",
        obj=inspection,
        venue=venue.short_code,
        planned_for=planned_for.isoformat(),
        previous=previous.pk if previous else None,
    )
    return inspection


def _checks(checklist: Mapping[str, Answer]) -> list[InspectionCheck]:
    if set(checklist) != set(ChecklistItem.values):
        raise InspectionError(Code.INVALID_CHECKLIST)
    rows = []
    for item in ChecklistItem.values:
        answer = checklist[item]
        if answer.result not in ChecklistResult.values or len(answer.note) > 500:
            raise InspectionError(Code.INVALID_CHECKLIST)
        rows.append(InspectionCheck(item=item, result=answer.result, note=answer.note.strip()))
    return rows


def _check_closure(
    starts_at: dt.datetime | None, ends_at: dt.datetime | None, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    if starts_at is None or ends_at is None:
        raise InspectionError(Code.CLOSURE_PERIOD_REQUIRED)
    if ends_at <= starts_at or ends_at <= now:
        raise InspectionError(Code.CLOSURE_PERIOD_INVALID)
    if ends_at - starts_at > MAX_CLOSURE:
        raise InspectionError(Code.CLOSURE_TOO_LONG)
    return starts_at, ends_at


@transaction.atomic
def do_record_inspection(
    *,
    actor: User,
    inspection: Inspection,
    checklist: Mapping[str, Answer],
    findings: str = "",
    sanction: str = Sanction.NONE,
    closure_starts_at: dt.datetime | None = None,
    closure_ends_at: dt.datetime | None = None,
    photos: Iterable[UploadedFile[bytes]] = (),
    now: dt.datetime | None = None,
) -> Inspection:
    """Record a planned visit as done: every checklist item (pass/fail/na with a note),
    the findings, photos, the venue's live occupancy now, and the sanction. A temporary
    closure blocks check-ins at the venue over its period (closures.closure_at)."""

    require(actor, Cap.RECORD_INSPECTIONS)
    now = now or timezone.now()
    inspection = (
        Inspection.objects.select_for_update().select_related("venue").get(pk=inspection.pk)
    )
    if inspection.status != InspectionStatus.PLANNED:
        raise InspectionError(Code.ALREADY_RECORDED)
    checks = _checks(checklist)
    if sanction not in Sanction.values:
        raise InspectionError(Code.INVALID_SANCTION)
    period = None
    if sanction == Sanction.TEMPORARY_CLOSURE:
        period = _check_closure(closure_starts_at, closure_ends_at, now)
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise InspectionError(Code.TOO_MANY_PHOTOS)
    for photo in photos:
        check_photo(photo)

    venue = inspection.venue
    occupancy = crowd(venue=venue, now=now)
    inspection.status = InspectionStatus.DONE
    inspection.inspector = actor
    inspection.visited_at = now
    inspection.findings = findings.strip()
    inspection.sanction = sanction
    inspection.occupancy_inside = occupancy["inside"]
    inspection.occupancy_capacity = occupancy["capacity"]
    inspection.save()
    for check in checks:
        check.inspection = inspection
    InspectionCheck.objects.bulk_create(checks)
    for photo in photos:
        InspectionPhoto.objects.create(inspection=inspection, image=photo, uploaded_at=now)
    audit.record(
        actor=actor,
        action="inspections.recorded",
        obj=inspection,
        venue=venue.short_code,
        failed=[c.item for c in checks if c.result == ChecklistResult.FAIL],
        occupancy=occupancy,
    )
    if sanction != Sanction.NONE:
        detail: dict[str, Any] = {"venue": venue.short_code, "sanction": sanction}
        if period is not None:
            closure = Closure.objects.create(
                venue=venue,
                inspection=inspection,
                starts_at=period[0],
                ends_at=period[1],
                reason=inspection.findings,
                created_at=now,
            )
            detail |= {
                "closure": closure.pk,
                "starts_at": period[0].isoformat(),
                "ends_at": period[1].isoformat(),
            }
        audit.record(actor=actor, action="inspections.sanction_imposed", obj=inspection, **detail)
        _tell_managers(inspection, period)
    return inspection


def _tell_managers(inspection: Inspection, period: tuple[dt.datetime, dt.datetime] | None) -> None:
    """A sanction reaches the venue's managers (in the app, and by e-mail where they have
    one): a closure they hear of from their own door's refusals is too late."""
    venue = inspection.venue
    context = {
        "venue": venue.name,
        # The lazy label: the outbox renders it in each recipient's language, not the
        # inspector's (get_sanction_display() would fix it in the request's language).
        "sanction": Sanction(inspection.sanction).label,
        "findings": inspection.findings,
        "starts": period[0] if period else None,
        "ends": period[1] if period else None,
    }
    managers = User.objects.filter(role=Role.VENUE_MANAGER, is_active=True, venues=venue)
    for manager in managers:
        outbox.enqueue(
            template="venue_sanction",
            context=context,
            channels=["inapp", "email"],
            to_user=manager,
            ref=f"inspections.inspection:{inspection.pk}",
        )


@transaction.atomic
def do_add_photos(
    *, actor: User, inspection: Inspection, photos: Iterable[UploadedFile[bytes]]
) -> list[InspectionPhoto]:
    """Add photos to a recorded inspection (taken on a phone, uploaded later)."""
    require(actor, Cap.RECORD_INSPECTIONS)
    photos = list(photos)
    if inspection.status != InspectionStatus.DONE:
        raise InspectionError(Code.NOT_RECORDED)
    if inspection.photos.count() + len(photos) > MAX_PHOTOS:
        raise InspectionError(Code.TOO_MANY_PHOTOS)
    for photo in photos:
        check_photo(photo)
    added = [InspectionPhoto.objects.create(inspection=inspection, image=p) for p in photos]
    audit.record(actor=actor, action="inspections.photos_added", obj=inspection, n=len(added))
    return added


def do_schedule_reinspection(
    *,
    actor: User,
    inspection: Inspection,
    planned_for: dt.date,
    now: dt.datetime | None = None,
) -> Inspection:
    """Plan a new visit to check a recorded inspection's findings again."""
    if inspection.status != InspectionStatus.DONE:
        raise InspectionError(Code.NOT_RECORDED)
    return do_plan_inspection(
        actor=actor, venue=inspection.venue, planned_for=planned_for, previous=inspection, now=now
    )


@transaction.atomic
def do_cancel_inspection(*, actor: User, inspection: Inspection) -> Inspection:
    require(actor, Cap.RECORD_INSPECTIONS)
    if inspection.status != InspectionStatus.PLANNED:
        raise InspectionError(Code.ALREADY_RECORDED)
    inspection.status = InspectionStatus.CANCELLED
    inspection.save(update_fields=["status"])
    audit.record(actor=actor, action="inspections.cancelled", obj=inspection)
    return inspection


@transaction.atomic
def do_lift_closure(
    *, actor: User, closure: Closure, reason: str = "", now: dt.datetime | None = None
) -> Closure:
    """End a temporary closure early (the venue complied): check-ins open at once."""
    require(actor, Cap.RECORD_INSPECTIONS)
    now = now or timezone.now()
    closure = Closure.objects.select_for_update().get(pk=closure.pk)
    if closure.lifted_at is not None or closure.ends_at <= now:
        raise InspectionError(Code.CLOSURE_NOT_ACTIVE)
    closure.lifted_at = now
    closure.lifted_by = actor
    closure.save(update_fields=["lifted_at", "lifted_by"])
    audit.record(
        actor=actor,
        action="inspections.closure_lifted",
        obj=closure,
        venue_id=closure.venue_id,
        reason=reason,
    )
    return closure
