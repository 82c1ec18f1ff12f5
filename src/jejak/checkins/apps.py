from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "jejak.checkins"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.checkins.alerts import alert_subjects
        from jejak.notifications import subjects

        # A health officer's black-status alert names the person (masked NIK): reading
        # it is an audited read of that person's data (notifications/reads.py).
        subjects.register("black_status_officer", alert_subjects)

        from jejak.checkins import retention as checkins
        from jejak.core import retention

        retention.register(
            "checkins",
            setting="JEJAK_CHECKIN_RETENTION_DAYS",
            purge=checkins.purge_expired_checkins,
        )

        from jejak.checkins import partition_metrics

        partition_metrics.register()
