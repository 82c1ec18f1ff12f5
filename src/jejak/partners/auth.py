"""The partner API's authentication: an OAuth access token, looked up by the SHA-256 the
library stores (`AccessToken.token_checksum`, unique and indexed), in one prepared
statement that joins the citizen's account and the application's partner.

The library's own resource-server check (`OAuthLibCore.verify_request`) builds an
oauthlib request and runs its validator for every call; this does what that check does
for a bearer token in the header (found, not expired, scopes) and what Jejak adds (the
partner is approved, the account is an active visitor who has accepted the current
privacy notice, the rates) at a fraction of its cost. Revoked tokens are deleted rows
(the library's `revoke`), so a revoked token is not found; a suspended partner's are
found and refused, on the very next call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cache, partial

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from oauth2_provider.models import get_access_token_model

from jejak.accounts import privacy
from jejak.accounts.models import User
from jejak.core import sql
from jejak.core.api_errors import ApiError
from jejak.partners import rates
from jejak.partners.models import Partner, PartnerStatus
from jejak.people.access import is_visitor
from jejak.people.models import Person

INVALID_TOKEN = "invalid_token"  # noqa: S105 (a reason code)
PARTNER_SUSPENDED = "partner_suspended"
PARTNER_NOT_APPROVED = "partner_not_approved"
RATE_LIMITED = "rate_limited"
INSUFFICIENT_SCOPE = "insufficient_scope"


@dataclass(frozen=True)
class Someone:
    """What the partner API needs of one of the account's people (read by hand)."""

    pk: int
    public_id: str
    relation: str
    full_name: str
    nik_index: str
    birth_date: dt.date
    identity_verified_at: dt.datetime | None


PERSON_FIELDS = (
    "id",
    "public_id",
    "relation",
    "full_name",
    "nik_index",
    "birth_date",
    "identity_verified_at",
)


@dataclass(frozen=True)
class PartnerCall:
    """Who is calling: the partner, the scopes the citizen granted, the citizen and their
    people (read with the token: every partner operation names them)."""

    partner_id: int
    partner_name: str
    scopes: frozenset[str]
    account: User
    token_id: int
    people: tuple[Someone, ...]


def partner_call(request: HttpRequest) -> PartnerCall:
    """The call's partner and citizen, set by `PartnerToken` (every partner operation)."""
    call: PartnerCall = request.partner_call  # type: ignore[attr-defined]
    return call


