from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "jejak.rights"
    verbose_name = _("Hak subjek data")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Built exports are personal data too: `jejak run-periodic` deletes them when
        # their link expires (core/retention.py's registry; docs/retention.md).
        from jejak.core import retention
        from jejak.rights.service import EXPORT_SETTING, purge_expired_exports

        retention.register("exports", setting=EXPORT_SETTING, purge=purge_expired_exports)
