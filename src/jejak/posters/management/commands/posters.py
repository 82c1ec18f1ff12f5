"""`jejak posters`: print the entrance posters of one venue, a sector, a region or all."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from jejak.posters.render import printable_codes, render_posters
from jejak.regions.models import Region
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueQuerySet


class Command(BaseCommand):
    help = "Write one A4 poster per active QR code of the selected venues to a PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        selector = parser.add_mutually_exclusive_group(required=True)
        selector.add_argument("--venue", metavar="SHORTCODE")
        selector.add_argument("--sector", metavar="SLUG", help="includes its sub-sectors")
        selector.add_argument("--region", metavar="CODE", help="e.g. 36.71, with all inside it")
        selector.add_argument("--all", action="store_true")
        parser.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")
        parser.add_argument(
            "--processes", type=int, default=os.cpu_count() or 1, help="for QR encoding"
        )
        parser.add_argument(
            "--base-url",
            default=settings.JEJAK_PUBLIC_URL,
            help="the address the codes open (default JEJAK_PUBLIC_URL)",
        )
        parser.add_argument(
            "--allow-loopback",
            action="store_true",
            help="print codes that open 127.0.0.1 or localhost (only phones on this machine)",
        )

    def handle(
        self,
        *args: Any,
        out: Path,
        processes: int,
        base_url: str,
        allow_loopback: bool,
        **options: Any,
    ) -> None:
        if not out.parent.is_dir():
            raise CommandError(f"No directory {out.parent} to write {out.name} in.")
        base_url = _checked_base_url(base_url, allow_loopback)
        venues, label = self._venues(options)
        start = time.perf_counter()
        codes = list(printable_codes(venues))
        if not codes:
            raise CommandError(f"No active QR codes for {label} (venues issued or installed).")
        # Render beside the target and rename at the end, so a failure leaves no half file.
        fd, tmp_name = tempfile.mkstemp(suffix=".pdf.part", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                pages = render_posters(codes, tmp, base_url=base_url, processes=processes)
            os.replace(tmp_name, out)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        seconds = time.perf_counter() - start
        self.stdout.write(
            f"{pages} pages for {label} opening {base_url} written to {out} in {seconds:.2f} s"
        )

    def _venues(self, options: dict[str, Any]) -> tuple[VenueQuerySet, str]:
        venues = Venue.objects.all()
        if options["venue"]:
            venue = venues.filter(short_code=options["venue"]).first()
            if venue is None:
                raise CommandError(f"Unknown venue {options['venue']!r}.")
            return venues.filter(pk=venue.pk), f"venue {venue.short_code} ({venue.status})"
        if options["sector"]:
            sector = Sector.objects.filter(slug=options["sector"]).first()
            if sector is None:
                raise CommandError(f"Unknown sector {options['sector']!r}.")
            return venues.filter(
                Q(sector=sector) | Q(sector__parent=sector)
            ), f"sector {sector.slug}"
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"Unknown region {options['region']!r}.")
            return venues.filter(region.subtree_q("region")), f"region {region.code} {region.name}"
        return venues, "all venues"


def _checked_base_url(base_url: str, allow_loopback: bool) -> str:
    """A printed poster lives for months on a wall: refuse an address no phone can open."""
    if not base_url:
        raise CommandError(
            "No address for the codes: set JEJAK_PUBLIC_URL or give --base-url "
            "(e.g. https://jejak.example.go.id)."
        )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"--base-url {base_url!r} is not an http(s) address.")
    loopback = parts.hostname == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(parts.hostname).is_loopback
    if loopback and not allow_loopback:
        raise CommandError(
            f"{base_url} is this machine's own address: a phone cannot open it. Give the "
            "address phones reach (--base-url), or --allow-loopback for a test print."
        )
    return base_url.rstrip("/")
