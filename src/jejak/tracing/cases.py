"""Opening a case (by hand, by NIK, from a contact, or from the health import's positive
results), moving its infectious window, closing it. Opening and moving the window record
the case's visits and check the venues for clusters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from jejak.accounts.capabilities import Cap
from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.health.models import DesignationKind, LabOutcome, LabResult
from jejak.health.service import record_designation
from jejak.people.masking import mask_nik
from jejak.people.models import Person
from jejak.people.nik import nik_index
from jejak.tracing import access, profiles
from jejak.tracing.access import contacts_visible_to, refuse
from jejak.tracing.clusters import check_clusters
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.guards import check_actor, check_case, check_open
from jejak.tracing.models import (
    Case,
    CaseSource,
    CaseStatus,
    CaseWindowChange,
    Contact,
    TracingProfile,
)
from jejak.tracing.window import (
    JAKARTA,
    MAX_WINDOW,
    default_window,
    refresh_visits,
    store_visits,
    window_stays,
)

if TYPE_CHECKING:
    from jejak.accounts.models import User


def home_region_code(person: Person) -> str:
    # The NIK's first four digits are the regency that issued it; the masked NIK keeps
    # them, so nothing is decrypted (as checkins' black-status alerts do).
    return _regency_code(person.nik_masked)


def _regency_code(nik: str) -> str:
    digits = nik[:4]
    return f"{digits[:2]}.{digits[2:]}" if len(digits) == 4 and digits.isdigit() else ""


# No date a tracer types can be older; at the calendar's edge (year 1) the window
# arithmetic would overflow into a server error.
EARLIEST_DATE = dt.date(1900, 1, 1)


def _check_sane(*dates: dt.date | None) -> None:
    if any(d is not None and d < EARLIEST_DATE for d in dates):
        raise TracingError(Reason.DATE_OUT_OF_RANGE)


def open_case(
    *,
    person: Person,
    actor: User | None,
    specimen_date: dt.date,
    symptom_onset: dt.date | None = None,
    isolation_started_at: dt.datetime | None = None,
    source: CaseSource | str = CaseSource.MANUAL,
    lab_result: LabResult | None = None,
    parent_case: Case | None = None,
    profile: TracingProfile | None = None,
    now: dt.datetime | None = None,
    ip: str | None = None,
    clusters: bool = True,
) -> Case:
    """Open a case for `person`, traced with `profile` (the deployment's default when
    None), with the profile's default infectious window, record who it visited inside
    it, and check the venues for clusters (unless `clusters` is False: a mass run
    searches the case at once, which checks them). Refuses dates in the future, (for an
    officer) a person outside their jurisdiction, audited, and then a second open case
    for the same person: only someone who may see the case learns it exists.

    A case opened by hand or from a contact also designates the person a positive case
    (from the specimen date); one opened from a lab result already has that result.
    """
    check_actor(actor, Cap.TRACE_CASES)
    now = now or timezone.now()
    today = now.astimezone(JAKARTA).date()
    if specimen_date > today or (symptom_onset is not None and symptom_onset > today):
        raise TracingError(Reason.DATE_IN_FUTURE)
    _check_sane(specimen_date, symptom_onset)
    isolation = isolation_started_at or now
    profile = profile or profiles.default_row()
    rules = profiles.compile_row(profile)
    start, end = default_window(
        specimen_date=specimen_date,
        symptom_onset=symptom_onset,
        isolation_started_at=isolation,
        days_before=rules.days_before,
    )
    if end <= start:
        raise TracingError(Reason.WINDOW_INVALID)
    if end - start > MAX_WINDOW:
        raise TracingError(Reason.WINDOW_TOO_LONG)
    stays = window_stays(person.pk, start, end, now, rules.presence)
    if actor is not None and not access.may_open_case_for(
        actor, home_region_code=home_region_code(person), venue_ids={s[1] for s in stays}
    ):
        refuse(
            actor,
            Reason.NOT_IN_JURISDICTION,
            attempt="tracing.case.open",
            ip=ip,
            nik_masked=person.nik_masked,
            subjects=[person.nik_index],
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
            profile=profile,
            home_region_code=home_region_code(person),
        )
        store_visits(case, stays)
        if source != CaseSource.LAB_RESULT:
            record_designation(
                nik_index=person.nik_index,
                kind=DesignationKind.POSITIVE_CASE,
                starts_at=dt.datetime.combine(specimen_date, dt.time(0, 0), tzinfo=JAKARTA),
                actor=actor,
                reason=f"Kasus pelacakan #{case.pk}",
            )
        # The answer shows the person: an audited read as much as a write.
        audit.record_read(
            actor=actor,
            action="tracing.case.open",
            purpose=Purpose.TRACING,
            subjects=[person.nik_index],
            obj=case,
            ip=ip,
            source=str(source),
            parent_case=parent_case.pk if parent_case else None,
            lab_result=lab_result.pk if lab_result else None,
            window_start=start.isoformat(),
            window_end=end.isoformat(),
            profile=profile.label,
        )
        if clusters:
            check_clusters(case=case, now=now)
    return case


def chosen_profile(slug: str | None) -> TracingProfile | None:
    """The latest version of the profile an officer chose (None: the default)."""
    if not slug:
        return None
    row = profiles.latest(slug)
    if row is None:
        raise TracingError(Reason.PROFILE_UNKNOWN)
    return row


def open_case_by_nik(*, nik: str, actor: User | None, ip: str | None = None, **kwargs: Any) -> Case:
    """open_case for the registered person holding this NIK (person_unknown otherwise,
    but only for a NIK of the officer's own region: anyone else is refused as outside
    their jurisdiction, audited, whether or not the NIK is registered)."""
    check_actor(actor, Cap.TRACE_CASES)
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
                # Whoever holds this NIK may see the attempt, registered or not yet.
                subjects=[nik_index(nik)] if len(nik) == 16 and nik.isdigit() else [],
            )
        raise TracingError(Reason.PERSON_UNKNOWN)
    return open_case(person=person, actor=actor, ip=ip, **kwargs)


def open_case_from_result(
    *, lab_result: LabResult, now: dt.datetime | None = None, clusters: bool = True
) -> Case | None:
    """Open a case (as the system, with the deployment's default profile) from a recent
    positive lab result of a registered person without an open case; None when there is
    nothing to open. `clusters`: as open_case's."""
    now = now or timezone.now()
    profile = profiles.default_row()
    # "Less than 14 days old" (the profile's auto_open_days): a specimen exactly that
    # old opens nothing.
    too_old = now - dt.timedelta(days=profiles.compile_row(profile).auto_open_days)
    if lab_result.result != LabOutcome.POSITIVE or lab_result.specimen_at <= too_old:
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
            profile=profile,
            now=now,
            clusters=clusters,
        )
    except TracingError:
        # A concurrent opening won, or the dates are unusable: an officer takes it from here.
        return None


