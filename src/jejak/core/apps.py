from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jejak.core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.core import (
            replica_metrics,
            replicas,  # noqa: F401  (registers its system check)
            task_queues,
        )

        # The task queues' depth and age on /metrics (docs/operations.md).
        task_queues.register()
        # The read replicas' lag on /metrics (docs/operations.md, "Read replicas").
        replica_metrics.register()
