"""The landing page, the published keys and the dynamic screen code."""

import pytest

from jejak.accounts.roles import Role
from jejak.qrcodes import keys, service
from jejak.qrcodes.tests.conftest import active_code
from jejak.qrcodes.tokens import b64url_decode, parse
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import do_transition


def landing_path(token):
    return f"/q/{token}"


# The landing page


def test_landing_page_names_the_venue(client, issued_venue):
    code = active_code(issued_venue, position=1)
    response = client.get(landing_path(code.token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hotel Cisadane" in html
    assert "Pintu Selatan" in html
    assert "Hotel" in html
    assert "Kode QR resmi Jejak" in html
    assert "aplikasi" in html  # check-in happens in the app
    assert response["Cache-Control"].startswith("max-age=0")


def test_landing_page_with_trailing_slash(client, issued_venue):
    response = client.get(landing_path(active_code(issued_venue).token) + "/")
    assert response.status_code == 200


def test_landing_page_refuses_with_the_reason(client, issued_venue):
    token = active_code(issued_venue).token
    do_transition(venue=issued_venue, action="revoke", actor=None, reason="Tutup")
    response = client.get(landing_path(token))
    assert response.status_code == 410
    html = response.content.decode()
    assert "Kode QR ditolak" in html
    assert "Kode QR ini sudah dicabut." in html
    assert "qr_revoked" in html
    assert "Hotel Cisadane" not in html


def test_landing_page_for_garbage(client, db):
    response = client.get("/q/not-a-token")
    assert response.status_code == 400
    assert "qr_malformed" in response.content.decode()


def test_landing_page_for_dynamic_code_shows_expiry(client, issued_venue):
    token, _ = service.dynamic_token(entry_point=issued_venue.entry_points.first())
    response = client.get(landing_path(token))
    assert response.status_code == 200
    assert "Berlaku sampai" in response.content.decode()


# The published keys


def test_well_known_keys(client, issued_venue):
    old_kid = active_code(issued_venue).key.kid
    keys.rotate_key()
    response = client.get("/.well-known/jejak-keys.json")
    assert response.status_code == 200
    assert "max-age=300" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    document = response.json()
    assert document["format"] == "J1"
    by_kid = {k["kid"]: k for k in document["keys"]}
    assert set(by_kid) == {old_kid, keys.current_key().kid}
    assert by_kid[old_kid]["retired_at"] is not None
    assert by_kid[keys.current_key().kid]["retired_at"] is None
    for key in document["keys"]:
        assert set(key) == {"kid", "kty", "alg", "crv", "x", "created_at", "retired_at"}
        assert (key["kty"], key["alg"], key["crv"]) == ("OKP", "EdDSA", "Ed25519")
        assert len(b64url_decode(key["x"])) == 32
    assert "private" not in response.content.decode().lower()


def test_published_key_verifies_a_token(client, issued_venue):
    """A partner app can verify offline with nothing but the published document."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    token = parse(active_code(issued_venue).token)
    document = client.get("/.well-known/jejak-keys.json").json()
    x = next(k["x"] for k in document["keys"] if k["kid"] == token.kid)
    Ed25519PublicKey.from_public_bytes(b64url_decode(x)).verify(
        token.signature, token.signed_part.encode()
    )


# The dynamic screen code


def live_path(venue, position=0):
    return f"/venues/{venue.short_code}/entrances/{position}/live/"


def test_staff_of_the_venue_see_the_live_code(client_for, issued_venue):
    client = client_for(Role.VENUE_STAFF, venues=[issued_venue])
    response = client.get(live_path(issued_venue, 1))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert "Pintu Selatan" in html
    assert 'id="countdown"' in html
    assert response["Cache-Control"].startswith("max-age=0")
    token = response.context["url"].rsplit("/q/", 1)[1]
    found = service.verify(token)
    assert found.kind == "dynamic"
    assert found.entry_point.position == 1


def test_live_code_json_renews(client_for, issued_venue, settings):
    settings.JEJAK_DYNAMIC_QR_SECONDS = 180
    client = client_for(Role.VENUE_MANAGER, venues=[issued_venue])
    response = client.get(live_path(issued_venue).replace("live/", "live.json"))
    assert response.status_code == 200
    body = response.json()
    assert body["svg"].startswith("<svg")
    assert 170 <= body["expires_in"] <= 180
    assert body["renew_in"] == body["expires_in"] - 90
    assert service.verify(body["url"]).kind == "dynamic"


def test_live_code_of_suspended_venue_explains(client_for, issued_venue):
    do_transition(venue=issued_venue, action="suspend", actor=None, reason="Melanggar")
    client = client_for(Role.VENUE_STAFF, venues=[issued_venue])
    response = client.get(live_path(issued_venue))
    assert response.status_code == 200
    assert "<svg" not in response.content.decode()
    page = response.content.decode()
    assert 'data-code="qr_suspended"' in page and "<code>" not in page
    json_response = client.get(live_path(issued_venue).replace("live/", "live.json"))
    assert json_response.status_code == 409
    assert json_response.json()["code"] == "qr_suspended"


def test_staff_of_another_venue_get_404(client_for, issued_venue):
    other = VenueFactory(region=issued_venue.region)
    client = client_for(Role.VENUE_STAFF, venues=[other])
    assert client.get(live_path(issued_venue)).status_code == 404
    assert client.get(live_path(issued_venue).replace("live/", "live.json")).status_code == 404


def test_role_without_the_capability_gets_403(client_for, issued_venue, city):
    client = client_for(Role.CITY_ADMIN, region=city)
    assert client.get(live_path(issued_venue)).status_code == 403


def test_anonymous_goes_to_login(client, issued_venue):
    response = client.get(live_path(issued_venue))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_unknown_entrance_is_404(client_for, issued_venue):
    client = client_for(Role.VENUE_STAFF, venues=[issued_venue])
    assert client.get(live_path(issued_venue, 7)).status_code == 404


@pytest.mark.parametrize("path", ["/q/x", "/.well-known/jejak-keys.json"])
def test_pages_are_get_only(client, db, path):
    assert client.post(path).status_code == 405


def test_issuer_sees_any_venue(client_for, issued_venue):
    client = client_for(Role.ISSUER)
    assert client.get(live_path(issued_venue)).status_code == 200
