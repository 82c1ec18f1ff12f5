"""The report to the authority (PDF) holds the breach's facts, counts and timestamps."""

import datetime as dt

import pypdfium2
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.breaches import sending, service
from jejak.breaches.report import render_pdf
from jejak.breaches.selection import Selection
from jejak.breaches.tests.factories import breach, checkin, visitor
from jejak.venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    pages = pypdfium2.PdfDocument(data)
    # Lines of a table cell wrap: compare words, not line breaks.
    return " ".join(" ".join(p.get_textpage().get_text_range().split()) for p in pages)


@pytest.fixture
def notified(city):
    mall = VenueFactory(short_code="MAL-SATU", region=city.children.first())
    for name, phone in (("Anindita", "+6281211110000"), ("Budiman", None)):
        checkin(visitor(full_name=name, phone=phone), mall, timezone.now() - dt.timedelta(days=1))
    discovered = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(hours=5)
    b = breach(
        title="Ekspor riwayat check-in bocor",
        discovered_at=discovered,
        occurred_from=discovered - dt.timedelta(days=2),
        data_classes=["phone", "checkin_history"],
        measures="Tautan ekspor dicabut dan kata sandi petugas diganti.",
    )
    service.set_selection(actor=None, breach=b, selection=Selection(venues=("MAL-SATU",)))
    service.draft_notices(actor=None, breach=b)
    service.start_sending(actor=None, breach=b)
    sending.send_all(breach_id=b.pk)
    service.mark_reported(actor=None, breach=b)
    b.refresh_from_db()
    return b


def test_the_pdf_holds_the_facts(notified):
    text = pdf_text(render_pdf(notified))
    local = timezone.localtime
    for fact in (
        notified.public_id,
        "Ekspor riwayat check-in bocor",
        "Nomor telepon, Riwayat check-in",
        "Tautan ekspor dicabut dan kata sandi petugas diganti.",
        notified.cause,
        "Tempat: MAL-SATU",
        local(notified.discovered_at).strftime("%Y-%m-%d %H:%M WIB"),
        local(notified.deadline).strftime("%Y-%m-%d %H:%M WIB"),
        local(notified.notified_subjects_at).strftime("%Y-%m-%d %H:%M"),
        local(notified.reported_to_authority_at).strftime("%Y-%m-%d %H:%M"),
        "Pasal 46",
    ):
        assert fact in text, fact
    assert "Orang terdampak (dengan akun) 2" in text
    assert "Dapat dihubungi lewat SMS 1" in text
    # Messages queued, not yet sent (no worker ran in the test's transaction).
    assert "SMS 0 terkirim, 1 menunggu, 0 gagal" in text
    assert "Pesan di aplikasi 0 terkirim, 2 menunggu, 0 gagal" in text
    assert "Anindita" not in text and "Budiman" not in text  # nobody by name


def test_the_command_writes_the_report(notified, tmp_path):
    out = tmp_path / "laporan.pdf"
    call_command("breach", "report", notified.public_id, "--out", str(out))
    assert notified.public_id in pdf_text(out.read_bytes())
    event = AuditEvent.objects.get(action="breaches.report_generated")
    assert event.detail == {"via": "command"} and event.actor is None
    with pytest.raises(CommandError):
        call_command("breach", "report", "nope", "--out", str(out))
