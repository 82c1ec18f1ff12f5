"""The visitor's web app: the check-in confirmation added to the poster's landing page,
the result screen, check-out, the in-app scanner, the history, and what makes it an
installable, offline-capable app (manifest, service worker, offline page).

Check-ins themselves are made by the page's script through POST /api/v1/checkins (so an
offline scan can be queued with its nonce and sent later); the form POSTs here when
JavaScript is unavailable. Either way `checkins.record` makes every decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_POST

from jejak.accounts.capabilities import signed_in_user
from jejak.checkins import checkout, record
from jejak.checkins.errors import DECISION_COLOUR, CheckInError, Decision, DenialReason, Note
from jejak.checkins.models import CheckIn, CheckInRequest, VisitorType
from jejak.people.access import is_visitor, visitor_required
from jejak.people.models import Person, Relation
from jejak.qrcodes.errors import QrError
from jejak.qrcodes.service import VerifiedCode, verify
from jejak.qrcodes.tokens import extract_token
from jejak.screening.models import Colour, Reason, colour_label
from jejak.screening.service import people_of
from jejak.zones.around import around, around_by_code

if TYPE_CHECKING:
    from jejak.accounts.models import User

# The history shows what retention keeps: JEJAK_CHECKIN_RETENTION_DAYS (three weeks, as
# PeduliLindungi did; checkins/retention.py purges the rest).
HISTORY_LIMIT = 200
# Bumped when the service worker's own code changes; asset changes move it by themselves
# (their hashed names are part of the version).
SW_REVISION = "1"


def retention_days() -> int:
    return settings.JEJAK_CHECKIN_RETENTION_DAYS


def queue_owner(user: User) -> str:
    """An opaque mark of the signed-in account for the phone's offline queue, so a check-in
    queued by one account is never sent under another's session on a shared phone."""
    return salted_hmac("jejak.visits.queue", str(user.pk)).hexdigest()[:20]


def _person_key(person: Person) -> str:
    return "self" if person.relation == Relation.SELF else person.public_id


def _advice() -> str:
    # The same sentence as the API's preview (one msgid, one translation).
    return _(
        "Tetap pakai masker, jaga jarak dan cuci tangan. Tunjukkan hasil check-in "
        "kepada petugas di pintu masuk."
    )


def _landing_url(token: str) -> str:
    try:
        return reverse("qr_landing", kwargs={"token": token})
    except NoReverseMatch:
        return reverse("visit_scan")


@require_GET
@never_cache
def landing(request: HttpRequest, token: str) -> HttpResponse:
    """What a phone camera opens: which venue entrance this is, or why the code is refused;
    for a signed-in visitor also the check-in confirmation.

    Never cached: a revoked or suspended venue must be refused on the next scan.
    """
    try:
        found = verify(token)
    except QrError as exc:
        return render(request, "visits/landing.html", {"error": exc}, status=exc.http_status)
    sector_name = found.venue.sector.name(translation.get_language() or "id")
    context = {"found": found, "sector_name": sector_name, **confirmation_context(request, found)}
    return render(request, "visits/landing.html", context)


def confirmation_context(request: HttpRequest, found: VerifiedCode) -> dict[str, Any]:
    """What the poster's landing page (/q/<token>) needs to become the confirmation page:
    the crowd, the advice, and either the people who may check in or the way to sign in."""
    nearby = around(found.venue)
    context: dict[str, Any] = {
        "crowd": {"inside": nearby.crowd.inside, "capacity": nearby.crowd.capacity},
        "around": nearby,
        "advice": _advice(),
        "token": found.token,
        "visitor_types": VisitorType.choices,
    }
    user = request.user
    if is_visitor(user):
        context["visitor"] = True
        context["people"] = [{"key": _person_key(p), "person": p} for p in people_of(account=user)]
        # For the no-script form only: a reload or a double tap repeats the same nonce.
        # The script makes its own (docs/visitor-app.md).
        context["form_nonce"] = uuid.uuid4()
        context["queue_owner"] = queue_owner(user)
    elif user.is_authenticated:
        context["staff"] = True
    else:
        context["sign_in_url"] = (
            reverse("visitor_login") + "?" + urlencode({"next": request.get_full_path()})
        )
    return context


