"""Ed25519 signing keys: creation, rotation, and a process-local cache of public keys.

The newest unretired key signs; every key verifies, so posters printed under an older
key keep working after a rotation until their venue is reissued. Check-in verifies
millions of tokens a day, so public keys are held in memory by kid and the database is
asked only when a kid is not in memory yet.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from jejak.audit import service as audit
from jejak.core import crypto
from jejak.core.reencryption import reencrypt_rows
from jejak.qrcodes.models import SigningKey
from jejak.qrcodes.tokens import b64url, new_kid

if TYPE_CHECKING:
    from jejak.accounts.models import User

# After a cache miss reloads the key set, further misses wait this long before asking
# the database again. A scanner fed random kids thus costs at most one small query per
# interval per process, while a key created by another process (which cannot invalidate
# our memory) is picked up within the interval.
MISS_RELOAD_INTERVAL = 2.0

_lock = threading.Lock()
_public: dict[str, Ed25519PublicKey] = {}
_private: dict[str, Ed25519PrivateKey] = {}
_last_reload = 0.0


def _aad(kid: str) -> bytes:
    # Binds the encrypted private key to its kid: a blob pasted into another row fails.
    return b"jejak:signing-key:" + kid.encode("ascii")


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def store_key(*, kid: str, private_key: Ed25519PrivateKey, actor: User | None = None) -> SigningKey:
    """Save `private_key` (encrypted) as the new signer and retire the others."""
    seed = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    now = timezone.now()
    with transaction.atomic():
        SigningKey.objects.filter(retired_at__isnull=True).update(retired_at=now)
        key = SigningKey.objects.create(
            kid=kid,
            public_key=raw_public_key(private_key),
            private_key_encrypted=crypto.encrypt(seed, aad=_aad(kid)),
            created_at=now,
        )
        audit.record(actor=actor, action="qrcodes.key_created", obj=key, kid=kid)
        transaction.on_commit(invalidate_cache)
    invalidate_cache()
    return key


def create_key(*, actor: User | None = None) -> SigningKey:
    """Generate a new key, make it the signer, and retire the previous signer (rotation)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return store_key(
                    kid=new_kid(), private_key=Ed25519PrivateKey.generate(), actor=actor
                )
        except IntegrityError:
            # A kid collision (36^8 space, so vanishingly rare): draw another.
            continue
    raise RuntimeError("Could not find a free kid.")


rotate_key = create_key


def reencrypt_private_keys() -> int:
    """Re-encrypt private keys not under the first JEJAK_DATA_KEYS entry; returns how many.

    Step two of a data-key rotation: put the new data key first, run this, then drop the
    old data key. Raises crypto.DecryptionError if a key was encrypted under a data key
    that is no longer configured.
    """
    keys = SigningKey.objects.only("kid", "private_key_encrypted")
    return reencrypt_rows(keys, {"private_key_encrypted": lambda key: _aad(key.kid)})


def current_key() -> SigningKey | None:
    """The key that signs new codes: the newest one not retired."""
    return SigningKey.objects.filter(retired_at__isnull=True).order_by("-created_at", "-id").first()


def signer() -> tuple[SigningKey, Ed25519PrivateKey]:
    """The current signing key and its private half, creating the first key if none exists.

    Asks the database each time (issuing is rare next to verifying) so that a rotation
    done by another process takes effect at once; the decrypted key is kept in memory.
    """
    key = current_key() or create_key()
    private = _private.get(key.kid)
    if private is None:
        seed = crypto.decrypt(key.private_key_encrypted, aad=_aad(key.kid))
        private = Ed25519PrivateKey.from_private_bytes(seed)
        _private[key.kid] = private
    return key, private


def public_key(kid: str) -> Ed25519PublicKey | None:
    """The public key published under `kid`, from memory; None when no such key exists."""
    found = _public.get(kid)
    if found is None:
        _reload_after_miss()
        found = _public.get(kid)
    return found


def _reload_after_miss() -> None:
    global _public, _last_reload
    with _lock:
        if time.monotonic() - _last_reload < MISS_RELOAD_INTERVAL:
            return
        # Rebinding (not mutating) the dict lets readers, who take no lock, always see
        # either the whole old set or the whole new one.
        _public = {
            kid: Ed25519PublicKey.from_public_bytes(bytes(raw))
            for kid, raw in SigningKey.objects.values_list("kid", "public_key")
        }
        _last_reload = time.monotonic()


def invalidate_cache() -> None:
    """Forget cached keys, so the next lookup reloads them (called on every key change)."""
    global _public, _private, _last_reload
    with _lock:
        _public, _private = {}, {}
        _last_reload = 0.0


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """A key as published in /.well-known/jejak-keys.json (JWK members plus dates)."""
    return {
        "kid": key.kid,
        "kty": "OKP",
        "alg": "EdDSA",
        "crv": "Ed25519",
        "x": b64url(bytes(key.public_key)),
        "created_at": key.created_at.isoformat(),
        "retired_at": key.retired_at.isoformat() if key.retired_at else None,
    }
