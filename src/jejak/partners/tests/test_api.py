"""The partner API: scopes, suspension, disconnection, pairwise identifiers, no personal
identifiers in any answer, the same check-in decision as the app, idempotency, audit,
rate limits and daily usage."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.models import ApiToken
from jejak.audit.models import AuditEvent, AuditSubject
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.checkins.tests.conftest import add_child, code_of
from jejak.partners import pairwise, usage
from jejak.partners.api import _nonce
from jejak.partners.models import (
    Connection,
    DailyUsage,
    DailyUser,
    PartnerCheckIn,
    PartnerStatus,
)
from jejak.partners.service import do_set_status
from jejak.partners.tests.conftest import Tokens
from jejak.people.models import Person

pytestmark = pytest.mark.django_db


def call(tokens: Tokens, method: str, path: str, body: Any = None, **extra: Any) -> Any:
    client = Client()
    headers = tokens.headers() | extra
    if method == "GET":
        return client.get(f"/api/v1/partner{path}", **headers)
    return client.post(
        f"/api/v1/partner{path}", json.dumps(body), content_type="application/json", **headers
    )


def checkin_body(hotel: Any, people: list[str], **changes: Any) -> dict[str, Any]:
    return {"qr": code_of(hotel), "nonce": str(uuid.uuid4()), "people": people} | changes


def people_ids(tokens: Tokens) -> list[str]:
    return [p["person"] for p in call(tokens, "GET", "/me").json()["people"]]


def test_each_operation_needs_its_scope(visitor, partner, connect, hotel, policy):
    tokens = connect(visitor, partner, "checkin")
    refused = call(tokens, "GET", "/status")
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert refused.json()["required_scope"] == "status:read"
    assert "insufficient_scope" in refused["WWW-Authenticate"]
    assert call(tokens, "GET", "/history").json()["code"] == "insufficient_scope"
    assert call(tokens, "GET", "/me").status_code == 200
    reader = connect(visitor, partner, "status:read")
    answer = call(reader, "POST", "/checkins", checkin_body(hotel, ["self"]))
    assert answer.status_code == 403 and answer.json()["code"] == "insufficient_scope"
    assert not CheckIn.objects.exists()


def test_a_suspended_partner_is_refused_at_once_and_resumes(visitor, partner, connect):
    tokens = connect(visitor, partner)
    assert call(tokens, "GET", "/me").status_code == 200
    do_set_status(partner=partner.partner, status=PartnerStatus.SUSPENDED)
    refused = call(tokens, "GET", "/me")
    assert refused.status_code == 403
    assert refused.json()["code"] == "partner_suspended"
    do_set_status(partner=partner.partner, status=PartnerStatus.APPROVED)
    assert call(tokens, "GET", "/me").status_code == 200


def test_tokens_are_no_visitor_tokens_and_back(visitor, partner, connect):
    tokens = connect(visitor, partner)
    # A partner's token opens nothing of the app's own API ...
    assert Client().get("/api/v1/me/tokens", **tokens.headers()).status_code == 401
    # ... and a visitor's own token nothing of the partner API.
    _token, raw = ApiToken.issue(user=visitor, name="phone")
    answer = Client().get("/api/v1/partner/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 401 and answer.json()["code"] == "invalid_token"
    assert Client().get("/api/v1/partner/me").status_code == 401


def test_disconnecting_from_the_citizens_page_revokes_at_once(visitor, partner, connect):
    tokens = connect(visitor, partner)
    citizen = Client()
    citizen.force_login(visitor)
    page = citizen.get("/saya/mitra/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ojek Kita" in text and 'data-scope="checkin"' in text
    home = citizen.get("/saya/")
    assert "Ojek Kita" in home.content.decode()
    connection = Connection.objects.get(account=visitor)
    answer = citizen.post(f"/saya/mitra/{connection.pk}/putuskan/")
    assert answer.status_code == 302
    refused = call(tokens, "GET", "/me")
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    refreshed = Client().post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens.refresh},
        HTTP_AUTHORIZATION="Basic x",
    )
    assert refreshed.status_code in (400, 401)
    assert "Ojek Kita" not in citizen.get("/saya/mitra/").content.decode()
    assert AuditEvent.objects.filter(action="partners.disconnected", actor=visitor).exists()


def test_another_citizen_cannot_disconnect_it(visitor, make_visitor, partner, connect):
    tokens = connect(visitor, partner)
    connection = Connection.objects.get(account=visitor)
    other = Client()
    other.force_login(make_visitor("hijau"))
    other.post(f"/saya/mitra/{connection.pk}/putuskan/")
    assert call(tokens, "GET", "/me").status_code == 200


def test_pairwise_ids_differ_per_partner_and_are_no_jejak_ids(
    visitor, make_partner, connect, hotel, policy
):
    child = add_child(visitor)
    first = connect(visitor, make_partner("Satu"), "checkin history:read")
    second = connect(visitor, make_partner("Dua"), "checkin")
    mine, theirs = people_ids(first), people_ids(second)
    assert len(mine) == 2 and set(mine).isdisjoint(theirs)
    me1, me2 = call(first, "GET", "/me").json(), call(second, "GET", "/me").json()
    assert me1["sub"] != me2["sub"]
    call(first, "POST", "/checkins", checkin_body(hotel, mine))
    visits = call(first, "GET", "/history").json()["visits"]
    jejak_ids = {str(visitor.pk), visitor.username}
    for person in Person.objects.filter(account=visitor):
        jejak_ids |= {str(person.pk), person.public_id, person.nik_index}
    for row in CheckIn.objects.all():
        jejak_ids |= {str(row.pk), row.public_id}
    given = set(mine) | set(theirs) | {me1["sub"], me2["sub"]} | {v["visit"] for v in visits}
    assert given.isdisjoint(jejak_ids)
    assert all(re.fullmatch(r"[a-z2-7]{24}", value) for value in given)
    assert {p["first_name"] for p in me1["people"]} == {
        "Anak",
        visitor.people.get(relation="self").full_name.split()[0],
    }
    del child


def test_no_nik_phone_or_jejak_id_in_any_answer(visitor, partner, connect, hotel, policy):
    add_child(visitor)
    tokens = connect(visitor, partner, "checkin status:read history:read")
    ids = people_ids(tokens)
    answers = [
        call(tokens, "GET", "/me"),
        call(tokens, "GET", f"/checkins/preview?qr={code_of(hotel)}"),
        call(tokens, "POST", "/checkins", checkin_body(hotel, ids)),
        call(tokens, "GET", "/status"),
        call(tokens, "GET", "/history"),
        call(tokens, "POST", "/checkouts", {"people": ids}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 201, 200, 200, 200]
    secrets = {visitor.username, visitor.phone_masked, str(visitor.pk)}
    for person in Person.objects.filter(account=visitor):
        secrets |= {person.public_id, person.nik_masked, person.nik_index, person.full_name}
        secrets |= {person.nik_masked[:4] + person.nik_masked[-4:]}
    for row in CheckIn.objects.all():
        secrets |= {row.public_id}
    for answer in answers:
        text = answer.content.decode()
        for secret in secrets - {""}:
            if " " in secret or len(secret) > 5:
                assert secret not in text, (secret, text)
        # No 16-digit NIK, no phone number.
        assert not re.search(r"\d{16}", text)
        assert not re.search(r"(\+62|08)\d{8,}", text)


def test_the_check_in_answer_has_its_documented_shape(visitor, partner, connect, hotel, policy):
    from jejak.partners.api import PartnerCheckInOut

    add_child(visitor)
    tokens = connect(visitor, partner, "checkin")
    answer = call(tokens, "POST", "/checkins", checkin_body(hotel, people_ids(tokens)))
    assert answer.status_code == 201
    shaped = PartnerCheckInOut.model_validate(answer.json())
    assert [p.action for p in shaped.people] == ["check_in", "check_in"]
    assert set(answer.json()) == set(PartnerCheckInOut.model_fields)
    assert set(answer.json()["people"][0]) == set(
        PartnerCheckInOut.model_fields["people"].annotation.__args__[0].model_fields  # type: ignore[union-attr]
    )


def test_a_red_status_is_refused_with_the_apps_code_and_sentence(
    make_visitor, partner, connect, hotel, policy
):
    citizen = make_visitor("merah")
    tokens = connect(citizen, partner, "checkin")
    answer = call(tokens, "POST", "/checkins", checkin_body(hotel, ["self"]))
    assert answer.status_code == 201
    [entry] = answer.json()["people"]
    assert entry["decision"] == "denied" and entry["reasons"] == ["status_red"]
    assert entry["door_colour"] == "merah"
    assert entry["messages"] == ["Status merah tidak diizinkan masuk ke tempat ini."]
    # The app's own answer for the same person is the same decision.
    app = Client()
    app.force_login(citizen)
    own = app.post(
        "/api/v1/checkins",
        json.dumps(checkin_body(hotel, ["self"])),
        content_type="application/json",
    ).json()["people"][0]
    assert (own["decision"], own["reasons"], own["messages"]) == (
        entry["decision"],
        entry["reasons"],
        entry["messages"],
    )
    english = call(
        tokens, "POST", "/checkins", checkin_body(hotel, ["self"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["people"][0]["reasons"] == ["status_red"]


def test_whole_request_refusals_keep_the_apps_codes(visitor, partner, connect, hotel, policy):
    tokens = connect(visitor, partner, "checkin")
    unknown = call(tokens, "POST", "/checkins", checkin_body(hotel, ["a" * 24]))
    assert unknown.status_code == 404 and unknown.json()["code"] == "person_unknown"
    old = (timezone.now() - dt.timedelta(days=2)).isoformat()
    stale = call(tokens, "POST", "/checkins", checkin_body(hotel, ["self"], scanned_at=old))
    assert stale.status_code == 400 and stale.json()["code"] == "scan_too_old"
    forged = call(tokens, "POST", "/checkins", checkin_body(hotel, ["self"], qr="JJK1.nope"))
    assert forged.status_code in (400, 403, 404) and forged.json()["code"].startswith("qr_")


def test_another_accounts_person_names_nobody(
    visitor, make_visitor, partner, connect, hotel, policy
):
    other = make_visitor("hijau")
    theirs = people_ids(connect(other, partner, "checkin"))
    tokens = connect(visitor, partner, "checkin")
    answer = call(tokens, "POST", "/checkins", checkin_body(hotel, theirs))
    assert answer.status_code == 404 and answer.json()["code"] == "person_unknown"


def test_idempotent_by_nonce_and_recorded_as_the_partners(visitor, partner, connect, hotel, policy):
    tokens = connect(visitor, partner, "checkin")
    body = checkin_body(hotel, ["self"])
    first = call(tokens, "POST", "/checkins", body)
    again = call(tokens, "POST", "/checkins", body)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert CheckIn.objects.count() == 1
    nonce = _nonce(partner.partner.pk, uuid.UUID(body["nonce"]))
    request = CheckInRequest.objects.get()
    assert request.nonce == nonce
    assert PartnerCheckIn.objects.get().nonce == nonce
    assert PartnerCheckIn.objects.get().partner_id == partner.partner.pk
    assert AuditEvent.objects.filter(action="partners.checkin").count() == 1
    # The same nonce from the app is another request altogether.
    app = Client()
    app.force_login(visitor)
    own = app.post("/api/v1/checkins", json.dumps(body), content_type="application/json")
    assert own.status_code == 201
    assert own.json()["people"][0]["action"] == "check_out"  # a rescan: it leaves


def test_rescan_checks_out_and_checkouts_close_stays(visitor, partner, connect, hotel, policy):
    add_child(visitor)
    tokens = connect(visitor, partner, "checkin history:read")
    ids = people_ids(tokens)
    call(tokens, "POST", "/checkins", checkin_body(hotel, ids))
    out = call(tokens, "POST", "/checkouts", {"people": ids[:1]})
    assert out.status_code == 200
    assert [s["person"] for s in out.json()["checked_out"]] == ids[:1]
    again = call(tokens, "POST", "/checkins", checkin_body(hotel, ids[1:]))
    assert again.json()["people"][0]["action"] == "check_out"
    nobody = call(tokens, "POST", "/checkouts", {"people": ids})
    assert nobody.status_code == 404 and nobody.json()["code"] == "checkin_not_found"
    history = call(tokens, "GET", "/history").json()["visits"]
    assert len(history) == 2 and all(v["through_this_partner"] for v in history)


def test_history_marks_only_this_partners_check_ins(visitor, partner, connect, hotel, policy):
    tokens = connect(visitor, partner, "history:read")
    app = Client()
    app.force_login(visitor)
    app.post(
        "/api/v1/checkins",
        json.dumps(checkin_body(hotel, ["self"])),
        content_type="application/json",
    )
    [visit] = call(tokens, "GET", "/history").json()["visits"]
    assert visit["through_this_partner"] is False
    assert visit["venue"]["name"] == "Hotel Cisadane"


def test_reads_and_writes_show_in_who_read_my_data(visitor, partner, connect, hotel, policy):
    tokens = connect(visitor, partner, "checkin status:read history:read")
    call(tokens, "GET", "/status")
    call(tokens, "POST", "/checkins", checkin_body(hotel, ["self"]))
    call(tokens, "GET", "/history")
    own = visitor.people.get(relation="self")
    actions = set(
        AuditSubject.objects.filter(nik_index=own.nik_index).values_list("event__action", flat=True)
    )
    assert {"partners.status_read", "partners.checkin", "partners.history_read"} <= actions
    event = AuditEvent.objects.filter(action="partners.status_read").get()
    assert event.actor is None and event.purpose == "partner_app"
    assert event.actor_org == "Ojek Kita"
    citizen = Client()
    citizen.force_login(visitor)
    page = citizen.get("/saya/data/dibaca/").content.decode()
    assert "Aplikasi mitra" in page and "Ojek Kita" in page
    reads = citizen.get("/api/v1/me/reads").json()["reads"]
    mine = [r for r in reads if r["organisation"] == "Ojek Kita"]
    assert mine and {r["role"] for r in mine} == {"Aplikasi mitra"}
    assert {r["purpose_code"] for r in mine} == {"partner_app"}


def test_status_reasons_need_their_own_scope(make_partner, visitor, connect):
    app = make_partner("Klinik", scopes=("status:read", "status:reasons"))
    plain = connect(visitor, app, "status:read")
    assert call(plain, "GET", "/status").json()["people"][0]["reasons"] is None
    detailed = connect(visitor, app, "status:read status:reasons")
    assert isinstance(call(detailed, "GET", "/status").json()["people"][0]["reasons"], list)


def test_the_partners_rate_limit_answers_429_with_retry_after(make_partner, make_visitor, connect):
    app = make_partner("Banjir", rate_limit=3)
    first, second = make_visitor("hijau"), make_visitor("hijau")
    a, b = connect(first, app, "checkin"), connect(second, app, "checkin")
    assert [call(a, "GET", "/me").status_code for _ in range(2)] == [200, 200]
    assert call(b, "GET", "/me").status_code == 200
    refused = call(b, "GET", "/me")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and refused.json()["limit"] == "partner"
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_the_per_citizen_rate_limit(make_partner, make_visitor, connect, settings):
    settings.JEJAK_PARTNER_USER_RATE = 2
    app = make_partner("Cepat")
    first, second = make_visitor("hijau"), make_visitor("hijau")
    a, b = connect(first, app, "checkin"), connect(second, app, "checkin")
    assert [call(a, "GET", "/me").status_code for _ in range(3)] == [200, 200, 429]
    refused = call(a, "GET", "/me")
    assert refused.json()["limit"] == "user" and "Retry-After" in refused
    assert call(b, "GET", "/me").status_code == 200


def test_other_partners_are_not_limited_by_one_over_its_limit(make_partner, visitor, connect):
    slow = make_partner("Lambat", rate_limit=1)
    other = make_partner("Lain")
    s, o = connect(visitor, slow, "checkin"), connect(visitor, other, "checkin")
    call(s, "GET", "/me")
    assert call(s, "GET", "/me").status_code == 429
    assert call(o, "GET", "/me").status_code == 200


def test_daily_usage_counts_calls_refusals_errors_and_users(
    make_partner, make_visitor, connect, hotel, policy
):
    app = make_partner("Hitung", scopes=("checkin",))
    first, second = make_visitor("hijau"), make_visitor("hijau")
    a, b = connect(first, app, "checkin"), connect(second, app, "checkin")
    call(a, "GET", "/me")
    call(a, "POST", "/checkins", checkin_body(hotel, ["self"]))
    call(b, "GET", "/status")  # 403: not in its scopes
    call(b, "POST", "/checkins", {"qr": "x"})  # 422: no nonce, no people
    usage.flush()
    row = DailyUsage.objects.get(partner=app.partner, day=timezone.localdate())
    assert (row.calls, row.refusals, row.limited, row.errors) == (4, 2, 0, 0)
    assert DailyUser.objects.filter(partner=app.partner).count() == 2
    assert Connection.objects.filter(partner=app.partner, last_used_at__isnull=False).count() == 2
    citizen = Client()
    citizen.force_login(first)
    assert "terakhir dipakai" in citizen.get("/saya/mitra/").content.decode()


def test_pairwise_resolution_only_over_the_accounts_own(visitor, make_visitor, partner):
    own = visitor.people.get(relation="self")
    wanted = pairwise.pairwise(pairwise.PERSON, partner.partner.pk, own.pk)
    assert pairwise.resolve(pairwise.PERSON, partner.partner.pk, wanted, [(own.pk, own)]) == own
    other = make_visitor("hijau").people.get()
    assert (
        pairwise.resolve(pairwise.PERSON, partner.partner.pk, wanted, [(other.pk, other)]) is None
    )
