from django.apps import AppConfig


class ZonesConfig(AppConfig):
    name = "jejak.zones"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `jejak run-periodic` (checkins) recomputes the zones every hour; it may not
        # import this app, so the app adds its step.
        from jejak.checkins import periodic
        from jejak.zones.compute import EVERY_SECONDS, periodic_step

        if not any(name == "zones" for name, _run, _every in periodic.EXTRA_STEPS):
            periodic.EXTRA_STEPS.append(("zones", periodic_step, EVERY_SECONDS))
