from __future__ import annotations

import pytest

from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.health.models import LabResult, VaccinationDose
from jejak.health.tests.helpers import BUNDLE_PATH, CSV_PATH, bundle, entry, stored, upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/health/import"


def test_health_officer_uploads_a_bundle(client_for):
    client = client_for(Role.HEALTH_OFFICER)

    with BUNDLE_PATH.open("rb") as file:
        response = client.post(URL, {"file": file})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ok"] is True
    assert body["format"] == "fhir"
    assert body["filename"] == "bundle.json"
    assert body["created"]["vaccination"] == 3
    assert body["created"]["lab_result"] == 2
    assert body["unchanged"]["vaccination"] == 0
    assert body["ignored"] == {"immunization_not_completed": 1, "observation_not_final": 1}
    assert VaccinationDose.objects.count() == 3
    assert AuditEvent.objects.get(action="health.import").detail["filename"] == "bundle.json"


def test_a_bundle_may_be_posted_as_the_json_body_with_a_token(make_user, client):
    _, raw = ApiToken.issue(user=make_user(Role.ISSUER), name="satusehat-sync")

    response = client.post(
        URL,
        BUNDLE_PATH.read_bytes(),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 200, response.json()
    assert LabResult.objects.count() == 2


def test_a_csv_upload_is_recognised(client_for):
    with CSV_PATH.open("rb") as file:
        response = client_for(Role.HEALTH_OFFICER).post(URL, {"file": file})
    assert response.status_code == 200
    assert response.json()["format"] == "csv"


def test_reposting_answers_unchanged_counts(client_for):
    client = client_for(Role.HEALTH_OFFICER)
    client.post(URL, BUNDLE_PATH.read_bytes(), content_type="application/json")

    response = client.post(URL, BUNDLE_PATH.read_bytes(), content_type="application/json")

    assert response.status_code == 200
    assert response.json()["created"]["vaccination"] == 0
    assert response.json()["unchanged"]["vaccination"] == 3


def test_a_broken_bundle_answers_400_with_every_problem(client_for):
    document = bundle()
    entry(document, "IMM03")["patient"] = {"reference": "Patient/P999"}
    client = client_for(Role.HEALTH_OFFICER)

    response = client.post(URL, {"file": upload(document, "sync.json")})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_failed"
    assert "utuh atau tidak sama sekali" in body["message"]
    assert body["filename"] == "sync.json"
    [problem] = body["problems"]
    assert problem["entry"] == 5
    assert problem["resource"] == "Immunization/IMM03"
    assert problem["code"] == "unresolved_patient"
    assert stored() == 0


def test_the_problems_follow_the_language_of_the_request(client_for):
    client = client_for(Role.HEALTH_OFFICER)
    response = client.post(
        URL,
        b'{"resourceType": "Patient"}',
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["problems"][0]["code"] == "not_a_bundle"


def test_venue_staff_are_forbidden(client_for):
    with BUNDLE_PATH.open("rb") as file:
        response = client_for(Role.VENUE_STAFF).post(URL, {"file": file})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert stored() == 0


def test_anonymous_is_not_authenticated(client):
    with BUNDLE_PATH.open("rb") as file:
        response = client.post(URL, {"file": file})
    assert response.status_code == 401
    assert stored() == 0


def test_a_request_without_a_file_is_refused(client_for):
    response = client_for(Role.HEALTH_OFFICER).post(URL, "nik,record_type", content_type="text/csv")
    assert response.status_code == 400
    assert response.json()["code"] == "no_file"
