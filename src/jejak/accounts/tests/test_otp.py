"""One-time sign-in codes: single use, 5 minutes, hashed, lockout after 5 wrong tries, limits."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from jejak.accounts import otp
from jejak.accounts.models import OneTimeCode, SignInGuard, User
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.core.phone import open_phone, phone_index
from jejak.notifications.sms import read_last_code, read_messages

PHONE = "+6281234567890"
IP = "203.0.113.7"
T0 = dt.datetime(2021, 10, 20, 8, 0, tzinfo=dt.UTC)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.fixture
def ask(db, sms_outbox, django_capture_on_commit_callbacks):
    """Request a code (as the service would after commit) and return it as the SMS shows it."""

    def ask(phone=PHONE, *, now=T0, ip=IP):
        with django_capture_on_commit_callbacks(execute=True):
            otp.request_code(phone=phone, client_ip=ip, now=now)
        return read_last_code(sms_outbox, phone)

    return ask


def verify(code, *, phone=PHONE, now=T0, ip=IP):
    return otp.verify_code(phone=phone, code=code, client_ip=ip, now=now)


def refusal(call, *args, **kwargs) -> otp.SignInError:
    with pytest.raises(otp.SignInError) as caught:
        call(*args, **kwargs)
    return caught.value


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_code_is_sent_after_commit_in_indonesian(
    db, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        otp.request_code(phone="0812-3456-7890", client_ip=IP, now=T0)
        assert read_messages(sms_outbox) == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    [message] = read_messages(sms_outbox)
    code = read_last_code(sms_outbox, PHONE)
    assert message.to == PHONE
    assert message.text == (
        f"Kode Jejak Anda: {code}. Berlaku 5 menit. Jangan berikan kepada siapa pun."
    )
    assert len(code) == 6


def test_the_code_is_sent_in_the_language_it_was_asked_in(ask, sms_outbox):
    with translation.override("en"):
        code = ask()
    [message] = read_messages(sms_outbox)
    assert message.text == (
        f"Your Jejak code: {code}. Valid for 5 minutes. Do not give it to anyone."
    )


def test_first_sign_in_creates_a_visitor_account(ask):
    user = verify(ask())
    assert user.role == Role.VISITOR
    assert user.username.startswith("v-")
    assert not user.has_usable_password()
    assert user.phone_masked == "+62812****7890"
    assert user.phone_index == phone_index(PHONE)
    assert PHONE.encode() not in bytes(user.phone_encrypted)
    assert open_phone(index=user.phone_index, blob=user.phone_encrypted) == PHONE
    assert not user.is_staff


def test_every_spelling_signs_in_to_the_same_account(ask):
    first = verify(ask("0812-3456-7890"), phone="62812 3456 7890")
    second = verify(ask("+62 812 3456 7890", now=T0 + minutes(1)), now=T0 + minutes(1))
    assert first.pk == second.pk
    assert User.objects.filter(role=Role.VISITOR).count() == 1


def test_a_code_works_only_once(ask):
    code = ask()
    verify(code)
    assert refusal(verify, code, now=T0 + minutes(1)).code == otp.Reason.INVALID


def test_a_code_is_valid_for_five_minutes(ask):
    verify(ask(), now=T0 + minutes(5) - dt.timedelta(seconds=1))
    later = T0 + minutes(10)
    code = ask(now=later)
    assert refusal(verify, code, now=later + minutes(5)).code == otp.Reason.EXPIRED


def test_a_wrong_code_after_expiry_is_just_invalid(ask):
    code = ask()
    assert refusal(verify, wrong(code), now=T0 + minutes(6)).code == otp.Reason.INVALID


def test_a_new_code_replaces_the_older_one(ask):
    old = ask()
    new = ask(now=T0 + minutes(1))
    if old != new:
        assert refusal(verify, old, now=T0 + minutes(2)).code == otp.Reason.INVALID
    assert verify(new, now=T0 + minutes(2)).role == Role.VISITOR


def test_verifying_without_any_code_is_invalid(db):
    assert refusal(verify, "123456").code == otp.Reason.INVALID


@pytest.mark.parametrize("junk", ["", "12345", "1234567", "abcdef", " 123456 "])
def test_malformed_codes_are_invalid(ask, junk):
    ask()
    assert refusal(verify, junk).code == otp.Reason.INVALID


def test_five_wrong_codes_lock_the_number_even_for_the_right_code(ask):
    code = ask()
    for n in range(4):
        assert refusal(verify, wrong(code), now=T0 + minutes(n / 10)).code == otp.Reason.INVALID
    locked = refusal(verify, wrong(code), now=T0 + minutes(1))
    assert locked.code == otp.Reason.LOCKED
    assert locked.locked_until == T0 + minutes(16)
    assert locked.retry_after == 15 * 60

    again = refusal(verify, code, now=T0 + minutes(2))
    assert again.code == otp.Reason.LOCKED
    assert again.retry_after == 14 * 60
    # No new code either while the number is locked.
    assert refusal(otp.request_code, phone=PHONE, client_ip=IP, now=T0 + minutes(3)).code == (
        otp.Reason.LOCKED
    )


def test_the_lock_lifts_after_fifteen_minutes(ask):
    code = ask()
    for _ in range(5):
        refusal(verify, wrong(code))
    assert refusal(verify, code, now=T0 + minutes(15) - dt.timedelta(seconds=1)).code == (
        otp.Reason.LOCKED
    )
    fresh = ask(now=T0 + minutes(15))
    assert verify(fresh, now=T0 + minutes(16)).role == Role.VISITOR


def test_the_lock_is_per_number(ask):
    code = ask()
    for _ in range(5):
        refusal(verify, wrong(code))
    other = "+6285700001111"
    assert verify(ask(other), phone=other).role == Role.VISITOR


def test_wrong_tries_older_than_fifteen_minutes_are_forgotten(ask):
    code = ask()
    for _ in range(4):
        refusal(verify, wrong(code))
    later = T0 + minutes(20)
    code = ask(now=later)
    assert refusal(verify, wrong(code), now=later).code == otp.Reason.INVALID
    assert verify(code, now=later).role == Role.VISITOR


def test_a_success_clears_the_wrong_tries(ask):
    code = ask()
    for _ in range(4):
        refusal(verify, wrong(code))
    verify(code)
    code = ask(now=T0 + minutes(1))
    for _ in range(4):
        assert refusal(verify, wrong(code), now=T0 + minutes(1)).code == otp.Reason.INVALID


def test_three_codes_per_number_per_fifteen_minutes(ask):
    for n in range(3):
        ask(now=T0 + minutes(n))
    limited = refusal(otp.request_code, phone=PHONE, client_ip=IP, now=T0 + minutes(5))
    assert limited.code == otp.Reason.RATE_LIMITED
    assert limited.retry_after == 10 * 60  # when the first of the three leaves the window
    ask(now=T0 + minutes(15) + dt.timedelta(seconds=1))


def test_ten_codes_per_number_per_day(ask):
    # Six minutes apart never trips the 15-minute limit, only the daily one.
    for n in range(10):
        ask(now=T0 + minutes(6 * n))
    limited = refusal(otp.request_code, phone=PHONE, client_ip=IP, now=T0 + minutes(60))
    assert limited.code == otp.Reason.RATE_LIMITED
    assert limited.retry_after == 23 * 3600
    ask(now=T0 + dt.timedelta(days=1, seconds=1))


def test_codes_per_client_address_per_hour(ask, settings):
    assert settings.JEJAK_OTP_PER_ADDRESS_PER_HOUR == 20
    for n in range(20):
        ask(f"+62857000{n:05d}", now=T0 + minutes(n))
    limited = refusal(otp.request_code, phone="+6285799999999", client_ip=IP, now=T0 + minutes(30))
    assert limited.code == otp.Reason.RATE_LIMITED
    assert limited.retry_after == 30 * 60
    ask("+6285799999999", ip="198.51.100.1", now=T0 + minutes(30))


def test_refused_requests_send_nothing(ask, sms_outbox):
    for n in range(3):
        ask(now=T0 + minutes(n))
    refusal(otp.request_code, phone=PHONE, client_ip=IP, now=T0 + minutes(3))
    assert len(read_messages(sms_outbox)) == 3
    assert OneTimeCode.objects.count() == 3


def test_codes_are_stored_only_as_keyed_hashes(ask):
    code = ask()
    row = OneTimeCode.objects.get()
    stored = [str(value) for value in OneTimeCode.objects.values_list().get()]
    assert not any(code in value for value in stored)
    assert len(row.digest) == 64
    assert row.phone_index == phone_index(PHONE)
    assert IP not in stored


def test_a_sign_in_writes_an_audit_row_without_the_number(ask):
    user = verify(ask())
    event = AuditEvent.objects.get(action="visitor.sign_in")
    assert (event.actor, event.object_id, event.ip) == (user, str(user.pk), IP)
    assert event.detail == {"channel": "api", "new_account": True}
    verify(ask(now=T0 + minutes(1)), now=T0 + minutes(1))
    assert AuditEvent.objects.filter(action="visitor.sign_in").count() == 2


def test_a_lockout_is_audited_with_the_masked_number_only(ask):
    code = ask()
    for _ in range(5):
        refusal(verify, wrong(code))
    event = AuditEvent.objects.get(action="visitor.sign_in_locked")
    assert event.actor is None
    assert event.detail["phone_masked"] == "+62812****7890"
    assert "81234567890" not in str(event.detail)


def test_a_staff_account_cannot_sign_in_by_phone(ask, make_user):
    make_user(Role.CITY_ADMIN, phone_index=phone_index(PHONE))
    assert refusal(verify, ask()).code == otp.Reason.ACCOUNT_DISABLED
    assert not AuditEvent.objects.filter(action="visitor.sign_in").exists()


def test_a_deactivated_visitor_cannot_sign_in(ask):
    user = verify(ask())
    User.objects.filter(pk=user.pk).update(is_active=False)
    code = ask(now=T0 + minutes(1))
    assert refusal(verify, code, now=T0 + minutes(1)).code == otp.Reason.ACCOUNT_DISABLED


@pytest.mark.parametrize("call", ["request", "verify"])
def test_an_invalid_number_is_refused_with_its_reason(db, call):
    if call == "request":
        exc = refusal(otp.request_code, phone="021-555-1234", client_ip=IP)
    else:
        exc = refusal(otp.verify_code, phone="021-555-1234", code="123456", client_ip=IP)
    assert exc.code == otp.Reason.PHONE_INVALID == "phone_invalid"
    assert exc.http_status == 400


def test_day_old_rows_are_purged(ask):
    ask()
    code = ask("+6285700001111")
    for _ in range(5):
        refusal(verify, wrong(code), phone="+6285700001111")
    tomorrow = T0 + dt.timedelta(days=1, minutes=1)
    ask("+6289900002222", now=tomorrow)
    assert OneTimeCode.objects.count() == 1
    assert SignInGuard.objects.filter(created_at__lt=tomorrow - dt.timedelta(days=1)).count() == 0


def test_without_now_the_clock_is_used(sms_outbox, django_capture_on_commit_callbacks, db):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        otp.request_code(phone=PHONE, client_ip=IP)
    user = otp.verify_code(phone=PHONE, code=read_last_code(sms_outbox, PHONE), client_ip=IP)
    assert before <= user.last_login <= timezone.now()
    assert OneTimeCode.objects.get().expires_at - before >= otp.CODE_LIFETIME


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the in-memory SQLite test database cannot take concurrent writers",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_exceed_the_limit(sms_outbox):
    # Eight workers at once, each with its own database connection, as gunicorn workers
    # would be: the guard row lock lets exactly three codes through.
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def worker():
        try:
            barrier.wait()
            otp.request_code(phone=PHONE, client_ip=IP, now=T0)
            outcomes.append("sent")
        except otp.SignInError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["otp_rate_limited"] * 5 + ["sent"] * 3
    assert OneTimeCode.objects.count() == 3
    assert OneTimeCode.objects.filter(superseded_at__isnull=True).count() == 1


OWNER_IP = "198.51.100.20"


def test_guesses_from_one_address_do_not_lock_the_owner_elsewhere(ask):
    ask()  # the owner asked; a stranger guesses blind from another address
    for n in range(5):
        refusal(verify, f"{n:06d}", now=T0 + minutes(n / 10))
    assert refusal(verify, "999999", now=T0 + minutes(1)).code == otp.Reason.LOCKED
    # The code the owner holds is retired after 5 wrong tries (guessing is bounded per
    # code) but the owner is told to ask again, and can: nothing is locked for them.
    retired = refusal(verify, "123456", now=T0 + minutes(1), ip=OWNER_IP)
    assert retired.code == otp.Reason.INVALID
    fresh = ask(now=T0 + minutes(2), ip=OWNER_IP)
    assert verify(fresh, now=T0 + minutes(2), ip=OWNER_IP).role == Role.VISITOR


def test_a_code_is_retired_after_five_wrong_tries_from_anywhere(ask):
    code = ask()
    answers = [
        refusal(verify, wrong(code), ip=f"10.0.0.{n}", now=T0 + minutes(n / 10)).code
        for n in range(5)
    ]
    assert answers == [otp.Reason.INVALID] * 4 + [otp.Reason.RETIRED]
    assert refusal(verify, code, ip="10.0.0.99").code == otp.Reason.INVALID
    assert OneTimeCode.objects.get().superseded_at is not None


def test_wrong_codes_per_address_are_limited_across_numbers(ask, settings):
    settings.JEJAK_OTP_WRONG_CODES_PER_ADDRESS = 20
    numbers = [f"+62812000{n:05d}" for n in range(30)]
    answers = []
    for n, number in enumerate(numbers):
        answers.append(refusal(verify, "000000", phone=number, now=T0 + minutes(n / 60)).code)
    assert answers[:19] == [otp.Reason.INVALID] * 19
    assert set(answers[19:]) == {otp.Reason.RATE_LIMITED}
    blocked = refusal(verify, "000000", phone=numbers[0], now=T0 + minutes(1))
    assert blocked.retry_after is not None and blocked.retry_after > 13 * 60
    assert AuditEvent.objects.filter(action="visitor.sign_in_address_blocked").count() == 1
    # Even a right code is not looked at from that address; from another it works.
    code = ask(numbers[0], ip="192.0.2.50", now=T0 + minutes(2))
    assert refusal(verify, code, phone=numbers[0], now=T0 + minutes(2)).code == (
        otp.Reason.RATE_LIMITED
    )
    assert verify(code, phone=numbers[0], ip="192.0.2.50", now=T0 + minutes(2))
    # The block lifts after 15 minutes.
    later = T0 + minutes(20)
    assert refusal(verify, "000000", phone=numbers[1], now=later).code == otp.Reason.INVALID
