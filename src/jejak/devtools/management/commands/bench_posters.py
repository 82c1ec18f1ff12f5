"""`jejak bench-posters`: time rendering a city's worth of posters. Writes nothing lasting."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.core.public_url import public_base_url
from jejak.posters.render import printable_codes, render_posters
from jejak.qrcodes.models import QrCode, SigningKey
from jejak.qrcodes.tokens import STATIC, new_kid, new_public_id, sign
from jejak.sectors.models import Sector
from jejak.venues.models import EntryPoint, Venue, VenueStatus


class Command(BaseCommand):
    help = "Render N posters to a temporary file and print pages, seconds and pages/s."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=339, help="339: Kota Tangerang, 2021")
        parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)

    def handle(self, *args: Any, count: int, processes: int, **options: Any) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1.")
        codes = list(printable_codes(Venue.objects.all())[:count])
        source = "database"
        if len(codes) < count:
            codes, source = synthetic_codes(count), "synthetic"
        with tempfile.TemporaryFile() as out:
            start = time.perf_counter()
            pages = render_posters(codes, out, base_url=public_base_url(), processes=processes)
            seconds = time.perf_counter() - start
            size = out.tell()
        self.stdout.write(
            f"{pages} pages ({source} codes, {processes} processes) in {seconds:.2f} s: "
            f"{pages / seconds:.0f} pages/s, {size / 1e6:.1f} MB"
        )


def synthetic_codes(count: int) -> list[QrCode]:
    """`count` unsaved codes with genuinely signed tokens, so symbols have the real size."""
    private_key = Ed25519PrivateKey.generate()
    key = SigningKey(kid=new_kid())
    sector = Sector(slug="sekolah", name_id="Sekolah", name_en="Schools")
    issued_at = dt.datetime(2021, 10, 12, 2, 0, tzinfo=dt.UTC)
    codes = []
    for n in range(count):
        venue = Venue(
            short_code=f"BENCH-{n:04d}",
            name=f"Sekolah Menengah Pertama Negeri {n + 1} Kota Tangerang",
            sector=sector,
            status=VenueStatus.ISSUED,
        )
        public_id = new_public_id()
        token = sign(private_key=private_key, kid=key.kid, kind=STATIC, public_id=public_id)
        entry = EntryPoint(venue=venue, name="Pintu Utama", position=0)
        codes.append(
            QrCode(
                entry_point=entry, key=key, public_id=public_id, token=token, issued_at=issued_at
            )
        )
    return codes
