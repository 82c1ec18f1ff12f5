"""Fixtures shared by every app's tests: region -> sectors -> venue -> officer clients."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.checkins.batcher import batcher
from jejak.regions.models import Region
from jejak.regions.tests.factories import city_with_districts
from jejak.sectors.models import Sector
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory

if TYPE_CHECKING:
    from jejak.accounts.models import User


@pytest.fixture(autouse=True)
def _batcher_closed(request: Any) -> Any:
    """A transactional test's check-ins go to this process's batcher (the view hands
    them over outside a transaction), whose thread keeps a connection to the test
    database: it ends with the test, not at interpreter exit after the database."""
    yield
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        batcher().close()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    # The manifest storage needs collectstatic first; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_process_caches(monkeypatch: Any) -> Any:
    # Signing keys, PPKM policies, rule sets and closures are cached in process memory for the hot
    # path; a test's rolled-back rows must not survive there into the next test.
    from jejak.core import process_cache
    from jejak.qrcodes.keys import invalidate_cache

    # A test is one process, whose own writes drop the values at once. Checking the
    # versions again each second would only make query counts depend on the machine's
    # speed; the tests of that check choose their interval.
    monkeypatch.setattr(process_cache, "CHECK_SECONDS", 3600.0)
    for drop in (process_cache.reset_all, invalidate_cache):
        drop()
    yield
    for drop in (process_cache.reset_all, invalidate_cache):
        drop()


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    # The "around you" panel, the console's counts and sign-in throttles cache per venue or
    # account: one test's figures must not answer the next test's request. Nor may one
    # test's messages fill the outbox's send-rate windows of the next, nor its partner
    # calls a partner's.
    from django.core.cache import cache

    from jejak.notifications import rates
    from jejak.partners import rates as partner_rates

    cache.clear()
    rates.reset()
    partner_rates.reset()
    yield
    cache.clear()
    rates.reset()
    partner_rates.reset()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in Indonesian: the language middleware activates the request's
    language in the thread and leaves it there (as Django's does), so a test's request
    in English would otherwise turn the next test's messages, SMS and exports English."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 is slow on purpose; tests log in hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_waived(settings: Any) -> None:
    # Most tests sign officers in with force_login and test something else; the tests of
    # the second factor (accounts/tests/test_second_factor.py) turn the waiver off.
    settings.JEJAK_DEMO_SKIP_SECOND_FACTOR = True


@pytest.fixture(autouse=True)
def _privacy_notice_accepted(request: Any, monkeypatch: Any) -> None:
    # Most tests sign visitors in to test something else: every account counts as having
    # accepted the current privacy notice. The tests of the notice ask for
    # `privacy_notice_enforced` (accounts/tests/test_privacy.py) and get the real rule.
    if "privacy_notice_enforced" in request.fixturenames:
        return
    from jejak.accounts import privacy

    monkeypatch.setattr(privacy, "needs_acceptance", lambda user: False)


@pytest.fixture
def privacy_notice_enforced() -> None:
    """Visitors must accept the current privacy notice, as in production."""


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _erasure_log(settings: Any, tmp_path: Any) -> None:
    # Closing an account appends to the erasure log: never the developer's own var/.
    settings.JEJAK_ERASURE_LOG = tmp_path / "erasure-log.jsonl"


@pytest.fixture
def city(db: None) -> Region:
    """Kota Tangerang (36.71) inside Banten, with two kecamatan."""
    return city_with_districts()


@pytest.fixture
def other_city(db: None) -> Region:
    """Kota Tangerang Selatan (36.74): another city of the same province."""
    return city_with_districts(code="36.74", name="Kota Tangerang Selatan")


@pytest.fixture
def sector(db: None) -> Sector:
    return Sector.objects.get(slug="hotel")


@pytest.fixture
def venue(city: Region, sector: Sector) -> Venue:
    return VenueFactory(region=city.children.first(), sector=sector)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(role: str = Role.CITY_ADMIN, **kwargs: Any) -> User:
        sectors = kwargs.pop("sectors", [])
        venues = kwargs.pop("venues", [])
        user = UserFactory(role=role, **kwargs)
        user.sectors.set(sectors)
        user.venues.set(venues)
        return user

    return make


@pytest.fixture
def client_for(make_user: Callable[..., User]) -> Callable[..., Client]:
    """A logged-in test client for a new user of `role` (extra kwargs go to the user)."""

    def make(role: str = Role.CITY_ADMIN, **kwargs: Any) -> Client:
        c = Client()
        c.force_login(make_user(role, **kwargs))
        return c

    return make


@pytest.fixture
def issuer(make_user: Callable[..., User]) -> User:
    return make_user(Role.ISSUER, is_staff=True)


@pytest.fixture
def city_admin(make_user: Callable[..., User], city: Region) -> User:
    return make_user(Role.CITY_ADMIN, region=city)


@pytest.fixture
def run_async() -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """`asyncio.run` on a thread of its own: once a browser test has run, Playwright keeps
    an event loop running in the main thread for the rest of the session."""

    def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    return run


# Browser tests (marked `browser`) use these: Debian's Chromium through Playwright, a
# 360 px phone-sized page on the live server, and every console error collected.
@pytest.fixture(scope="session")
def browser() -> Any:
    from jejak.core.browser import launch

    yield from launch()


@pytest.fixture
def page(browser: Any, live_server: Any, transactional_db: None) -> Any:
    from jejak.sectors.reference import ensure_sectors
    from jejak.tracing.models import TracingProfile, VenueTypeWeight
    from jejak.tracing.reference import ensure_profiles, ensure_weights

    # A transactional test starts from a flushed database: put the reference data back
    # (the sectors, and the tracing profiles a case is opened with).
    ensure_sectors(Sector)
    ensure_weights(VenueTypeWeight, Sector)
    ensure_profiles(TracingProfile, VenueTypeWeight)
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
    from jejak.core.browser import AccessibilityWatch

    watch = AccessibilityWatch(page)
    page.accessibility_watch = watch
    yield page
    watch.check()  # the page the test ended on
    context.close()
    assert not watch.problems, "accessibility (axe-core, serious or critical):\n" + watch.report()


@pytest.fixture
def log_in() -> Callable[[Any, User], None]:
    """Sign a staff user in through the login form (factories set test-password-123)."""

    def sign_in(page: Any, user: User) -> None:
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "test-password-123")
        page.click("button[type=submit]")
        page.wait_for_load_state()

    return sign_in


@pytest.fixture
def sms_outbox(settings: Any, tmp_path: Any) -> Any:
    """SMS become files in a temporary directory; `notifications.sms.read_last_code` reads them."""
    settings.JEJAK_SMS_BACKEND = "file"
    settings.JEJAK_SMS_DIR = tmp_path / "sms"
    return settings.JEJAK_SMS_DIR


@pytest.fixture
def screenshot() -> Callable[..., None]:
    """screenshot(page, name, full_page=False) saves <JEJAK_SCREENSHOTS>/<name>.png
    (`make screenshots` sets it to docs/screenshots); without the variable it does nothing."""
    import os
    from pathlib import Path

    folder = os.environ.get("JEJAK_SCREENSHOTS", "")

    def take(page: Any, name: str, full_page: bool = False) -> None:
        if not folder:
            return
        target = Path(folder) / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        # By default the viewport only (a phone's screen), which also keeps files small.
        page.screenshot(path=str(target), full_page=full_page)

    return take


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """CI gates (marked `gate`) are long: they run where .ci/run asks (JEJAK_GATES=1)."""
    if os.environ.get("JEJAK_GATES") == "1":
        return
    skip = pytest.mark.skip(reason="a CI gate: set JEJAK_GATES=1 to run it")
    for item in items:
        if "gate" in item.keywords:
            item.add_marker(skip)
