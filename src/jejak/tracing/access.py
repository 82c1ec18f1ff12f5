"""Which cases a user may see: the jurisdiction half of every tracing permission check.

A health officer sees a case when their region contains the person's home regency (the
NIK's first four digits) or any venue the case visited inside its window. Everything else
is invisible: fetched by id it is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest

from jejak.accounts.capabilities import Cap, require
from jejak.accounts.jurisdiction import is_national
from jejak.accounts.roles import REGIONAL_ROLES
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.models import Case, CaseVisit, ClusterAlert, Contact


def cases_visible_to(user: Any, queryset: Any = None) -> Any:
    qs = Case.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_national(user):
        return qs
    region = getattr(user, "region", None)
    if user.role not in REGIONAL_ROLES or region is None:
        return qs.none()
    visited_here = CaseVisit.objects.filter(region.subtree_q("venue__region"), case=OuterRef("pk"))
    return qs.filter(
        Q(home_region_code=region.code)
        | Q(home_region_code__startswith=region.code + ".")
        | Exists(visited_here)
    )


def access_case(user: Any, case_id: int | str, *, cap: Cap = Cap.TRACE_CASES) -> Case:
    """The case, if `user` has `cap` and the case is in their jurisdiction; else
    PermissionDenied (no capability) or TracingError(case_not_found)."""
    require(user, cap)
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise TracingError(Reason.CASE_NOT_FOUND) from None
    case = (
        cases_visible_to(user, Case.objects.select_related("person", "parent_case"))
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise TracingError(Reason.CASE_NOT_FOUND)
    return case


def clusters_visible_to(user: Any, queryset: Any = None) -> Any:
    """Cluster alerts at venues in the user's region (all for the national issuer)."""
    qs = ClusterAlert.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_national(user):
        return qs
    region = getattr(user, "region", None)
    if user.role not in REGIONAL_ROLES or region is None:
        return qs.none()
    return qs.filter(region.subtree_q("venue__region"))


def access_contact(user: Any, contact_id: int | str, *, cap: Cap = Cap.TRACE_CASES) -> Contact:
    """A contact of a case in the user's jurisdiction; TracingError(contact_not_found) else."""
    require(user, cap)
    try:
        pk = int(contact_id)
    except (TypeError, ValueError):
        raise TracingError(Reason.CONTACT_NOT_FOUND) from None
    contact = (
        Contact.objects.filter(pk=pk, case__in=cases_visible_to(user))
        .select_related("case", "person")
        .first()
    )
    if contact is None:
        raise TracingError(Reason.CONTACT_NOT_FOUND)
    return contact


def access_cluster(user: Any, alert_id: int | str) -> ClusterAlert:
    require(user, Cap.TRACE_CASES)
    try:
        pk = int(alert_id)
    except (TypeError, ValueError):
        raise TracingError(Reason.CLUSTER_NOT_FOUND) from None
    alert = clusters_visible_to(user).filter(pk=pk).select_related("venue").first()
    if alert is None:
        raise TracingError(Reason.CLUSTER_NOT_FOUND)
    return alert


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
