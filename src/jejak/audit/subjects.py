"""Who an audited read is about, when the data read is an account's rather than a person's.

An audited read names its subjects by NIK blind index (`Person.nik_index`, the key health
records use too). An account's own data (a phone number, a username, an inbox, a token)
has no NIK of its own: its subject is the account's own person (relation `self`), the one
whose "who read my data" the account holder reads. An account without one (staff, a
visitor who has not filled in a profile yet) names nobody; the read is still recorded.

The rule lives here, at the bottom, so that every layer (accounts' admin below `people`,
the outbox, rosters) keys an account the same way. It reads the people through the
account's reverse relation (`people`), not by importing the people app."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model


def of_accounts(account_ids: Iterable[int | None]) -> dict[int, str]:
    """Account id -> the NIK blind index of the account's own person (one query)."""
    ids = {pk for pk in account_ids if pk is not None}
    if not ids:
        return {}
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids, people__relation="self")
        .values_list("pk", "people__nik_index")
    )
    return {pk: key for pk, key in rows if key}


def of_phone_indexes(phone_indexes: Iterable[str]) -> dict[str, str]:
    """A visitor account's phone blind index -> its own person's NIK blind index."""
    indexes = {key for key in phone_indexes if key}
    if not indexes:
        return {}
    rows = (
        get_user_model()
        .objects.filter(phone_index__in=indexes, people__relation="self")
        .values_list("phone_index", "people__nik_index")
    )
    return {phone: key for phone, key in rows if phone and key}
