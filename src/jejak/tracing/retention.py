"""How long tracing keeps cases, exposure sites and cluster alerts, and what it holds
back from other apps' purges (docs/retention.md). Registered in apps.py, run by `jejak
run-periodic`.

- A case is kept while it is open, whatever its age. Closed, it goes with its contacts,
  visits, window changes and exposure sites JEJAK_CASE_RETENTION_DAYS after closing,
  unless it is still needed: a case traced from it (a contact who became a case) is
  still open, an unhandled cluster alert counts it, or one of its contacts' designations
  is still in force.
- An exposure site goes JEJAK_EXPOSURE_SITE_RETENTION_DAYS after its window ended (never
  while /paparan/ lists it, public.LISTED_FOR), unless its case is still open.
- A cluster alert is kept until handled, then JEJAK_CLUSTER_RETENTION_DAYS.
- Held back from the other purges while a case is open (`hold_*`, registered in
  apps.py): the check-ins of its visits, the check-ins at a venue of an unhandled cluster
  alert (apps.py), and the lab results and designations of its person and of its
  contacts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from jejak.core import retention
from jejak.health import retention as health
from jejak.health.models import Designation, LabResult
from jejak.tracing.models import Case, CaseStatus, ClusterAlert, Contact, ExposureSite
from jejak.tracing.public import LISTED_FOR

CASE_SETTING = "JEJAK_CASE_RETENTION_DAYS"
SITE_SETTING = "JEJAK_EXPOSURE_SITE_RETENTION_DAYS"
CLUSTER_SETTING = "JEJAK_CLUSTER_RETENTION_DAYS"

# What going with a case means, in the counts a purge returns.
CASE_PARTS = {
    Case._meta.label: "cases",
    Contact._meta.label: "contacts",
    ExposureSite._meta.label: "exposure_sites",
}


def _open_cases() -> QuerySet[Case]:
    return Case.objects.exclude(status=CaseStatus.CLOSED)


def designations_in_force(now: dt.datetime) -> QuerySet[Designation]:
    """Designations not lifted that may still change a colour."""
    _read, span = health.reach(health.DESIGNATIONS, now)
    rows = Designation.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
    return rows if span is None else rows.filter(starts_at__gte=now - span)


def expired_cases(now: dt.datetime) -> QuerySet[Case]:
    """Closed cases past retention that nothing holds."""
    before = now - dt.timedelta(days=retention.days(CASE_SETTING))
    rows = Case.objects.filter(status=CaseStatus.CLOSED, closed_at__lt=before)
    children = _open_cases().filter(parent_case__isnull=False).values("parent_case_id")
    clustered = ClusterAlert.cases.through.objects.filter(
        clusteralert__acknowledged_at__isnull=True
    ).values("case_id")
    designating = Contact.objects.filter(
        designation__in=designations_in_force(now).values("pk")
    ).values("case_id")
    return rows.exclude(pk__in=children).exclude(pk__in=clustered).exclude(pk__in=designating)


def purge_closed_cases(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Closed cases past JEJAK_CASE_RETENTION_DAYS, with their contacts and sites."""
    days = retention.days(CASE_SETTING)
    expired = expired_cases(now)
    if dry_run:
        return {
            "cases": expired.count(),
            "contacts": Contact.objects.filter(case__in=expired.values("pk")).count(),
            "exposure_sites": ExposureSite.objects.filter(case__in=expired.values("pk")).count(),
        }
    deleted = retention.delete_in_batches(expired, batch=200, labels=CASE_PARTS)
    counts = {name: deleted[name] for name in CASE_PARTS.values()}
    retention.record_purge(
        "tracing.cases_purged", before=now - dt.timedelta(days=days), days=days, counts=counts
    )
    return counts


def purge_exposure_sites(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Exposure sites whose window ended more than JEJAK_EXPOSURE_SITE_RETENTION_DAYS ago."""
    days = retention.days(SITE_SETTING, at_least=LISTED_FOR.days)
    before = now - dt.timedelta(days=days)
    old = ExposureSite.objects.filter(window_end__lt=before, case__status=CaseStatus.CLOSED)
    counts = {
        "exposure_sites": retention.count_or_delete(old, dry_run=dry_run, name="exposure_sites")
    }
    if not dry_run:
        retention.record_purge("tracing.sites_purged", before=before, days=days, counts=counts)
    return counts


def purge_handled_clusters(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Cluster alerts handled more than JEJAK_CLUSTER_RETENTION_DAYS ago."""
    days = retention.days(CLUSTER_SETTING)
    before = now - dt.timedelta(days=days)
    handled = ClusterAlert.objects.filter(acknowledged_at__lt=before)
    counts = {"clusters": retention.count_or_delete(handled, dry_run=dry_run, name="clusters")}
    if not dry_run:
        retention.record_purge("tracing.clusters_purged", before=before, days=days, counts=counts)
    return counts


def hold_lab_results(cutoff: dt.datetime) -> QuerySet[Any]:
    """Lab results an open case stands on: the one that opened it, and its person's."""
    people = _open_cases().values("person__nik_index")
    return LabResult.objects.filter(nik_index__in=people, specimen_at__lt=cutoff).values("pk")


def hold_designations(cutoff: dt.datetime) -> QuerySet[Any]:
    """Designations of an open case's person and of its contacts."""
    people = _open_cases().values("person__nik_index")
    contacts = Contact.objects.exclude(case__status=CaseStatus.CLOSED).filter(
        designation__isnull=False
    )
    return Designation.objects.filter(
        Q(nik_index__in=people) | Q(pk__in=contacts.values("designation_id")),
        starts_at__lt=cutoff,
    ).values("pk")
