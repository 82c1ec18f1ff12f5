"""`jejak partner add|list|approve|suspend|usage`: the partner registry from the shell, as
the system (audited with no actor). See docs/partners.md."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from jejak.partners import scopes, service, usage
from jejak.partners.models import Partner, PartnerStatus


def _partner(key: str) -> Partner:
    """A partner by id or client id."""
    query = Q(application__client_id=key)
    if key.isdigit():
        query |= Q(pk=int(key))
    found = Partner.objects.select_related("application").filter(query).first()
    if found is None:
        raise CommandError(f"No partner {key!r} (give its id or client id).")
    return found


class Command(BaseCommand):
    help = (
        "Partner apps on OAuth 2.0: register one (pending until approved), list them, "
        "approve, suspend (its tokens are refused at once) or resume one, and read its "
        "daily usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="register a partner; prints its client id")
        add.add_argument("--name", required=True)
        add.add_argument("--organisation", required=True)
        add.add_argument("--contact", required=True, help="who the issuer calls")
        add.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            dest="redirect_uris",
            help="exact redirect URI (repeat for more)",
        )
        add.add_argument(
            "--scopes",
            default=scopes.CHECKIN,
            help=f"comma-separated among: {', '.join(scopes.SCOPES)}",
        )
        add.add_argument(
            "--confidential",
            action="store_true",
            help="a server-side client with a secret (printed once); default: public (PKCE only)",
        )
        add.add_argument("--rate", type=int, default=6000, help="calls per minute (default 6000)")
        add.add_argument("--approve", action="store_true", help="approve it at once")

        actions.add_parser("list", help="partners with their status and client id")

        for name, text in (("approve", "approve or resume"), ("suspend", "suspend")):
            sub = actions.add_parser(name, help=f"{text} a partner")
            sub.add_argument("partner", help="its id or client id")
            sub.add_argument("--reason", default="")

        use = actions.add_parser("usage", help="a partner's calls per day")
        use.add_argument("partner", help="its id or client id")
        use.add_argument("--days", type=int, default=14)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _add(self, options: dict[str, Any]) -> None:
        try:
            registered = service.do_register(
                name=options["name"],
                organisation=options["organisation"],
                contact=options["contact"],
                redirect_uris=options["redirect_uris"],
                allowed_scopes=[s.strip() for s in options["scopes"].split(",") if s.strip()],
                confidential=options["confidential"],
                rate_limit=options["rate"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        partner = registered.partner
        if options["approve"]:
            partner = service.do_set_status(partner=partner, status=PartnerStatus.APPROVED)
        self.stdout.write(f"partner {partner.pk} ({partner.status})")
        self.stdout.write(f"client_id {registered.client_id}")
        if registered.client_secret:
            self.stdout.write(f"client_secret {registered.client_secret}")
            self.stderr.write("The secret is shown once: only its hash is stored.")

    def _list(self, options: dict[str, Any]) -> None:
        partners = Partner.objects.select_related("application").order_by("pk")
        for p in partners:
            kind = p.application.client_type
            self.stdout.write(
                f"{p.pk}\t{p.status}\t{p.name}\t{p.organisation}\t{p.application.client_id}\t"
                f"{kind}\t{p.allowed_scopes}\t{p.rate_limit}/min"
            )
        if not partners:
            self.stdout.write("No partners.")

    def _approve(self, options: dict[str, Any]) -> None:
        partner = service.do_set_status(
            partner=_partner(options["partner"]),
            status=PartnerStatus.APPROVED,
            reason=options["reason"],
        )
        self.stdout.write(f"partner {partner.pk} {partner.status}")

    def _suspend(self, options: dict[str, Any]) -> None:
        partner = service.do_set_status(
            partner=_partner(options["partner"]),
            status=PartnerStatus.SUSPENDED,
            reason=options["reason"],
        )
        self.stdout.write(f"partner {partner.pk} {partner.status}")

    def _usage(self, options: dict[str, Any]) -> None:
        usage.flush()
        partner = _partner(options["partner"])
        self.stdout.write("day\tcalls\trefusals\tlimited\terrors\tusers")
        for row in service.usage_of(partner, days=options["days"]):
            self.stdout.write(
                f"{row['day']}\t{row['calls']}\t{row['refusals']}\t{row['limited']}\t"
                f"{row['errors']}\t{row['users']}"
            )
