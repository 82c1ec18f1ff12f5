from typing import Any

from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "jejak.rosters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested

        reencrypt_requested.connect(_reencrypt, dispatch_uid="rosters.entries")

        from jejak.core import retention
        from jejak.rosters import retention as rosters

        retention.register("rosters", setting=rosters.SETTING, purge=rosters.purge_ended_entries)


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.rosters.service import reencrypt_entries

    return "roster_entries", reencrypt_entries()