@require_POST
@visitor_required
def check_in(request: HttpRequest) -> HttpResponse:
    """The confirmation form without JavaScript: the same service as the API, then the
    result screen (or back to the poster's page with the reason)."""
    raw = request.POST.get("qr", "")[:2000]
    try:
        token = extract_token(raw)
    except QrError as exc:
        messages.error(request, exc.message)
        return redirect("visit_scan")
    back = _landing_url(token)
    try:
        nonce = uuid.UUID(request.POST.get("nonce", ""))
    except ValueError:
        nonce = uuid.uuid4()
    people = [p[:32] for p in request.POST.getlist("people")][:12]
    if not people:
        messages.error(request, _("Pilih siapa yang check-in."))
        return redirect(back)
    visitor_type = request.POST.get("visitor_type", VisitorType.GUEST)
    if visitor_type not in VisitorType.values:
        visitor_type = VisitorType.GUEST
    try:
        record.record_checkins(
            account=signed_in_user(request),
            qr=token,
            nonce=nonce,
            people=people,
            visitor_type=visitor_type,
        )
    except (CheckInError, QrError) as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return redirect("visit_result", nonce=nonce)


# For a group: the strictest decision colours the page.
STRICTNESS = ["hijau", "kuning", "merah"]


def _decision_label(code: str) -> str:
    return str(Decision(code).label) if code in Decision.values else code


def _reason_labels(codes: list[str], choices: Any) -> list[str]:
    return [str(choices(code).label) for code in codes if code in choices.values]


@require_GET
@never_cache
@visitor_required
def result(request: HttpRequest, nonce: uuid.UUID) -> HttpResponse:
    """The result screen of one check-in request: the colour fills the screen, with a live
    clock and a moving stripe so that a screenshot or a clone app is easy to tell apart."""
    stored = CheckInRequest.objects.filter(account_id=request.user.pk, nonce=nonce).first()
    if stored is None:
        raise Http404
    data = stored.result
    ids = [p["checkin"] for p in data["people"]]
    rows = {
        c.public_id: c
        for c in CheckIn.objects.filter(public_id__in=ids, person__account_id=request.user.pk)
        .select_related("person")
        .only(
            "public_id",
            "decision",
            "checked_in_at",
            "checked_out_at",
            "checkout_method",
            "person__full_name",
            "person__nik_masked",
        )
    }
    people = []
    for entry in data["people"]:
        row = rows.get(entry["checkin"])
        if row is None:
            continue
        people.append(
            {
                "checkin": row,
                "person": row.person,
                "leaving": entry["action"] == "check_out",
                "colour": entry["colour"],
                "colour_label": colour_label(entry["colour"]),
                "colour_reasons": _reason_labels(entry["colour_reasons"], Reason),
                "decision": entry["decision"],
                "decision_label": _decision_label(entry["decision"]),
                "decision_colour": DECISION_COLOUR.get(entry["decision"], "merah"),
                "messages": _reason_labels(entry["reasons"], DenialReason)
                + _reason_labels(entry.get("notes", []), Note),
                "black": entry["colour"] == Colour.HITAM,
            }
        )
    entering = [p["decision_colour"] for p in people if not p["leaving"]]
    page_colour = max(entering, key=STRICTNESS.index) if entering else "keluar"
    return render(
        request,
        "visits/result.html",
        {
            "people": people,
            "venue": data["venue"],
            "entry_point": data["entry_point"],
            "crowd": data["crowd"],
            "around": around_by_code(data["venue"]["short_code"]),
            "scanned_at": dt.datetime.fromisoformat(data["scanned_at"]),
            "page_colour": page_colour,
            "inside": sum(1 for p in people if p["checkin"].is_active),
            "nonce": nonce,
            "server_time": timezone.now().isoformat(),
            "queue_owner": queue_owner(signed_in_user(request)),
        },
    )


@require_POST
@visitor_required
def check_out(request: HttpRequest, public_id: str) -> HttpResponse:
    """The check-out button (a plain form: it needs no script)."""
    try:
        checkin = checkout.check_out(
            account=signed_in_user(request), checkin_public_id=public_id[:32]
        )
    except CheckInError as exc:
        messages.error(request, exc.message)
        return redirect("visit_history")
    messages.success(request, _("Check-out tercatat."))
    nonce = CheckInRequest.objects.filter(pk=checkin.request_id).values_list("nonce", flat=True)
    return redirect("visit_result", nonce=nonce[0]) if nonce else redirect("visit_history")


