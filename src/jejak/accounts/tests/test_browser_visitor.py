"""A visitor signs in on a 360 px phone with the code from the SMS, and signs out again."""

import pytest

from jejak.notifications.sms import read_last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_signs_in_with_the_code_from_the_sms(page, sms_outbox):
    page.goto("/masuk/")
    page.fill("#id_phone", "0812-3456-7890")
    page.click("button:has-text('Kirim kode')")
    page.wait_for_selector("#id_code")
    assert "+62812****7890" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("#id_code", read_last_code(sms_outbox, "+6281234567890"))
    page.click("button:has-text('Masuk')")
    page.wait_for_url("**/saya/")
    assert "+62812****7890" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click("main button:has-text('Keluar')")
    page.wait_for_url("**/masuk/")
    assert page.locator("#id_phone").is_visible()
    assert page.errors == []
