"""Every write of contact tracing, and every audited read: open a case, search its
contacts, designate and notify them, publish exposure sites, raise cluster alerts,
export a contact list.

`actor` None is the system (a command run by IT staff, the health import's hook);
otherwise the actor needs the capability and the case in their jurisdiction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jejak.accounts.capabilities import Cap, require
from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.checkins.models import ADMITTED, CheckIn
from jejak.checkins.service import MAX_STAY
from jejak.core.exports import to_csv, to_xlsx
from jejak.health.models import DesignationKind, LabOutcome, LabResult
from jejak.health.service import record_designation
from jejak.people.models import Person
from jejak.tracing import access, overlap, scoring
from jejak.tracing.access import cases_visible_to, contacts_visible_to, refuse
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.models import (
    Case,
    CaseSource,
    CaseStatus,
    CaseVisit,
    CaseWindowChange,
    ClusterAlert,
    Contact,
    ContactVenue,
    ExposureSite,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
# Infectious from two days before symptom onset (or the specimen, without symptoms).
DAYS_BEFORE = 2
MAX_WINDOW = dt.timedelta(days=28)
# A positive result opens a case only while it is this recent; older results are history.
AUTO_OPEN_WITHIN = dt.timedelta(days=14)
# Close contacts are black until day 11 (screening rule set): days 0..10 after exposure.
QUARANTINE_DAYS = 10


def aerosol_cap() -> dt.timedelta:
    return dt.timedelta(minutes=settings.JEJAK_TRACE_AEROSOL_MINUTES)


def cluster_threshold() -> int:
    return settings.JEJAK_CLUSTER_CASES


def case_ref(case: Case) -> str:
    """The outbox `ref` of a case's messages (its delivery status on the case page)."""
    return f"tracing.case:{case.pk}"


def cluster_ref(alert: ClusterAlert) -> str:
    return f"tracing.cluster:{alert.pk}"


def home_region_code(person: Person) -> str:
    # The NIK's first four digits are the regency that issued it; the masked NIK keeps
    # them, so nothing is decrypted (as checkins' black-status alerts do).
    return _regency_code(person.nik_masked)


def _regency_code(nik: str) -> str:
    digits = nik[:4]
    return f"{digits[:2]}.{digits[2:]}" if len(digits) == 4 and digits.isdigit() else ""


def default_window(
    *, specimen_date: dt.date, symptom_onset: dt.date | None, isolation_started_at: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """From local midnight two days before onset (or the specimen date without symptoms)
    until isolation starts."""
    first_day = (symptom_onset or specimen_date) - dt.timedelta(days=DAYS_BEFORE)
    start = dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=JAKARTA)
    return start.astimezone(dt.UTC), isolation_started_at


def _check_actor(actor: Any, cap: Cap) -> None:
    if actor is not None:
        require(actor, cap)


def _check_case(actor: Any, case: Case, cap: Cap, *, whole: str = "") -> None:
    """The capability, then the jurisdiction again (views check it too): a case outside
    it does not exist for this actor. With `whole` (the attempt's name), an actor who
    sees only part of the case is refused, audited."""
    _check_actor(actor, cap)
    if actor is None:
        return
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise TracingError(Reason.CASE_NOT_FOUND)
    if whole and not access.sees_whole_case(actor, case):
        refuse(actor, Reason.HOME_REGION_ONLY, attempt=whole, obj=case)


def _check_open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise TracingError(Reason.CASE_CLOSED)


# --- Opening a case --------------------------------------------------------------------


