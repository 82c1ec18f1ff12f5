"""Ended roster entries go JEJAK_ROSTER_RETENTION_DAYS after they ended; current ones
stay whatever their age."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.core.tests.retention_tools import ago, purge
from jejak.rosters.models import RosterEntry
from jejak.rosters.tests.factories import put_on_roster


def test_ended_entries_go_after_their_period(venue, make_user, settings):
    settings.JEJAK_ROSTER_RETENTION_DAYS = 90
    today = timezone.localdate()
    staff = [make_user(Role.VISITOR) for _ in range(5)]
    long_started = today - dt.timedelta(days=400)
    ended_by_manager = put_on_roster(
        venue, account=staff[0], valid_from=long_started, ended_at=ago(91)
    )
    lapsed = put_on_roster(
        venue, account=staff[1], valid_from=long_started, valid_until=today - dt.timedelta(days=92)
    )
    ended_recently = put_on_roster(
        venue, account=staff[2], valid_from=long_started, ended_at=ago(89)
    )
    lapsed_recently = put_on_roster(
        venue, account=staff[3], valid_from=long_started, valid_until=today - dt.timedelta(days=89)
    )
    current = put_on_roster(venue, account=staff[4], valid_from=long_started)

    assert purge("rosters") == {"entries": 2}

    assert set(RosterEntry.objects.values_list("pk", flat=True)) == {
        ended_recently.pk,
        lapsed_recently.pk,
        current.pk,
    }
    assert not RosterEntry.objects.filter(pk__in=[ended_by_manager.pk, lapsed.pk]).exists()
