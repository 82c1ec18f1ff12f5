from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jejak.ppkm.models import Level
from jejak.regions.models import Region


class LevelChangeForm(forms.Form):
    """Schedule a region's level change (the staff page). Jurisdiction is checked by the
    service; the form only parses."""

    region = forms.CharField(
        label=_("Wilayah (kode Kemendagri)"),
        max_length=20,
        widget=forms.TextInput(attrs={"list": "ppkm-regions", "autocomplete": "off"}),
    )
    level = forms.TypedChoiceField(label=_("Level"), choices=Level.choices, coerce=int)
    effective_from = forms.DateField(
        label=_("Berlaku mulai"),
        help_text=_("Berlaku sejak pukul 00.00 WIB pada tanggal ini."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=_("Dasar/alasan"),
        max_length=300,
        help_text=_("Misalnya nomor Inmendagri atau surat edaran wali kota."),
    )

    def clean_region(self) -> Region:
        code = self.cleaned_data["region"].strip().split(" ")[0]
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(_("Kode wilayah tidak dikenal."))
        return region
