"""The venue console's writes: manual check-in, acknowledging black-status alerts, and a
manager's staff accounts. Each is audited; none shows a visitor's name or NIK to staff.

A manual check-in is how a visitor without a smartphone enters: staff type the NIK, full
name and birth date from the visitor's KTP. Together those three are semi-public, so the
answer is kept to what the door needs (the entry decision and the colour), every attempt
is audited and counted, and a staff account gets JEJAK_MANUAL_CHECKINS_PER_MINUTE tries
a minute. The count is of the audit rows themselves, under a lock on the staff account's
row, so it is exact across processes with nothing but the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.audit.models import AuditEvent, Purpose
from jejak.checkins import record
from jejak.checkins.errors import CheckInError
from jejak.checkins.models import BlackStatusAlert
from jejak.console.errors import ConsoleError, Refusal
from jejak.identity import port as identity
from jejak.identity.names import names_match
from jejak.identity.port import IdentityServiceUnavailable
from jejak.people.masking import mask_nik
from jejak.people.models import Person
from jejak.people.nik import nik_index
from jejak.qrcodes.errors import QrError
from jejak.venues.models import EntryPoint, Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User

MANUAL_CHECKIN = "console.manual_checkin"
MANUAL_CHECKIN_LIMITED = "console.manual_checkin_limited"
RATE_WINDOW = dt.timedelta(minutes=1)


def _max_per_minute() -> int:
    return settings.JEJAK_MANUAL_CHECKINS_PER_MINUTE


@dataclass(frozen=True)
class ManualOutcome:
    """What staff see: the entry decision and the colour, nothing about the person."""

    decision: str
    colour: str
    replayed: bool = False
    # Codes such as not_on_staff_roster: "employee" was chosen for someone not on the
    # venue's roster, so they were decided as a guest.
    notes: tuple[str, ...] = ()


def _lock_staff(staff: User) -> None:
    # Serialises one staff account's attempts, so two tabs cannot both take the last try.
    list(get_user_model().objects.select_for_update().filter(pk=staff.pk).values("pk"))


def _attempts_in_window(staff: User, now: dt.datetime) -> int:
    return AuditEvent.objects.filter(
        action=MANUAL_CHECKIN, actor=staff, at__gt=now - RATE_WINDOW
    ).count()


def _matching_person(*, nik: str, full_name: str, birth_date: dt.date) -> tuple[Person | None, str]:
    """The registered person whose identity the civil registry confirms from what staff
    typed off the KTP, and the registry's outcome (for the audit row only)."""
    found = identity.verify(nik=nik, full_name=full_name, birth_date=birth_date)
    if not found.matched:
        return None, found.outcome.value
    person = Person.objects.filter(nik_index=nik_index(nik)).first()
    # The registry vouches for the card; the person must also be the one registered
    # under this NIK, with that birth date and name.
    if (
        person is None
        or person.birth_date != birth_date
        or not names_match(full_name, person.full_name)
    ):
        return None, "not_registered"
    return person, found.outcome.value


