import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _


class TracingConfig(AppConfig):
    name = "jejak.tracing"
    verbose_name = _("Pelacakan kontak")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.checkins import retention
        from jejak.health.signals import positive_results_recorded

        positive_results_recorded.connect(_open_cases, dispatch_uid="tracing.open_cases")
        for hold in (_held_by_cases, _held_by_clusters):
            if hold not in retention.KEEP_PREDICATES:
                retention.KEEP_PREDICATES.append(hold)
        _register_retention()
        _register_periodic()


def _register_periodic() -> None:
    from jejak.checkins import periodic
    from jejak.tracing import tasks

    if not any(name == "tracing-runs" for name, _run, _every in periodic.EXTRA_STEPS):
        # Runs whose worker died, resumed (tracing/mass.py, resume).
        periodic.EXTRA_STEPS.append(("tracing-runs", tasks.resume_stalled, 60))


def _register_retention() -> None:
    from jejak.core import retention
    from jejak.health import retention as health
    from jejak.tracing import retention as tracing

    retention.register("cases", setting=tracing.CASE_SETTING, purge=tracing.purge_closed_cases)
    retention.register(
        "exposure-sites", setting=tracing.SITE_SETTING, purge=tracing.purge_exposure_sites
    )
    retention.register(
        "clusters", setting=tracing.CLUSTER_SETTING, purge=tracing.purge_handled_clusters
    )
    # Health may not import tracing: its purge asks these what an open case still needs.
    for kind, hold in (
        (health.LAB_RESULTS, tracing.hold_lab_results),
        (health.DESIGNATIONS, tracing.hold_designations),
    ):
        if hold not in health.KEEP_PREDICATES[kind]:
            health.KEEP_PREDICATES[kind].append(hold)


def _open_cases(sender: Any, *, nik_indexes: set[str], source: str = "", **kwargs: Any) -> None:
    """After a health import: open the cases (a few results), or trace them all with a
    mass run (more than JEJAK_MASS_TRACE_MIN, in a background task; now, with progress,
    for `jejak import-health --trace`)."""
    # Imported when called: AppConfig modules load before the apps' models.
    from jejak.health.signals import follow_up_requested
    from jejak.tracing import mass, tasks
    from jejak.tracing.cases import open_cases_for_new_results
    from jejak.tracing.models import RunStatus

    follow = follow_up_requested()
    if follow is not None:
        report = follow.progress
        try:
            run = mass.trace_results(
                nik_indexes=nik_indexes,
                source=source,
                progress=(lambda r: report(r.processed, r.total)) if report is not None else None,
            )
        except Exception:
            follow.failed = True
            follow.reports.append("tracing failed before its run could start (see the log).")
            raise
        follow.failed = run.status != RunStatus.FINISHED
        follow.reports.append(mass.describe(run))
    elif len(nik_indexes) > mass.mass_min():
        tasks.enqueue_run(mass.queue_run(nik_indexes=nik_indexes, source=source))
    else:
        open_cases_for_new_results(nik_indexes=nik_indexes)


def _held_by_cases(cutoff: dt.datetime, *, rows: type[Model] | None = None) -> QuerySet[Any]:
    """The check-ins past retention that a case not yet closed still stands on (its
    visits): the retention purge keeps them until the case is closed. The same ids name
    a row of `rows` (check-ins, or on PostgreSQL the held ones), so no join to either;
    younger visits in the list change nothing."""
    from jejak.tracing.models import CaseStatus, CaseVisit

    return CaseVisit.objects.exclude(case__status=CaseStatus.CLOSED).values("checkin_id")


def _held_by_clusters(cutoff: dt.datetime, *, rows: type[Model] | None = None) -> QuerySet[Any]:
    """The check-ins past retention at the venue of a cluster alert nobody has handled
    yet, over the alert's period (and the longest stay before it): the investigation
    may still need every visitor of that time. Among `rows`: check-ins, or on
    PostgreSQL the held ones (checkins/retention.py)."""
    from django.db.models import Q

    from jejak.checkins.decision import MAX_STAY
    from jejak.checkins.models import CheckIn
    from jejak.tracing.models import ClusterAlert

    periods = ClusterAlert.objects.filter(acknowledged_at__isnull=True).values_list(
        "venue_id", "period_start", "period_end"
    )
    held = Q()
    for venue_id, start, end in periods:
        held |= Q(venue_id=venue_id, scanned_at__gte=start - MAX_STAY, scanned_at__lte=end)
    model = rows or CheckIn
    if not held:
        return model._default_manager.none().values("pk")
    return model._default_manager.filter(held, scanned_at__lt=cutoff).values("pk")
