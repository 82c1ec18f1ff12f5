"""Fixtures of the poster tests: venues whose codes are issued, and a PDF reader."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pypdfium2
import pytest
import zxingcpp

from jejak.qrcodes import keys
from jejak.qrcodes.service import issue_codes
from jejak.venues.models import Venue, VenueStatus
from jejak.venues.tests.factories import VenueFactory


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> Iterator[None]:
    # Signing keys are cached per process; each test's database is rolled back.
    keys.invalidate_cache()
    yield
    keys.invalidate_cache()


def issued(venue: Venue) -> Venue:
    """`venue` with fresh active codes, in the status that has them."""
    Venue.objects.filter(pk=venue.pk).update(status=VenueStatus.ISSUED)
    issue_codes(venue=venue)
    venue.refresh_from_db()
    return venue


@pytest.fixture
def hotel(city: Any, sector: Any) -> Venue:
    """A hotel in Kota Tangerang with two entrances and issued codes."""
    return issued(
        VenueFactory(
            short_code="HTL-CISADANE",
            name="Hotel Cisadane",
            region=city.children.first(),
            sector=sector,
            entrances=["Pintu Utara", "Pintu Selatan"],
        )
    )


def pdf_pages(data: bytes) -> list[pypdfium2.PdfPage]:
    return list(pypdfium2.PdfDocument(data))


def page_text(page: pypdfium2.PdfPage) -> str:
    return page.get_textpage().get_text_range()


def decode_qr(page: pypdfium2.PdfPage) -> list[str]:
    """Rasterise a page at 150 dpi, as a phone would see it, and read every QR code on it.

    QR codes only, as the check-in app's scanner: read for every format, the poster's text
    and lines were now and then taken for a one-dimensional barcode (a run in CI read a
    random token's poster as its QR code and "4417")."""
    image = page.render(scale=150 / 72, grayscale=True).to_pil()
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    return [result.text for result in found]


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    # Posters need the address phones reach; the command refuses to guess one.
    settings.JEJAK_PUBLIC_URL = "https://jejak.example.go.id"
