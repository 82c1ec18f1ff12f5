"""The published test vectors (vectors.json) against our implementation."""

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jejak.qrcodes import keys, service
from jejak.qrcodes.errors import HTTP_STATUS, QrError
from jejak.qrcodes.models import QrCode, SigningKey
from jejak.qrcodes.tests import vectors
from jejak.qrcodes.tokens import b64url
from jejak.sectors.models import Sector
from jejak.venues.models import EntryPoint, Venue

DOCUMENT = json.loads(vectors.PATH.read_text(encoding="utf-8"))
NOW = dt.datetime.fromtimestamp(DOCUMENT["now"], tz=dt.UTC)


def test_committed_file_matches_the_generator():
    assert vectors.PATH.read_text(encoding="utf-8") == vectors.render()


def test_vector_keys_are_marked_test_only_and_consistent():
    assert "TEST-ONLY" in DOCUMENT["WARNING"]
    for key in DOCUMENT["keys"]:
        assert key["test_only"] is True
        private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed_hex"]))
        assert b64url(keys.raw_public_key(private)) == key["x"]


@pytest.fixture
def vector_state(city):
    """The database the vectors describe: published keys, venues, entrances and codes."""
    for key in DOCUMENT["keys"]:
        if key["published"]:
            keys.store_key(
                kid=key["kid"],
                private_key=Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed_hex"])),
            )
    region = city.children.first()
    for spec in DOCUMENT["venues"]:
        venue = Venue.objects.create(
            short_code=spec["short_code"],
            name=spec["name"],
            sector=Sector.objects.get(slug=spec["sector"]),
            region=region,
            capacity=100,
            status=spec["status"],
        )
        for entry in spec["entry_points"]:
            entry_point = EntryPoint.objects.create(
                venue=venue, name=entry["name"], position=entry["position"]
            )
            for code in entry["codes"]:
                QrCode.objects.create(
                    entry_point=entry_point,
                    public_id=code["public_id"],
                    key=SigningKey.objects.get(kid=code["kid"]),
                    token=code["token"],
                    status=code["status"],
                )


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=[c["name"] for c in DOCUMENT["cases"]])
def test_vector(vector_state, case):
    expect = case["expect"]
    if expect["result"] == "ok":
        found = service.verify(case["input"], now=NOW)
        assert found.kind == expect["kind"]
        assert found.kid == expect["kid"]
        assert found.code.public_id == expect["public_id"]
        assert found.venue.short_code == expect["venue"]
        assert found.entry_point.name == expect["entry_point"]
        expected_exp = expect["expires_at"]
        assert found.expires_at == (
            dt.datetime.fromtimestamp(expected_exp, tz=dt.UTC) if expected_exp else None
        )
    else:
        with pytest.raises(QrError) as exc:
            service.verify(case["input"], now=NOW)
        assert exc.value.code == expect["code"]
        assert HTTP_STATUS[exc.value.code] == expect["http_status"]


def test_vectors_cover_every_reason():
    covered = {c["expect"]["code"] for c in DOCUMENT["cases"] if c["expect"]["result"] == "error"}
    assert covered >= {
        "qr_malformed",
        "qr_unknown_key",
        "qr_bad_signature",
        "qr_expired",
        "qr_unknown_code",
        "qr_replaced",
        "qr_revoked",
        "qr_suspended",
    }
