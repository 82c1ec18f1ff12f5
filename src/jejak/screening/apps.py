from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "jejak.screening"

    def ready(self) -> None:
        from jejak.screening import signals  # noqa: F401 (connects the cache invalidation)