def open_cases_for_new_results(*, nik_indexes: Iterable[str]) -> list[Case]:
    """The health import's hook: after new positive results were stored for these NIKs,
    open a case for each registered person from their latest recent positive result
    (a mass event's many go through tracing/mass.py, which does this and more)."""
    opened = []
    for _index, latest in latest_positive_results(nik_indexes):
        if latest is not None and (case := open_case_from_result(lab_result=latest)):
            opened.append(case)
    return opened


# NIKs looked up per query: under SQLite's variable limit.
RESULTS_CHUNK = 500


def latest_positive_results(
    nik_indexes: Iterable[str],
) -> Iterator[tuple[str, LabResult | None]]:
    """Each NIK's latest positive result (None for a NIK without one), in NIK-index order:
    one query per RESULTS_CHUNK NIKs."""
    ordered = sorted(set(nik_indexes))
    for start in range(0, len(ordered), RESULTS_CHUNK):
        chunk = ordered[start : start + RESULTS_CHUNK]
        latest: dict[str, LabResult] = {}
        # Ascending: the last one seen of each NIK is its latest.
        for result in LabResult.objects.filter(
            nik_index__in=chunk, result=LabOutcome.POSITIVE
        ).order_by("nik_index", "specimen_at", "pk"):
            latest[result.nik_index] = result
        for index in chunk:
            yield index, latest.get(index)


def open_case_from_contact(
    *,
    contact: Contact,
    actor: User | None,
    specimen_date: dt.date,
    symptom_onset: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """A contact tested positive: open the second-generation case (parent: the contact's)."""
    check_case(actor, contact.case, Cap.TRACE_CASES)
    if actor is not None and not contacts_visible_to(actor).filter(pk=contact.pk).exists():
        raise TracingError(Reason.CONTACT_NOT_FOUND)
    return open_case(
        person=contact.person,
        actor=actor,
        specimen_date=specimen_date,
        symptom_onset=symptom_onset,
        source=CaseSource.CONTACT,
        parent_case=contact.case,
        # The same pathogen as the case the person was a contact of.
        profile=contact.case.profile,
        now=now,
    )


def change_window(
    *,
    case: Case,
    actor: User | None,
    start: dt.datetime,
    end: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
) -> Case:
    """Move the infectious window (with a reason, kept with the old and new bounds).
    Only for those who see the whole case."""
    check_case(actor, case, Cap.TRACE_CASES, whole="tracing.case.window")
    check_open(case)
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise TracingError(Reason.REASON_REQUIRED)
    if timezone.is_naive(start) or timezone.is_naive(end) or end <= start:
        raise TracingError(Reason.WINDOW_INVALID)
    _check_sane(start.date())
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
        audit.record_read(
            actor=actor,
            action="tracing.case.window",
            purpose=Purpose.TRACING,
            subjects=[case.person.nik_index],
            obj=current,
            old_start=current.window_start.isoformat(),
            old_end=current.window_end.isoformat(),
            new_start=start.isoformat(),
            new_end=end.isoformat(),
            reason=reason[:300],
        )
        current.window_start, current.window_end = start, end
        current.save(update_fields=["window_start", "window_end"])
        refresh_visits(current, now, profiles.for_case(current).presence)
        check_clusters(case=current, now=now)
    case.window_start, case.window_end = start, end
    return case


def close_case(*, case: Case, actor: User | None, now: dt.datetime | None = None) -> Case:
    """Close the case; only for those who see the whole case."""
    check_case(actor, case, Cap.TRACE_CASES, whole="tracing.case.close")
    now = now or timezone.now()
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk).exclude(status=CaseStatus.CLOSED)
        if updated.update(status=CaseStatus.CLOSED, closed_at=now):
            audit.record_read(
                actor=actor,
                action="tracing.case.close",
                purpose=Purpose.TRACING,
                subjects=[case.person.nik_index],
                obj=case,
            )
    case.refresh_from_db()
    return case
