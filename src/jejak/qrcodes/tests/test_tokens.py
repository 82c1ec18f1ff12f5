"""The J1 format without a database: signing, parsing, and what parsing refuses."""

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jejak.qrcodes import tokens
from jejak.qrcodes.errors import QrError, Reason

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def make(kind=tokens.STATIC, exp=0, public_id="abcdefghijklmnop"):
    return tokens.sign(private_key=KEY, kid="k1k1k1k1", kind=kind, public_id=public_id, exp=exp)


def reason(text):
    with pytest.raises(QrError) as exc:
        tokens.check_signature(tokens.parse(text), KEY.public_key())
    return exc.value.code


def test_round_trip_static():
    token = make()
    parsed = tokens.parse(token)
    assert parsed.kid == "k1k1k1k1"
    assert parsed.kind == tokens.STATIC
    assert parsed.public_id == "abcdefghijklmnop"
    assert parsed.exp == 0
    assert parsed.expires_at is None
    tokens.check_signature(parsed, KEY.public_key())
    assert token.startswith("J1.k1k1k1k1.s.abcdefghijklmnop.0.")
    assert len(token) < 130


def test_round_trip_dynamic():
    token = make(tokens.DYNAMIC, exp=1635811380)
    parsed = tokens.parse(token)
    assert parsed.exp == 1635811380
    assert parsed.expires_at == dt.datetime(2021, 11, 2, 0, 3, tzinfo=dt.UTC)
    assert token.split(".")[4] == tokens.to_base36(1635811380)


def test_token_is_url_safe():
    assert set(make()) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@pytest.mark.parametrize(
    "wrap",
    [
        "{t}",
        "https://jejak.example.id/q/{t}",
        "https://jejak.example.id/q/{t}/",
        "http://127.0.0.1:8000/q/{t}",
        "https://pemda.example/jejak/q/{t}",
        "  https://jejak.example.id/q/{t}/ \n",
        "https://jejak.example.id/q/{t}?utm_source=poster",
        "/q/{t}",
    ],
)
def test_url_forms_are_accepted(wrap):
    token = make()
    assert tokens.extract_token(wrap.format(t=token)) == token
    assert tokens.parse(wrap.format(t=token)).public_id == "abcdefghijklmnop"


def test_qr_url(settings):
    settings.JEJAK_PUBLIC_URL = "https://jejak.example.id"
    assert tokens.qr_url("J1.x") == "https://jejak.example.id/q/J1.x"


def test_changed_field_breaks_the_signature():
    token = make()
    assert reason(token.replace("abcdefghijklmnop", "abcdefghijklmnoq")) == Reason.BAD_SIGNATURE


def test_signature_of_another_key_is_refused():
    other = Ed25519PrivateKey.generate()
    token = tokens.sign(private_key=other, kid="k1k1k1k1", kind="s", public_id="abcdefghijklmnop")
    assert reason(token) == Reason.BAD_SIGNATURE


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "J1",
        "J1.....",
        "https://example.com/",
        "https://example.com/q/",
        "https://example.com/p/J1.abc",
        "J1.k1.s.abcdefghijklmnop.0.AAAA",  # kid too short, signature too short
        "J1.k1k1k1k1.x.abcdefghijklmnop.0." + "A" * 86,  # unknown kind
        "J1.k1k1k1k1.s.ABCDEFGHIJKLMNOP.0." + "A" * 86,  # public id not lowercase
        "J1.k1k1k1k1.s.abcdefghijklmno1.0." + "A" * 86,  # '1' is not base32
        "J1.k1k1k1k1.d.abcdefghijklmnop.0." + "A" * 86,  # dynamic without exp
        "J1.k1k1k1k1.s.abcdefghijklmnop.1." + "A" * 86,  # static with exp
        "J1.k1k1k1k1.d.abcdefghijklmnop.01." + "A" * 86,  # leading zero
        "J1.k1k1k1k1.d.abcdefghijklmnop.zzzzzzzzz." + "A" * 86,  # exp too long
        "J1.k1k1k1k1.s.abcdefghijklmnop.0." + "A" * 85 + "B",  # spare bits set
        "J1.k1k1k1k1.s.abcdefgh ijklmnop.0." + "A" * 86,  # inner whitespace
        "x" * 5000,
        "J1.k1k1k1k1.s.abcdefghijklmnop.0." + "A" * 85 + "\u0661",  # a non-ASCII digit
        b"\xff\xfe",
        None,
        12345,
    ],
)
def test_malformed_input(text):
    with pytest.raises(QrError) as exc:
        tokens.parse(text)
    assert exc.value.code == Reason.MALFORMED
    assert exc.value.http_status == 400


def test_bytes_input_is_decoded():
    assert tokens.parse(make().encode()).public_id == "abcdefghijklmnop"


def test_expiry_boundary():
    parsed = tokens.parse(make(tokens.DYNAMIC, exp=1000))
    tokens.check_expiry(parsed, dt.datetime.fromtimestamp(999, tz=dt.UTC))
    with pytest.raises(QrError) as exc:
        tokens.check_expiry(parsed, dt.datetime.fromtimestamp(1000, tz=dt.UTC))
    assert exc.value.code == Reason.EXPIRED


def test_static_tokens_never_expire():
    tokens.check_expiry(tokens.parse(make()), dt.datetime(2999, 1, 1, tzinfo=dt.UTC))


def test_sign_refuses_inconsistent_fields():
    with pytest.raises(ValueError):
        make(tokens.STATIC, exp=5)
    with pytest.raises(ValueError):
        make(tokens.DYNAMIC, exp=0)
    with pytest.raises(ValueError):
        make(public_id="not-a-public-id!")


def test_new_identifiers_fit_the_grammar():
    for _ in range(50):
        token = tokens.sign(
            private_key=KEY, kid=tokens.new_kid(), kind="s", public_id=tokens.new_public_id()
        )
        tokens.parse(token)
