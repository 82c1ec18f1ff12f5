"""The status pass: a round trip, expiry, forgeries, and venue tokens taken for passes."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.qrcodes import keys, tokens
from jejak.qrcodes import service as qr_service
from jejak.qrcodes.errors import QrError
from jejak.screening import passes
from jejak.screening.errors import PassError, PassRefusal
from jejak.screening.models import StatusPass
from jejak.screening.tests.factories import JKT, doses

AT = dt.datetime(2022, 9, 1, 10, 0, tzinfo=JKT)


def refusal(token, at=AT) -> str:
    with pytest.raises(PassError) as caught:
        passes.verify_status_pass(token, at=at)
    return caught.value.code


@pytest.fixture
def token(person) -> str:
    for build in doses(3):
        build(person.nik_index, AT)
    token, _expires = passes.issue_status_pass(person=person, at=AT)
    return token


def test_round_trip(person, token):
    view = passes.verify_status_pass(token, at=AT + dt.timedelta(seconds=30))
    assert (view.colour, view.full_name, view.nik_masked) == (
        "hijau",
        "Budi Santoso",
        person.nik_masked,
    )
    assert view.genuine and view.current
    assert view.issued_at == AT
    assert view.expires_at == AT + dt.timedelta(minutes=5)
    assert view.reasons == ["booster_complete"]
    assert view.rule_set == "2022-07-17"
    stored = StatusPass.objects.get(public_id=view.pass_id)
    assert stored.person == person
    assert token.startswith("JS1.")


def test_token_carries_no_identifier(person, token):
    assert person.nik_index not in token
    assert person.nik_masked[-4:] not in token.split(".")[2]
    assert "Budi" not in token


def test_valid_for_five_minutes(token):
    assert passes.verify_status_pass(token, at=AT + dt.timedelta(minutes=4, seconds=59))
    assert refusal(token, at=AT + dt.timedelta(minutes=5)) == PassRefusal.EXPIRED


def test_yesterdays_screenshot_is_refused(token):
    assert refusal(token, at=AT + dt.timedelta(days=1)) == PassRefusal.EXPIRED


def test_tampered_pass_id_fails_the_signature(token):
    head, kid, pass_id, exp, sig = token.split(".")
    other = ("b" if pass_id[0] == "a" else "a") + pass_id[1:]
    assert refusal(".".join([head, kid, other, exp, sig])) == PassRefusal.BAD_SIGNATURE


def test_extended_expiry_fails_the_signature(token):
    head, kid, pass_id, exp, sig = token.split(".")
    later = tokens.to_base36(int(exp, 36) + 86400)
    assert refusal(".".join([head, kid, pass_id, later, sig])) == PassRefusal.BAD_SIGNATURE


def test_forged_with_another_key_under_our_kid(token):
    _head, kid, pass_id, exp, _sig = token.split(".")
    forged = passes.sign_pass(
        private_key=Ed25519PrivateKey.generate(), kid=kid, pass_id=pass_id, exp=int(exp, 36)
    )
    assert refusal(forged) == PassRefusal.BAD_SIGNATURE


def test_unknown_key(token):
    head, _kid, *rest = token.split(".")
    assert refusal(".".join([head, "zzzzzzzz", *rest])) == PassRefusal.UNKNOWN_KEY


def test_genuine_but_unknown_pass(token):
    StatusPass.objects.all().delete()
    assert refusal(token) == PassRefusal.UNKNOWN


def test_surrounding_whitespace_from_a_scanner_is_ignored(token):
    assert passes.verify_status_pass(f"  {token}\n", at=AT).colour == "hijau"


def test_a_venue_code_is_not_a_status_pass(issued_venue_token):
    assert refusal(issued_venue_token) == PassRefusal.MALFORMED


def test_a_status_pass_is_not_a_venue_code(token):
    with pytest.raises(QrError) as caught:
        qr_service.verify(token)
    assert caught.value.code == "qr_malformed"


def test_signed_bytes_of_the_two_formats_never_meet(token):
    # Even a venue token with the pass's fields re-labelled cannot reuse the signature:
    # each signature covers its own version prefix.
    _head, kid, pass_id, exp, sig = token.split(".")
    as_venue = f"J1.{kid}.d.{pass_id}.{exp}.{sig}"
    with pytest.raises(QrError) as caught:
        qr_service.verify(as_venue)
    assert caught.value.code == "qr_bad_signature"


def test_old_passes_are_purged_when_a_new_one_is_issued(person, token):
    passes.issue_status_pass(person=person, at=AT + dt.timedelta(days=2))
    assert StatusPass.objects.filter(person=person).count() == 1


def test_verification_costs_one_query_once_keys_are_cached(token, django_assert_num_queries):
    passes.verify_status_pass(token, at=AT)
    with django_assert_num_queries(1):
        passes.verify_status_pass(token, at=AT)


@pytest.fixture
def issued_venue_token(db) -> str:
    key, private = keys.signer()
    return tokens.sign(
        private_key=private, kid=key.kid, kind=tokens.DYNAMIC, public_id="a" * 16, exp=2_000_000_000
    )


# Whatever a scanner reads, the verifier answers with a PassView or a PassError.

_NEAR_MISSES = st.builds(
    lambda kid, pid, exp, sig: f"JS1.{kid}.{pid}.{exp}.{sig}",
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=0, max_size=18),
    st.text("abcdefghijklmnopqrstuvwxyz234567", min_size=14, max_size=18),
    st.text("0123456789abcdefghijklmnopqrstuvwxyz", min_size=0, max_size=9),
    st.text(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=84, max_size=88
    ),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scanned=st.one_of(st.text(), st.binary(), _NEAR_MISSES, st.none(), st.integers()))
def test_verifier_only_ever_raises_its_typed_error(db, scanned):
    try:
        passes.verify_status_pass(scanned, at=AT)
    except PassError as exc:
        assert exc.code in PassRefusal.values
        assert exc.http_status in (400, 403, 404, 410)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_any_one_character_change_is_refused(token, position, replacement):
    position %= len(token)
    changed = token[:position] + replacement + token[position + 1 :]
    if changed.strip() == token:
        return
    with pytest.raises(PassError):
        passes.verify_status_pass(changed, at=AT)