def open_case(
    *,
    person: Person,
    actor: Any,
    specimen_date: dt.date,
    symptom_onset: dt.date | None = None,
    isolation_started_at: dt.datetime | None = None,
    source: CaseSource | str = CaseSource.MANUAL,
    lab_result: LabResult | None = None,
    parent_case: Case | None = None,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Case:
    """Open a case for `person` with the default infectious window, record who it visited
    inside it, and check the venues for clusters. Refuses dates in the future, (for an
    officer) a person outside their jurisdiction, audited, and then a second open case
    for the same person: only someone who may see the case learns it exists.

    A case opened by hand or from a contact also designates the person a positive case
    (from the specimen date); one opened from a lab result already has that result.
    """
    _check_actor(actor, Cap.TRACE_CASES)
    now = now or timezone.now()
    today = now.astimezone(JAKARTA).date()
    if specimen_date > today or (symptom_onset is not None and symptom_onset > today):
        raise TracingError(Reason.DATE_IN_FUTURE)
    isolation = isolation_started_at or now
    start, end = default_window(
        specimen_date=specimen_date, symptom_onset=symptom_onset, isolation_started_at=isolation
    )
    if end <= start:
        raise TracingError(Reason.WINDOW_INVALID)
    if end - start > MAX_WINDOW:
        raise TracingError(Reason.WINDOW_TOO_LONG)
    stays = _window_stays(person.pk, start, end, now)
    if actor is not None and not access.may_open_case_for(
        actor, home_region_code=home_region_code(person), venue_ids={s[1] for s in stays}
    ):
        refuse(
            actor,
            Reason.NOT_IN_JURISDICTION,
            attempt="tracing.case.open",
            ip=ip,
            nik_masked=person.nik_masked,
        )
    with transaction.atomic():
        # Locked so two officers (or an import and an officer) open one case, not two.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        if Case.objects.filter(person=person).exclude(status=CaseStatus.CLOSED).exists():
            raise TracingError(Reason.ALREADY_A_CASE)
        case = Case.objects.create(
            person=person,
            source=source,
            lab_result=lab_result,
            parent_case=parent_case,
            opened_by=actor if getattr(actor, "is_authenticated", False) else None,
            opened_at=now,
            specimen_date=specimen_date,
            symptom_onset=symptom_onset,
            isolation_started_at=isolation,
            window_start=start,
            window_end=end,
            home_region_code=home_region_code(person),
        )
        _store_visits(case, stays)
        if source != CaseSource.LAB_RESULT:
            record_designation(
                nik_index=person.nik_index,
                kind=DesignationKind.POSITIVE_CASE,
                starts_at=dt.datetime.combine(specimen_date, dt.time(0, 0), tzinfo=JAKARTA),
                actor=actor,
                reason=f"Kasus pelacakan #{case.pk}",
            )
        audit.record(
            actor=actor,
            action="tracing.case.open",
            obj=case,
            ip=ip,
            source=str(source),
            parent_case=parent_case.pk if parent_case else None,
            lab_result=lab_result.pk if lab_result else None,
            window_start=start.isoformat(),
            window_end=end.isoformat(),
        )
        check_clusters(case=case, now=now)
    return case


def open_case_by_nik(*, nik: str, actor: Any, ip: str | None = None, **kwargs: Any) -> Case:
    """open_case for the registered person holding this NIK (person_unknown otherwise,
    but only for a NIK of the officer's own region: anyone else is refused as outside
    their jurisdiction, audited, whether or not the NIK is registered)."""
    from jejak.people.masking import mask_nik
    from jejak.people.nik import nik_index

    _check_actor(actor, Cap.TRACE_CASES)
    nik = nik.strip()
    person = Person.objects.filter(nik_index=nik_index(nik)).first()
    if person is None:
        # An unregistered person has no check-ins, so no venue puts them in anyone's
        # jurisdiction: only their home region may hear that the NIK is unknown.
        if actor is not None and not access.may_open_case_for(
            actor, home_region_code=_regency_code(nik), venue_ids=()
        ):
            refuse(
                actor,
                Reason.NOT_IN_JURISDICTION,
                attempt="tracing.case.open",
                ip=ip,
                nik_masked=mask_nik(nik),
            )
        raise TracingError(Reason.PERSON_UNKNOWN)
    return open_case(person=person, actor=actor, ip=ip, **kwargs)


def open_case_from_result(*, lab_result: LabResult, now: dt.datetime | None = None) -> Case | None:
    """Open a case (as the system) from a recent positive lab result of a registered
    person without an open case; None when there is nothing to open."""
    now = now or timezone.now()
    if lab_result.result != LabOutcome.POSITIVE or lab_result.specimen_at < now - AUTO_OPEN_WITHIN:
        return None
    person = Person.objects.filter(nik_index=lab_result.nik_index).first()
    if person is None:
        return None
    if Case.objects.filter(person=person).exclude(status=CaseStatus.CLOSED).exists():
        return None
    try:
        return open_case(
            person=person,
            actor=None,
            specimen_date=lab_result.specimen_at.astimezone(JAKARTA).date(),
            source=CaseSource.LAB_RESULT,
            lab_result=lab_result,
            now=now,
        )
    except TracingError:
        # A concurrent opening won, or the dates are unusable: an officer takes it from here.
        return None


def open_cases_for_new_results(*, nik_indexes: Iterable[str]) -> list[Case]:
    """The health import's hook: after new positive results were stored for these NIKs,
    open a case for each registered person from their latest recent positive result."""
    opened = []
    for index in sorted(set(nik_indexes)):
        latest = (
            LabResult.objects.filter(nik_index=index, result=LabOutcome.POSITIVE)
            .order_by("-specimen_at")
            .first()
        )
        if latest is not None and (case := open_case_from_result(lab_result=latest)):
            opened.append(case)
    return opened


def open_case_from_contact(
    *,
    contact: Contact,
    actor: Any,
    specimen_date: dt.date,
    symptom_onset: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """A contact tested positive: open the second-generation case (parent: the contact's)."""
    _check_case(actor, contact.case, Cap.TRACE_CASES)
    if actor is not None and not contacts_visible_to(actor).filter(pk=contact.pk).exists():
        raise TracingError(Reason.CONTACT_NOT_FOUND)
    return open_case(
        person=contact.person,
        actor=actor,
        specimen_date=specimen_date,
        symptom_onset=symptom_onset,
        source=CaseSource.CONTACT,
        parent_case=contact.case,
        now=now,
    )


def change_window(
    *,
    case: Case,
    actor: Any,
    start: dt.datetime,
    end: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
) -> Case:
    """Move the infectious window (with a reason, kept with the old and new bounds).
    Only for those who see the whole case."""
    _check_case(actor, case, Cap.TRACE_CASES, whole="tracing.case.window")
    _check_open(case)
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise TracingError(Reason.REASON_REQUIRED)
    if timezone.is_naive(start) or timezone.is_naive(end) or end <= start:
        raise TracingError(Reason.WINDOW_INVALID)
    if end - start > MAX_WINDOW:
        raise TracingError(Reason.WINDOW_TOO_LONG)
    with transaction.atomic():
        current = Case.objects.select_for_update().get(pk=case.pk)
        CaseWindowChange.objects.create(
            case=current,
            changed_by=actor if getattr(actor, "is_authenticated", False) else None,
            changed_at=now,
            old_start=current.window_start,
            old_end=current.window_end,
            new_start=start,
            new_end=end,
            reason=reason[:300],
        )
        audit.record(
            actor=actor,
            action="tracing.case.window",
            obj=current,
            old_start=current.window_start.isoformat(),
            old_end=current.window_end.isoformat(),
            new_start=start.isoformat(),
            new_end=end.isoformat(),
            reason=reason[:300],
        )
        current.window_start, current.window_end = start, end
        current.save(update_fields=["window_start", "window_end"])
        _refresh_visits(current, now)
        check_clusters(case=current, now=now)
    case.window_start, case.window_end = start, end
    return case


def close_case(*, case: Case, actor: Any, now: dt.datetime | None = None) -> Case:
    """Close the case; only for those who see the whole case."""
    _check_case(actor, case, Cap.TRACE_CASES, whole="tracing.case.close")
    now = now or timezone.now()
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk).exclude(status=CaseStatus.CLOSED)
        if updated.update(status=CaseStatus.CLOSED, closed_at=now):
            audit.record(actor=actor, action="tracing.case.close", obj=case)
    case.refresh_from_db()
    return case


Stay = tuple[int, int, dt.datetime, dt.datetime]  # check-in id, venue id, start, end


def _window_stays(
    person_id: int, window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime
) -> list[Stay]:
    """The person's admitted stays inside the window (with the aerosol tail, clipped to
    the window, as the overlap search measures them)."""
    cap = aerosol_cap()
    rows = CheckIn.objects.filter(
        person_id=person_id,
        decision__in=ADMITTED,
        checked_in_at__isnull=False,
        checked_in_at__gt=window_start - MAX_STAY - cap,
        checked_in_at__lt=window_end,
    ).values_list("id", "venue_id", "checked_in_at", "checked_out_at", "planned_checkout_at")
    stays = []
    for checkin_id, venue_id, start, out, planned in rows:
        assert start is not None
        end = max(overlap.stay_end(start, out, planned, now), start)
        end += min(end - start, cap)
        lo, hi = max(start, window_start), min(end, window_end)
        if hi > lo:
            stays.append((checkin_id, venue_id, lo, hi))
    return stays


def _store_visits(case: Case, stays: list[Stay]) -> None:
    CaseVisit.objects.filter(case=case).delete()
    CaseVisit.objects.bulk_create(
        CaseVisit(case=case, checkin_id=checkin_id, venue_id=venue_id, start=lo, end=hi)
        for checkin_id, venue_id, lo, hi in stays
    )


def _refresh_visits(case: Case, now: dt.datetime) -> None:
    _store_visits(case, _window_stays(case.person_id, case.window_start, case.window_end, now))


# --- Contact search --------------------------------------------------------------------


SEARCH_FIELDS = [
    "rank",
    "score",
    "seconds",
    "is_close",
    "is_employee",
    "last_exposure_at",
    "visits",
]


def search_contacts(*, case: Case, actor: Any, now: dt.datetime | None = None) -> list[Contact]:
    """Find, score and rank the case's contacts, and store them (a new search replaces the
    contacts not designated yet). The case's exposure sites are prepared, unpublished."""
    _check_case(actor, case, Cap.TRACE_CASES)
    _check_open(case)
    now = now or timezone.now()
    _refresh_visits(case, now)
    shared = overlap.shared_visits(
        person_id=case.person_id,
        window_start=case.window_start,
        window_end=case.window_end,
        aerosol_cap=aerosol_cap(),
        now=now,
    )
    ranked = scoring.rank(shared, scoring.load_weights())
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
        _store_contact_venues(case, ranked, untouched)
        _prepare_exposure_sites(case, now)
        fields = ["searched_at"]
        case.searched_at = now
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
        )
        check_clusters(case=case, now=now)
    return list(case.contacts.select_related("person").order_by("rank", "id"))


