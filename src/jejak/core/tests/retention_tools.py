"""Running one class of retention as `jejak run-periodic` does: found by name in the
registry (core/retention.py), so a test also proves the class is registered."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jejak.core import retention


def purge(name: str, *, now: dt.datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    (item,) = [item for item in retention.classes() if item.name == name]
    return item.purge(now=now or timezone.now(), dry_run=dry_run)


def ago(days: float, *, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=days)
