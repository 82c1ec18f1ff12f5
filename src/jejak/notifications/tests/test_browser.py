"""A visitor on a 360 px phone sees the unread badge, opens a message, and it is read."""

import pytest

from jejak.notifications import outbox
from jejak.notifications.sms import read_last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_reads_a_notification(page, visitor, settings, screenshot):
    outbox.enqueue(template="hello", context={"name": "Budi"}, channels=["inapp"], to_user=visitor)
    page.goto("/masuk/")
    page.fill("#id_phone", "0812-3456-7890")
    page.click("button:has-text('Kirim kode')")
    page.wait_for_selector("#id_code")
    page.fill("#id_code", read_last_code(settings.JEJAK_SMS_DIR, "+6281234567890"))
    page.click("button:has-text('Masuk')")
    page.wait_for_url("**/saya/")
    assert page.locator("header .notif-count").inner_text() == "1"

    page.click("header a:has-text('Notifikasi')")
    page.wait_for_url("**/saya/notifikasi/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "notifications-inbox")
    page.click("#notifications a")
    page.wait_for_url("**/saya/notifikasi/*/")
    assert "[id] Keluar, Budi" in page.locator("main").inner_text()
    assert page.locator("header .notif-count").count() == 0
    assert page.errors == []