def _store_contact_venues(
    case: Case, ranked: Sequence[scoring.RankedContact], untouched: list[int]
) -> None:
    """Where each found contact met the case: what puts them in a venue's region's
    officers' view (access.contacts_visible_to). `untouched`: contacts kept from an
    earlier search (designated, not found again), whose venues stay."""
    ids = dict(Contact.objects.filter(case=case).values_list("person_id", "id"))
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
    from jejak.venues.models import Venue

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
        "minutes": round(interval.seconds / 60, 1),
        "weight": str(interval.weight),
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
    for venue_id, start, end in wanted - set(current):
        ExposureSite.objects.update_or_create(
            case=case,
            venue_id=venue_id,
            window_start=start,
            defaults={"window_end": end, "created_at": now},
        )


# --- Designation and notification ------------------------------------------------------


@dataclass(frozen=True)
class Designated:
    designated: int
    informed: int
    sites_published: int


def designate_contacts(
    *,
    case: Case,
    actor: Any,
    contact_ids: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Designated:
    """Confirm contacts as close contacts (all close ones when `contact_ids` is None):
    each gets a close-contact designation from their last exposure, which screening turns
    black until day 11 or a negative test, and an SMS and in-app message. The case's
    exposure sites are published, and the visitors below the threshold are sent the
    informational notice (once).

    An officer who sees only part of the case designates, informs and publishes only
    within it (a contact outside it is refused, audited), and leaves the case's status to
    the officers who see all of it."""
    _check_case(actor, case, Cap.DESIGNATE_CONTACTS)
    _check_open(case)
    if case.searched_at is None:
        raise TracingError(Reason.NOT_SEARCHED)
    now = now or timezone.now()
    whole = actor is None or access.sees_whole_case(actor, case)
    ids: set[int] = set()
    if contact_ids is not None:
        ids = {int(i) for i in contact_ids}
        if not ids:
            raise TracingError(Reason.NO_CONTACTS_CHOSEN)
        # Before the transaction, so the refusal's audit row is not rolled back with it.
        seen = _contacts_of(case, actor).filter(pk__in=ids).values_list("pk", flat=True)
        if missing := ids - set(seen):
            refuse(
                actor,
                Reason.CONTACT_NOT_FOUND,
                attempt="tracing.contacts.designate",
                obj=case,
                ip=ip,
                contacts=sorted(missing),
            )
    with transaction.atomic():
        # of=self: the jurisdiction filter joins the case, whose row is not ours to lock.
        contacts = _contacts_of(case, actor).select_for_update(of=("self",))
        if contact_ids is None:
            chosen = list(contacts.filter(is_close=True).select_related("person__account"))
        else:
            chosen = list(contacts.filter(pk__in=ids).select_related("person__account"))
            if len(chosen) != len(ids):
                # A new search removed one between the check and the lock.
                raise TracingError(Reason.CONTACT_NOT_FOUND)
        ref = case_ref(case)
        designated = 0
        for contact in chosen:
            if contact.designated_at is not None:
                continue
            designation = record_designation(
                nik_index=contact.person.nik_index,
                kind=DesignationKind.CLOSE_CONTACT,
                starts_at=contact.last_exposure_at,
                actor=actor,
                reason=f"Kontak erat kasus #{case.pk}",
            )
            _notify(contact, template="exposure_close_contact", ref=ref)
            contact.designation = designation
            contact.designated_at = contact.notified_at = now
            contact.designated_by = actor if getattr(actor, "is_authenticated", False) else None
            contact.save(
                update_fields=["designation", "designated_at", "notified_at", "designated_by"]
            )
            designated += 1
        informed = 0
        below = contacts.filter(
            is_close=False, designated_at__isnull=True, informed_at__isnull=True
        ).select_related("person__account")
        for contact in below:
            _notify(contact, template="exposure_informational", ref=ref)
            contact.informed_at = now
            contact.save(update_fields=["informed_at"])
            informed += 1
        sites = ExposureSite.objects.filter(case=case, published_at__isnull=True)
        if actor is not None:
            sites = access.exposure_sites_visible_to(actor, sites)
        published = ExposureSite.objects.filter(pk__in=list(sites.values_list("pk", flat=True)))
        published_count = published.update(published_at=now)
        if whole:
            case.status = CaseStatus.NOTIFIED
            case.notified_at = now
            case.save(update_fields=["status", "notified_at"])
        audit.record(
            actor=actor,
            action="tracing.contacts.designate",
            obj=case,
            ip=ip,
            contacts=[c.pk for c in chosen],
            designated=designated,
            informed=informed,
            sites_published=published_count,
            partial=not whole,
        )
    return Designated(designated=designated, informed=informed, sites_published=published_count)


def _notify(contact: Contact, *, template: str, ref: str) -> None:
    from jejak.notifications import outbox

    outbox.enqueue(
        template=template,
        context=notice_context(contact),
        channels=["sms", "inapp"],
        to_person=contact.person,
        ref=ref,
    )


def notice_context(contact: Contact) -> dict[str, Any]:
    """What a contact's message may say: where and when, what to do. Never the case."""
    from jejak.venues.models import Venue

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
    return {
        "places": places,
        "first": places[0] if places else None,
        "more": max(0, len(places) - 1),
        "until": last_day + dt.timedelta(days=QUARANTINE_DAYS),
        "district": districts.get(first.get("venue_id", 0), "") or "",
        "public_url": settings.JEJAK_PUBLIC_URL,
    }


def _district_name(region: Any) -> str:
    """The kecamatan a venue lies in (its puskesmas is where to test), if known."""
    if region.level == "district":
        return str(region.name)
    if region.level == "village" and region.parent is not None:
        return str(region.parent.name)
    return ""


# --- Clusters --------------------------------------------------------------------------


def check_clusters(*, case: Case, now: dt.datetime | None = None) -> list[ClusterAlert]:
    """For each venue the case visited: if at least JEJAK_CLUSTER_CASES cases visited it
    within its sector's period, raise a cluster alert (or add the case to the alert
    already raised for that span) and tell the region's health officers."""
    from jejak.venues.models import Venue

    now = now or timezone.now()
    threshold = cluster_threshold()
    weights = scoring.load_weights()
    raised = []
    venue_ids = set(CaseVisit.objects.filter(case=case).values_list("venue_id", flat=True))
    for venue in Venue.objects.filter(pk__in=venue_ids).select_related("region"):
        period = dt.timedelta(days=weights.of(venue.sector_id).cluster_period_days)
        visits = list(
            CaseVisit.objects.filter(venue=venue).order_by("start").values_list("case_id", "start")
        )
        span = _densest_span(visits, period, threshold)
        if span is None:
            continue
        start, end, case_ids = span
        alert = (
            ClusterAlert.objects.select_for_update()
            .filter(venue=venue, period_start__lte=end, period_end__gte=start)
            .first()
        )
        if alert is None:
            alert = ClusterAlert.objects.create(
                venue=venue, period_start=start, period_end=end, raised_at=now
            )
            alert.cases.set(case_ids)
            audit.record(
                actor=None, action="tracing.cluster.raise", obj=alert, cases=sorted(case_ids)
            )
            _notify_cluster(alert, venue, len(case_ids))
            raised.append(alert)
        else:
            alert.cases.add(*case_ids)
            alert.period_start = min(alert.period_start, start)
            alert.period_end = max(alert.period_end, end)
            alert.save(update_fields=["period_start", "period_end"])
    return raised


def _densest_span(
    visits: list[tuple[int, dt.datetime]], period: dt.timedelta, threshold: int
) -> tuple[dt.datetime, dt.datetime, set[int]] | None:
    """The first span of `period` (from a visit's start) holding `threshold` distinct
    cases, extended to every case visiting within it; None if there is none."""
    for i, (_case_id, start) in enumerate(visits):
        inside = [(c, s) for c, s in visits[i:] if s < start + period]
        cases = {c for c, _s in inside}
        if len(cases) >= threshold:
            return start, max(s for _c, s in inside), cases
    return None


def _notify_cluster(alert: ClusterAlert, venue: Any, cases: int) -> None:
    from django.contrib.auth import get_user_model

    from jejak.notifications import outbox

    code = venue.region.code
    parents = [code[:i] for i in range(len(code) + 1) if code[i : i + 1] in (".", "")]
    officers = get_user_model().objects.filter(
        is_active=True, role=Role.HEALTH_OFFICER, region__code__in=parents
    )
    context = {
        "venue": venue.name,
        "cases": cases,
        "start": alert.period_start.astimezone(JAKARTA),
        "end": alert.period_end.astimezone(JAKARTA),
    }
    for officer in officers.order_by("id"):
        outbox.enqueue(
            template="cluster_alert",
            context=context,
            channels=["inapp"],
            to_user=officer,
            ref=cluster_ref(alert),
        )


def acknowledge_cluster(*, alert: ClusterAlert, actor: Any, now: dt.datetime | None = None) -> None:
    _check_actor(actor, Cap.TRACE_CASES)
    now = now or timezone.now()
    updated = ClusterAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now,
        acknowledged_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if updated:
        audit.record(actor=actor, action="tracing.cluster.acknowledge", obj=alert)
    alert.refresh_from_db()


# --- Audited reads ---------------------------------------------------------------------


def list_cases(*, actor: Any, status: str = "", ip: str | None = None) -> list[Case]:
    """The cases in the actor's jurisdiction (newest first); the read is audited."""
    require(actor, Cap.TRACE_CASES)
    qs = cases_visible_to(actor, Case.objects.select_related("person"))
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    cases = list(qs[:500])
    audit.record(actor=actor, action="tracing.case.list", ip=ip, status=status, count=len(cases))
    return cases


def read_case(*, case: Case, actor: Any, ip: str | None = None) -> Case:
    """Record that `actor` read the case (call after access_case, before showing it)."""
    partial = actor is not None and not access.sees_whole_case(actor, case)
    audit.record(actor=actor, action="tracing.case.read", obj=case, ip=ip, partial=partial)
    return case


def _contacts_of(case: Case, actor: Any) -> Any:
    """The case's contacts the actor sees (all of them for the system)."""
    qs = Contact.objects.filter(case=case)
    return qs if actor is None else contacts_visible_to(actor, qs)


def _visible_contacts(case: Case, actor: Any) -> list[Contact]:
    """The contacts the actor sees, ranked, each explained only by the visits to venues
    whose visits of the case the actor sees. The score, minutes and close-contact flag
    stay the case's: they decide the person's quarantine wherever the minutes were."""
    contacts = list(
        _contacts_of(case, actor)
        .select_related("person__account", "designated_by")
        .order_by("rank", "id")
    )
    if actor is not None:
        venue_ids = {v.get("venue_id") for c in contacts for v in c.visits}
        shown = access.venue_ids_visible_to(actor, case, venue_ids)
        for contact in contacts:
            # Read-only instances: never saved after this.
            contact.visits = [v for v in contact.visits if v.get("venue_id") in shown]
    return contacts


def read_contacts(*, case: Case, actor: Any, ip: str | None = None) -> list[Contact]:
    """The case's contacts the actor sees, ranked; the read is audited with the number
    of rows."""
    contacts = _visible_contacts(case, actor)
    audit.record(actor=actor, action="tracing.contacts.read", obj=case, ip=ip, rows=len(contacts))
    return contacts


EXPORT_HEADERS = [
    "rank",
    "name",
    "nik",
    "phone",
    "close_contact",
    "employee",
    "minutes",
    "score",
    "last_exposure",
    "designated_at",
    "visits",
]


def export_rows(contacts: Iterable[Contact]) -> list[list[Any]]:
    rows = []
    for c in contacts:
        visits = "; ".join(
            f"{v.get('venue', '')} ({v.get('short_code', '')}) "
            f"{_local(v['start']):%d-%m-%Y %H:%M}-{_local(v['end']):%H:%M} "
            f"{v.get('minutes', 0)} min"
            for v in c.visits
        )
        rows.append(
            [
                c.rank,
                c.person.full_name,
                c.person.nik_masked,
                c.person.account.phone_masked if c.person.account_id else "",
                "ya" if c.is_close else "tidak",
                "ya" if c.is_employee else "tidak",
                c.minutes,
                float(c.score),
                f"{c.last_exposure_at.astimezone(JAKARTA):%Y-%m-%d %H:%M}",
                f"{c.designated_at.astimezone(JAKARTA):%Y-%m-%d %H:%M}" if c.designated_at else "",
                visits,
            ]
        )
    return rows


def _local(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).astimezone(JAKARTA)


def export_contacts(
    *, case: Case, actor: Any, fmt: str, ip: str | None = None
) -> tuple[bytes, str, str]:
    """The case's contact list as CSV or XLSX (formula-safe): (content, content type,
    file name), of the contacts the actor sees. Audited: who, when, which case, how many
    rows."""
    _check_case(actor, case, Cap.EXPORT_CONTACTS)
    rows = export_rows(_visible_contacts(case, actor))
    name = f"kontak-kasus-{case.pk}-{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        content = to_xlsx(EXPORT_HEADERS, rows, title=f"Kasus {case.pk}")
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        fmt = "csv"
        content = to_csv(EXPORT_HEADERS, rows).encode("utf-8")
        kind = "text/csv; charset=utf-8"
    audit.record(
        actor=actor,
        action="tracing.contacts.export",
        obj=case,
        ip=ip,
        format=fmt,
        rows=len(rows),
        partial=actor is not None and not access.sees_whole_case(actor, case),
    )
    return content, kind, f"{name}.{fmt}"