def _invalid(message: str) -> ApiError:
    return ApiError(
        401, INVALID_TOKEN, message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


@dataclass(frozen=True)
class _Found:
    token_id: int
    expires: dt.datetime
    scope: str
    partner_id: int | None
    partner_name: str
    status: str
    rate_limit: int
    account: User | None
    people: tuple[Someone, ...]


_TOKEN_FIELDS = ("id", "expires", "scope")
_PARTNER_FIELDS = ("id", "name", "status", "rate_limit")


@cache
def _token_sql(vendor: str) -> tuple[list[str], str]:
    """The token with its partner, its account and the account's people (a row each):
    one statement, prepared once per connection (core/sql.py). Planning the ORM's join
    took longer than running it, on every call, and the people were a second trip."""
    del vendor  # part of the cache key only
    access = get_access_token_model()
    t, u, p, pp = sql.table(access), sql.table(User), sql.table(Partner), sql.table(Person)
    tc, uc = partial(sql.column, access), partial(sql.column, User)
    pc, ppc = partial(sql.column, Partner), partial(sql.column, Person)
    names = [f.attname for f in User._meta.concrete_fields]
    columns = [
        *(f"t.{tc(n)}" for n in _TOKEN_FIELDS),
        *(f"p.{pc(n)}" for n in _PARTNER_FIELDS),
        *(f"pp.{ppc(n)}" for n in PERSON_FIELDS),
        *(f"u.{uc(n)}" for n in names),
    ]
    # Quoted names from the models' metadata; the one value is a parameter.
    statement = (
        f"SELECT {', '.join(columns)} FROM {t} t "
        f"LEFT JOIN {p} p ON p.{pc('application')} = t.{tc('application')} "
        f"LEFT JOIN {u} u ON u.{uc('id')} = t.{tc('user')} "
        f"LEFT JOIN {pp} pp ON pp.{ppc('account')} = t.{tc('user')} "
        f"WHERE t.{tc('token_checksum')} = %s ORDER BY pp.{ppc('id')}"  # nosec B608
    )
    return names, statement


def _found(checksum: str) -> _Found | None:
    names, statement = _token_sql(sql.vendor())
    rows = sql.fetchall(statement, [checksum])
    if not rows:
        return None
    row = rows[0]
    n = len(_TOKEN_FIELDS)
    m = n + len(_PARTNER_FIELDS)
    k = m + len(PERSON_FIELDS)
    token_id, expires, scope = (
        c(v)
        for c, v in zip(
            sql.converters(get_access_token_model(), _TOKEN_FIELDS), row[:n], strict=True
        )
    )
    partner_id, name, status, rate = row[n:m]
    account = None
    if row[k] is not None:  # the user's id: none for a token without a citizen
        convert = sql.converters(User, names)
        values = [c(v) for c, v in zip(convert, row[k:], strict=True)]
        account = User.from_db("default", names, values)
    person = sql.converters(Person, PERSON_FIELDS)
    people = tuple(
        Someone(*(c(v) for c, v in zip(person, r[m:k], strict=True)))
        for r in rows
        if r[m] is not None
    )
    return _Found(
        token_id, expires, scope, partner_id, name or "", status or "", rate or 0, account, people
    )


class PartnerToken(HttpBearer):
    """`Authorization: Bearer <access token>` issued to an approved partner by a citizen."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        now = timezone.now()
        found = _found(hashlib.sha256(token.encode()).hexdigest()) if token else None
        if found is None:
            raise _invalid(_("Token akses tidak dikenal atau sudah dicabut."))
        account, partner_id = found.account, found.partner_id
        if found.expires <= now:
            raise _invalid(
                _("Token akses sudah kedaluwarsa; minta yang baru dengan refresh token.")
            )
        if account is None or partner_id is None or not is_visitor(account):
            raise _invalid(_("Token ini tidak diberikan oleh seorang warga kepada mitra."))
        # Counted from here on, whatever the answer (middleware.py); the citizen is
        # counted (distinct users, last use) only once the call is let in.
        request.partner_usage = (partner_id, None)  # type: ignore[attr-defined]
        if found.status != PartnerStatus.APPROVED:
            if found.status == PartnerStatus.SUSPENDED:
                raise ApiError(403, PARTNER_SUSPENDED, _("Mitra ini sedang ditangguhkan."))
            raise ApiError(403, PARTNER_NOT_APPROVED, _("Mitra ini belum disetujui."))
        refused = rates.limits().check(
            partner_id=partner_id, partner_rate=found.rate_limit, account_id=account.pk
        )
        if refused is not None:
            raise ApiError(
                429,
                RATE_LIMITED,
                _("Terlalu banyak permintaan. Coba lagi dalam %(seconds)d detik.")
                % {"seconds": refused.retry_after},
                extra={"limit": refused.limit, "retry_after": refused.retry_after},
                headers={"Retry-After": str(refused.retry_after)},
            )
        if privacy.needs_acceptance(account):
            # The citizen accepts a new notice in Jejak's own app or site, never through
            # a partner; until then Jejak processes nothing of theirs for anyone.
            raise ApiError(
                403,
                privacy.CHANGED,
                _(
                    "Pemberitahuan Privasi Jejak telah berubah. Pengguna perlu membuka Jejak "
                    "untuk membaca dan menyetujui versi terbarunya."
                ),
                extra={"version": privacy.current_version()},
            )
        request.partner_usage = (partner_id, account.pk)  # type: ignore[attr-defined]
        request.user = account
        request.partner_call = PartnerCall(  # type: ignore[attr-defined]
            partner_id=partner_id,
            partner_name=found.partner_name,
            scopes=frozenset(found.scope.split()),
            account=account,
            token_id=found.token_id,
            people=found.people,
        )
        return account
