"""Benchmark data of the partner path: approved partner apps, each citizen's consent to one
of them and the OAuth access token it holds, as the code flow leaves them (the flow
itself is partners/tests/test_flow.py's; 20,000 consents through pages would measure the
pages). People are named by their pairwise identifiers, as a partner names them.

One more partner, the flooder, has a rate limit far below what its clients send: its
requests are refused 429 while the others check in."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from jejak.audit.models import AuditEvent
from jejak.devtools.checkin_bench.data import Visitor
from jejak.partners import pairwise
from jejak.partners.models import Connection, Partner, PartnerStatus
from jejak.partners.service import do_register, do_set_status
from jejak.people.models import Person

SCOPE = "checkin"
# Calls per minute: the bench's partners are never limited, the flooder always is.
UNLIMITED = 10_000_000
FLOODER_RATE = 60


@dataclass(frozen=True)
class PartnerClient:
    people: list[str]  # "self" and the dependants' pairwise identifiers
    visitor_type: str
    token: str


def _partner(name: str, rate: int) -> Partner:
    registered = do_register(
        name=name,
        organisation=f"PT {name}",
        contact="bench@partner.example",
        redirect_uris=["https://partner.example/callback"],
        allowed_scopes=[SCOPE],
        confidential=True,
        rate_limit=rate,
    )
    return do_set_status(partner=registered.partner, status=PartnerStatus.APPROVED)


def make_audit_log(rows: int = 50_000) -> None:
    """An audit log of a city in service (officers' reads, sign-ins): partners' calls
    add to it, and on a nearly empty table PostgreSQL plans the look-ups of its rows (the
    foreign key of their subjects) as a scan of the whole table."""
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(at=now - dt.timedelta(seconds=i), action="bench.history", detail={})
            for i in range(rows)
        ],
        batch_size=5000,
    )


def make_partner_clients(
    visitors: list[Visitor], *, partners: int = 3, flooders: int = 0
) -> tuple[list[PartnerClient], list[PartnerClient]]:
    """Tokens for `visitors` (dealt to `partners` partner apps in turn) and, for the last
    `flooders` of them, of the flooding partner: (clients, flooding clients)."""
    good = [_partner(f"Bench Mitra {i}", UNLIMITED) for i in range(partners)]
    flood = _partner("Bench Banjir", FLOODER_RATE)
    public_ids = [p for v in visitors for p in v.dependants]
    pks = dict(Person.objects.filter(public_id__in=public_ids).values_list("public_id", "pk"))
    AccessToken = get_access_token_model()
    expires = timezone.now() + dt.timedelta(days=1)
    tokens, connections = [], []
    clients: list[PartnerClient] = []
    flooding: list[PartnerClient] = []
    for i, visitor in enumerate(visitors):
        is_flood = i >= len(visitors) - flooders
        partner = flood if is_flood else good[i % partners]
        raw = secrets.token_urlsafe(30)
        # Only the hash is stored (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE), as the library
        # stores the tokens it issues.
        tokens.append(
            AccessToken(
                user_id=visitor.user_id,
                application_id=partner.application_id,
                token="",
                token_checksum=hashlib.sha256(raw.encode()).hexdigest(),
                expires=expires,
                scope=SCOPE,
            )
        )
        connections.append(Connection(account_id=visitor.user_id, partner=partner, scopes=SCOPE))
        people = [
            "self",
            *(pairwise.pairwise(pairwise.PERSON, partner.pk, pks[d]) for d in visitor.dependants),
        ]
        client = PartnerClient(people, visitor.visitor_type, raw)
        (flooding if is_flood else clients).append(client)
    with transaction.atomic():
        AccessToken.objects.bulk_create(tokens, batch_size=5000)
        Connection.objects.bulk_create(connections, batch_size=5000)
    return clients, flooding
