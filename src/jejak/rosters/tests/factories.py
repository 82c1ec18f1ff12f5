"""Roster entries for tests, written directly (the service's rules are tested in
test_service.py): a person by their NIK's index, or an account by a phone number."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jejak.core.phone import mask_phone, phone_index
from jejak.rosters.models import RosterEntry

_numbers = iter(range(10_000_000, 99_999_999))


def give_phone(account: Any, number: str | None = None) -> str:
    """Give a visitor account a sign-in number (as OTP sign-in does); returns it."""
    number = number or f"+62812{next(_numbers)}"
    account.phone_index = phone_index(number)
    account.phone_masked = mask_phone(number)
    account.save(update_fields=["phone_index", "phone_masked"])
    return number


def put_on_roster(
    venue: Any,
    *,
    person: Any = None,
    account: Any = None,
    role: str = "Resepsionis",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    ended_at: dt.datetime | None = None,
) -> RosterEntry:
    """A roster entry of `venue` naming `person` (by NIK) or `account` (by its phone)."""
    entry = RosterEntry(
        venue=venue,
        role=role,
        valid_from=valid_from or timezone.localdate() - dt.timedelta(days=30),
        valid_until=valid_until,
        ended_at=ended_at,
    )
    if person is not None:
        entry.nik_index, entry.nik_masked = person.nik_index, person.nik_masked
    else:
        if not account.phone_index:
            give_phone(account)
        entry.phone_index, entry.phone_masked = account.phone_index, account.phone_masked
    entry.save()
    return entry
