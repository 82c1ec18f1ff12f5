from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "jejak.followups"
    verbose_name = "Tindak lanjut OPD"
