from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError

from jejak.audit import service as audit
from jejak.core.crypto import DecryptionError
from jejak.core.reencryption import reencrypt_requested


class Command(BaseCommand):
    help = (
        "Step two of a JEJAK_DATA_KEYS rotation: re-encrypt every stored secret (QR signing "
        "keys, NIKs of people, the registry and requests, visitors' phone numbers) under "
        "the first key. Then drop the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # Every app that stores secrets answers (core/reencryption.py).
            counts: dict[str, int] = {}
            for _receiver, answer in reencrypt_requested.send(sender=None):
                name, n = cast(tuple[str, int], answer)
                counts[name] = n
        except DecryptionError as exc:
            raise CommandError(
                f"{exc} Keep every old key in JEJAK_DATA_KEYS until this command succeeds."
            ) from exc
        audit.record(actor=None, action="crypto.reencrypt", counts=counts)
        self.stdout.write(", ".join(f"{name}: {n} re-encrypted" for name, n in counts.items()))
