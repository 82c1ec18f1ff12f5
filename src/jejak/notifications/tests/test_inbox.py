"""/saya/notifikasi/ and /api/v1/me/notifications: each user sees only their own messages."""

from __future__ import annotations

from django.template import Context, Template
from django.test import Client, RequestFactory

from jejak.notifications import outbox
from jejak.notifications.models import Message
from jejak.screening.tests.factories import make_person


def hello(name, **kwargs):
    return outbox.enqueue(template="hello", context={"name": name}, channels=["inapp"], **kwargs)


def test_the_page_lists_own_and_dependants_messages_newest_first(visitor, make_visitor, client_of):
    child = make_person(visitor, relation="child", serial=3)
    hello("untuk Budi", to_user=visitor)
    hello("untuk anaknya", to_person=child)
    hello("untuk orang lain", to_user=make_visitor())
    page = client_of(visitor).get("/saya/notifikasi/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "untuk orang lain" not in text
    assert text.index("untuk anaknya") < text.index("untuk Budi")
    # The nav's badge counts the unread ones.
    assert '<span class="badge notif-count">2</span>' in text


def test_opening_a_message_marks_it_read(visitor, client_of):
    [message] = hello("<b>Budi</b>", to_user=visitor)
    client = client_of(visitor)
    response = client.get(f"/saya/notifikasi/{message.pk}/")
    assert response.status_code == 200
    assert "&lt;b&gt;Budi&lt;/b&gt;" in response.content.decode()
    message.refresh_from_db()
    assert message.read_at is not None
    assert "notif-count" not in client.get("/saya/notifikasi/").content.decode()


def test_another_users_message_is_not_found(visitor, make_visitor, client_of):
    [theirs] = hello("rahasia", to_user=make_visitor())
    assert client_of(visitor).get(f"/saya/notifikasi/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_users_are_sent_to_sign_in(db):
    response = Client().get("/saya/notifikasi/")
    assert response.status_code == 302 and response["Location"].startswith("/masuk/")


def test_staff_read_their_alerts_there_too(make_user, client_of):
    staff = make_user("venue_staff")
    hello("peringatan", to_user=staff)
    assert "peringatan" in client_of(staff).get("/saya/notifikasi/").content.decode()


def test_api_lists_only_the_callers_messages(visitor, make_visitor, client_of):
    child = make_person(visitor, relation="child", serial=4)
    mine = hello("satu", to_user=visitor)[0]
    childs = hello("dua", to_person=child)[0]
    hello("tiga", to_user=make_visitor())
    client = client_of(visitor)
    body = client.get("/api/v1/me/notifications").json()
    assert body["unread"] == 2
    assert [n["id"] for n in body["notifications"]] == [childs.pk, mine.pk]
    assert body["notifications"][1]["body"] == "[id] Keluar, satu"
    page = client.get(f"/api/v1/me/notifications?limit=1&before={childs.pk}").json()
    assert [n["id"] for n in page["notifications"]] == [mine.pk]


def test_api_marks_read_and_refuses_others(visitor, make_visitor, client_of):
    [mine] = hello("satu", to_user=visitor)
    [theirs] = hello("dua", to_user=make_visitor())
    client = client_of(visitor)
    response = client.post(f"/api/v1/me/notifications/{mine.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    assert client.post(f"/api/v1/me/notifications/{mine.pk}/read").status_code == 200
    refused = client.post(f"/api/v1/me/notifications/{theirs.pk}/read")
    assert refused.status_code == 404 and refused.json()["code"] == "notification_not_found"
    assert Message.objects.get(pk=theirs.pk).read_at is None
    assert client.get("/api/v1/me/notifications?unread_only=true").json()["notifications"] == []


def test_api_needs_authentication(db):
    response = Client().get("/api/v1/me/notifications")
    assert response.status_code == 401


def test_unread_tag(visitor):
    hello("satu", to_user=visitor)
    request = RequestFactory().get("/")
    request.user = visitor
    rendered = Template("{% load notifications %}{% unread_notifications as n %}{{ n }}").render(
        Context({"request": request})
    )
    assert rendered == "1"


def test_absurd_ids_are_not_found(visitor, client_of):
    client = client_of(visitor)
    huge = 2**64
    assert client.get(f"/saya/notifikasi/{huge}/").status_code == 404
    assert client.post(f"/api/v1/me/notifications/{huge}/read").status_code == 404
    assert client.get(f"/api/v1/me/notifications?before={huge}").status_code == 200
