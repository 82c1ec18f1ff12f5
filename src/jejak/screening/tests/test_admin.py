"""Rule sets in admin: only the issuer edits them, and every save is validated."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.screening.admin import RuleSetForm
from jejak.screening.models import RuleSet

ADD_URL = "/admin/screening/ruleset/add/"

DOCUMENT = {
    "format": "jejak-rules/1",
    "default": {"colour": "merah", "reason": "not_vaccinated"},
    "rules": [
        {"when": [{"fact": "doses", "min": 2}], "colour": "hijau", "reason": "fully_vaccinated"}
    ],
}


def form_data(**changes) -> dict:
    data = {
        "slug": "2031-01",
        "name": "Uji",
        "effective_from_0": "2031-01-01",
        "effective_from_1": "00:00:00",
        "effective_until_0": "2031-06-01",
        "effective_until_1": "00:00:00",
        "document": json.dumps(DOCUMENT),
    }
    data.update(changes)
    return data


@pytest.fixture
def issuer_client(issuer) -> Client:
    client = Client()
    client.force_login(issuer)
    return client


def test_issuer_adds_a_valid_rule_set(issuer_client, issuer):
    # An open-ended 2022-07-17 is in force: it must end before a later set can start.
    RuleSet.objects.filter(slug="2022-07-17").update(effective_until="2030-01-01T00:00:00+07:00")
    response = issuer_client.post(ADD_URL, form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = RuleSet.objects.get(slug="2031-01")
    assert stored.created_by == issuer
    assert AuditEvent.objects.filter(action="screening.rule_set_added").exists()


def test_invalid_document_shows_its_problems(issuer_client):
    bad = {**DOCUMENT, "rules": [{"when": [{"fact": "doses"}], "colour": "hijau", "reason": "x"}]}
    response = issuer_client.post(ADD_URL, form_data(document=json.dumps(bad)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "rules[0].reason: unknown reason code" in html
    assert "rules[0].when[0]: doses needs min or max" in html
    assert not RuleSet.objects.filter(slug="2031-01").exists()


def plain_form_data(**changes) -> dict:
    # Outside admin the form's date-times are single fields.
    data = {
        "slug": "2031-01",
        "name": "Uji",
        "effective_from": "2031-01-01 00:00",
        "effective_until": "",
        "document": json.dumps(DOCUMENT),
    }
    data.update(changes)
    return data


def test_overlap_is_refused_in_the_form(db):
    form = RuleSetForm(data=plain_form_data())
    assert not form.is_valid()
    assert "2022-07-17" in str(form.errors["effective_from"])


def test_identity_belongs_in_the_fields(db):
    doc = {**DOCUMENT, "slug": "other"}
    form = RuleSetForm(data=plain_form_data(document=json.dumps(doc)))
    assert not form.is_valid()
    assert "slug: set this in the rule set" in str(form.errors["document"])


def test_other_staff_cannot_edit_rule_sets(client_for):
    client = client_for(Role.CITY_ADMIN, is_staff=True)
    assert client.get(ADD_URL).status_code == 403
    assert client.get("/admin/screening/ruleset/").status_code == 403


def test_rule_sets_are_never_deleted_in_admin(issuer_client):
    pk = RuleSet.objects.get(slug="2021-09").pk
    assert issuer_client.get(f"/admin/screening/ruleset/{pk}/delete/").status_code == 403
