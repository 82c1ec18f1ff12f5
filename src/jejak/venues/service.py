"""Writes to venues and entry points outside the workflow (which lives in workflow.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from jejak.accounts.capabilities import Cap, has_capability
from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.venues import signals
from jejak.venues.models import EntryPoint, Venue, VenueStatus
from jejak.venues.workflow import WorkflowError

if TYPE_CHECKING:
    from jejak.accounts.models import User

# Once codes exist, a new entrance gets its code at once, so only the issuer adds one.
CODED = frozenset({VenueStatus.ISSUED, VenueStatus.INSTALLED, VenueStatus.SUSPENDED})


def create_venue(*, actor: User, venue: Venue, entrances: list[str]) -> Venue:
    """Register a venue with its entrances (status `registered`). A manager who registers
    their own venue becomes its manager in Jejak too."""
    with transaction.atomic():
        venue.status = VenueStatus.REGISTERED
        venue.save()
        EntryPoint.objects.bulk_create(
            [EntryPoint(venue=venue, name=n, position=i) for i, n in enumerate(entrances)]
        )
        if actor.role == Role.VENUE_MANAGER:
            actor.venues.add(venue)
        audit.record(actor=actor, action="venue.create", obj=venue, entrances=len(entrances))
    return venue


def update_venue(*, actor: User, venue: Venue, changed: list[str]) -> Venue:
    with transaction.atomic():
        venue.save()
        audit.record(actor=actor, action="venue.update", obj=venue, fields=changed)
    return venue


def add_entry_point(*, actor: User, venue: Venue, name: str) -> EntryPoint:
    """Add an entrance; if the venue's codes are already issued, issue this one's too."""
    name = name.strip()
    with transaction.atomic():
        locked = Venue.objects.select_for_update().get(pk=venue.pk)
        if locked.status == VenueStatus.REVOKED:
            raise WorkflowError("illegal_transition", _("Kode tempat ini sudah dicabut."))
        if locked.status in CODED and not has_capability(actor, Cap.ISSUE_CODES):
            raise WorkflowError(
                "forbidden", _("Kode sudah terbit: hanya penerbit yang dapat menambah pintu.")
            )
        if locked.entry_points.filter(name__iexact=name).exists():
            raise WorkflowError("duplicate_entry_point", _("Nama pintu sudah ada."))
        last = locked.entry_points.order_by("-position").first()
        entry_point = EntryPoint.objects.create(
            venue=locked, name=name, position=(last.position + 1) if last else 0
        )
        if locked.status in CODED:
            signals.entry_point_added.send(sender=EntryPoint, entry_point=entry_point)
        audit.record(actor=actor, action="venue.add_entry_point", obj=locked, name=name)
    return entry_point
