"""Messages queued in bulk are rendered when sent or first read (rendering.py): the same
text, in the recipient's language, as if rendered when queued."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from jejak.notifications import delivery, outbox, rendering
from jejak.notifications.models import Message
from jejak.notifications.sms import read_messages
from jejak.notifications.tests.conftest import give_phone

JKT = ZoneInfo("Asia/Jakarta")
START = dt.datetime(2026, 12, 1, 9, 30, tzinfo=JKT)
CONTEXT = {
    "name": "Budi & Siti",
    "places": [
        {"venue": "Pasar Baru", "venue_id": 3, "start": START},
        {"venue": "Toko & Co", "venue_id": 4, "start": START + dt.timedelta(hours=30)},
    ],
    "until": dt.date(2026, 12, 12),
}


def queue(recipient: Any, *, context: dict[str, Any] = CONTEXT, **kwargs: Any) -> list[Message]:
    item = {"template": "dated", "context": context, "channels": ["sms", "inapp"]}
    outbox.enqueue_many([item | {"to_user": recipient} | kwargs], deferred=True)
    return list(Message.objects.filter(to_user=recipient).order_by("pk"))


def now_rendered(language: str) -> tuple[str, str]:
    with translation.override(language):
        return rendering.render("dated", "inapp", CONTEXT)


def test_a_deferred_message_waits_with_its_arguments(visitor):
    give_phone(visitor, "+6281234567890")
    sms, inapp = queue(visitor)
    assert (sms.body, inapp.body, inapp.subject) == ("", "", "")
    assert inapp.context["places"][0]["start"] == {"$datetime": "2026-12-01T09:30:00+07:00"}
    assert inapp.context["until"] == {"$date": "2026-12-12"}
    # Addressed now, as any message.
    assert sms.address_masked == "+62812****7890"


@pytest.mark.parametrize("language", ["id", "en"])
def test_sent_later_it_reads_as_if_rendered_when_queued(visitor, language, settings):
    give_phone(visitor, "+6281234567890")
    sms, inapp = queue(visitor, language=language)
    assert delivery.send_due(now=dt.datetime.now(dt.UTC)) == {"sent": 2, "failed": 0}
    subject, body = now_rendered(language)
    assert body.startswith(f"[{language}] Budi & Siti: Pasar Baru 1 ")
    stored = Message.objects.get(pk=inapp.pk)
    assert (stored.subject, stored.body, stored.context) == (subject, body, None)
    [sent] = read_messages(settings.JEJAK_SMS_DIR)
    assert sent.text == body == Message.objects.get(pk=sms.pk).body


def test_the_inbox_renders_what_waited_and_keeps_it(visitor, client_of):
    [inapp] = queue(visitor, channels=["inapp"])
    client = client_of(visitor)
    page = client.get("/saya/notifikasi/").content.decode()
    assert "Status saya Budi &amp; Siti" in page  # the list shows subjects
    assert Message.objects.get(pk=inapp.pk).context is None
    Message.objects.filter(pk=inapp.pk).update(body="", context=inapp.context)
    listed = client.get("/api/v1/me/notifications").json()["notifications"]
    assert {n["body"] for n in listed} == {now_rendered("id")[1]}
    Message.objects.filter(pk=inapp.pk).update(body="", context=inapp.context)
    opened = client.get(f"/saya/notifikasi/{inapp.pk}/").content.decode()
    assert "Toko &amp; Co 2 Des 2026 15:30" in opened


def test_arguments_that_are_not_plain_data_are_rendered_now(visitor):
    lazy = CONTEXT | {"name": gettext_lazy("Keluar")}
    [inapp] = queue(visitor, context=lazy, channels=["inapp"])
    assert inapp.context is None and inapp.body.startswith("[id] Keluar: Pasar Baru")


def test_what_cannot_be_kept_is_refused():
    for value in (gettext_lazy("Keluar"), dt.datetime(2026, 1, 1), object(), {1: "a"}):
        with pytest.raises(TypeError):
            rendering.pack(value)


plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.dates()
    | st.datetimes(timezones=st.sampled_from([dt.UTC, JKT])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(plain)
def test_kept_arguments_come_back_the_same(value):
    assert rendering.unpack(rendering.pack(value)) == value
