from django.apps import AppConfig


class PpkmConfig(AppConfig):
    name = "jejak.ppkm"
    verbose_name = "PPKM"

    def ready(self) -> None:
        from jejak.ppkm import signals  # noqa: F401 (connects the cache invalidation)
