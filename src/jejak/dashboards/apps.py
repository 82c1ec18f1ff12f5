from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "jejak.dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `jejak run-periodic` (checkins) may not import this app: the app adds its step,
        # which rolls up the check-ins of each closed day (rollups.py).
        from django.db.models.signals import post_save

        from jejak.checkins import periodic
        from jejak.dashboards import checks  # noqa: F401  (registers the deploy check)
        from jejak.dashboards.rollups import EVERY_SECONDS, follow_move, roll_pending
        from jejak.venues.models import Venue

        post_save.connect(follow_move, sender=Venue, dispatch_uid="dashboards.follow_move")

        if not any(name == "usage-rollups" for name, _run, _every in periodic.EXTRA_STEPS):
            periodic.EXTRA_STEPS.append(("usage-rollups", roll_pending, EVERY_SECONDS))
