"""/masuk/: a browser signs a visitor in with a phone number and the code from the SMS."""

import pytest
from django.test import Client

from jejak.accounts.models import User
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.core.phone import phone_index
from jejak.notifications.sms import read_last_code

PHONE = "+6281234567890"


@pytest.fixture
def visitor(db, sms_outbox, django_capture_on_commit_callbacks):
    """A CSRF-enforcing client; each POST carries the token and runs on-commit work."""
    client = Client(enforce_csrf_checks=True)

    def post(path, data):
        client.get(path)
        token = client.cookies["csrftoken"].value
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, {**data, "csrfmiddlewaretoken": token})

    client.post_form = post
    return client


def sign_in(visitor, sms_outbox, path="/masuk/", phone="0812 3456 7890"):
    asked = visitor.post_form(path, {"action": "request", "phone": phone})
    assert asked.status_code == 302
    return visitor.post_form(
        asked["Location"], {"action": "verify", "code": read_last_code(sms_outbox, phone)}
    )


def test_the_phone_step_is_a_mobile_form_in_indonesian(visitor):
    page = visitor.get("/masuk/").content.decode()
    assert "Masuk dengan nomor HP" in page
    assert 'type="tel"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_end_to_end_with_the_code_from_the_sms_file(visitor, sms_outbox):
    asked = visitor.post_form("/masuk/", {"action": "request", "phone": "0812-3456-7890"})
    assert asked["Location"] == "/masuk/"
    page = visitor.get("/masuk/").content.decode()
    assert "Masukkan kode" in page
    assert "+62812****7890" in page
    assert 'autocomplete="one-time-code"' in page

    done = visitor.post_form(
        "/masuk/", {"action": "verify", "code": read_last_code(sms_outbox, PHONE)}
    )
    assert done.status_code == 302
    assert done["Location"] == "/saya/"
    home = visitor.get("/saya/")
    assert home.status_code == 200
    assert "+62812****7890" in home.content.decode()
    user = User.objects.get(phone_index=phone_index(PHONE))
    assert user.role == Role.VISITOR
    assert int(visitor.session["_auth_user_id"]) == user.pk
    assert "visitor_login_phone" not in visitor.session
    assert AuditEvent.objects.get(action="visitor.sign_in").detail["channel"] == "web"


def test_a_safe_next_is_followed(visitor, sms_outbox):
    done = sign_in(visitor, sms_outbox, path="/masuk/?next=/saya/%3Ftab%3D1")
    assert done["Location"] == "/saya/?tab=1"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/saya/", "http://testserver.evil.example/", "/\\evil"],
)
def test_next_to_another_site_is_ignored(visitor, sms_outbox, target):
    done = sign_in(visitor, sms_outbox, path=f"/masuk/?next={target}")
    assert done["Location"] == "/saya/"


def test_a_wrong_code_shows_why_in_indonesian(visitor, sms_outbox):
    visitor.post_form("/masuk/", {"action": "request", "phone": PHONE})
    code = read_last_code(sms_outbox, PHONE)
    page = visitor.post_form(
        "/masuk/", {"action": "verify", "code": f"{(int(code) + 1) % 10**6:06d}"}
    )
    assert page.status_code == 200
    assert "Kode salah atau sudah tidak berlaku." in page.content.decode()
    assert "_auth_user_id" not in visitor.session


def test_a_code_that_is_not_six_digits_is_not_even_tried(visitor, sms_outbox):
    visitor.post_form("/masuk/", {"action": "request", "phone": PHONE})
    page = visitor.post_form("/masuk/", {"action": "verify", "code": "12ab"})
    assert "Kode terdiri dari 6 angka." in page.content.decode()


def test_the_lockout_says_until_when(visitor, sms_outbox):
    visitor.post_form("/masuk/", {"action": "request", "phone": PHONE})
    code = read_last_code(sms_outbox, PHONE)
    bad = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        visitor.post_form("/masuk/", {"action": "verify", "code": bad})
    page = visitor.post_form("/masuk/", {"action": "verify", "code": bad}).content.decode()
    assert "Terlalu banyak kode salah. Coba lagi setelah pukul" in page
    assert "WIB" in page
    page = visitor.post_form("/masuk/", {"action": "verify", "code": code}).content.decode()
    assert "Coba lagi setelah pukul" in page
    assert "_auth_user_id" not in visitor.session


def test_an_invalid_number_is_explained(visitor):
    page = visitor.post_form("/masuk/", {"action": "request", "phone": "021-555-1234"})
    assert page.status_code == 200
    assert "Nomor HP tidak valid" in page.content.decode()
    assert "visitor_login_phone" not in visitor.session


def test_too_many_requests_say_how_long_to_wait(visitor):
    for _ in range(3):
        visitor.post_form("/masuk/", {"action": "request", "phone": PHONE})
    page = visitor.post_form("/masuk/", {"action": "request", "phone": PHONE}).content.decode()
    assert "Coba lagi dalam 15 menit." in page


def test_resend_sends_a_new_code_and_restart_forgets_the_number(visitor, sms_outbox):
    visitor.post_form("/masuk/", {"action": "request", "phone": PHONE})
    first = read_last_code(sms_outbox, PHONE)
    resent = visitor.post_form("/masuk/", {"action": "resend"})
    assert resent.status_code == 302
    assert len(list(sms_outbox.iterdir())) == 2
    if read_last_code(sms_outbox, PHONE) != first:
        page = visitor.post_form("/masuk/", {"action": "verify", "code": first})
        assert "Kode salah" in page.content.decode()

    visitor.post_form("/masuk/", {"action": "restart"})
    assert "visitor_login_phone" not in visitor.session
    assert "Masuk dengan nomor HP" in visitor.get("/masuk/").content.decode()


def test_posting_without_csrf_is_refused(db):
    response = Client(enforce_csrf_checks=True).post(
        "/masuk/", {"action": "request", "phone": PHONE}
    )
    assert response.status_code == 403


def test_a_staff_account_cannot_use_the_visitor_sign_in(visitor, sms_outbox, make_user):
    make_user(Role.CITY_ADMIN, phone_index=phone_index(PHONE))
    page = sign_in(visitor, sms_outbox, phone=PHONE)
    assert page.status_code == 200
    assert "tidak dapat dipakai untuk masuk sebagai pengunjung" in page.content.decode()
    assert "_auth_user_id" not in visitor.session


def test_my_page_needs_a_signed_in_visitor(db, client_for):
    anonymous = Client().get("/saya/")
    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/masuk/?next=/saya/"
    staff = client_for(Role.CITY_ADMIN).get("/saya/")
    assert staff["Location"] == "/"


def test_a_visitor_lands_on_my_page_and_signs_out_to_the_visitor_sign_in(visitor, sms_outbox):
    sign_in(visitor, sms_outbox)
    assert visitor.get("/")["Location"] == "/saya/"
    assert visitor.get("/masuk/")["Location"] == "/saya/"
    page = visitor.get("/saya/").content.decode()
    assert 'action="/logout/"' in page
    token = visitor.cookies["csrftoken"].value
    logout = visitor.post("/logout/", {"next": "/masuk/", "csrfmiddlewaretoken": token})
    assert logout["Location"] == "/masuk/"
    assert "_auth_user_id" not in visitor.session


def test_the_site_root_offers_a_newcomer_both_sign_ins(client):
    """Issue 18, defect 1: typing the address must not strand a citizen at the staff form."""
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/masuk/"' in html and 'href="/login/"' in html and 'href="/saya/pindai/"' in html
    assert 'href="/masuk/"' in client.get("/login/").content.decode()
