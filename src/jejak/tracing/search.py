"""The contact search of a case: find who shared a venue with it inside its window,
score and rank them with an explanation, store them, and prepare the case's exposure
sites (published when contacts are designated)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from jejak.accounts.capabilities import Cap
from jejak.audit import service as audit
from jejak.core import replicas
from jejak.tracing import overlap, profiles, scoring
from jejak.tracing.clusters import check_clusters
from jejak.tracing.guards import check_case, check_open
from jejak.tracing.models import Case, CaseStatus, CaseVisit, Contact, ContactVenue, ExposureSite
from jejak.tracing.window import refresh_visits
from jejak.venues.models import Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User

SEARCH_FIELDS = [
    "rank",
    "score",
    "seconds",
    "is_close",
    "is_employee",
    "last_exposure_at",
    "visits",
]


def search_contacts(
    *,
    case: Case,
    actor: User | None,
    now: dt.datetime | None = None,
    fetch: bool = True,
    refresh: bool = True,
) -> list[Contact]:
    """Find, score and rank the case's contacts, and store them (a new search replaces the
    contacts not designated yet). The case's exposure sites are prepared, unpublished.
    Returns the stored contacts, ranked (nothing with `fetch=False`: a mass run reads
    what it needs itself). The case's own visits are read again first (check-ins synced
    since it was opened), unless `refresh` is False: a mass run searches a case the
    moment after opening it, which read them."""
    check_case(actor, case, Cap.TRACE_CASES)
    check_open(case)
    now = now or timezone.now()
    row = profiles.row_for(case)
    profile = profiles.compile_row(row)
    # The case's check-ins and those around them, from a replica when one is close
    # enough behind: as if searched that many seconds earlier. A search never writes
    # check-ins, so inside a mass run's transaction too (docs/operations.md).
    with replicas.reading(even_in_transaction=True):
        if refresh:
            refresh_visits(case, now, profile.presence)
        shared = overlap.shared_visits(
            person_id=case.person_id,
            window_start=case.window_start,
            window_end=case.window_end,
            presence=profile.presence,
            now=now,
        )
    ranked = rank(case, shared, profile)
    venues = _venue_labels({i.venue_id for c in ranked for i in c.intervals})
    with transaction.atomic():
        existing = {c.person_id: c for c in Contact.objects.select_for_update().filter(case=case)}
        kept: set[int] = set()
        new, changed = [], []
        for position, found in enumerate(ranked, start=1):
            contact = existing.get(found.person_id)
            if contact is None:
                contact = Contact(case=case, person_id=found.person_id)
                new.append(contact)
            else:
                changed.append(contact)
            contact.rank = position
            contact.score = found.score
            contact.seconds = found.seconds
            contact.is_close = found.is_close
            contact.is_employee = found.is_employee
            contact.last_exposure_at = found.last_exposure_at
            contact.visits = [_explain(i, venues) for i in found.intervals]
            kept.add(found.person_id)
        # A crowded mall gives hundreds of contacts: a few statements, not one per row.
        Contact.objects.bulk_create(new, batch_size=500)
        Contact.objects.bulk_update(changed, SEARCH_FIELDS, batch_size=500)
        stale = [c.pk for p, c in existing.items() if p not in kept and c.designated_at is None]
        Contact.objects.filter(pk__in=stale).delete()
        untouched = [c.pk for p, c in existing.items() if p not in kept and c.pk not in stale]
        _store_contact_venues(case, ranked, untouched, first=not existing)
        _prepare_exposure_sites(case, now)
        fields = ["searched_at", "searched_with"]
        case.searched_at = now
        case.searched_with = row
        if case.status == CaseStatus.OPEN:
            case.status = CaseStatus.CONTACTS_IDENTIFIED
            fields.append("status")
        case.save(update_fields=fields)
        audit.record(
            actor=actor,
            action="tracing.case.search",
            obj=case,
            contacts=len(ranked),
            close_contacts=sum(1 for c in ranked if c.is_close),
            profile=profile.label,
        )
        check_clusters(case=case, now=now)
    if not fetch:
        return []
    return list(case.contacts.select_related("person").order_by("rank", "id"))


def rank(
    case: Case, shared: Sequence[overlap.SharedVisit], profile: profiles.Profile
) -> list[scoring.RankedContact]:
    """The shared visits ranked under the profile's rules: its sector weights and
    minimums, its threshold, the case's infectiousness by day from onset (or specimen)."""
    reference = case.symptom_onset or case.specimen_date
    return scoring.rank(
        shared,
        scoring.weights_for(profile),
        within=profile.threshold.within,
        infectiousness=scoring.Infectiousness(
            reference, profile.infectiousness, profile.infectiousness_otherwise
        ),
        any_contact=profile.threshold.rule == "any",
    )


