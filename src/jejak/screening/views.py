"""The visitor's status page with its self-renewing status QR (/saya/status/), and the
guard's page that verifies a scanned status QR (/petugas/verifikasi/)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from jejak.accounts.capabilities import Cap, capability_required, has_capability, signed_in_user
from jejak.core.qr_svg import qr_svg
from jejak.people.access import visitor_required
from jejak.people.models import Person, Relation
from jejak.screening import passes, service
from jejak.screening.errors import PassError, ScreeningError
from jejak.screening.models import colour_label, reason_label
from jejak.venues.access import console_venues

# The page asks for a new pass this often; each pass is valid passes.LIFETIME (5 min),
# so a scan taken just before a renewal still has minutes to spare.
RENEW_SECONDS = 60


def reason_labels(codes: list[str]) -> list[str]:
    return [reason_label(code) for code in codes]


def _person_key(person: Person) -> str:
    return "self" if person.relation == Relation.SELF else person.public_id


def _pass_payload(person: Person) -> dict[str, Any]:
    issued = passes.issue_pass(person=person)
    return {
        "person": _person_key(person),
        "colour": issued.colour,
        "colour_label": colour_label(issued.colour),
        "reasons": reason_labels(issued.reasons),
        "rule_set": issued.rule_set,
        "svg": qr_svg(issued.token),
        "expires_at": issued.expires_at.isoformat(),
        "expires_in": max(0, int((issued.expires_at - timezone.now()).total_seconds())),
        "renew_in": RENEW_SECONDS,
    }


@require_GET
@never_cache
@visitor_required
def visitor_status(request: HttpRequest) -> HttpResponse:
    """Each person's colour, name, masked NIK and a status QR for the guard to scan."""
    cards: list[dict[str, Any]] = []
    error = None
    try:
        for person in service.people_of(account=signed_in_user(request)):
            payload = _pass_payload(person)
            cards.append({**payload, "person": person, "person_key": payload["person"]})
    except ScreeningError as exc:
        error = exc
    return render(
        request,
        "screening/visitor_status.html",
        {"cards": cards, "error": error, "server_time": timezone.now().isoformat()},
    )


@require_GET
@never_cache
@visitor_required
def visitor_status_pass(request: HttpRequest) -> JsonResponse:
    """A fresh pass for one of the visitor's own people; anyone else's is a 404."""
    key = request.GET.get("person", "self")
    people = Person.objects.filter(account_id=request.user.pk)
    if key == "self":
        person = people.filter(relation=Relation.SELF).first()
    else:
        person = people.exclude(relation=Relation.SELF).filter(public_id=key).first()
    if person is None:
        raise Http404
    try:
        return JsonResponse(_pass_payload(person))
    except ScreeningError as exc:
        return JsonResponse({"code": exc.code.value, "message": exc.message}, status=503)


@require_http_methods(["GET", "POST"])
@never_cache
@capability_required(Cap.VERIFY_STATUS_PASS)
def verify_pass(request: HttpRequest) -> HttpResponse:
    """A guard's scanner types (or a camera fills in) the scanned text; the result is big."""
    # A venue's guard decides entry on the console's scanner (the decision at that door);
    # this page shows the status alone, for officers who are at no venue's door.
    door = has_capability(request.user, Cap.VENUE_CONSOLE)
    context: dict[str, Any] = {
        "door_venues": list(console_venues(request.user)[:20]) if door else []
    }
    if request.method == "POST":
        try:
            view = passes.do_verify_status_pass(
                scanned=request.POST.get("pass", ""),
                actor=signed_in_user(request),
                ip=request.META.get("REMOTE_ADDR") or None,
            )
        except PassError as exc:
            context["refusal"] = exc
        else:
            context.update(
                found=view,
                colour_label=colour_label(view.colour),
                reasons=reason_labels(view.reasons),
            )
    return render(request, "screening/verify_pass.html", context)
