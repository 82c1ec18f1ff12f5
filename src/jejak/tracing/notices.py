"""What a designated or informed contact is told, and the outbox messages that tell them:
where and when, until when to quarantine, where to test. Never who the case is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jejak.core.public_url import public_base_url
from jejak.notifications import outbox
from jejak.people.models import Relation
from jejak.tracing import profiles
from jejak.tracing.models import Case, Contact
from jejak.tracing.window import JAKARTA
from jejak.venues.models import Venue

# Close contacts are black until day 11 (screening rule set): days 0..10 after exposure,
# unless the case's tracing profile gives its own length (measles: 21 days).
QUARANTINE_DAYS = 10


def case_ref(case: Case) -> str:
    """The outbox `ref` of a case's messages (its delivery status on the case page)."""
    return f"tracing.case:{case.pk}"


def notify(contact: Contact, *, template: str, ref: str) -> None:
    outbox.enqueue(
        template=template,
        context=notice_context(contact),
        channels=["sms", "inapp"],
        to_person=contact.person,
        ref=ref,
    )


def notice_context(contact: Contact) -> dict[str, Any]:
    """What a contact's message may say: where and when, what to do. Never the case."""
    visits = contact.visits or []
    venue_ids = {v["venue_id"] for v in visits}
    districts = {
        v.pk: _district_name(v.region)
        for v in Venue.objects.filter(pk__in=venue_ids).select_related("region__parent")
    }
    places = [
        {
            "venue": v.get("venue", ""),
            "start": dt.datetime.fromisoformat(v["start"]).astimezone(JAKARTA),
            "end": dt.datetime.fromisoformat(v["end"]).astimezone(JAKARTA),
        }
        for v in visits
    ]
    first = visits[0] if visits else {}
    last_day = contact.last_exposure_at.astimezone(JAKARTA).date()
    days = profiles.for_case(contact.case).designation_days or QUARANTINE_DAYS
    return {
        "places": places,
        "first": places[0] if places else None,
        "more": max(0, len(places) - 1),
        "until": last_day + dt.timedelta(days=days),
        "district": districts.get(first.get("venue_id", 0), "") or "",
        "public_url": public_base_url(),
        # A family member's messages reach the account holder's phone: say whom they are
        # about (first name only), or a parent gets the same SMS twice and cannot tell.
        "for_name": _dependant_name(contact),
    }


def _dependant_name(contact: Contact) -> str:
    person = contact.person
    if person is None or person.relation == Relation.SELF:
        return ""
    return str(person.full_name).split()[0] if person.full_name else ""


def _district_name(region: Any) -> str:
    """The kecamatan a venue lies in (its puskesmas is where to test), if known."""
    if region.level == "district":
        return str(region.name)
    if region.level == "village" and region.parent is not None:
        return str(region.parent.name)
    return ""
