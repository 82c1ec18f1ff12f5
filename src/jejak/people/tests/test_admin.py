from django.test import Client

from jejak.audit.models import AuditEvent
from jejak.people import service
from jejak.people.tests.factories import BUDI, SITI


def test_admin_is_read_only_shows_the_nik_masked_and_is_audited(visitor, issuer):
    person = service.set_own_profile(account=visitor, **BUDI)
    siti = service.add_dependant(account=visitor, **SITI)
    client = Client()
    client.force_login(issuer)

    listing = client.get("/admin/people/person/")
    detail = client.get(f"/admin/people/person/{person.pk}/change/")
    for page in (listing, detail):
        assert page.status_code == 200
        html = page.content.decode()
        assert "3671********0001" in html
        assert BUDI["nik"] not in html
        assert "nik_encrypted" not in html and "nik_index" not in html

    # An exact NIK finds the person through its keyed hash (the page echoes the query).
    found = client.get("/admin/people/person/", {"q": BUDI["nik"]}).content.decode()
    assert person.public_id in found
    assert siti.public_id not in found

    assert client.get("/admin/people/person/add/").status_code == 403
    client.post(f"/admin/people/person/{person.pk}/delete/", {"post": "yes"})
    assert type(person).objects.filter(pk=person.pk).exists()

    reads = AuditEvent.objects.filter(actor=issuer).order_by("id")
    assert [(e.action, e.detail) for e in reads] == [
        ("people.admin_list", {"search": ""}),
        ("people.admin_view", {}),
        ("people.admin_list", {"search": "3671********0001"}),
    ]
