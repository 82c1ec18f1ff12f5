from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BreachesConfig(AppConfig):
    name = "jejak.breaches"
    verbose_name = _("Insiden data pribadi")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `jejak run-periodic` (checkins) sends the notices of breaches being notified
        # when no task worker does; it may not import this app, so the app adds its step.
        from jejak.breaches.sending import periodic_step
        from jejak.checkins import periodic

        if not any(name == "breach-notices" for name, _run, _every in periodic.EXTRA_STEPS):
            periodic.EXTRA_STEPS.append(("breach-notices", periodic_step, 0))

        from jejak.breaches.retention import SETTING, purge_closed_breach_subjects
        from jejak.core import retention

        retention.register("breach-subjects", setting=SETTING, purge=purge_closed_breach_subjects)
