"""The people told of a breach go JEJAK_BREACH_RETENTION_DAYS after it was closed; an
open breach keeps them whatever its age, and the breach itself stays."""

from __future__ import annotations

import pytest

from jejak.breaches.models import Breach, BreachSubject
from jejak.core.tests.retention_tools import ago, purge

pytestmark = pytest.mark.django_db


def _breach(closed_days_ago: float | None) -> Breach:
    breach = Breach.objects.create(
        title="Uji",
        description="Uji",
        discovered_at=ago(800),
        closed_at=ago(closed_days_ago) if closed_days_ago is not None else None,
    )
    BreachSubject.objects.create(breach=breach, nik_index=f"{breach.pk:064d}")
    return breach


def test_subjects_of_long_closed_breaches_go(settings):
    settings.JEJAK_BREACH_RETENTION_DAYS = 730
    old = _breach(closed_days_ago=731)
    recent = _breach(closed_days_ago=729)
    still_open = _breach(closed_days_ago=None)

    assert purge("breach-subjects", dry_run=True) == {"subjects": 1}
    assert purge("breach-subjects") == {"subjects": 1}

    assert set(BreachSubject.objects.values_list("breach_id", flat=True)) == {
        recent.pk,
        still_open.pk,
    }
    assert Breach.objects.filter(pk=old.pk).exists()
