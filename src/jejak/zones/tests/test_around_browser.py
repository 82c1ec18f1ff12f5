"""The "around you" panel in Debian's Chromium at 360 px: on the poster's page and on the
result screen, within the phone's width, no CSP violation (the page fixture collects
console errors; axe-core checks the page), and every text colour at least 4.5:1 as the
browser computes it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client

from jejak.visits.tests.conftest import build_mini_demo
from jejak.zones.compute import compute_zones
from jejak.zones.tests.conftest import load_shipped_thresholds, set_population
from jejak.zones.tests.test_around import contrast, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RGB = re.compile(r"rgba?\((\d+), (\d+), (\d+)")


def _hex(css: str) -> str:
    found = RGB.match(css)
    assert found, css
    return "#" + "".join(f"{int(part):02x}" for part in found.groups())


def panel_contrasts(page: Any) -> list[tuple[str, float]]:
    """(text, contrast) of every element of the panel that holds text, against the first
    opaque background behind it."""
    pairs = page.evaluate(
        """() => [...document.querySelectorAll('.around *')]
          .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
          .map(e => {
            let b = e, bg = 'rgba(0, 0, 0, 0)';
            while (b && (bg = getComputedStyle(b).backgroundColor) === 'rgba(0, 0, 0, 0)') {
              b = b.parentElement;
            }
            return [e.textContent.trim().slice(0, 30), getComputedStyle(e).color, bg];
          })"""
    )
    return [(text, contrast(_hex(fg), _hex(bg))) for text, fg, bg in pairs]


def test_the_panel_on_the_poster_page_and_the_result_screen(page, live_server, screenshot):
    demo = build_mini_demo()
    load_shipped_thresholds()
    set_population(demo.venue.region, 165_000, estimate=True)
    compute_zones()
    publish(demo)

    page.goto(f"/q/{demo.token}")
    panel = page.locator(".around")
    text = panel.inner_text()
    assert "Di sekitar Anda" in text and "0 / 3000" in text
    assert "Ya" in text and "WIB" in text
    assert "Risiko rendah · Level 1" in text and "dihitung pada" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    low = [(t, round(c, 2)) for t, c in panel_contrasts(page) if c < 4.5]
    assert low == []
    assert page.errors == []
    screenshot(page, "landing-around", full_page=True)

    client = Client()
    client.force_login(demo.visitors["hijau"])
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    nonce = uuid.uuid4()
    data = {"qr": demo.token, "nonce": str(nonce), "people": ["self"], "visitor_type": "guest"}
    assert client.post("/saya/check-in/", data).status_code == 302
    page.goto(f"/saya/check-in/{nonce}/")
    panel = page.locator(".around")
    assert "Di sekitar Anda" in panel.inner_text()
    low = [(t, round(c, 2)) for t, c in panel_contrasts(page) if c < 4.5]
    assert low == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == []
    screenshot(page, "result-around", full_page=True)
