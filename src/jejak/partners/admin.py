"""The issuer's back office for partner apps (Django admin): register a partner (its
client id, and a confidential client's secret, shown once), approve, suspend or resume
it, change its scopes and rate, and read its daily usage. Every write goes through
service.py and is audited.

The library's own admin pages (applications, grants, tokens) are taken away: a partner is
managed as a whole here, and tokens are nobody's to browse (only their hashes are kept).
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from jejak.accounts.capabilities import Cap, has_capability
from jejak.audit import service as audit
from jejak.partners import scopes, service
from jejak.partners.models import Partner, PartnerStatus

if TYPE_CHECKING:
    _PartnerAdminBase = admin.ModelAdmin[Partner]
    _PartnerFormBase = forms.ModelForm[Partner]
else:
    _PartnerAdminBase = admin.ModelAdmin
    _PartnerFormBase = forms.ModelForm

for model in (
    get_application_model(),
    get_access_token_model(),
    get_refresh_token_model(),
    get_grant_model(),
    get_id_token_model(),
):
    with suppress(NotRegistered):
        admin.site.unregister(model)

SCOPE_CHOICES = [(name, name) for name in scopes.SCOPES]


class PartnerForm(_PartnerFormBase):
    scope_list = forms.MultipleChoiceField(
        label=gettext_lazy("Cakupan yang diizinkan"),
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    redirect_uris = forms.CharField(
        label=gettext_lazy("Redirect URI (satu per baris, dicocokkan persis)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confidential = forms.BooleanField(
        label=gettext_lazy("Klien rahasia (server mitra menyimpan client secret)"),
        required=False,
    )

    class Meta:
        model = Partner
        fields = ["name", "organisation", "contact", "rate_limit"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["scope_list"].initial = self.instance.scopes
            self.fields["redirect_uris"].initial = "\n".join(
                self.instance.application.redirect_uris.split()
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        Application = get_application_model()
        application = (
            self.instance.application
            if self.instance.pk
            else Application(
                client_type=Application.CLIENT_PUBLIC,
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            )
        )
        application.redirect_uris = " ".join(str(cleaned.get("redirect_uris", "")).split())
        try:
            # The library's own checks: schemes allowed, no wildcard, no fragment.
            application.full_clean(exclude=["user", "client_secret", "client_id", "name"])
        except ValidationError as exc:
            self.add_error("redirect_uris", exc.messages)
        return cleaned


@admin.register(Partner)
class PartnerAdmin(_PartnerAdminBase):
    form = PartnerForm
    list_display = ["name", "organisation", "status", "rate_limit", "client_id", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "organisation"]
    readonly_fields = ["status", "status_reason", "status_changed_at", "client_id", "usage"]
    actions = ["approve", "suspend"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "organisation", "contact", "scope_list", "redirect_uris", "rate_limit"]
        if obj is None:
            return [*fields, "confidential"]
        # The client type is fixed at registration: a public client gets no secret later.
        return [*fields, *self.readonly_fields]

    def _allowed(self, request: HttpRequest) -> bool:
        return has_capability(request.user, Cap.MANAGE_PARTNERS)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A partner's history (usage, who submitted which check-in) stays: suspend it.
        return False

    @admin.display(description=gettext_lazy("Client ID"))
    def client_id(self, obj: Partner) -> str:
        return str(obj.application.client_id)

    @admin.display(description=gettext_lazy("Pemakaian 14 hari"))
    def usage(self, obj: Partner) -> str:
        rows = service.usage_of(obj) if obj.pk else []
        if not rows:
            return _("Belum ada panggilan.")
        labels = (_("Tanggal"), _("Panggilan"), _("Ditolak"), _("Batas laju"), _("Galat"))
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            *labels,
            _("Pengguna"),
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (r["day"], r["calls"], r["refusals"], r["limited"], r["errors"], r["users"])
                for r in rows
            ),
        )
        return format_html("<table>{}{}</table>", header, body)

    def save_model(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        data = form.cleaned_data
        uris = data["redirect_uris"].split()
        if not change:
            registered = service.do_register(
                name=obj.name,
                organisation=obj.organisation,
                contact=obj.contact,
                redirect_uris=uris,
                allowed_scopes=data["scope_list"],
                confidential=data.get("confidential", False),
                rate_limit=obj.rate_limit,
                actor=request.user,
            )
            obj.pk = registered.partner.pk
            obj.application = registered.partner.application
            obj.status = registered.partner.status
            note = _("Client ID: %(id)s.") % {"id": registered.client_id}
            if registered.client_secret:
                note += " " + _(
                    "Client secret (ditampilkan sekali ini saja; berikan kepada mitra lewat "
                    "saluran aman): %(secret)s"
                ) % {"secret": registered.client_secret}
            messages.warning(request, note)
            return
        obj.allowed_scopes = " ".join(scopes.valid(list(data["scope_list"])))
        application = obj.application
        application.redirect_uris = " ".join(uris)
        application.full_clean(exclude=["user", "client_secret"])
        application.save(update_fields=["redirect_uris", "updated"])
        obj.save()
        audit.record(
            actor=request.user,
            action="partners.changed",
            obj=obj,
            scopes=obj.allowed_scopes,
            rate_limit=obj.rate_limit,
        )

    @admin.action(description=gettext_lazy("Setujui (atau lanjutkan) mitra terpilih"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        for partner in queryset:
            service.do_set_status(
                partner=partner, status=PartnerStatus.APPROVED, actor=request.user
            )

    @admin.action(description=gettext_lazy("Tangguhkan mitra terpilih (tokennya langsung ditolak)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        for partner in queryset:
            service.do_set_status(
                partner=partner,
                status=PartnerStatus.SUSPENDED,
                reason=_("Ditangguhkan dari back office"),
                actor=request.user,
            )
