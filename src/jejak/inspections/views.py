from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jejak.accounts.capabilities import Cap, capability_required, has_capability, signed_in_user
from jejak.inspections import service
from jejak.inspections.errors import InspectionError
from jejak.inspections.forms import PlanForm, RecordForm, ReinspectionForm
from jejak.inspections.models import Closure, Inspection, InspectionPhoto, InspectionStatus
from jejak.venues.access import VenueNotFound, access_venue
from jejak.venues.models import venues_visible_to


def _inspection_or_404(request: HttpRequest, pk: int) -> Inspection:
    try:
        return service.access_inspection(request.user, pk)
    except InspectionError:
        raise Http404(_("Pemeriksaan tidak ditemukan.")) from None


@capability_required(Cap.VIEW_INSPECTIONS)
def inspection_list(request: HttpRequest) -> HttpResponse:
    """Planned visits first (soonest on top), then what was recorded; a plan form."""
    form = PlanForm(request.POST or None, initial={"venue": request.GET.get("venue", "")})
    if request.method == "POST":
        if not has_capability(request.user, Cap.RECORD_INSPECTIONS):
            raise Http404
        if form.is_valid():
            try:
                venue = access_venue(request.user, form.cleaned_data["venue"])
                made = service.do_plan_inspection(
                    actor=request.user, venue=venue, planned_for=form.cleaned_data["planned_for"]
                )
            except VenueNotFound as exc:
                form.add_error(None, str(exc))
            except InspectionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Pemeriksaan direncanakan."))
                return redirect("inspection_detail", made.pk)
    visible = service.inspections_visible_to(request.user).select_related(
        "venue", "venue__sector", "inspector"
    )
    planned = visible.filter(status=InspectionStatus.PLANNED).order_by("planned_for", "pk")
    status = request.GET.get("status")
    recorded = visible.exclude(status=InspectionStatus.PLANNED).order_by("-planned_for", "-pk")
    if status in ("done", "cancelled"):
        recorded = recorded.filter(status=status)
    if sanction := request.GET.get("sanction"):
        recorded = recorded.filter(sanction=sanction)
    closures = (
        Closure.objects.filter(
            venue__in=venues_visible_to(request.user).values("pk"),
            ends_at__gt=timezone.now(),
            lifted_at__isnull=True,
        )
        .select_related("venue")
        .order_by("starts_at")
    )
    return render(
        request,
        "inspections/list.html",
        {
            "form": form,
            "planned": planned[:200],
            "page": Paginator(recorded, 50).get_page(request.GET.get("page")),
            "closures": closures,
            "today": timezone.localdate(),
            "can_record": has_capability(request.user, Cap.RECORD_INSPECTIONS),
        },
    )


@capability_required(Cap.VIEW_INSPECTIONS)
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_or_404(request, pk)
    can_record = has_capability(request.user, Cap.RECORD_INSPECTIONS)
    form = None
    if inspection.status == InspectionStatus.PLANNED and can_record:
        form = RecordForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                service.do_record_inspection(
                    actor=signed_in_user(request),
                    inspection=inspection,
                    checklist=form.checklist(),
                    findings=data["findings"],
                    sanction=data["sanction"],
                    closure_starts_at=data["closure_starts_at"],
                    closure_ends_at=data["closure_ends_at"],
                    photos=request.FILES.getlist("photos"),
                )
            except InspectionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Hasil pemeriksaan dicatat."))
                return redirect("inspection_detail", inspection.pk)
    return render(
        request,
        "inspections/detail.html",
        {
            "inspection": inspection,
            "checks": inspection.checks.all(),
            "photos": inspection.photos.all(),
            "closure": Closure.objects.filter(inspection=inspection).first(),
            "reinspections": inspection.reinspections.order_by("planned_for"),
            "form": form,
            "reinspection_form": ReinspectionForm(),
            "can_record": can_record,
            "today": timezone.localdate(),
            "now": timezone.now(),
        },
    )


@require_POST
@capability_required(Cap.RECORD_INSPECTIONS)
def inspection_reinspect(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_or_404(request, pk)
    form = ReinspectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Isi tanggal pemeriksaan ulang."))
        return redirect("inspection_detail", inspection.pk)
    try:
        again = service.do_schedule_reinspection(
            actor=signed_in_user(request),
            inspection=inspection,
            planned_for=form.cleaned_data["planned_for"],
        )
    except InspectionError as exc:
        messages.error(request, exc.message)
        return redirect("inspection_detail", inspection.pk)
    messages.success(request, _("Pemeriksaan ulang dijadwalkan."))
    return redirect("inspection_detail", again.pk)


@require_POST
@capability_required(Cap.RECORD_INSPECTIONS)
def inspection_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_or_404(request, pk)
    try:
        service.do_cancel_inspection(actor=signed_in_user(request), inspection=inspection)
    except InspectionError as exc:
        messages.error(request, exc.message)
    return redirect("inspection_detail", inspection.pk)


@require_POST
@capability_required(Cap.RECORD_INSPECTIONS)
def closure_lift(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_or_404(request, pk)
    closure = Closure.objects.filter(inspection=inspection).first()
    if closure is None:
        raise Http404
    try:
        service.do_lift_closure(
            actor=signed_in_user(request),
            closure=closure,
            reason=request.POST.get("reason", "")[:500],
        )
    except InspectionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Penutupan dicabut; check-in dibuka kembali."))
    return redirect("inspection_detail", inspection.pk)


def _photo_response(photo: InspectionPhoto | None) -> FileResponse:
    if photo is None:
        raise Http404
    return FileResponse(photo.image.open("rb"))


@capability_required(Cap.VIEW_INSPECTIONS)
def inspection_photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    """A photo, for those who may see the inspection (uploads are not public)."""
    inspection = _inspection_or_404(request, pk)
    return _photo_response(inspection.photos.filter(pk=photo_pk).first())


@capability_required(Cap.VIEW_VENUE_FINDINGS)
def my_venue_findings(request: HttpRequest) -> HttpResponse:
    """The manager's venues with their recorded inspections; one venue goes straight in."""
    venues = list(
        venues_visible_to(request.user)
        .annotate(
            n_inspections=Count("inspections", filter=Q(inspections__status=InspectionStatus.DONE))
        )
        .order_by("short_code")
    )
    if len(venues) == 1:
        return redirect("venue_findings", venues[0].short_code)
    return render(request, "inspections/my_venues.html", {"venues": venues})


@capability_required(Cap.VIEW_VENUE_FINDINGS)
def venue_findings(request: HttpRequest, short_code: str) -> HttpResponse:
    """The manager's read-only page: recorded inspections of their venue, no plans."""
    venue = access_venue(request.user, short_code)
    return render(
        request,
        "inspections/venue_findings.html",
        {
            "venue": venue,
            "inspections": service.venue_findings(user=request.user, venue=venue).prefetch_related(
                "photos"
            ),
            "now": timezone.now(),
        },
    )


@capability_required(Cap.VIEW_VENUE_FINDINGS)
def venue_finding_photo(request: HttpRequest, short_code: str, photo_pk: int) -> FileResponse:
    venue = access_venue(request.user, short_code)
    photo = InspectionPhoto.objects.filter(
        pk=photo_pk, inspection__venue=venue, inspection__status=InspectionStatus.DONE
    ).first()
    return _photo_response(photo)
