""" "Around you" at a venue's door: the service, GET /api/v1/venues/{short_code}/around
(shape, 404, nothing personal, bounded and cached), and the panel on the poster's page
and the result screen."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jejak.checkins.tests.conftest import take_to_issued
from jejak.people.models import Person
from jejak.tracing.models import Case, ExposureSite
from jejak.venues.tests.factories import VenueFactory
from jejak.visits.tests.conftest import MiniDemo, build_mini_demo
from jejak.zones import around as around_service
from jejak.zones.compute import compute_zones
from jejak.zones.tests.conftest import load_shipped_thresholds, set_population

pytestmark = pytest.mark.django_db

URL = "/api/v1/venues/{}/around"
VISITS = Path(settings.BASE_DIR) / "visits"


@pytest.fixture
def demo() -> MiniDemo:
    """The visitor app's slice of the demo (the city hall, the four demo citizens; Sari
    Hitam tested positive yesterday, so she is a case), with Kecamatan Tangerang's
    population and a computation."""
    built = build_mini_demo()
    load_shipped_thresholds()
    set_population(built.venue.region, 165_000, estimate=True)
    compute_zones()
    return built


def sari_case() -> Case:
    """Sari Hitam's case (tracing opens it once the import commits, which a test's
    transaction never does: made here)."""
    found = Case.objects.filter(person__full_name="Sari Hitam").first()
    if found is not None:
        return found
    now = timezone.now()
    return Case.objects.create(
        person=Person.objects.get(full_name="Sari Hitam"),
        source="lab_result",
        specimen_date=timezone.localdate() - dt.timedelta(days=1),
        isolation_started_at=now,
        window_start=now - dt.timedelta(days=3),
        window_end=now,
    )


def publish(demo: MiniDemo, *, days_ago: int = 2, published: bool = True) -> ExposureSite:
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    start -= dt.timedelta(days=days_ago)
    return ExposureSite.objects.create(
        venue=demo.venue,
        case=sari_case(),
        window_start=start,
        window_end=start + dt.timedelta(hours=2, minutes=30),
        published_at=timezone.now() if published else None,
    )


def test_the_answer_has_crowd_exposure_and_zone(demo):
    response = Client().get(URL.format("PUSPEM-TNG"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"venue", "crowd", "exposure", "zone", "checked_at"}
    assert body["venue"] == {"short_code": "PUSPEM-TNG", "name": demo.venue.name}
    assert body["crowd"] == {
        "inside": 0,
        "capacity": 3000,
        "percent": 0,
        "level": "sepi",
        "label": "Sepi",
    }
    assert body["exposure"] == {"recent_case": False, "days": 14, "windows": []}
    zone = body["zone"]
    # Sari Hitam lives in Kecamatan Tangerang: 1 case among 165,000 this week.
    assert zone["district_code"] == "36.71.01" and zone["district"] == "Tangerang"
    assert (zone["zone"], zone["level"], zone["colour"]) == ("rendah", 1, "hijau")
    assert zone["label"] == "Risiko rendah"
    assert zone["weekly_cases_per_100k"] == 0.61
    assert zone["population"] == 165_000 and zone["population_is_estimate"] is True
    assert zone["thresholds"] == "who-2021-06-14"
    assert dt.datetime.fromisoformat(zone["computed_at"]) <= timezone.now()
    assert response["Cache-Control"] == "max-age=30"


def test_a_published_exposure_is_told_by_its_time_only(demo):
    site = publish(demo)
    publish(demo, days_ago=1, published=False)  # not yet published: not told
    publish(demo, days_ago=20)  # ended more than 14 days ago: no longer told
    body = Client().get(URL.format("PUSPEM-TNG")).json()
    assert body["exposure"]["recent_case"] is True
    [window] = body["exposure"]["windows"]
    assert dt.datetime.fromisoformat(window["start"]) == site.window_start
    assert dt.datetime.fromisoformat(window["end"]) == site.window_end
    assert set(window) == {"start", "end"}


def test_nothing_personal_is_in_the_answer(demo):
    publish(demo)
    text = Client().get(URL.format("PUSPEM-TNG")).content.decode()
    sari = Person.objects.get(full_name="Sari Hitam")
    for secret in (
        sari.full_name,
        sari.nik_masked,
        sari.nik_index,
        sari.public_id,
        demo.phones["hitam"],
        demo.phones["hitam"][-8:],
        f'"case": {sari_case().pk}',
    ):
        assert secret not in text
    assert not re.search(r"\d{16}", text)  # no NIK
    assert "case_id" not in text and "person" not in text


def test_unknown_and_not_issued_venues_are_404(demo, city, sector):
    for code in ("NOPE", "x" * 200):
        response = Client().get(URL.format(code))
        assert response.status_code == 404
        assert response.json()["code"] == "venue_not_found"
    registered = VenueFactory(region=city.children.first(), sector=sector)
    assert Client().get(URL.format(registered.short_code)).status_code == 404
    issued = take_to_issued(VenueFactory(region=city.children.first(), sector=sector))
    assert Client().get(URL.format(issued.short_code)).status_code == 200


def test_the_answer_is_cheap_and_cached(demo):
    client = Client()
    url = URL.format("PUSPEM-TNG")
    client.get(url)  # warms what every process keeps (the PPKM snapshot), not the answer
    around_service.forget(demo.venue)
    with CaptureQueriesContext(connection) as cold:
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        cold_ms = (time.perf_counter() - started) * 1000
    with CaptureQueriesContext(connection) as cached:
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        cached_ms = (time.perf_counter() - started) * 1000
    # Cold: the venue, the crowd (occupancy row, overdue stays), the exposures, the zone.
    assert len(cold) <= 5, [q["sql"] for q in cold.captured_queries]
    # Cached: the venue and the live crowd only.
    assert len(cached) <= 3, [q["sql"] for q in cached.captured_queries]
    print(f"around: cold {len(cold)} q {cold_ms:.1f} ms, cached {len(cached)} q {cached_ms:.1f} ms")


def test_the_cached_part_lasts_a_minute_and_the_crowd_is_live(demo):
    url = URL.format("PUSPEM-TNG")
    assert Client().get(url).json()["exposure"]["recent_case"] is False
    publish(demo)
    # Within CACHE_SECONDS the exposure is not seen yet...
    assert Client().get(url).json()["exposure"]["recent_case"] is False
    around_service.forget(demo.venue)  # ...as after the minute
    assert Client().get(url).json()["exposure"]["recent_case"] is True
    assert around_service.CACHE_SECONDS == 60


def test_labels_follow_the_language(demo):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(URL.format("PUSPEM-TNG")).json()
    assert (body["crowd"]["label"], body["zone"]["label"]) == ("Quiet", "Low risk")


def test_before_any_computation_the_zone_is_unknown(city, sector):
    venue = take_to_issued(VenueFactory(region=city.children.first(), sector=sector))
    zone = Client().get(URL.format(venue.short_code)).json()["zone"]
    assert (zone["zone"], zone["level"], zone["colour"]) == ("unknown", None, "abu")
    assert zone["district"] == venue.region.name and zone["computed_at"] is None


def test_crowd_levels():
    assert [
        around_service.crowd_of(inside, 100).level for inside in (0, 49, 50, 79, 80, 99, 100, 120)
    ] == ["sepi", "sepi", "sedang", "sedang", "ramai", "ramai", "penuh", "penuh"]
    closed = around_service.crowd_of(0, 0)
    assert (closed.level, closed.percent) == ("penuh", None)


def test_the_operation_is_documented_public_with_its_404(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/venues/{short_code}/around"]["get"]
    assert "security" not in operation or operation["security"] == []
    assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    assert "14 days" in operation["description"]


# --- The panel on the pages -------------------------------------------------------------


def test_the_poster_page_shows_the_panel(demo):
    publish(demo)
    html = Client().get(f"/q/{demo.token}").content.decode()
    assert "Di sekitar Anda" in html
    assert "Total Keramaian" in html and "0 / 3000" in html and "Sepi" in html
    assert 'id="visit-crowd"' in html and "data-preview=" in html
    assert "Kasus terkonfirmasi di sini dalam 14 hari terakhir" in html
    assert "around-exposure-ya" in html and "10:00–12:30 WIB" in html
    assert "Zona risiko Kecamatan Tangerang" in html
    assert "Risiko rendah · Level 1" in html and "around-zone-hijau" in html
    assert "0,6 kasus baru per 100.000 penduduk per minggu" in html
    assert "dihitung pada" in html and "jumlah penduduk perkiraan" in html
    assert "visits/around.css" in html
    assert html.count('id="visit-crowd"') == 1


def test_the_poster_page_in_english(demo):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/q/{demo.token}").content.decode()
    assert "Around you" in html and "Confirmed case here in the last 14 days" in html
    assert "Low risk" in html and "new cases per 100,000 residents per week" in html


def test_the_result_screen_shows_the_panel(demo):
    client = Client()
    client.force_login(demo.visitors["hijau"])
    nonce = uuid.uuid4()
    data = {"qr": demo.token, "nonce": str(nonce), "people": ["self"], "visitor_type": "guest"}
    assert client.post("/saya/check-in/", data).status_code == 302
    around_service.forget(demo.venue)
    html = client.get(f"/saya/check-in/{nonce}/").content.decode()
    assert "Di sekitar Anda" in html
    assert "1 / 3000" in html  # the crowd now, with the visitor inside
    assert "around-exposure-tidak" in html and "Risiko rendah" in html
    assert "data-preview=" not in html


def test_the_panel_says_when_no_figure_exists_yet(city, sector):
    demo = build_mini_demo()
    html = Client().get(f"/q/{demo.token}").content.decode()
    assert "Belum diketahui" in html and "Belum dihitung." in html


def test_the_panel_has_no_inline_style_or_script():
    template = (VISITS / "templates" / "visits" / "around.html").read_text()
    assert not re.search(r"\sstyle=|<style|<script|\son[a-z]+=", template)


def _six(colour: str) -> str:
    return "#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_text_colour_of_the_panel_is_at_least_4_5_to_1():
    css = re.sub(
        r"/\*.*?\*/", "", (VISITS / "static" / "visits" / "around.css").read_text(), flags=re.S
    )
    pairs = []
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-f]{3,6})\b", body)
        background = re.search(r"background:\s*(#[0-9a-f]{3,6})\b", body)
        if colour:
            bg = background[1] if background else "#fff"
            pairs.append((selectors.strip(), _six(colour[1]), _six(bg)))
    assert len(pairs) >= 8
    for selectors, fg, bg in pairs:
        assert contrast(fg, bg) >= 4.5, (selectors, fg, bg, round(contrast(fg, bg), 2))
