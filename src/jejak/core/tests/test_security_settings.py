"""Security headers, the CSP, local front-end assets and the production check list."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.core.tests.serving import JEJAK

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    # The list in docs/deployment.md ("The environment file"), less what only a real
    # deployment has (paths, gateways' tokens).
    "SECRET_KEY": "x7Kq2-" + "a9B3c8D2e7F1g6H0j5K4m3N8p2Q7r1S6t0U5v9W4x8Y3z7",
    "ALLOWED_HOSTS": "jejak.example.go.id",
    "CSRF_TRUSTED_ORIGINS": "https://jejak.example.go.id",
    "BEHIND_PROXY": "true",
    "JEJAK_TRUSTED_PROXIES": "127.0.0.1",
    "JEJAK_PUBLIC_URL": "https://jejak.example.go.id",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "JEJAK_DATA_KEYS": "data-key-for-the-check-only",
    "JEJAK_INDEX_KEY": "index-key-for-the-check-only",
    "JEJAK_PAIRWISE_KEY": "pairwise-key-for-the-check-only",
    "JEJAK_SMS_BACKEND": "http",
    "JEJAK_SMS_HTTP_URL": "https://sms-gateway.example.internal/send",
    "JEJAK_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
    "JEJAK_DEVTOOLS": "false",
    "JEJAK_DPO_EMAIL": "ppdp@example.go.id",
}


def _check_deploy(extra: dict[str, str], tmp_path: Any) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JEJAK_", "SECURE_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(extra, JEJAK_VAR_DIR=str(tmp_path))
    done = subprocess.run(
        [JEJAK, "check", "--deploy"], env=env, capture_output=True, text=True, timeout=120
    )
    return done.stdout + done.stderr


def test_the_documented_production_environment_passes_check_deploy(tmp_path: Any) -> None:
    out = _check_deploy(PRODUCTION_ENV, tmp_path)
    assert "System check identified no issues" in out, out


def test_check_deploy_warns_when_the_index_key_is_not_set(tmp_path: Any) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "JEJAK_INDEX_KEY"}
    assert "jejak.accounts.W001" in _check_deploy(env, tmp_path)


def test_check_deploy_warns_when_the_pairwise_key_is_not_set(tmp_path: Any) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "JEJAK_PAIRWISE_KEY"}
    assert "jejak.partners.W001" in _check_deploy(env, tmp_path)


def test_check_deploy_warns_while_the_dpo_is_the_demos(tmp_path: Any) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "JEJAK_DPO_EMAIL"}
    assert "jejak.accounts.W002" in _check_deploy(env, tmp_path)


def test_check_deploy_warns_while_tasks_run_inside_requests(tmp_path: Any) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "JEJAK_TASK_BACKEND"}
    assert "jejak.notifications.W002" in _check_deploy(env, tmp_path)


def test_pages_carry_a_csp_whose_nonce_is_on_every_inline_script(make_user: Any, city: Any) -> None:
    from jejak.screening.tests.factories import make_person

    visitor = make_user(Role.VISITOR)
    make_person(visitor)  # the status page's clock and renewal run in an inline script
    client = Client()
    client.force_login(visitor)
    response = client.get("/saya/status/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    html = response.content.decode()
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html):
        if 'type="application/json"' in tag:
            continue  # data, not code
        assert f'nonce="{nonce.group(1)}"' in tag, tag
    assert " style=" not in html


def test_api_docs_are_served_from_our_own_static_files(client: Client) -> None:
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert not re.search(r"(src|href)=\"https?://", html), "an asset from another site"


def test_https_settings_follow_the_public_url(settings: Any) -> None:
    from jejak import settings as module

    assert module.HTTPS is module.JEJAK_PUBLIC_URL.startswith("https://")
    if not module.HTTPS:
        assert settings.SECURE_HSTS_SECONDS == 0 and not settings.SECURE_SSL_REDIRECT


def test_hsts_and_the_redirect_when_on(client: Client, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert client.get("/masuk/")["Location"].startswith("https://")
    assert client.get("/healthz").status_code in (200, 503)  # probes stay on http
    secure = client.get("/masuk/", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_map_tile_host_is_allowed_for_images_only() -> None:
    from jejak.settings import map_tile_origin

    assert map_tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == [
        "https://*.tile.example.org"
    ]
    assert map_tile_origin("https://tiles.example.org/{z}/{x}/{y}.png") == [
        "https://tiles.example.org"
    ]
    assert map_tile_origin("") == []


def test_every_aria_describedby_points_at_an_element_on_the_page(make_user: Any, city: Any) -> None:
    """Issue 18, defect 6: Django names a field's help text in aria-describedby; the
    templates that draw the help text themselves must give it that id."""
    visitor = make_user(Role.VISITOR)
    client = Client()
    client.force_login(visitor)
    admin = Client()
    admin.force_login(make_user(Role.CITY_ADMIN, region=city))
    pages = [
        (client, "/saya/profil/"),
        (client, "/saya/keluarga/"),
        (admin, "/venues/new/"),
    ]
    for who, url in pages:
        html = who.get(url).content.decode()
        for target in re.findall(r'aria-describedby="([^"]+)"', html):
            for one in target.split():
                assert f'id="{one}"' in html, (url, one)
