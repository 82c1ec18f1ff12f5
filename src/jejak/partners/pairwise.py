"""Pairwise identifiers: how a partner knows a person, an account and a visit.

Each is an HMAC-SHA256 under JEJAK_PAIRWISE_KEY of (what it names, the partner, the row's
id), cut to 120 bits and written in base32 (24 characters, a-z and 2-7). Two partners
get unrelated identifiers for the same person, so they cannot join their data on it, and
none of them is Jejak's own id (a person's public id is 12 characters, a check-in's 16).

A partner sends a person's identifier back to name a dependant; it is resolved by
computing the identifiers of the account's own people only (`resolve`), never by a
look-up across accounts: an identifier of someone else's person names nobody.

The key cannot rotate without renaming everyone for every partner; like the blind-index
key it is set once. Without it the key is derived from SECRET_KEY, with its own label,
so it is never the same key as anything else derived from there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PERSON = "person"
ACCOUNT = "account"
VISIT = "visit"

LENGTH = 24  # base32 characters of 120 bits

T = TypeVar("T")


@lru_cache(maxsize=4)
def _key(configured: str, secret_key: str) -> bytes:
    material, label = (
        (configured, b"jejak pairwise id v1")
        if configured
        else (secret_key, b"jejak pairwise id v1 from SECRET_KEY")
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        material.encode("utf-8")
    )


def pairwise(kind: str, partner_id: int, pk: int) -> str:
    """The identifier of row `pk` of `kind` (PERSON, ACCOUNT, VISIT) for one partner."""
    key = _key(settings.JEJAK_PAIRWISE_KEY, settings.SECRET_KEY)
    digest = hmac.new(key, f"{kind}\x00{partner_id}\x00{pk}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()


def resolve(
    kind: str, partner_id: int, wanted: str, candidates: Iterable[tuple[int, T]]
) -> T | None:
    """The candidate (pk, value) whose identifier is `wanted`, among the caller's own."""
    if len(wanted) != LENGTH:
        return None
    for pk, value in candidates:
        if hmac.compare_digest(pairwise(kind, partner_id, pk), wanted):
            return value
    return None
