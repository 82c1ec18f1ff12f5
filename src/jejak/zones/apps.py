from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZonesConfig(AppConfig):
    name = "jejak.zones"
    verbose_name = _("Zona risiko")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `jejak run-periodic` (checkins) recomputes the zones every hour; it may not
        # import this app, so the app adds its step.
        from jejak.checkins import periodic
        from jejak.health import retention
        from jejak.zones.compute import EVERY_SECONDS, lab_lookback, periodic_step

        if not any(name == "zones" for name, _run, _every in periodic.EXTRA_STEPS):
            periodic.EXTRA_STEPS.append(("zones", periodic_step, EVERY_SECONDS))
        # The weekly count reads positive results back to its week plus the 90 days that
        # make a second positive the same illness: health's purge keeps them.
        if lab_lookback not in retention.LOOKBACKS:
            retention.LOOKBACKS.append(lab_lookback)
