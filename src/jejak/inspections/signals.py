"""Every write to closures (services, admin, shell) drops the snapshot that
`closures.closure_at` reads from."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jejak.inspections import closures
from jejak.inspections.models import Closure


@receiver([post_save, post_delete], sender=Closure)
def _closures_changed(**kwargs: Any) -> None:
    closures.changed()
