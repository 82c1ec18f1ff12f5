"""Issuing, reissuing, revoking and verifying codes against the database."""

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.audit.models import AuditEvent
from jejak.qrcodes import keys, service
from jejak.qrcodes.errors import QrError, Reason
from jejak.qrcodes.models import CodeStatus, QrCode, SigningKey
from jejak.qrcodes.tests.conftest import active_code
from jejak.qrcodes.tokens import qr_url
from jejak.venues.models import EntryPoint, Venue, VenueStatus
from jejak.venues.workflow import do_transition


def refused(scanned, **kwargs):
    with pytest.raises(QrError) as exc:
        service.verify(scanned, **kwargs)
    return exc.value.code


def test_issue_gives_each_entrance_one_active_code(issued_venue):
    codes = QrCode.objects.filter(entry_point__venue=issued_venue)
    assert sorted(c.entry_point.name for c in codes) == ["Pintu Selatan", "Pintu Utara"]
    assert {c.status for c in codes} == {CodeStatus.ACTIVE}
    assert len({c.public_id for c in codes}) == 2
    for code in codes:
        assert code.token.split(".")[3] == code.public_id


def test_first_issue_creates_a_signing_key(issued_venue):
    key = SigningKey.objects.get()
    assert key.retired_at is None
    assert QrCode.objects.filter(key=key).count() == 2
    assert AuditEvent.objects.filter(action="qrcodes.key_created").count() == 1


def test_private_key_is_stored_encrypted(issued_venue):
    key, private = keys.signer()
    seed = private.private_bytes_raw()
    assert seed not in bytes(key.private_key_encrypted)


def test_verify_static_code_by_url_and_bare_token(issued_venue):
    code = active_code(issued_venue)
    for scanned in (qr_url(code.token), code.token, f" {qr_url(code.token)}/ "):
        found = service.verify(scanned)
        assert found.code == code
        assert found.venue == issued_venue
        assert found.entry_point.name == "Pintu Utara"
        assert found.kind == "static"
        assert found.kid == code.key.kid
        assert found.expires_at is None


def test_verify_costs_one_query_once_keys_are_cached(issued_venue, django_assert_num_queries):
    token = active_code(issued_venue).token
    service.verify(token)
    with django_assert_num_queries(1):
        found = service.verify(token)
        assert found.venue.sector.slug == "hotel"


def test_tampered_token_is_refused_without_a_query(issued_venue, django_assert_num_queries):
    token = active_code(issued_venue).token
    other = active_code(issued_venue, position=1).public_id
    service.verify(token)
    forged = token.replace(token.split(".")[3], other)
    with django_assert_num_queries(0):
        assert refused(forged) == Reason.BAD_SIGNATURE


def test_unknown_kid_is_refused(issued_venue):
    token = active_code(issued_venue).token
    kid = token.split(".")[1]
    assert refused(token.replace(f".{kid}.", ".zzzzzzzz.", 1)) == Reason.UNKNOWN_KEY


def test_random_kids_do_not_hit_the_database_each_time(issued_venue, django_assert_max_num_queries):
    token = active_code(issued_venue).token
    kid = token.split(".")[1]
    service.verify(token)
    with django_assert_max_num_queries(1):  # one reload at most, then the interval holds
        for n in range(20):
            assert refused(token.replace(f".{kid}.", f".nokey{n:03d}.", 1)) == Reason.UNKNOWN_KEY


def test_code_of_unknown_public_id_is_refused(issued_venue):
    token, _ = service.dynamic_token(entry_point=issued_venue.entry_points.first())
    QrCode.objects.all().delete()
    assert refused(token) == Reason.UNKNOWN_CODE


def test_rotation_keeps_old_codes_valid_until_reissue(issued_venue):
    old = active_code(issued_venue)
    new_key = keys.rotate_key()
    assert SigningKey.objects.get(kid=old.key.kid).retired_at is not None
    assert service.verify(old.token).code == old

    do_transition(venue=issued_venue, action="reissue", actor=None, reason="Poster rusak")
    fresh = active_code(issued_venue)
    assert fresh.key == new_key
    assert service.verify(fresh.token).kid == new_key.kid
    assert refused(old.token) == Reason.REPLACED


def test_reissue_replaces_old_codes(issued_venue):
    before = list(QrCode.objects.filter(entry_point__venue=issued_venue))
    do_transition(venue=issued_venue, action="reissue", actor=None, reason="Poster hilang")
    for code in before:
        code.refresh_from_db()
        assert code.status == CodeStatus.REPLACED
        assert code.ended_at is not None
        assert refused(code.token) == Reason.REPLACED
    assert QrCode.objects.filter(entry_point__venue=issued_venue, status="active").count() == 2


def test_issue_code_for_one_entrance(issued_venue):
    entry_point = EntryPoint.objects.create(venue=issued_venue, name="Pintu Parkir", position=2)
    code = service.issue_code_for_entry_point(entry_point=entry_point)
    assert service.verify(code.token).entry_point == entry_point
    again = service.issue_code_for_entry_point(entry_point=entry_point)
    assert refused(code.token) == Reason.REPLACED
    assert service.verify(again.token).code == again
    assert [c.entry_point.position for c in service.active_codes(venue=issued_venue)] == [0, 1, 2]


def test_revoked_venue_is_refused(issued_venue):
    codes = list(QrCode.objects.filter(entry_point__venue=issued_venue))
    do_transition(venue=issued_venue, action="revoke", actor=None, reason="Tutup permanen")
    for code in codes:
        code.refresh_from_db()
        assert code.status == CodeStatus.REVOKED
        assert refused(code.token) == Reason.REVOKED


