"""The dashboards' filters (period, sector, kecamatan) from GET parameters, and the scope
they narrow: the venues the user may see, then the chosen sector and kecamatan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.accounts.jurisdiction import is_national
from jejak.accounts.roles import REGIONAL_ROLES, Role
from jejak.regions.models import Region, RegionLevel
from jejak.sectors.models import Sector
from jejak.venues.models import VenueQuerySet, venues_visible_to

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser

DEFAULT_DAYS = 28
# A year of daily points is already more than a chart can show; longer asks are refused
# rather than left to run a long query.
MAX_DAYS = 366


def sectors_for(user: RequestUser) -> list[Sector]:
    """The top-level sectors a user's dashboards show: an agency officer's own, else all."""
    top = Sector.objects.filter(parent__isnull=True)
    if user.is_authenticated and user.role == Role.AGENCY_OFFICER and not is_national(user):
        top = top.filter(pk__in=user.sectors.values("pk"))
    return list(top)


def kecamatan_for(user: RequestUser) -> list[Region]:
    """The kecamatan a user may filter by: those of their region (every one, nationally)."""
    districts = Region.objects.filter(level=RegionLevel.DISTRICT)
    if not is_national(user):
        home = getattr(user, "region", None)
        if home is None:
            return []
        districts = districts.filter(home.subtree_q(""))
    return list(districts.order_by("code")[:2000])


class DashboardFilterForm(forms.Form):
    start = forms.DateField(label=_("Dari"), required=False)
    end = forms.DateField(label=_("Sampai"), required=False)
    sector = forms.CharField(label=_("Sektor"), required=False)
    kecamatan = forms.CharField(label=_("Kecamatan"), required=False)

    def __init__(self, *args: Any, user: RequestUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_sector(self) -> Sector | None:
        slug = self.cleaned_data.get("sector") or ""
        if not slug:
            return None
        for sector in sectors_for(self.user):
            if sector.slug == slug:
                return sector
        raise forms.ValidationError(_("Sektor tidak dikenal atau di luar kewenangan Anda."))

    def clean_kecamatan(self) -> Region | None:
        code = (self.cleaned_data.get("kecamatan") or "").strip()
        if not code:
            return None
        region = Region.objects.filter(code=code, level=RegionLevel.DISTRICT).first()
        home = getattr(self.user, "region", None)
        if region is None or not (is_national(self.user) or (home and home.contains(region))):
            raise forms.ValidationError(_("Kecamatan tidak dikenal atau di luar wilayah Anda."))
        return region

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            raise forms.ValidationError(_("Tanggal awal harus sebelum tanggal akhir."))
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Periode paling lama %(days)s hari.") % {"days": MAX_DAYS}
            )
        data["start"], data["end"] = start, end
        return data


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    sector: Sector | None
    kecamatan: Region | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self) -> dict[str, str]:
        """The GET parameters that reproduce these filters (links, exports)."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.sector:
            out["sector"] = self.sector.slug
        if self.kecamatan:
            out["kecamatan"] = self.kecamatan.code
        return out

    def describe(self) -> dict[str, str]:
        """For the audit row of an export."""
        return self.params()


def default_filters() -> Filters:
    end = timezone.localdate()
    return Filters(end - dt.timedelta(days=DEFAULT_DAYS - 1), end, None, None)


def parse_filters(params: Any, user: RequestUser) -> tuple[Filters | None, DashboardFilterForm]:
    """Filters from GET parameters, or None with the form carrying the errors to show."""
    form = DashboardFilterForm(params, user=user)
    if not form.is_valid():
        return None, form
    data = form.cleaned_data
    return Filters(data["start"], data["end"], data["sector"], data["kecamatan"]), form


def scope_for(user: RequestUser, filters: Filters) -> VenueQuerySet:
    venues = venues_visible_to(user)
    if filters.sector is not None:
        venues = venues.filter(Q(sector=filters.sector) | Q(sector__parent=filters.sector))
    if filters.kecamatan is not None:
        venues = venues.filter(filters.kecamatan.subtree_q("region"))
    return venues


def area_for(user: RequestUser, filters: Filters) -> Region | None:
    """The region scope_for narrows to (the kecamatan chosen, else a regional user's
    region), which holds every venue of the scope; None when nothing narrows it. The
    usage numbers read that region's rollup rows only (rollups.py, `Parts`)."""
    if filters.kecamatan is not None:
        return filters.kecamatan
    if not is_national(user) and getattr(user, "role", None) in REGIONAL_ROLES:
        region: Region | None = getattr(user, "region", None)
        return region
    return None


def error_text(form: DashboardFilterForm) -> str:
    """Every error of the form in one sentence (API responses, page banners)."""
    return " ".join(str(m) for messages in form.errors.values() for m in messages)
