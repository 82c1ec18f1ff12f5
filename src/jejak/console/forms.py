from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.checkins.models import VisitorType

_NIK = re.compile(r"[0-9]{16}")


class ManualCheckInForm(forms.Form):
    entry_point = forms.TypedChoiceField(label=_("Pintu masuk"), coerce=int)
    nik = forms.CharField(
        label=_("NIK"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9 ]{16,32}"}
        ),
        help_text=_("16 angka, sesuai KTP."),
    )
    full_name = forms.CharField(
        label=_("Nama lengkap"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Tanggal lahir"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    visitor_type = forms.ChoiceField(
        label=_("Jenis"), choices=VisitorType.choices, initial=VisitorType.GUEST
    )
    # Set when the form is shown: a double-clicked submit is the same check-in, not two.
    nonce = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, entry_points: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("nonce", uuid.uuid4())
        super().__init__(*args, **kwargs)
        field = self.fields["entry_point"]
        field.choices = [(ep.pk, ep.name) for ep in entry_points]  # type: ignore[attr-defined]
        if entry_points:
            field.initial = entry_points[0].pk

    def clean_nik(self) -> str:
        nik = "".join(str(self.cleaned_data["nik"]).split())
        if not _NIK.fullmatch(nik):
            raise forms.ValidationError(_("NIK terdiri dari 16 angka."))
        return nik

    def clean_birth_date(self) -> Any:
        born = self.cleaned_data["birth_date"]
        if born > timezone.localdate():
            raise forms.ValidationError(_("Tanggal lahir tidak boleh di masa depan."))
        return born


class StaffAccountForm(forms.Form):
    username = forms.RegexField(
        label=_("Nama pengguna"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("Huruf, angka dan . @ + - _ saja."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off"}),
    )
    full_name = forms.CharField(label=_("Nama"), max_length=150)
    phone = forms.CharField(
        label=_("Nomor HP (opsional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    password = forms.CharField(
        label=_("Kata sandi awal"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Minimal 8 karakter. Berikan kepada staf secara langsung, bukan lewat grup obrolan."
        ),
    )

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"]).strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Nama pengguna sudah dipakai."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            user = get_user_model()(
                username=data.get("username", ""), first_name=data.get("full_name", "")
            )
            try:
                validate_password(password, user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data
