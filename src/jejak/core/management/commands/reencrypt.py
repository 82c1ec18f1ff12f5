from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jejak.accounts.phone import reencrypt_phones
from jejak.audit import service as audit
from jejak.core.crypto import DecryptionError
from jejak.identity.imports import reencrypt_residents
from jejak.people.approvals import reencrypt_requests
from jejak.people.services import reencrypt_niks
from jejak.qrcodes.keys import reencrypt_private_keys


class Command(BaseCommand):
    help = (
        "Step two of a JEJAK_DATA_KEYS rotation: re-encrypt every stored secret (QR signing "
        "keys, NIKs of people, the registry and requests, visitors' phone numbers) under "
        "the first key. Then drop the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = {
                "signing_keys": reencrypt_private_keys(),
                "niks": reencrypt_niks(),
                "registry_niks": reencrypt_residents(),
                "dependant_request_niks": reencrypt_requests(),
                "phones": reencrypt_phones(),
            }
        except DecryptionError as exc:
            raise CommandError(
                f"{exc} Keep every old key in JEJAK_DATA_KEYS until this command succeeds."
            ) from exc
        audit.record(actor=None, action="crypto.reencrypt", counts=counts)
        self.stdout.write(", ".join(f"{name}: {n} re-encrypted" for name, n in counts.items()))
