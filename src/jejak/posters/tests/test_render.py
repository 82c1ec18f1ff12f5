import datetime as dt
import io
import os
import time
from collections.abc import Iterable

import pytest
from django.db.models import QuerySet

from jejak.core.public_url import public_base_url
from jejak.devtools.management.commands.bench_posters import synthetic_codes
from jejak.posters.render import human_code, printable_codes, render_posters
from jejak.posters.tests.conftest import decode_qr, issued, page_text, pdf_pages
from jejak.qrcodes.models import CodeStatus, QrCode
from jejak.qrcodes.service import issue_code_for_entry_point, verify
from jejak.qrcodes.tokens import qr_url
from jejak.regions.models import Region
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueStatus
from jejak.venues.tests.factories import VenueFactory


def render(codes: Iterable[QrCode]) -> bytes:
    out = io.BytesIO()
    render_posters(codes, out, base_url=public_base_url())
    return out.getvalue()


def venue_codes(venue: Venue) -> QuerySet[QrCode]:
    return printable_codes(Venue.objects.filter(pk=venue.pk))


def test_poster_qr_decodes_to_a_code_that_verifies(hotel: Venue) -> None:
    codes = list(venue_codes(hotel))
    pages = pdf_pages(render(codes))

    assert len(pages) == 2
    for page, code in zip(pages, codes, strict=True):
        assert decode_qr(page) == [qr_url(code.token)]
        assert verify(decode_qr(page)[0]).code == code


def test_poster_text_names_venue_entrance_and_code(hotel: Venue) -> None:
    # 20:30 UTC on the 12th is already the 13th in Jakarta.
    QrCode.objects.update(issued_at=dt.datetime(2021, 10, 12, 20, 30, tzinfo=dt.UTC))
    code = venue_codes(hotel)[0]

    text = page_text(pdf_pages(render([code]))[0])

    for expected in [
        "HOTEL",
        "Hotel Cisadane",
        "Pintu Utara",
        "Pindai untuk check-in",
        "Scan to check in",
        "2021-10-13",
        code.key.kid,
        f"HTL-CISADANE-1 · {code.public_id[:6]}",
        "Jejak",
    ]:
        assert expected in text
    assert human_code(code) == f"HTL-CISADANE-1 · {code.public_id[:6]}"


def test_only_active_codes_of_live_venues_are_printed(
    hotel: Venue, city: Region, sector: Sector
) -> None:
    issue_code_for_entry_point(entry_point=hotel.entry_points.get(position=1))
    suspended = issued(VenueFactory(region=city, sector=sector))
    Venue.objects.filter(pk=suspended.pk).update(status=VenueStatus.SUSPENDED)
    VenueFactory(region=city, sector=sector)  # registered, no codes yet

    codes = list(printable_codes(Venue.objects.all()))

    assert len(codes) == 2
    assert QrCode.objects.filter(entry_point__venue=hotel).count() == 3
    assert {c.entry_point.position for c in codes} == {0, 1}
    assert len(pdf_pages(render(codes))) == 2


def test_replaced_code_is_refused(hotel: Venue) -> None:
    code = venue_codes(hotel)[0]
    code.status = CodeStatus.REPLACED

    with pytest.raises(ValueError, match="not active"):
        render([code])


def test_longest_name_and_non_latin_letters_fit_and_keep_the_qr_readable(
    city: Region, sector: Sector
) -> None:
    name = ("Masjid Raya Al-A‘ẓam " + "Sekolah Menengah Kejuruan Negeri Pariwisata " * 5)[:200]
    venue = issued(VenueFactory(region=city, sector=sector, name=name, entrances=["Gerbang Ṣalāḥ"]))
    code = venue_codes(venue)[0]

    page = pdf_pages(render([code]))[0]

    text = " ".join(page_text(page).split())
    # Folded to letters Helvetica has, rather than drawn as black boxes.
    assert " ".join(name.replace("ẓ", "z").split()) in text
    assert "Gerbang Salah" in text
    assert decode_qr(page) == [qr_url(code.token)]


def test_timing_of_a_city_batch() -> None:
    codes = synthetic_codes(339)
    out = io.BytesIO()
    start = time.perf_counter()
    pages = render_posters(codes, out, base_url=public_base_url(), processes=os.cpu_count() or 1)
    seconds = time.perf_counter() - start

    print(f"\n{pages} posters in {seconds:.2f} s ({pages / seconds:.0f} pages/s)")
    assert pages == 339
    assert decode_qr(pdf_pages(out.getvalue())[338]) == [qr_url(codes[338].token)]
