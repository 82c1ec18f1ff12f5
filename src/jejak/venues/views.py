from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jejak.accounts.capabilities import Cap, capability_required, has_capability, signed_in_user
from jejak.core.exports import to_csv, to_xlsx
from jejak.regions.models import Region
from jejak.sectors.models import Sector
from jejak.venues import service
from jejak.venues.access import access_venue
from jejak.venues.forms import EntryPointForm, VenueForm
from jejak.venues.models import Venue, VenueQuerySet, VenueStatus
from jejak.venues.rollout import COLUMN_LABELS, STAGES, compute_rollout
from jejak.venues.workflow import STEPS, Action, WorkflowError, allowed_actions, do_bulk_transition
from jejak.venues.workflow import do_transition as do_venue_transition


@capability_required(Cap.VIEW_ROLLOUT)
def rollout(request: HttpRequest) -> HttpResponse:
    region = None
    if code := request.GET.get("region"):
        region = Region.objects.filter(code=code).first()
    data = compute_rollout(
        user=signed_in_user(request), region=region, language=get_language() or "id"
    )
    export = request.GET.get("format")
    if export in ("csv", "xlsx"):
        by = request.GET.get("by", "sector")
        headers, rows = data.table(by="region" if by == "region" else "sector")
        filename = f"rollout-{by}-{timezone.localdate():%Y%m%d}"
        if export == "csv":
            response = HttpResponse(to_csv(headers, rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        else:
            response = HttpResponse(
                to_xlsx(headers, rows, title="Rollout"),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    regions = Region.objects.filter(level__in=["province", "regency", "district"])
    if own := getattr(request.user, "region", None):
        regions = regions.filter(Q(code=own.code) | Q(code__startswith=own.code + "."))
    return render(
        request,
        "venues/rollout.html",
        {
            "rollout": data,
            "columns": list(COLUMN_LABELS.items()),
            "region": region,
            "regions": regions[:500],
        },
    )


def _filtered_venues(request: HttpRequest) -> VenueQuerySet:
    venues = (
        Venue.objects.visible_to(request.user)
        .select_related("sector", "region")
        .annotate(entrances=Count("entry_points"))
        .order_by("short_code")
    )
    q = request.GET.get("q", "").strip()
    if q:
        venues = venues.filter(Q(name__icontains=q) | Q(short_code__icontains=q))
    if sector := request.GET.get("sector"):
        venues = venues.filter(Q(sector__slug=sector) | Q(sector__parent__slug=sector))
    if code := request.GET.get("region"):
        region = Region.objects.filter(code=code).first()
        venues = venues.filter(region.subtree_q("region")) if region else venues.none()
    if status := request.GET.get("status"):
        venues = venues.filter(status=status)
    if (stage := request.GET.get("stage")) in STAGES:
        venues = venues.filter(status__in=STAGES[stage])
    return venues


@capability_required(Cap.VIEW_VENUES)
def venue_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_filtered_venues(request), 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    bulk_actions = [
        a
        for a in (Action.SUBMIT, Action.START_REVIEW, Action.APPROVE, Action.ISSUE, Action.INSTALL)
        if has_capability(request.user, STEPS[a].capability)
    ]
    return render(
        request,
        "venues/venue_list.html",
        {
            "page": page,
            "params": params.urlencode(),
            "sectors": Sector.objects.filter(parent__isnull=True),
            "statuses": VenueStatus.choices,
            "bulk_actions": bulk_actions,
        },
    )


@capability_required(Cap.REVIEW_REQUESTS)
def review_queue(request: HttpRequest) -> HttpResponse:
    venues = (
        Venue.objects.visible_to(request.user)
        .filter(status__in=[VenueStatus.REQUESTED, VenueStatus.UNDER_REVIEW, VenueStatus.APPROVED])
        .select_related("sector", "region")
        .annotate(entrances=Count("entry_points"))
        .order_by("status_changed_at", "short_code")
    )
    page = Paginator(venues, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "venues/review_queue.html",
        {
            "page": page,
            "params": "",
            "bulk_actions": [Action.START_REVIEW, Action.APPROVE, Action.REJECT, Action.ISSUE],
        },
    )


@capability_required(Cap.VIEW_VENUES)
def venue_detail(request: HttpRequest, short_code: str) -> HttpResponse:
    venue = access_venue(request.user, short_code)
    entry_points = venue.entry_points.prefetch_related("codes__key")
    return render(
        request,
        "venues/venue_detail.html",
        {
            "venue": venue,
            "entry_points": entry_points,
            "transitions": venue.transitions.select_related("actor"),
            "actions": allowed_actions(venue, request.user),
            "reason_actions": {a for a, s in STEPS.items() if s.needs_reason},
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
def venue_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not (has_capability(user, Cap.EDIT_VENUES) or has_capability(user, Cap.REGISTER_OWN_VENUE)):
        raise PermissionDenied
    form = VenueForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        venue = form.save(commit=False)
        service.create_venue(actor=user, venue=venue, entrances=form.cleaned_data["entrances"])
        messages.success(request, _("Tempat terdaftar."))
        return redirect("venue_detail", short_code=venue.short_code)
    return render(request, "venues/venue_form.html", {"form": form})


@capability_required(Cap.EDIT_VENUES)
def venue_edit(request: HttpRequest, short_code: str) -> HttpResponse:
    user = signed_in_user(request)
    venue = access_venue(user, short_code)
    form = VenueForm(request.POST or None, instance=venue, user=user)
    if request.method == "POST" and form.is_valid():
        service.update_venue(actor=user, venue=form.save(commit=False), changed=form.changed_data)
        messages.success(request, _("Perubahan disimpan."))
        return redirect("venue_detail", short_code=venue.short_code)
    return render(request, "venues/venue_form.html", {"form": form, "venue": venue})


@require_POST
@capability_required(Cap.EDIT_VENUES)
def entry_point_add(request: HttpRequest, short_code: str) -> HttpResponse:
    venue = access_venue(request.user, short_code)
    form = EntryPointForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nama pintu wajib diisi (maksimal 100 karakter)."))
    else:
        try:
            service.add_entry_point(
                actor=signed_in_user(request), venue=venue, name=form.cleaned_data["name"]
            )
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Pintu ditambahkan."))
    return redirect("venue_detail", short_code=venue.short_code)


@require_POST
@capability_required(Cap.VIEW_VENUES)
def venue_step(request: HttpRequest, short_code: str) -> HttpResponse:
    venue = access_venue(request.user, short_code)
    action = request.POST.get("action", "")
    effective_date = None
    if raw_date := request.POST.get("effective_date"):
        try:
            effective_date = dt.date.fromisoformat(raw_date)
        except ValueError:
            messages.error(request, _("Tanggal tidak valid."))
            return redirect("venue_detail", short_code=venue.short_code)
    try:
        do_venue_transition(
            venue=venue,
            action=action,
            actor=signed_in_user(request),
            reason=request.POST.get("reason", ""),
            effective_date=effective_date,
            photo=request.FILES.get("photo"),
        )
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Status sekarang: %(status)s.") % {"status": venue.get_status_display()}
        )
    return redirect("venue_detail", short_code=venue.short_code)


@capability_required(Cap.VIEW_VENUES)
def transition_photo(request: HttpRequest, short_code: str, pk: int) -> FileResponse:
    """An installation photo, for those who may see the venue (uploads are not public)."""
    venue = access_venue(request.user, short_code)
    step = venue.transitions.filter(pk=pk).exclude(photo="").first()
    if step is None:
        raise Http404
    return FileResponse(step.photo.open("rb"))


@require_POST
@capability_required(Cap.VIEW_VENUES)
def venue_bulk(request: HttpRequest) -> HttpResponse:
    ids = request.POST.getlist("venue")
    venues = Venue.objects.visible_to(request.user).filter(short_code__in=ids)
    action = request.POST.get("action", "")
    if action not in STEPS or not venues:
        messages.error(request, _("Pilih tempat dan langkah."))
    else:
        result = do_bulk_transition(
            venues=venues,
            action=action,
            actor=signed_in_user(request),
            reason=request.POST.get("reason", ""),
        )
        if result.done:
            messages.success(
                request,
                ngettext(
                    "Langkah '%(action)s' dijalankan untuk %(n)d tempat.",
                    "Langkah '%(action)s' dijalankan untuk %(n)d tempat.",
                    len(result.done),
                )
                % {"n": len(result.done), "action": Action(action).label},
            )
        for venue, exc in result.refused[:20]:
            messages.error(request, f"{venue.short_code}: {exc.message}")
        if len(result.refused) > 20:
            messages.error(
                request, _("... dan %(n)d lagi ditolak.") % {"n": len(result.refused) - 20}
            )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("venue_list")
    return redirect(next_url)
