"""Which cases, and which parts of a case, a user may see: the jurisdiction half of every
tracing permission check, decided here and nowhere else.

A health officer sees the **whole case** when their region contains the person's home
regency (the NIK's first four digits). They see **part of a case** when it only visited a
venue of their region inside its window: the visits to their region's venues, the
contacts made there (`ContactVenue`), the messages sent to those contacts and the
exposure sites there; not the other visits, contacts, sites or the window's history, and
they cannot move the window or close the case. Everything else is invisible: fetched by
id it is a 404, never a 403 that would confirm it exists.

Each `*_visible_to` narrows a queryset with the same rule, so a forgotten check returns
nothing rather than everything; the national issuer (and superusers) see all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import HttpRequest

from jejak.accounts.capabilities import Cap, require
from jejak.accounts.jurisdiction import is_national
from jejak.accounts.roles import REGIONAL_ROLES
from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.models import (
    Case,
    CaseVisit,
    CaseWindowChange,
    ClusterAlert,
    Contact,
    ContactVenue,
    ExposureSite,
)
from jejak.venues.models import Venue

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser
    from jejak.notifications.models import Message
    from jejak.regions.models import Region

_M = TypeVar("_M", bound=Model)

# Action of the audit row written for every refused attempt (detail: attempt, code).
REFUSED = "tracing.refused"


def _region(user: RequestUser) -> Region | None:
    """The region a regional user works in; None for everyone else (who sees nothing)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.role not in REGIONAL_ROLES:
        return None
    region: Region | None = getattr(user, "region", None)
    return region


def _home_q(region: Region, field: str) -> Q:
    # `field` holds a regency code ("36.71"); a kecamatan officer ("36.71.01") never
    # matches it, so they see cases through their venues only.
    return Q(**{field: region.code}) | Q(**{f"{field}__startswith": region.code + "."})


def _home_contains(region: Region, code: str) -> bool:
    return bool(code) and (code == region.code or code.startswith(region.code + "."))


def _narrow(
    user: RequestUser, qs: QuerySet[_M], *, home: str, through: Callable[[Region], Any] | None
) -> QuerySet[_M]:
    """`qs` narrowed to rows whose case's home regency is in the user's region, or (when
    `through` is given) that the user reaches through a venue of their region."""
    if is_national(user):
        return qs
    region = _region(user)
    if region is None:
        return qs.none()
    rule = _home_q(region, home)
    if through is not None:
        rule |= through(region)
    return qs.filter(rule)


def _case_visited_in(region: Region) -> Exists:
    return Exists(CaseVisit.objects.filter(region.subtree_q("venue__region"), case=OuterRef("pk")))


def _contact_met_in(region: Region) -> Exists:
    return Exists(
        ContactVenue.objects.filter(region.subtree_q("venue__region"), contact=OuterRef("pk"))
    )


