"""Step two of a JEJAK_DATA_KEYS rotation (`jejak reencrypt`).

Core sits below the apps that store secrets, so it cannot call them: each answers this
signal (connected in its AppConfig.ready) with `(what, how many re-encrypted)`. A
receiver raises `crypto.DecryptionError` when a secret is under a key no longer listed.
"""

from django.dispatch import Signal

reencrypt_requested = Signal()
