from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jejak.breaches.models import Breach, DataClass
from jejak.breaches.selection import Selection

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"})
CODES = re.compile(r"[\s,;]+")


class BreachForm(forms.Form):
    title = forms.CharField(label=_("Judul"), max_length=200)
    description = forms.CharField(
        label=_("Uraian: apa yang terjadi dan bagaimana"), widget=forms.Textarea({"rows": 4})
    )
    discovered_at = forms.DateTimeField(label=_("Ditemukan (WIB)"), widget=DATETIME)
    occurred_from = forms.DateTimeField(
        label=_("Terjadi sejak (WIB)"), required=False, widget=DATETIME
    )
    occurred_to = forms.DateTimeField(
        label=_("Terjadi sampai (WIB)"), required=False, widget=DATETIME
    )
    data_classes = forms.MultipleChoiceField(
        label=_("Jenis data terdampak"),
        choices=DataClass.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    cause = forms.CharField(label=_("Penyebab"), required=False, widget=forms.Textarea({"rows": 3}))
    measures = forms.CharField(
        label=_("Penanganan dan pemulihan"), required=False, widget=forms.Textarea({"rows": 3})
    )

    @classmethod
    def of(cls, breach: Breach) -> BreachForm:
        return cls(
            initial={
                name: getattr(breach, name)
                for name in (
                    "title",
                    "description",
                    "discovered_at",
                    "occurred_from",
                    "occurred_to",
                    "data_classes",
                    "cause",
                    "measures",
                )
            }
        )


def _codes(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in CODES.split(value.strip()) if c))


class SelectionForm(forms.Form):
    all_accounts = forms.BooleanField(label=_("Semua akun (tanpa saringan lain)"), required=False)
    venues = forms.CharField(
        label=_("Kode tempat"),
        required=False,
        help_text=_("Pisahkan dengan koma atau spasi."),
        max_length=2000,
    )
    checkins_from = forms.DateField(label=_("Check-in dari"), required=False, widget=DATE)
    checkins_to = forms.DateField(label=_("Check-in sampai"), required=False, widget=DATE)
    venue_regions = forms.CharField(
        label=_("Wilayah tempat (kode Kemendagri)"),
        required=False,
        help_text=_("Kota (36.71) atau kecamatan (36.71.01)."),
        max_length=2000,
    )
    residence_regions = forms.CharField(
        label=_("Wilayah tempat tinggal (kode Kemendagri)"),
        required=False,
        max_length=2000,
    )
    data_classes = forms.MultipleChoiceField(
        label=_("Memiliki data jenis"),
        choices=DataClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def of(cls, breach: Breach) -> SelectionForm:
        return cls(
            initial={
                "all_accounts": breach.select_all_accounts,
                "venues": ", ".join(breach.select_venues),
                "checkins_from": breach.select_checkins_from,
                "checkins_to": breach.select_checkins_to,
                "venue_regions": ", ".join(breach.select_venue_regions),
                "residence_regions": ", ".join(breach.select_residence_regions),
                "data_classes": breach.select_data_classes,
            }
        )

    def selection(self) -> Selection:
        data: dict[str, Any] = self.cleaned_data
        return Selection(
            all_accounts=bool(data["all_accounts"]),
            venues=tuple(c.upper() for c in _codes(data["venues"])),
            checkins_from=data["checkins_from"],
            checkins_to=data["checkins_to"],
            venue_regions=_codes(data["venue_regions"]),
            residence_regions=_codes(data["residence_regions"]),
            data_classes=tuple(data["data_classes"]),
        )
