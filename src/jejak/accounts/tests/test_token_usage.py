"""accounts/token_usage.py: uses of API tokens are written in batches."""

import datetime as dt

import pytest
from django.utils import timezone

from jejak.accounts import token_usage
from jejak.accounts.models import ApiToken
from jejak.accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _nothing_pending():
    token_usage.flush(timezone.now())
    yield
    token_usage.flush(timezone.now())


@pytest.mark.django_db
def test_uses_are_written_together_at_the_flush(django_capture_on_commit_callbacks):
    tokens = [ApiToken.issue(user=UserFactory(), name="phone")[0] for _ in range(3)]
    now = timezone.now()
    token_usage.flush(now - dt.timedelta(seconds=1))  # a flush just happened
    for token in tokens:
        token_usage.note(token.pk, None, now)
    assert not ApiToken.objects.filter(last_used_at__isnull=False).exists()
    later = now + dt.timedelta(seconds=token_usage.FLUSH_SECONDS)
    # Due: this use writes the batch, after the caller's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        token_usage.note(tokens[0].pk, None, later)
    assert set(ApiToken.objects.values_list("last_used_at", flat=True)) == {later}


@pytest.mark.django_db
def test_a_use_within_the_precision_is_not_noted_again():
    token = ApiToken.issue(user=UserFactory(), name="phone")[0]
    now = timezone.now()
    token_usage.note(token.pk, now - dt.timedelta(seconds=5), now)
    token_usage.flush(now)
    token.refresh_from_db()
    assert token.last_used_at is None
