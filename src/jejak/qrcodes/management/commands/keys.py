"""`jejak keys list` and `jejak keys rotate`: the QR signing keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q
from django.utils import timezone

from jejak.core import crypto
from jejak.qrcodes import keys
from jejak.qrcodes.models import CodeStatus, SigningKey


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


class Command(BaseCommand):
    help = (
        "List the QR signing keys; rotate: add a new signing key and retire the current one; "
        "reencrypt: re-encrypt private keys after a JEJAK_DATA_KEYS rotation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{list,rotate,reencrypt}")
        sub.add_parser("list", help="Print every key: kid, created, retired, active codes.")
        sub.add_parser(
            "rotate",
            help="Add a signing key; older keys keep verifying the codes they signed.",
        )
        sub.add_parser(
            "reencrypt",
            help="Re-encrypt the private keys under the first JEJAK_DATA_KEYS entry "
            "(after putting a new data key first).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "list":
            self._list()
        elif action == "rotate":
            key = keys.rotate_key()
            self.stdout.write(key.kid)
        elif action == "reencrypt":
            try:
                count = keys.reencrypt_private_keys()
            except crypto.DecryptionError as exc:
                raise CommandError(
                    f"{exc} Keep the old data key in JEJAK_DATA_KEYS until this succeeds."
                ) from exc
            self.stdout.write(f"{count} key(s) re-encrypted.")
        else:
            raise CommandError(
                "Say what to do: `jejak keys list`, `jejak keys rotate` or `jejak keys reencrypt`."
            )

    def _list(self) -> None:
        rows = SigningKey.objects.annotate(
            active_codes=Count("codes", filter=Q(codes__status=CodeStatus.ACTIVE))
        ).order_by("created_at", "id")
        self.stdout.write(f"{'kid':<16} {'created':<25} {'retired':<25} active codes")
        for key in rows:
            created = _local(key.created_at)
            retired = _local(key.retired_at) if key.retired_at else "-"
            mark = "  (signing)" if key.retired_at is None else ""
            self.stdout.write(f"{key.kid:<16} {created:<25} {retired:<25} {key.active_codes}{mark}")
