"""Completed erasure requests go JEJAK_ERASURE_REQUEST_RETENTION_DAYS after completion;
one still waiting on a hold stays whatever its age."""

from __future__ import annotations

import pytest

from jejak.core.tests.retention_tools import ago, purge
from jejak.erasure.models import ErasureRequest, ErasureStatus

pytestmark = pytest.mark.django_db


def _request(status: str, completed_days_ago: float | None) -> ErasureRequest:
    return ErasureRequest.objects.create(
        account=None,
        account_ref=1,
        nik_indexes=["a" * 64],
        requested_at=ago(900),
        deadline=ago(897),
        status=status,
        completed_at=ago(completed_days_ago) if completed_days_ago is not None else None,
    )


def test_completed_requests_go_after_their_period(settings):
    settings.JEJAK_ERASURE_REQUEST_RETENTION_DAYS = 730
    old = _request(ErasureStatus.COMPLETED, 731)
    recent = _request(ErasureStatus.COMPLETED, 729)
    held = _request(ErasureStatus.PARTLY_ERASED, None)

    assert purge("erasure-requests") == {"requests": 1}

    assert set(ErasureRequest.objects.values_list("pk", flat=True)) == {recent.pk, held.pk}
    assert not ErasureRequest.objects.filter(pk=old.pk).exists()
