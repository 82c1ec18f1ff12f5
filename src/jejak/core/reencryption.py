"""Step two of a JEJAK_DATA_KEYS rotation (`jejak reencrypt`), and the restore drill's
look at the same secrets.

Core sits below the apps that store secrets, so it cannot call them: each answers this
signal (connected in its AppConfig.ready) with `(what, how many re-encrypted)`, doing its
work through `reencrypt_rows` alone. A receiver raises `crypto.DecryptionError` when a
secret is under a key no longer listed.

So the receivers' calls of `reencrypt_rows` name every encrypted column with its
associated data, and the restore drill (core/restore_drill.py) asks them through the
same signal: while `open_samples` sends it, `reencrypt_rows` writes nothing and decrypts
a few rows of each column, on the database the drill names, instead.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction
from django.dispatch import Signal

from jejak.core.crypto import DecryptionError, blind_index, decrypt, encrypt, needs_reencryption

reencrypt_requested = Signal()

M = TypeVar("M", bound=models.Model)

# A secret of a sample: (model label, column, primary key as text).
SecretKey = tuple[str, str, str]
# `<what>_encrypted` beside `<what>_index`: the blind index of the same value, made with
# `blind_index(value, purpose=<what>)` (core/phone.py, people/nik.py).
_INDEXED = ("phone", "nik")
EMPTY = "empty"  # erased, its row kept under a legal hold (erasure/service.py)


def reencrypt_rows(rows: models.QuerySet[M], aads: Mapping[str, Callable[[M], bytes]]) -> int:
    """Re-encrypt, under the first JEJAK_DATA_KEYS entry, each binary field named in
    `aads` that is under another key, with the same associated data (`aads[field](row)`).
    The rows are locked and written in one transaction; returns how many rows changed.
    Raises crypto.DecryptionError for a blob under a key no longer configured."""
    sampler = _sampler.get()
    if sampler is not None:
        sampler.take(rows, aads)
        return 0
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


@dataclass(frozen=True)
class Opened:
    """One secret of a sample: the SHA-256 of its plaintext (the plaintext itself is
    never kept), or why it could not be read."""

    digest: str = ""
    problem: str = ""


@dataclass
class _Sampler:
    using: str
    size: int
    wanted: Mapping[tuple[str, str], list[str]] | None
    opened: dict[SecretKey, Opened] = field(default_factory=dict)

    def take(self, rows: models.QuerySet[Any], aads: Mapping[str, Callable[[Any], bytes]]) -> None:
        label = rows.model._meta.label
        for column, aad_of in aads.items():
            # Whole rows: the blind index beside the column is checked too.
            chosen = rows.using(self.using).defer(None)
            if self.wanted is None:
                chosen = (
                    chosen.exclude(**{f"{column}__isnull": True})
                    .exclude(**{column: b""})
                    .order_by("?")[: self.size]
                )
            else:
                chosen = chosen.filter(pk__in=self.wanted.get((label, column), []))
            for row in chosen:
                self.opened[(label, column, str(row.pk))] = _open(row, column, aad_of)


_sampler: ContextVar[_Sampler | None] = ContextVar("jejak_reencryption_sampler", default=None)


def _open(row: models.Model, column: str, aad_of: Callable[[Any], bytes]) -> Opened:
    blob = getattr(row, column)
    if blob is None or not len(blob):
        return Opened(problem=EMPTY)
    try:
        plaintext = decrypt(blob, aad=aad_of(row))
    except DecryptionError as exc:
        return Opened(problem=f"does not decrypt: {exc}")
    what = column.removesuffix("_encrypted")
    index = getattr(row, f"{what}_index", None) if what in _INDEXED else None
    if index and blind_index(plaintext.decode(), purpose=what) != index:
        return Opened(
            problem="its blind index differs: JEJAK_INDEX_KEY is not the one it was made with"
        )
    return Opened(digest=hashlib.sha256(plaintext).hexdigest())


def open_samples(
    *, using: str, size: int = 20, like: Iterable[SecretKey] | None = None
) -> dict[SecretKey, Opened]:
    """Decrypt, on database `using`, `size` rows chosen at random of every column that
    `jejak reencrypt` covers, or the rows named by `like` (an earlier sample's keys,
    from another database); writes nothing. A NIK or phone number is also checked
    against its blind index. For the restore drill, which compares a copy with its
    source."""
    wanted: dict[tuple[str, str], list[str]] | None = None
    if like is not None:
        wanted = defaultdict(list)
        for label, column, pk in like:
            wanted[(label, column)].append(pk)
    sampler = _Sampler(using=using, size=size, wanted=wanted)
    token = _sampler.set(sampler)
    try:
        reencrypt_requested.send(sender=None)
    finally:
        _sampler.reset(token)
    return sampler.opened
