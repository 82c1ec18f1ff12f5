from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jejak.notifications"

    def ready(self) -> None:
        from jejak.notifications import checks  # noqa: F401 (registers the system checks)
