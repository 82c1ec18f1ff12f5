"""What a designated or informed contact is told, and the outbox messages that tell them:
where and when, until when to quarantine, where to test. Never who the case is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
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


# A person told they are a close contact this recently, whose designation is still in
# force, is sent the short update message for another case, not the whole notice again.
TOLD_WITHIN = dt.timedelta(hours=24)
# The places a multi-case message lists (the in-app text; the SMS names the last one).
MAX_PLACES = 10
CHANNELS = ["sms", "inapp"]


def notify(contact: Contact, *, template: str, ref: str) -> None:
    outbox.enqueue(
        template=template,
        context=notice_context(contact),
        channels=CHANNELS,
        to_person=contact.person,
        ref=ref,
    )


def notice_context(contact: Contact, *, districts: dict[int, str] | None = None) -> dict[str, Any]:
    """What a contact's message may say: where and when, what to do. Never the case.
    `districts`: the kecamatan of each venue (venue_districts), when already fetched."""
    visits = contact.visits or []
    if districts is None:
        districts = venue_districts({v["venue_id"] for v in visits})
    places = _places(visits)
    first = visits[0] if visits else {}
    return {
        "places": places,
        "first": places[0] if places else None,
        "more": max(0, len(places) - 1),
        "until": quarantine_until(contact),
        "disease": profiles.for_case(contact.case).disease,
        "district": districts.get(first.get("venue_id", 0), "") or "",
        "public_url": public_base_url(),
        # A family member's messages reach the account holder's phone: say whom they are
        # about (first name only), or a parent gets the same SMS twice and cannot tell.
        "for_name": _dependant_name(contact),
    }


def quarantine_until(contact: Contact) -> dt.date:
    """The last day of the contact's quarantine: the case's profile's designation length
    (or the rule set's ten days) after the day of the last exposure."""
    last_day = contact.last_exposure_at.astimezone(JAKARTA).date()
    days = profiles.for_case(contact.case).designation_days or QUARANTINE_DAYS
    return last_day + dt.timedelta(days=days)


def venue_districts(venue_ids: Iterable[int]) -> dict[int, str]:
    """The kecamatan of each venue (its puskesmas is where to test), in one query."""
    return {
        v.pk: _district_name(v.region)
        for v in Venue.objects.filter(pk__in=list(venue_ids)).select_related("region__parent")
    }


def _places(visits: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "venue": v.get("venue", ""),
            "venue_id": v.get("venue_id", 0),
            "start": dt.datetime.fromisoformat(v["start"]).astimezone(JAKARTA),
            "end": dt.datetime.fromisoformat(v["end"]).astimezone(JAKARTA),
        }
        for v in visits
    ]


def told_recently(
    person_ids: Iterable[int], *, now: dt.datetime, exclude_cases: Iterable[int] = ()
) -> dict[int, dt.date]:
    """The people among `person_ids` told in the last TOLD_WITHIN that they are a close
    contact (of a case not in `exclude_cases`) whose designation is still in force: each
    with the last day of that quarantine."""
    today = now.astimezone(JAKARTA).date()
    rows = (
        Contact.objects.filter(
            person_id__in=list(person_ids),
            notified_at__gte=now - TOLD_WITHIN,
            designation__isnull=False,
            designation__ended_at__isnull=True,
        )
        .exclude(case_id__in=list(exclude_cases))
        .values_list("person_id", "designation__starts_at", "designation__days")
    )
    told: dict[int, dt.date] = {}
    for person_id, starts_at, days in rows:
        until = starts_at.astimezone(JAKARTA).date() + dt.timedelta(days=days or QUARANTINE_DAYS)
        if until >= today and until > told.get(person_id, dt.date.min):
            told[person_id] = until
    return told


def close_contact_notice(
    contacts: Sequence[Contact],
    *,
    ref: str,
    districts: dict[int, str],
    told_until: dt.date | None = None,
) -> dict[str, Any]:
    """The outbox arguments (outbox.enqueue's) of one person's close-contact message
    about `contacts`: that person's contact rows, of one case or of several (a mass run
    sends one message for all of them). A person already told in the last 24 hours for
    another case (`told_until`: the end of that quarantine) gets the short update."""
    contact = contacts[0]
    if told_until is None and len(contacts) == 1:
        return {
            "template": "exposure_close_contact",
            "context": notice_context(contact, districts=districts),
            "channels": CHANNELS,
            "to_person": contact.person,
            "ref": ref,
        }
    places = sorted(
        (p for c in contacts for p in _places(c.visits or [])), key=lambda p: p["start"]
    )
    until = max(quarantine_until(c) for c in contacts)
    template = "exposure_close_contact_multi"
    if told_until is not None:
        until = max(until, told_until)
        template = "exposure_close_contact_update"
    last = places[-1] if places else None
    return {
        "template": template,
        "context": {
            "cases": len({c.case_id for c in contacts}),
            "venues": len({p["venue_id"] for p in places}),
            "places": places[:MAX_PLACES],
            "more": max(0, len(places) - MAX_PLACES),
            "last": last,
            "until": until,
            "disease": profiles.for_case(contact.case).disease,
            "district": districts.get(last["venue_id"], "") if last else "",
            "public_url": public_base_url(),
            "for_name": _dependant_name(contact),
        },
        "channels": CHANNELS,
        "to_person": contact.person,
        "ref": ref,
    }


def notify_close_contacts(contacts: Sequence[Contact], *, ref: str, now: dt.datetime) -> int:
    """Tell each of one case's newly designated contacts (the officer's designation): the
    whole notice, or the short update to someone told for another case in the last 24
    hours. Returns the rows queued."""
    if not contacts:
        return 0
    told = told_recently(
        {c.person_id for c in contacts}, now=now, exclude_cases={c.case_id for c in contacts}
    )
    districts = venue_districts({v["venue_id"] for c in contacts for v in c.visits or []})
    return outbox.enqueue_many(
        close_contact_notice([c], ref=ref, districts=districts, told_until=told.get(c.person_id))
        for c in contacts
    )


def informational_notice(
    contacts: Sequence[Contact], *, ref: str, districts: dict[int, str]
) -> dict[str, Any]:
    """The outbox arguments of one person's informational notice about `contacts` (of one
    case, or of several in a mass run: the places of all, in time order)."""
    contact = contacts[0]
    context = notice_context(contact, districts=districts)
    if len(contacts) > 1:
        places = sorted(
            (p for c in contacts for p in _places(c.visits or [])), key=lambda p: p["start"]
        )
        context.update(
            places=places[:MAX_PLACES],
            first=places[0] if places else None,
            more=max(0, len(places) - 1),
            district=districts.get(places[0]["venue_id"], "") if places else "",
        )
    return {
        "template": "exposure_informational",
        "context": context,
        "channels": CHANNELS,
        "to_person": contact.person,
        "ref": ref,
    }


def inform(contacts: Sequence[Contact], *, ref: str) -> int:
    """Send one case's informational notices (visitors below the threshold)."""
    districts = venue_districts({v["venue_id"] for c in contacts for v in c.visits or []})
    return outbox.enqueue_many(
        informational_notice([c], ref=ref, districts=districts) for c in contacts
    )


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