def test_revoke_codes_counts_active_codes_only(issued_venue):
    assert service.revoke_codes(venue=issued_venue) == 2
    assert service.revoke_codes(venue=issued_venue) == 0


def test_revoked_venue_refused_even_if_code_left_active(issued_venue):
    Venue.objects.filter(pk=issued_venue.pk).update(status=VenueStatus.REVOKED)
    assert refused(active_code(issued_venue).token) == Reason.REVOKED


def test_suspended_venue_is_refused_and_resumes(issued_venue):
    token = active_code(issued_venue).token
    do_transition(venue=issued_venue, action="suspend", actor=None, reason="Melanggar PPKM")
    assert refused(token) == Reason.SUSPENDED
    with pytest.raises(QrError) as exc:
        service.dynamic_token(entry_point=issued_venue.entry_points.first())
    assert exc.value.code == Reason.SUSPENDED
    do_transition(venue=issued_venue, action="resume", actor=None)
    assert service.verify(token).venue == issued_venue


def test_installed_venue_is_accepted(issued_venue):
    do_transition(venue=issued_venue, action="install", actor=None)
    assert service.verify(active_code(issued_venue).token).venue.status == VenueStatus.INSTALLED


def test_venue_not_live_is_refused(issued_venue):
    Venue.objects.filter(pk=issued_venue.pk).update(status=VenueStatus.APPROVED)
    assert refused(active_code(issued_venue).token) == Reason.NOT_ACTIVE


def test_dynamic_token_verifies_until_it_expires(issued_venue, settings):
    settings.JEJAK_DYNAMIC_QR_SECONDS = 180
    entry_point = issued_venue.entry_points.get(position=1)
    now = timezone.now()
    token, expires_at = service.dynamic_token(entry_point=entry_point, now=now)
    assert token.split(".")[2] == "d"
    assert dt.timedelta(seconds=179) < expires_at - now <= dt.timedelta(seconds=180)

    found = service.verify(qr_url(token), now=now + dt.timedelta(seconds=170))
    assert found.kind == "dynamic"
    assert found.entry_point == entry_point
    assert found.expires_at == expires_at
    assert refused(token, now=expires_at) == Reason.EXPIRED
    assert refused(token, now=now + dt.timedelta(hours=1)) == Reason.EXPIRED


def test_dynamic_token_of_replaced_code_is_refused(issued_venue):
    token, _ = service.dynamic_token(entry_point=issued_venue.entry_points.first())
    do_transition(venue=issued_venue, action="reissue", actor=None, reason="Poster rusak")
    assert refused(token) == Reason.REPLACED


def test_dynamic_token_needs_an_active_code(venue):
    Venue.objects.filter(pk=venue.pk).update(status=VenueStatus.ISSUED)
    with pytest.raises(QrError) as exc:
        service.dynamic_token(entry_point=venue.entry_points.get())
    assert exc.value.code == Reason.NOT_ACTIVE


def test_signer_picks_up_a_rotation_by_another_process(issued_venue):
    first, _ = keys.signer()
    # Another process rotates: this one's memory is not told.
    SigningKey.objects.update(retired_at=timezone.now())
    keys.store_key(kid="other001", private_key=keys.Ed25519PrivateKey.generate())
    assert keys.signer()[0].kid == "other001"
    assert first.kid != "other001"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    scanned=st.one_of(
        st.text(),
        st.text(alphabet="J1.sdabcdefghijklmnopqrstuvwxyz234567ABCXYZ_-=/:?#% \n", max_size=200),
        st.binary(),
        st.from_regex(r"J1\.[a-z0-9]{8}\.[sd]\.[a-z2-7]{16}\.[0-9a-z]{1,9}\.[A-Za-z0-9_-]{80,90}"),
        st.none(),
        st.integers(),
    )
)
def test_verify_raises_only_qr_errors(issued_venue, scanned):
    try:
        service.verify(scanned)
    except QrError as exc:
        assert exc.code in Reason.values


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), char=st.characters())
def test_any_single_character_change_is_refused(issued_venue, position, char):
    token = active_code(issued_venue).token
    position %= len(token)
    changed = token[:position] + char + token[position + 1 :]
    if changed == token or changed.strip() == token:
        return
    assert refused(changed) in {Reason.MALFORMED, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY}


def test_verification_sees_a_change_of_the_venue_at_once(issued_venue):
    url = qr_url(active_code(issued_venue).token)
    (first,) = service.verify_many([url])
    assert not isinstance(first, QrError)

    do_transition(venue=issued_venue, action="suspend", actor=None, reason="Satpol PP")
    (suspended,) = service.verify_many([url])
    assert isinstance(suspended, QrError)
    assert suspended.code == Reason.SUSPENDED


def test_a_poster_code_signature_is_checked_once_per_key(issued_venue, monkeypatch):
    url = qr_url(active_code(issued_venue).token)
    service._SIGNED.clear()
    checked = []
    real = service.tokens.check_signature
    monkeypatch.setattr(service.tokens, "check_signature", lambda *a: checked.append(1) or real(*a))
    for _ in range(3):
        service.verify(url)
    assert len(checked) == 1
    keys.invalidate_cache()  # reloaded keys are new objects: the signature is checked again
    service.verify(url)
    assert len(checked) == 2


def test_a_refused_signature_is_not_remembered(issued_venue):
    token = active_code(issued_venue).token
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        assert refused(forged) in (Reason.BAD_SIGNATURE, Reason.MALFORMED)
    assert forged not in service._SIGNED
