"""Step two of a JEJAK_DATA_KEYS rotation (`jejak reencrypt`).

Core sits below the apps that store secrets, so it cannot call them: each answers this
signal (connected in its AppConfig.ready) with `(what, how many re-encrypted)`. A
receiver raises `crypto.DecryptionError` when a secret is under a key no longer listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from django.db import models, transaction
from django.dispatch import Signal

from jejak.core.crypto import decrypt, encrypt, needs_reencryption

reencrypt_requested = Signal()

M = TypeVar("M", bound=models.Model)


def reencrypt_rows(rows: models.QuerySet[M], aads: Mapping[str, Callable[[M], bytes]]) -> int:
    """Re-encrypt, under the first JEJAK_DATA_KEYS entry, each binary field named in
    `aads` that is under another key, with the same associated data (`aads[field](row)`).
    The rows are locked and written in one transaction; returns how many rows changed.
    Raises crypto.DecryptionError for a blob under a key no longer configured."""
    count = 0
    with transaction.atomic():
        for row in rows.select_for_update():
            changed: dict[str, bytes] = {}
            for field, aad_of in aads.items():
                blob = getattr(row, field)
                # Empty: erased with its row kept under a legal hold (erasure/service.py).
                if blob is not None and len(blob) and needs_reencryption(blob):
                    aad = aad_of(row)
                    changed[field] = encrypt(decrypt(blob, aad=aad), aad=aad)
            if changed:
                type(row)._default_manager.filter(pk=row.pk).update(**changed)
                count += 1
    return count
