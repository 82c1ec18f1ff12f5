"""Encryption of secrets at rest (AES-256-GCM) with keys from JEJAK_DATA_KEYS.

Used for the private halves of QR signing keys, NIKs, phone numbers and message
addresses; each caller binds its blob to its row with the associated data (`aad`).

Blob layout (all lengths in bytes):

    version (1, 0x01) | key id (4) | nonce (12) | ciphertext + GCM tag (n + 16)

The first configured key encrypts; every configured key decrypts, found by its key id,
so an operator rotates by putting a new key first, re-encrypting at leisure, and only
then dropping the old one. The key id is derived from the key itself rather than its
position in the list, so reordering the list never breaks old blobs.

Each entry of JEJAK_DATA_KEYS is any string with at least 128 bits of entropy (for
example `python -c "import secrets; print(secrets.token_urlsafe(32))"`); it is stretched
to an AES key with HKDF-SHA256. With no entry configured the key is derived from
SECRET_KEY, which is fine for the demo and flagged by `jejak check --deploy`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = 1
_KEY_ID_LEN = 4
_NONCE_LEN = 12
_HEADER_LEN = 1 + _KEY_ID_LEN + _NONCE_LEN
_TAG_LEN = 16


class DecryptionError(Exception):
    """The blob is damaged, was encrypted under a key no longer configured, or the AAD differs."""


@dataclass(frozen=True)
class DataKey:
    key_id: bytes
    aead: AESGCM


def _derive(material: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        material.encode("utf-8")
    )


@lru_cache(maxsize=8)
def _keys_for(configured: tuple[str, ...], secret_key: str) -> tuple[DataKey, ...]:
    if configured:
        raw = [_derive(item, b"jejak data key v1") for item in configured]
    else:
        raw = [_derive(secret_key, b"jejak data key v1 from SECRET_KEY")]
    return tuple(
        DataKey(
            key_id=hashlib.sha256(b"jejak key id" + key).digest()[:_KEY_ID_LEN], aead=AESGCM(key)
        )
        for key in raw
    )


def data_keys() -> tuple[DataKey, ...]:
    """The configured keys, the encrypting one first. Cached per distinct configuration."""
    return _keys_for(tuple(settings.JEJAK_DATA_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: bytes, *, aad: bytes = b"") -> bytes:
    """Encrypt under the first data key. `aad` binds the blob to its context (e.g. a row).

    The same `aad` must be given to `decrypt`; use it so a blob copied into another row
    or column does not decrypt there.
    """
    key = data_keys()[0]
    nonce = os.urandom(_NONCE_LEN)
    header = bytes([VERSION]) + key.key_id + nonce
    return header + key.aead.encrypt(nonce, plaintext, header[: 1 + _KEY_ID_LEN] + aad)


def decrypt(blob: bytes | memoryview, *, aad: bytes = b"") -> bytes:
    """Decrypt a blob made by `encrypt` under any configured key, or raise DecryptionError."""
    blob = bytes(blob)
    if len(blob) < _HEADER_LEN + _TAG_LEN or blob[0] != VERSION:
        raise DecryptionError("Not an encrypted blob of a known version.")
    key_id, nonce = blob[1 : 1 + _KEY_ID_LEN], blob[1 + _KEY_ID_LEN : _HEADER_LEN]
    for key in data_keys():
        if key.key_id == key_id:
            try:
                return key.aead.decrypt(nonce, blob[_HEADER_LEN:], blob[: 1 + _KEY_ID_LEN] + aad)
            except InvalidTag as exc:
                raise DecryptionError("The blob was altered or the context differs.") from exc
    raise DecryptionError("The key that encrypted this blob is not configured.")


def needs_reencryption(blob: bytes | memoryview) -> bool:
    """True when the blob is not under the current encrypting key (for a rotation job)."""
    blob = bytes(blob)
    return blob[1 : 1 + _KEY_ID_LEN] != data_keys()[0].key_id


@lru_cache(maxsize=4)
def _index_key(configured: str, secret_key: str) -> bytes:
    if configured:
        return _derive(configured, b"jejak blind index v1")
    return _derive(secret_key, b"jejak blind index v1 from SECRET_KEY")


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash of `value` for equality look-ups of encrypted columns (NIK, phone).

    Unlike the data keys, the index key cannot rotate without recomputing every index
    from the decrypted values, so it is a separate setting (JEJAK_INDEX_KEY) that is set
    once. `purpose` keeps a NIK's index from matching the same digits used as a phone.
    """
    key = _index_key(settings.JEJAK_INDEX_KEY, settings.SECRET_KEY)
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
