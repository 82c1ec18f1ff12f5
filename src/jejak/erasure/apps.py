from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErasureConfig(AppConfig):
    name = "jejak.erasure"
    verbose_name = _("Penghapusan akun")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `jejak run-periodic` (checkins) may not import this app: the app adds its step,
        # which finishes the requests whose held data has come free (docs/erasure.md).
        from jejak.checkins import periodic
        from jejak.erasure.service import EVERY_SECONDS, periodic_step

        if not any(name == "erasure" for name, _run, _every in periodic.EXTRA_STEPS):
            periodic.EXTRA_STEPS.append(("erasure", periodic_step, EVERY_SECONDS))

        from jejak.core import retention
        from jejak.erasure.retention import SETTING, purge_completed_requests

        retention.register("erasure-requests", setting=SETTING, purge=purge_completed_requests)
