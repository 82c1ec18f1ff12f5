"""Every write to rule sets (services, admin, shell, the data migration's reverse) drops
the rule sets that `service.statuses` reads from the process cache."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jejak.screening import service
from jejak.screening.models import RuleSet


@receiver([post_save, post_delete], sender=RuleSet)
def _rule_sets_changed(**kwargs: Any) -> None:
    service.rule_sets_changed()