@require_POST
@visitor_required
def check_out_group(request: HttpRequest, nonce: uuid.UUID) -> HttpResponse:
    """ "Check-out semua": everyone of one check-in request leaves at once."""
    try:
        checkout.check_out_group(account=signed_in_user(request), nonce=str(nonce))
    except CheckInError as exc:
        messages.error(request, exc.message)
        return redirect("visit_history")
    messages.success(request, _("Check-out tercatat."))
    return redirect("visit_result", nonce=nonce)


@require_GET
@never_cache
@visitor_required
def history(request: HttpRequest) -> HttpResponse:
    """The account's people's check-ins within the retention period, newest first."""
    since = timezone.now() - dt.timedelta(days=retention_days())
    rows = list(
        CheckIn.objects.filter(person__account_id=request.user.pk, scanned_at__gte=since)
        .select_related("person", "venue", "entry_point", "request")
        .only(
            "public_id",
            "decision",
            "colour",
            "scanned_at",
            "checked_in_at",
            "checked_out_at",
            "checkout_method",
            "request__nonce",
            "person__full_name",
            "venue__name",
            "entry_point__name",
        )
        .order_by("-scanned_at", "-id")[:HISTORY_LIMIT]
    )
    return render(
        request,
        "visits/history.html",
        {
            "rows": [
                {
                    "checkin": row,
                    "colour_label": colour_label(row.colour),
                    "decision_label": _decision_label(row.decision),
                }
                for row in rows
            ],
            "retention_days": retention_days(),
            "queue_owner": queue_owner(signed_in_user(request)),
        },
    )


@require_GET
@never_cache
def scan(request: HttpRequest) -> HttpResponse:
    """The in-app scanner. `?kode=` (a pasted link or token, or the form without script)
    goes straight to that poster's page; the page checks the code."""
    typed = request.GET.get("kode", "").strip()
    if typed:
        try:
            return redirect(_landing_url(extract_token(typed[:2000])))
        except QrError as exc:
            messages.error(request, exc.message)
    # No account needed to scan: the poster's page asks to sign in before checking in.
    return render(
        request,
        "visits/scan.html",
        {"queue_owner": queue_owner(request.user) if is_visitor(request.user) else ""},
    )


@require_GET
@cache_control(public=True, max_age=3600)
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows for a page it has never stored. No personal data:
    it is cached for every account on the phone."""
    return render(request, "visits/offline.html", {"visitor_types": VisitorType.choices})


def _shell_urls() -> list[str]:
    return [
        static("jejak/jejak.css"),
        static("jejak/icon.svg"),
        static("visits/visits.js"),
        static("visits/scan.js"),
        reverse("visit_offline"),
    ]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the root so its scope is the whole site. Rendered (not a
    static file) because the shell's asset names carry their content hashes in production."""
    shell = _shell_urls()
    version = hashlib.sha256(json.dumps([SW_REVISION, *shell]).encode()).hexdigest()[:12]
    config = {
        "version": version,
        "shell": shell,
        "offline": reverse("visit_offline"),
        "logout": reverse("logout"),
        "staticUrl": settings.STATIC_URL,
        "lang": translation.get_language() or "id",
        "banner": _("Anda sedang offline: ini tampilan terakhir yang tersimpan di ponsel."),
        "savedAt": _("Disimpan %s WIB."),
    }
    response = render(
        request,
        "visits/sw.js",
        # Server-made strings only; json.dumps escapes what a script needs escaped.
        {"config_json": json.dumps(config, ensure_ascii=True).replace("</", "<\\/")},
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    # Browsers re-check the worker at most once a day anyway; never let a proxy keep it.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installable, opening on the scanner."""
    return JsonResponse(
        {
            "name": "Jejak",
            "short_name": "Jejak",
            "description": _("Check-in tempat dengan kode QR dan status kesehatan Anda."),
            "lang": get_language() or "id",  # the description's language
            "start_url": reverse("visit_scan"),
            "scope": "/",
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#ffffff",
            "theme_color": "#0b6e4f",
            "icons": [
                {
                    "src": static("jejak/icon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                    "purpose": "any",
                }
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