def cases_visible_to(user: RequestUser, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Cases the user sees, wholly or in part."""
    qs = Case.objects.all() if queryset is None else queryset
    return _narrow(user, qs, home="home_region_code", through=_case_visited_in)


def whole_cases_visible_to(
    user: RequestUser, queryset: QuerySet[Case] | None = None
) -> QuerySet[Case]:
    """Cases the user sees whole: their region holds the person's home regency."""
    qs = Case.objects.all() if queryset is None else queryset
    return _narrow(user, qs, home="home_region_code", through=None)


def sees_whole_case(user: RequestUser, case: Case) -> bool:
    return bool(whole_cases_visible_to(user).filter(pk=case.pk).exists())


def case_visits_visible_to(
    user: RequestUser, queryset: QuerySet[CaseVisit] | None = None
) -> QuerySet[CaseVisit]:
    """A case's stays: all of a whole case, those at the region's venues of a partial one."""
    qs = CaseVisit.objects.all() if queryset is None else queryset
    return _narrow(
        user,
        qs,
        home="case__home_region_code",
        through=lambda region: region.subtree_q("venue__region"),
    )


def exposure_sites_visible_to(
    user: RequestUser, queryset: QuerySet[ExposureSite] | None = None
) -> QuerySet[ExposureSite]:
    qs = ExposureSite.objects.all() if queryset is None else queryset
    return _narrow(
        user,
        qs,
        home="case__home_region_code",
        through=lambda region: region.subtree_q("venue__region"),
    )


def contacts_visible_to(
    user: RequestUser, queryset: QuerySet[Contact] | None = None
) -> QuerySet[Contact]:
    """Contacts of whole cases, and of partial cases those who shared a venue of the
    user's region with the case. Contacts are seen through a case, whatever their own
    region."""
    qs = Contact.objects.all() if queryset is None else queryset
    qs = _narrow(user, qs, home="case__home_region_code", through=_contact_met_in)
    if is_national(user):
        return qs
    # A contact found before the window moved may name a venue the case no longer
    # visits: it goes with the case's visibility.
    return qs.filter(case__in=cases_visible_to(user).values("pk"))


def window_changes_visible_to(
    user: RequestUser, queryset: QuerySet[CaseWindowChange]
) -> QuerySet[CaseWindowChange]:
    """The window's history (its reasons may name other places): whole cases only."""
    return _narrow(user, queryset, home="case__home_region_code", through=None)


def case_messages_visible_to(
    user: RequestUser, case: Case, queryset: QuerySet[Message]
) -> QuerySet[Message]:
    """A case's outbox messages: all of a whole case; of a partial one, those to the
    contacts the user sees."""
    if sees_whole_case(user, case):
        return queryset
    persons = contacts_visible_to(user, Contact.objects.filter(case=case)).values("person_id")
    return queryset.filter(to_person_id__in=persons)


def venue_ids_visible_to(user: RequestUser, case: Case, venue_ids: Iterable[int]) -> set[int]:
    """Of these venues, those whose visits of `case` the user may see (for the per-venue
    explanation stored with each contact)."""

    ids = set(venue_ids)
    if is_national(user):
        return ids
    region = _region(user)
    if region is None or not ids:
        return set()
    if sees_whole_case(user, case):
        return ids
    return set(
        Venue.objects.filter(region.subtree_q("region"), pk__in=ids).values_list("pk", flat=True)
    )


def may_open_case_for(
    user: RequestUser, *, home_region_code: str, venue_ids: Iterable[int]
) -> bool:
    """Whether the user may open a case for a person of this home regency who visited
    these venues inside the would-be window: the rule of `cases_visible_to`, before the
    case exists (asked before anything that tells whether the person is a case)."""
    if is_national(user):
        return True
    region = _region(user)
    if region is None:
        return False
    if _home_contains(region, home_region_code):
        return True

    ids = set(venue_ids)
    return bool(ids) and Venue.objects.filter(region.subtree_q("region"), pk__in=ids).exists()


def refuse(
    user: RequestUser | None,
    reason: Reason,
    *,
    attempt: str,
    obj: Any = None,
    ip: str | None = None,
    subjects: Iterable[str] = (),
    **detail: Any,
) -> NoReturn:
    """Audit a refused attempt, then raise it. Call it outside any transaction the
    refusal rolls back, or the row goes with it. Never pass a clear NIK in `detail`.

    The row names the people the attempt was about when they are known (`subjects`, and
    a case's person), so that probing shows in their "who read my data" too."""
    if isinstance(obj, Case):
        subjects = [*subjects, obj.person.nik_index]
    audit.record_read(
        actor=user,
        action=REFUSED,
        purpose=Purpose.TRACING,
        subjects=subjects,
        obj=obj,
        ip=ip,
        attempt=attempt,
        code=reason.value,
        **detail,
    )
    raise TracingError(reason)


def access_case(
    user: RequestUser, case_id: int | str, *, cap: Cap = Cap.TRACE_CASES, ip: str | None = None
) -> Case:
    """The case, if `user` has `cap` and sees the case (wholly or in part); else
    PermissionDenied (no capability) or TracingError(case_not_found), audited."""
    require(user, cap)
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise TracingError(Reason.CASE_NOT_FOUND) from None
    case = (
        cases_visible_to(
            user, Case.objects.select_related("person", "parent_case", "profile", "searched_with")
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        refuse(
            user,
            Reason.CASE_NOT_FOUND,
            attempt="tracing.case.access",
            ip=ip,
            case=pk,
            subjects=Case.objects.filter(pk=pk).values_list("person__nik_index", flat=True),
        )
    return case


def clusters_visible_to(
    user: RequestUser, queryset: QuerySet[ClusterAlert] | None = None
) -> QuerySet[ClusterAlert]:
    """Cluster alerts at venues in the user's region (all for the national issuer)."""
    qs = ClusterAlert.objects.all() if queryset is None else queryset
    if is_national(user):
        return qs
    region = _region(user)
    if region is None:
        return qs.none()
    return qs.filter(region.subtree_q("venue__region"))


def access_contact(
    user: RequestUser, contact_id: int | str, *, cap: Cap = Cap.TRACE_CASES, ip: str | None = None
) -> Contact:
    """A contact the user sees (see `contacts_visible_to`); TracingError(contact_not_found)
    else, audited."""
    require(user, cap)
    try:
        pk = int(contact_id)
    except (TypeError, ValueError):
        raise TracingError(Reason.CONTACT_NOT_FOUND) from None
    contact = contacts_visible_to(user).filter(pk=pk).select_related("case", "person").first()
    if contact is None:
        refuse(
            user,
            Reason.CONTACT_NOT_FOUND,
            attempt="tracing.contact.access",
            ip=ip,
            contact=pk,
            subjects=Contact.objects.filter(pk=pk).values_list("person__nik_index", flat=True),
        )
    return contact


def access_cluster(user: RequestUser, alert_id: int | str) -> ClusterAlert:
    require(user, Cap.TRACE_CASES)
    try:
        pk = int(alert_id)
    except (TypeError, ValueError):
        raise TracingError(Reason.CLUSTER_NOT_FOUND) from None
    alert = clusters_visible_to(user).filter(pk=pk).select_related("venue").first()
    if alert is None:
        refuse(user, Reason.CLUSTER_NOT_FOUND, attempt="tracing.cluster.access", cluster=pk)
    return alert


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
