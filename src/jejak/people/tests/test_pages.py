"""/saya/profil/ and /saya/keluarga/: the visitor's own pages."""

from __future__ import annotations

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.people import service
from jejak.people.models import DependantRequest, Person
from jejak.people.tests.factories import BUDI, DEWI, RAFI, SITI, SRI, unverified_person

PAGES = ["/saya/profil/", "/saya/keluarga/"]


def form(data: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def own(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "relation"}


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_goes_to_the_visitor_sign_in(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/masuk/?next={url}"


@pytest.mark.parametrize("url", PAGES)
def test_staff_get_403(client_for, city, url):
    assert client_for(Role.CITY_ADMIN, region=city).get(url).status_code == 403


def test_profile_is_filled_in_and_shown_in_full_to_its_owner(visitor_client):
    empty = visitor_client.get("/saya/profil/")
    assert empty.status_code == 200
    assert "Isi data sesuai KTP" in empty.content.decode()

    saved = visitor_client.post("/saya/profil/", form(own(BUDI)), follow=True)
    page = saved.content.decode()
    assert "Profil disimpan." in page
    assert BUDI["nik"] in page
    assert "3671********0001" in page
    assert Person.objects.get().full_name == "Budi Santoso"


def test_nik_with_spaces_is_accepted(visitor_client):
    data = {**own(BUDI), "nik": "3671 0112 0590 0001"}
    assert visitor_client.post("/saya/profil/", form(data)).status_code == 302
    assert service.decrypt_nik(Person.objects.get()) == BUDI["nik"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"nik": "12345"}, "NIK harus terdiri dari 16 digit angka."),
        ({"nik": "9971011205900001"}, "Kode provinsi atau kabupaten/kota pada NIK"),
        ({"sex": "F"}, "Jenis kelamin tidak sesuai dengan NIK"),
        ({"birth_date": "1990-05-13"}, "Tanggal lahir tidak sesuai"),
        ({"nik": "3671011205900000"}, "tidak boleh 0000"),
    ],
)
def test_each_refusal_is_explained_in_indonesian(visitor_client, change, message):
    response = visitor_client.post("/saya/profil/", form({**own(BUDI), **change}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Person.objects.exists()


def test_family_is_added_edited_and_removed(visitor_client, visitor, holder):
    added = visitor_client.post("/saya/keluarga/", form(SITI), follow=True)
    assert "Siti Rahayu ditambahkan ke keluarga Anda." in added.content.decode()
    visitor_client.post("/saya/keluarga/", form(RAFI))
    page = visitor_client.get("/saya/keluarga/").content.decode()
    assert SITI["nik"] in page and RAFI["nik"] in page

    rafi = Person.objects.get(full_name="Rafi Santoso")
    edit_url = f"/saya/keluarga/{rafi.public_id}/"
    assert RAFI["nik"] in visitor_client.get(edit_url).content.decode()
    edited = visitor_client.post(edit_url, form({**RAFI, "full_name": "RAFI SANTOSO"}))
    assert edited.status_code == 302
    rafi.refresh_from_db()
    assert rafi.full_name == "RAFI SANTOSO"

    assert visitor_client.post(f"/saya/keluarga/{rafi.public_id}/hapus/").status_code == 302
    assert list(Person.objects.exclude(relation="self").values_list("full_name", flat=True)) == [
        "Siti Rahayu"
    ]
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "people.profile_create",
        "people.dependant_add",
        "people.dependant_add",
        "people.dependant_update",
        "people.dependant_remove",
    ]


def test_removing_needs_post(visitor_client, visitor, holder):
    siti = service.add_dependant(account=visitor, **SITI)
    assert visitor_client.get(f"/saya/keluarga/{siti.public_id}/hapus/").status_code == 405


def test_another_account_s_dependant_is_404(visitor, holder, other_visitor):
    siti = service.add_dependant(account=visitor, **SITI)
    client = Client()
    client.force_login(other_visitor)
    assert client.get(f"/saya/keluarga/{siti.public_id}/").status_code == 404
    assert client.post(f"/saya/keluarga/{siti.public_id}/hapus/").status_code == 404
    assert Person.objects.filter(pk=siti.pk).exists()


def test_claimed_nik_is_refused_and_shown_to_its_owner(
    visitor_client, visitor, holder, other_visitor, other_holder
):
    service.add_dependant(account=visitor, **SITI)
    client = Client()
    client.force_login(other_visitor)
    # Only someone who knows Siti's name and birth date hears that her NIK is taken.
    refused = client.post("/saya/keluarga/", form(SITI))
    refused = refused.content.decode()
    assert "NIK ini sudah didaftarkan oleh akun lain." in refused
    assert "Budi Santoso" not in refused

    page = visitor_client.get("/saya/profil/").content.decode()
    assert 'id="claim-attempts"' in page
    assert "3671********0002" in page
    assert other_visitor.username not in page


def test_add_form_is_hidden_at_the_limit(visitor_client, visitor, holder, monkeypatch):
    monkeypatch.setattr(service, "MAX_DEPENDANTS", 1)
    service.add_dependant(account=visitor, **SITI)
    page = visitor_client.get("/saya/keluarga/").content.decode()
    assert "paling banyak 1 anggota keluarga" in page
    assert 'name="nik"' not in page


def test_profile_shows_whether_the_identity_is_verified(visitor_client, visitor):
    unverified_person(visitor, **BUDI)
    before = visitor_client.get("/saya/profil/").content.decode()
    assert "Belum terverifikasi: simpan profil sesuai KTP" in before

    after = visitor_client.post("/saya/profil/", form(own(BUDI)), follow=True).content.decode()
    assert "Terverifikasi dengan data kependudukan" in after
    assert Person.objects.get().identity_verified_at is not None


def test_an_identity_the_registry_does_not_confirm_is_refused_in_one_sentence(visitor_client):
    response = visitor_client.post("/saya/profil/", form({**own(BUDI), "full_name": "Budi S."}))
    assert response.status_code == 200
    assert "tidak dapat diverifikasi dengan data kependudukan" in response.content.decode()
    assert not Person.objects.exists()


def test_a_verified_nik_cannot_be_changed_on_the_page(visitor_client, holder):
    response = visitor_client.post("/saya/profil/", form(own(DEWI)))
    assert "NIK yang sudah terverifikasi tidak dapat diubah" in response.content.decode()
    holder.refresh_from_db()
    assert service.decrypt_nik(holder) == BUDI["nik"]


def test_family_page_asks_for_a_verified_profile_first(visitor_client):
    response = visitor_client.post("/saya/keluarga/", form(SITI))
    assert "pastikan terverifikasi sebelum menambah keluarga" in response.content.decode()
    assert not Person.objects.exists()


def test_an_unverified_dependant_is_marked_on_the_family_page(visitor_client, visitor, holder):
    unverified_person(visitor, **RAFI)
    service.add_dependant(account=visitor, **SITI)
    page = visitor_client.get("/saya/keluarga/").content.decode()
    assert page.count("belum terverifikasi") == 1


def test_off_the_family_card_without_a_reason_explains_how_to_ask(visitor_client, holder):
    response = visitor_client.post("/saya/keluarga/", form(SRI))
    assert response.status_code == 200
    assert "tidak tercatat di Kartu Keluarga yang sama dengan Anda" in response.content.decode()
    assert not DependantRequest.objects.exists()
    assert list(Person.objects.all()) == [holder]


def test_a_request_is_filed_from_the_family_page_and_listed(visitor_client, visitor, holder):
    reason = "Ibu tinggal bersama kami."
    response = visitor_client.post(
        "/saya/keluarga/", form({**SRI, "approval_reason": reason}), follow=True
    )

    page = response.content.decode()
    assert "Pengajuan Sri Wahyuni dikirim ke petugas kesehatan." in page
    assert 'id="dependant-requests"' in page
    assert "Menunggu persetujuan petugas" in page
    request = DependantRequest.objects.get()
    assert (request.account, request.reason, request.status) == (visitor, reason, "pending")
    assert list(Person.objects.all()) == [holder]
    assert [e.action for e in AuditEvent.objects.filter(actor=visitor).order_by("id")][-2:] == [
        "people.dependant_not_on_family_card",
        "people.dependant_requested",
    ]


def test_a_reason_does_not_bypass_other_refusals(visitor_client, holder):
    # A wrong name is refused as such; no request is filed for someone the registry denies.
    data = {**SRI, "full_name": "Sri Wahyu", "approval_reason": "Ibu saya."}
    response = visitor_client.post("/saya/keluarga/", form(data))
    assert "tidak dapat diverifikasi dengan data kependudukan" in response.content.decode()
    assert not DependantRequest.objects.exists()


def test_a_profile_filled_in_from_a_poster_goes_back_to_the_poster(visitor_client):
    """Issue 18, defect 5: the newcomer need not scan the poster again."""
    page = visitor_client.get("/saya/profil/?next=/q/abc123").content.decode()
    assert 'name="next" value="/q/abc123"' in page
    saved = visitor_client.post("/saya/profil/", {**form(own(BUDI)), "next": "/q/abc123"})
    assert saved["Location"] == "/q/abc123"
    # Never off the site.
    elsewhere = visitor_client.post(
        "/saya/profil/", {**form(own(BUDI)), "next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == "/saya/profil/"
