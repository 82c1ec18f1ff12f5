from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jejak.regions.models import Region
from jejak.venues.models import Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User


if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _VenueFormBase = forms.ModelForm[Venue]
else:
    _VenueFormBase = forms.ModelForm


class VenueForm(_VenueFormBase):
    entrances = forms.CharField(
        label=_("Pintu masuk (satu per baris)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="Pintu Utama",
        help_text=_("Setiap pintu masuk/keluar mendapat satu kode QR."),
    )

    class Meta:
        model = Venue
        fields = [
            "short_code",
            "name",
            "sector",
            "region",
            "address",
            "latitude",
            "longitude",
            "capacity",
            "default_stay_minutes",
            "coordinator_name",
            "coordinator_position",
            "coordinator_email",
            "coordinator_phone",
        ]
        # The model's fields without a verbose name of their own (no migration for a label).
        labels = {
            "sector": _("Sektor"),
            "region": _("Wilayah"),
            "latitude": _("Lintang"),
            "longitude": _("Bujur"),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = Region.objects.exclude(level="province")
        if user.region is not None:
            regions = regions.filter(user.region.subtree_q(""))
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        if self.instance.pk:
            del self.fields["entrances"]
            self.fields["short_code"].disabled = True

    def clean_short_code(self) -> str:
        return str(self.cleaned_data["short_code"]).strip().upper()

    def clean_entrances(self) -> list[str]:
        names = [
            line.strip() for line in self.cleaned_data["entrances"].splitlines() if line.strip()
        ]
        if not names:
            raise forms.ValidationError(_("Minimal satu pintu masuk."))
        if len({n.casefold() for n in names}) != len(names):
            raise forms.ValidationError(_("Nama pintu masuk tidak boleh sama."))
        if any(len(n) > 100 for n in names):
            raise forms.ValidationError(_("Nama pintu masuk maksimal 100 karakter."))
        return names

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            raise forms.ValidationError(_("Isi lintang dan bujur bersama-sama."))
        if lat is not None and not -90 <= lat <= 90:
            self.add_error("latitude", _("Lintang harus antara -90 dan 90."))
        if lon is not None and not -180 <= lon <= 180:
            self.add_error("longitude", _("Bujur harus antara -180 dan 180."))
        return data


class EntryPointForm(forms.Form):
    name = forms.CharField(label=_("Nama pintu"), max_length=100)
