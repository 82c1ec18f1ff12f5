"""Visitors' phone numbers after a data-key rotation (`jejak reencrypt`)."""

from __future__ import annotations

from django.db import transaction

from jejak.accounts.models import User
from jejak.core import crypto
from jejak.core.phone import open_phone, seal_phone


def reencrypt_phones() -> int:
    """Re-encrypt visitors' numbers not under the first JEJAK_DATA_KEYS entry."""
    count = 0
    with transaction.atomic():
        users = User.objects.select_for_update().filter(phone_index__isnull=False)
        for user in users.only("phone_index", "phone_encrypted"):
            if user.phone_encrypted is None or user.phone_index is None:
                continue
            if crypto.needs_reencryption(user.phone_encrypted):
                number = open_phone(index=user.phone_index, blob=user.phone_encrypted)
                User.objects.filter(pk=user.pk).update(
                    phone_encrypted=seal_phone(number, index=user.phone_index)
                )
                count += 1
    return count
