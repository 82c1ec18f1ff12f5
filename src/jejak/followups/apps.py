from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "jejak.followups"
    verbose_name = _("Tindak lanjut OPD")
