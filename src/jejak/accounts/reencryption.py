"""Visitors' phone numbers after a data-key rotation (`jejak reencrypt`)."""

from __future__ import annotations

from jejak.accounts.models import User
from jejak.core.phone import phone_aad
from jejak.core.reencryption import reencrypt_rows


def reencrypt_phones() -> int:
    """Re-encrypt visitors' numbers not under the first JEJAK_DATA_KEYS entry."""
    users = User.objects.filter(phone_index__isnull=False).only("phone_index", "phone_encrypted")
    return reencrypt_rows(
        users, {"phone_encrypted": lambda user: phone_aad(user.phone_index or "")}
    )