def _store_contact_venues(
    case: Case, ranked: Sequence[scoring.RankedContact], untouched: list[int], *, first: bool
) -> None:
    """Where each found contact met the case: what puts them in a venue's region's
    officers' view (access.contacts_visible_to). `untouched`: contacts kept from an
    earlier search (designated, not found again), whose venues stay. `first`: the case's
    first search, with nothing stored before it to replace (the delete, planned as a join
    of the contacts, took 13 ms a case in a mass run)."""
    ids = dict(Contact.objects.filter(case=case).values_list("person_id", "id"))
    if not first:
        ContactVenue.objects.filter(contact__case=case).exclude(contact_id__in=untouched).delete()
    ContactVenue.objects.bulk_create(
        [
            ContactVenue(contact_id=ids[found.person_id], venue_id=venue_id)
            for found in ranked
            for venue_id in sorted({i.venue_id for i in found.intervals})
        ],
        batch_size=500,
    )


def _venue_labels(venue_ids: set[int]) -> dict[int, dict[str, Any]]:
    return {
        v.pk: {"venue": v.name, "short_code": v.short_code, "sector": v.sector.name_id}
        for v in Venue.objects.filter(pk__in=venue_ids).select_related("sector")
    }


def _explain(
    interval: scoring.ExposureInterval, venues: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    return {
        "venue_id": interval.venue_id,
        **venues.get(interval.venue_id, {"venue": "", "short_code": "", "sector": ""}),
        "start": interval.start.isoformat(),
        "end": interval.end.isoformat(),
        "seconds": interval.seconds,
        # Rounded down to a tenth, as the score: never 15.0 for 14:59.9.
        "minutes": interval.microseconds // 6_000_000 / 10,
        "duration": scoring.duration(interval.microseconds),
        "weight": str(interval.weight),
        "infectiousness": str(interval.infectiousness),
        # The day relative to onset (or specimen) whose weight applies; None: flat.
        "day": interval.day,
        "min_contact_minutes": interval.min_contact_minutes,
        "employee": interval.employee,
    }


def _prepare_exposure_sites(case: Case, now: dt.datetime) -> None:
    """One site per venue and merged span of the case's visits there."""
    spans: dict[int, list[list[dt.datetime]]] = {}
    for visit in CaseVisit.objects.filter(case=case).order_by("venue_id", "start"):
        merged = spans.setdefault(visit.venue_id, [])
        if merged and visit.start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], visit.end)
        else:
            merged.append([visit.start, visit.end])
    wanted = {(venue, s, e) for venue, items in spans.items() for s, e in items}
    current = {(s.venue_id, s.window_start, s.window_end): s for s in case.exposure_sites.all()}
    stale = [s.pk for key, s in current.items() if key not in wanted and s.published_at is None]
    ExposureSite.objects.filter(pk__in=stale).delete()
    # A site kept (published) whose span grew is updated; the others are new, written in
    # one statement (a first search: no update_or_create's two savepoints per site).
    kept = {(venue, start) for (venue, start, _e), site in current.items() if site.pk not in stale}
    added = wanted - set(current)
    ExposureSite.objects.bulk_create(
        [
            ExposureSite(case=case, venue_id=venue, window_start=s, window_end=e, created_at=now)
            for venue, s, e in added
            if (venue, s) not in kept
        ],
        # A search of the same case at the same moment wrote the same sites.
        ignore_conflicts=True,
    )
    for venue_id, start, end in added:
        if (venue_id, start) in kept:
            ExposureSite.objects.filter(case=case, venue_id=venue_id, window_start=start).update(
                window_end=end, created_at=now
            )
