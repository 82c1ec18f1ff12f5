from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VenuesConfig(AppConfig):
    name = "jejak.venues"
    verbose_name = _("Tempat")
    default_auto_field = "django.db.models.BigAutoField"
