"""Every write to levels, sector rules or sectors (services, admin, shell, the demo's
reset) drops the PPKM snapshot that `service.policy_for` reads from."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jejak.ppkm import service
from jejak.ppkm.models import LevelAssignment, SectorRule
from jejak.sectors.models import Sector


@receiver([post_save, post_delete], sender=LevelAssignment)
@receiver([post_save, post_delete], sender=SectorRule)
@receiver([post_save, post_delete], sender=Sector)
def _ppkm_data_changed(**kwargs: Any) -> None:
    service.changed()
