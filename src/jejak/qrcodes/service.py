"""Issuing, revoking and verifying the QR codes of entry points.

Verification is on the check-in path (millions of scans a day), so it costs one indexed
query at most: the token is parsed, its key found in memory, its signature and expiry
checked, and only then is the code read, joined to its entry point, venue and sector.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jejak.qrcodes import keys, tokens
from jejak.qrcodes.errors import HTTP_STATUS, QrError, Reason
from jejak.qrcodes.models import CodeStatus, QrCode, SigningKey
from jejak.venues.models import EntryPoint, Venue, VenueStatus

__all__ = [
    "HTTP_STATUS",
    "QrError",
    "Reason",
    "VerifiedCode",
    "active_codes",
    "check_venue",
    "dynamic_token",
    "issue_code_for_entry_point",
    "issue_codes",
    "revoke_codes",
    "verify",
]

# Venue statuses in which its codes admit visitors.
LIVE_STATUSES = frozenset({VenueStatus.ISSUED, VenueStatus.INSTALLED})


@dataclass(frozen=True)
class VerifiedCode:
    """A scanned code that passed every check, with its entry point, venue and sector loaded."""

    code: QrCode
    kind: str  # "static" or "dynamic"
    kid: str
    expires_at: dt.datetime | None
    token: str

    @property
    def entry_point(self) -> EntryPoint:
        return self.code.entry_point

    @property
    def venue(self) -> Venue:
        return self.code.entry_point.venue


def _new_code(
    entry_point: EntryPoint, now: dt.datetime, signer: tuple[SigningKey, Ed25519PrivateKey]
) -> QrCode:
    key, private = signer
    # 80 random bits: a collision would fail the unique index loudly, not silently.
    public_id = tokens.new_public_id()
    token = tokens.sign(private_key=private, kid=key.kid, kind=tokens.STATIC, public_id=public_id)
    return QrCode(entry_point=entry_point, public_id=public_id, key=key, token=token, issued_at=now)


@transaction.atomic
def issue_codes(*, venue: Venue) -> list[QrCode]:
    """Give every entry point of `venue` a fresh active code; earlier ones become replaced."""
    now = timezone.now()
    QrCode.objects.filter(entry_point__venue=venue, status=CodeStatus.ACTIVE).update(
        status=CodeStatus.REPLACED, ended_at=now
    )
    signer = keys.signer()
    codes = [_new_code(ep, now, signer) for ep in venue.entry_points.order_by("position", "id")]
    return QrCode.objects.bulk_create(codes)


@transaction.atomic
def issue_code_for_entry_point(*, entry_point: EntryPoint) -> QrCode:
    """Give one entry point a fresh active code (an entrance added after issuing, a lost poster)."""
    now = timezone.now()
    QrCode.objects.filter(entry_point=entry_point, status=CodeStatus.ACTIVE).update(
        status=CodeStatus.REPLACED, ended_at=now
    )
    code = _new_code(entry_point, now, keys.signer())
    code.save()
    return code


@transaction.atomic
def revoke_codes(*, venue: Venue) -> int:
    """Mark every active code of `venue` revoked; returns how many."""
    return QrCode.objects.filter(entry_point__venue=venue, status=CodeStatus.ACTIVE).update(
        status=CodeStatus.REVOKED, ended_at=timezone.now()
    )


def active_codes(*, venue: Venue) -> list[QrCode]:
    """The active code of each entry point of `venue`, in entrance order (for posters)."""
    return list(
        QrCode.objects.filter(entry_point__venue=venue, status=CodeStatus.ACTIVE)
        .select_related("entry_point")
        .order_by("entry_point__position", "entry_point_id")
    )


def check_venue(venue: Venue) -> None:
    """Raise QrError unless the venue's codes admit visitors now."""
    if venue.status == VenueStatus.REVOKED:
        raise QrError(Reason.REVOKED)
    if venue.status == VenueStatus.SUSPENDED:
        raise QrError(Reason.SUSPENDED)
    if venue.status not in LIVE_STATUSES:
        raise QrError(Reason.NOT_ACTIVE)


