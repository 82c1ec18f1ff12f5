from django.test import Client

from jejak.qrcodes.models import QrCode, SigningKey
from jejak.qrcodes.tests.conftest import active_code


def test_admin_pages_are_read_only_and_hide_the_private_key(issued_venue, issuer):
    issuer.is_superuser = True
    issuer.save()
    client = Client()
    client.force_login(issuer)
    key = SigningKey.objects.get()
    code = active_code(issued_venue)

    assert client.get("/admin/qrcodes/signingkey/").status_code == 200
    page = client.get(f"/admin/qrcodes/signingkey/{key.pk}/change/")
    assert page.status_code == 200
    assert "private" not in page.content.decode().lower()
    assert client.get("/admin/qrcodes/signingkey/add/").status_code == 403

    assert client.get("/admin/qrcodes/qrcode/").status_code == 200
    assert client.get(f"/admin/qrcodes/qrcode/{code.pk}/change/").status_code == 200
    assert client.get("/admin/qrcodes/qrcode/?q=" + issued_venue.short_code).status_code == 200
    client.post(f"/admin/qrcodes/qrcode/{code.pk}/delete/", {"post": "yes"})
    assert QrCode.objects.filter(pk=code.pk).exists()