def do_manual_checkin(
    *,
    staff: User,
    entry_point: EntryPoint,
    nik: str,
    full_name: str,
    birth_date: dt.date,
    visitor_type: str,
    nonce: uuid.UUID,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> ManualOutcome:
    """Check in the person whose records match all three identifiers, at `entry_point`.

    The caller has checked that `staff` may use this venue's console. Raises ConsoleError:
    identity_mismatch (one answer whatever differed), too_many_manual_checkins,
    checkin_refused (no rule set in force, the venue's codes suspended...). Every
    attempt writes one audit row with the masked NIK, never the NIK.
    """
    now = now or timezone.now()
    venue = entry_point.venue
    detail: dict[str, Any] = {
        "venue": venue.short_code,
        "entry_point": entry_point.pk,
        "nik_masked": mask_nik(nik),
    }
    # Every attempt is an audited read at the door naming the NIK typed (its holder sees
    # a refused guess too); the person once matched.
    typed = nik.strip()
    read: dict[str, Any] = {
        "actor": staff,
        "purpose": Purpose.ENTRY_CHECK,
        "subjects": [nik_index(typed)] if len(typed) == 16 and typed.isdigit() else [],
        "ip": ip,
    }
    refusal: ConsoleError | None = None
    with transaction.atomic():
        _lock_staff(staff)
        if _attempts_in_window(staff, now) >= _max_per_minute():
            audit.record_read(action=MANUAL_CHECKIN_LIMITED, **read, **detail)
            refusal = ConsoleError(Refusal.TOO_MANY_MANUAL_CHECKINS)
        else:
            try:
                person, registry = _matching_person(
                    nik=nik, full_name=full_name, birth_date=birth_date
                )
            except IdentityServiceUnavailable:
                person, registry = None, "unavailable"
            if person is None:
                audit.record_read(
                    action=MANUAL_CHECKIN,
                    **read,
                    outcome="mismatch" if registry != "unavailable" else "unavailable",
                    registry=registry,
                    **detail,
                )
                refusal = ConsoleError(
                    Refusal.IDENTITY_SERVICE_UNAVAILABLE
                    if registry == "unavailable"
                    else Refusal.IDENTITY_MISMATCH
                )
            else:
                try:
                    result = record.record_staff_checkin(
                        staff=staff,
                        entry_point=entry_point,
                        person=person,
                        visitor_type=visitor_type,
                        nonce=nonce,
                        now=now,
                    )
                except (CheckInError, QrError) as exc:
                    audit.record_read(
                        action=MANUAL_CHECKIN,
                        **{**read, "subjects": [person.nik_index]},
                        obj=person,
                        outcome="refused",
                        code=exc.code.value,
                        **detail,
                    )
                    refusal = ConsoleError(Refusal.CHECKIN_REFUSED, exc.message)
                else:
                    entry = result.data["people"][0]
                    outcome = ManualOutcome(
                        decision=str(entry["decision"]),
                        colour=str(entry["colour"]),
                        replayed=result.replayed,
                        notes=tuple(entry.get("notes", ())),
                    )
                    audit.record_read(
                        action=MANUAL_CHECKIN,
                        **{**read, "subjects": [person.nik_index]},
                        obj=person,
                        outcome=outcome.decision,
                        colour=outcome.colour,
                        replayed=outcome.replayed,
                        **detail,
                    )
    # Raised after the block: a refusal's audit row must commit, not roll back with it.
    if refusal is not None:
        raise refusal
    return outcome


def do_acknowledge_alert(
    *, venue: Venue, alert_id: int, actor: User, now: dt.datetime | None = None
) -> bool:
    """Mark a black-status alert of `venue` as seen by `actor`. Returns False when it was
    already acknowledged (the first acknowledgement stands); raises
    BlackStatusAlert.DoesNotExist for an alert of another venue."""
    now = now or timezone.now()
    alert = BlackStatusAlert.objects.only("id", "venue_id").get(pk=alert_id, venue=venue)
    with transaction.atomic():
        # A conditional UPDATE, not read-then-write: two staff pressing at once both
        # succeed, and the first one's name and time are kept.
        updated = BlackStatusAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor
        )
        if updated:
            audit.record(
                actor=actor, action="console.alert_acknowledged", obj=alert, venue=venue.short_code
            )
    return bool(updated)


def manageable_staff(*, manager: User, venue: Venue) -> QuerySet[User]:
    """The venue_staff accounts of `venue` (the caller checked the manager may see it)."""
    return (
        get_user_model()
        .objects.filter(role=Role.VENUE_STAFF, venues=venue)
        .order_by("-is_active", "username")
    )


def do_add_staff(
    *,
    manager: User,
    venue: Venue,
    username: str,
    full_name: str,
    phone: str,
    password: str,
) -> User:
    """Create a venue_staff account for `venue` with an initial password; audited."""
    with transaction.atomic():
        user = get_user_model()(
            username=username,
            first_name=full_name,
            role=Role.VENUE_STAFF,
            phone=phone,
            position="",
        )
        user.set_password(password)
        user.save()
        user.venues.add(venue)
        audit.record(actor=manager, action="console.staff_added", obj=user, venue=venue.short_code)
    return user


def do_set_staff_active(*, manager: User, venue: Venue, staff_id: int, active: bool) -> User:
    """Deactivate (or reactivate) a venue_staff account of `venue`; audited.

    An account that also works at a venue this manager does not manage is not switched
    off for everyone: it only loses this venue.
    """
    with transaction.atomic():
        staff = (
            manageable_staff(manager=manager, venue=venue)
            .select_for_update()
            .filter(pk=staff_id)
            .first()
        )
        if staff is None:
            raise ConsoleError(Refusal.STAFF_NOT_MANAGEABLE)
        managed = set(manager.venues.values_list("pk", flat=True))
        theirs = set(staff.venues.values_list("pk", flat=True))
        if not active and not theirs <= managed:
            staff.venues.remove(venue)
            action = "console.staff_removed"
        else:
            staff.is_active = active
            staff.save(update_fields=["is_active"])
            action = "console.staff_reactivated" if active else "console.staff_deactivated"
        audit.record(actor=manager, action=action, obj=staff, venue=venue.short_code)
    return staff