def dynamic_token(
    *, entry_point: EntryPoint, now: dt.datetime | None = None
) -> tuple[str, dt.datetime]:
    """A short-lived token for the entry point's screen, valid JEJAK_DYNAMIC_QR_SECONDS.

    Raises QrError when the venue's codes do not admit visitors, with the reason a scan
    would get, so the screen can say why instead of showing a code that fails.
    """
    now = now or timezone.now()
    check_venue(entry_point.venue)
    code = (
        QrCode.objects.filter(entry_point=entry_point, status=CodeStatus.ACTIVE)
        .only("public_id")
        .first()
    )
    if code is None:
        raise QrError(Reason.NOT_ACTIVE)
    key, private = keys.signer()
    exp = int(now.timestamp()) + max(1, settings.JEJAK_DYNAMIC_QR_SECONDS)
    token = tokens.sign(
        private_key=private, kid=key.kid, kind=tokens.DYNAMIC, public_id=code.public_id, exp=exp
    )
    return token, dt.datetime.fromtimestamp(exp, tz=dt.UTC)


def verify(scanned_text: object, *, now: dt.datetime | None = None) -> VerifiedCode:
    """Check a scanned code and return what it names, or raise QrError with the reason.

    Accepts the full URL or the bare token. Checks run cheapest first: format, key,
    signature, expiry, then the one query for the code, its status and its venue's.
    Any input, however odd, ends in a VerifiedCode or a QrError.
    """
    (found,) = verify_many([scanned_text], now=now)
    if isinstance(found, QrError):
        raise found
    return found


def verify_many(
    scanned_texts: Sequence[object], *, now: dt.datetime | None = None
) -> list[VerifiedCode | QrError]:
    """`verify` for several scans at once (a batch of check-ins): each comes back as a
    VerifiedCode or the QrError that refuses it, in order, after one query for them all
    (the codes with their entrances, venues, sectors and regions)."""
    now = now or timezone.now()
    out: list[VerifiedCode | QrError | tokens.Token] = []
    for text in scanned_texts:
        try:
            token = _signed(text)
            tokens.check_expiry(token, now)
        except QrError as exc:
            out.append(exc)
        else:
            out.append(token)
    wanted = sorted({t.public_id for t in out if isinstance(t, tokens.Token)})
    codes: dict[str, dict[str, Any]] = {}
    if wanted:
        for code in QrCode.objects.filter(public_id__in=wanted).select_related(
            "entry_point__venue__sector", "entry_point__venue__region"
        ):
            codes[code.public_id] = {"q": code}
    return [_checked(t, codes) if isinstance(t, tokens.Token) else t for t in out]


# Poster codes whose signature held, by the text scanned, with the key that checked it:
# one poster is scanned all day, and parsing and Ed25519 cost about 0.1 ms a scan. The
# key is still looked up every time, so a retired key (or one reloaded) checks again.
# Dynamic codes are not kept: each is a new text, valid for a minute.
_SIGNED: dict[str, tuple[tokens.Token, Any]] = {}
SIGNED_TEXTS = 8192


def _signed(text: object) -> tokens.Token:
    """The token of `text` if its signature holds under a current key, else QrError."""
    known = _SIGNED.get(text) if isinstance(text, str) else None
    if known is not None and keys.public_key(known[0].kid) is known[1]:
        return known[0]
    token = tokens.parse(text)
    public_key = keys.public_key(token.kid)
    if public_key is None:
        raise QrError(Reason.UNKNOWN_KEY)
    tokens.check_signature(token, public_key)
    if isinstance(text, str) and not token.exp:
        if len(_SIGNED) >= SIGNED_TEXTS:
            _SIGNED.clear()
        _SIGNED[text] = (token, public_key)
    return token


def _checked(token: tokens.Token, codes: dict[str, dict[str, Any]]) -> VerifiedCode | QrError:
    found = codes.get(token.public_id)
    if found is None:
        return QrError(Reason.UNKNOWN_CODE)
    code = found["q"]
    assert isinstance(code, QrCode)
    try:
        if code.status == CodeStatus.REPLACED:
            raise QrError(Reason.REPLACED)
        if code.status != CodeStatus.ACTIVE:
            raise QrError(Reason.REVOKED)
        check_venue(code.entry_point.venue)
    except QrError as exc:
        return exc
    return VerifiedCode(
        code=code,
        kind=tokens.KIND_NAMES[token.kind],
        kid=token.kid,
        expires_at=token.expires_at,
        token=f"{token.signed_part}.{tokens.b64url(token.signature)}",
    )
