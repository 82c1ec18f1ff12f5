from django.apps import AppConfig


class QrcodesConfig(AppConfig):
    name = "jejak.qrcodes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.qrcodes import checks  # noqa: F401  (registers the deploy check)
