"""The personal status pass: the QR a visitor shows a guard instead of a coloured screen.

    JS1.<kid>.<pass_id>.<exp>.<sig>

`sig` is Ed25519, by the same keys that sign venue codes (qrcodes/keys.py), over the
ASCII bytes of everything before the last dot; `exp` is unix seconds in base 36. A venue
token starts "J1." and a pass "JS1.", so the bytes one signs can never verify as the
other, and each parser refuses the other's grammar.

The pass names a random `pass_id`, never the NIK: the colour, name and masked NIK come
from the StatusPass row the guard's scan finds. A screenshot stops working 5 minutes
after it was issued; a clone app's screen has no valid signature.
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.people.models import Person
from jejak.qrcodes import keys
from jejak.qrcodes.tokens import b64url, b64url_decode, new_public_id, to_base36
from jejak.screening.errors import PassError, PassRefusal
from jejak.screening.models import StatusPass
from jejak.screening.service import status_for_person

if TYPE_CHECKING:
    from jejak.accounts.models import User

VERSION = "JS1"
LIFETIME = dt.timedelta(minutes=5)
# Rows of passes expired JEJAK_STATUS_PASS_RETENTION_DAYS ago are deleted when the same
# person gets a new one, so a page left open all day leaves a bounded trail (and by the
# periodic purge, retention.py, for everyone else).
MAX_SCANNED_LENGTH = 512

_PASS_RE = re.compile(
    r"JS1\.(?P<kid>[a-z0-9]{4,16})\.(?P<pass_id>[a-z2-7]{16})"
    r"\.(?P<exp>[1-9a-z][0-9a-z]{0,7})\.(?P<sig>[A-Za-z0-9_-]{86})",
    re.ASCII,
)


@dataclass(frozen=True)
class ParsedPass:
    kid: str
    pass_id: str
    exp: int
    signature: bytes
    signed_part: str


@dataclass(frozen=True)
class PassView:
    """What a guard sees for a pass that passed every check."""

    pass_id: str
    colour: str
    reasons: list[str]
    rule_set: str
    nik_masked: str
    full_name: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    genuine: bool = True
    current: bool = True
    # For the door's decision (age limits) and the audit's subject; never shown.
    nik_index: str = ""
    birth_date: dt.date | None = None


def sign_pass(*, private_key: Any, kid: str, pass_id: str, exp: int) -> str:
    signed_part = f"{VERSION}.{kid}.{pass_id}.{to_base36(exp)}"
    token = f"{signed_part}.{b64url(private_key.sign(signed_part.encode('ascii')))}"
    if not _PASS_RE.fullmatch(token):
        raise ValueError(f"Fields outside the JS1 grammar: {signed_part!r}")
    return token


def parse_pass(scanned: object) -> ParsedPass:
    """Parse what a scanner read (the bare token, surrounding whitespace allowed), or raise
    PassError(pass_malformed). Checks no signature."""
    if isinstance(scanned, bytes | bytearray):
        try:
            scanned = bytes(scanned).decode("utf-8")
        except UnicodeDecodeError:
            raise PassError(PassRefusal.MALFORMED) from None
    if not isinstance(scanned, str) or len(scanned) > MAX_SCANNED_LENGTH:
        raise PassError(PassRefusal.MALFORMED)
    text = scanned.strip()
    match = _PASS_RE.fullmatch(text)
    if match is None:
        raise PassError(PassRefusal.MALFORMED)
    try:
        signature = b64url_decode(match["sig"])
    except (binascii.Error, ValueError):
        raise PassError(PassRefusal.MALFORMED) from None
    # As for venue tokens: one spelling per signature (the spare bits must be zero).
    if len(signature) != 64 or b64url(signature) != match["sig"]:
        raise PassError(PassRefusal.MALFORMED)
    return ParsedPass(
        kid=match["kid"],
        pass_id=match["pass_id"],
        exp=int(match["exp"], 36),
        signature=signature,
        signed_part=text.rsplit(".", 1)[0],
    )


@dataclass(frozen=True)
class IssuedPass:
    token: str
    expires_at: dt.datetime
    colour: str
    reasons: list[str]
    rule_set: str


@transaction.atomic
def issue_pass(*, person: Person, at: dt.datetime | None = None) -> IssuedPass:
    """A signed pass for `person`'s status at `at` (now), valid 5 minutes, with that status.

    Raises ScreeningError when no status can be computed (no rule set in force).
    """
    now = at or timezone.now()
    current = status_for_person(person, at=now)
    key, private = keys.signer()
    exp = int(now.timestamp()) + int(LIFETIME.total_seconds())
    expires_at = dt.datetime.fromtimestamp(exp, tz=dt.UTC)
    # 80 random bits: a collision would fail the unique index loudly, not silently.
    pass_id = new_public_id()
    keep_expired = dt.timedelta(days=settings.JEJAK_STATUS_PASS_RETENTION_DAYS)
    StatusPass.objects.filter(person=person, expires_at__lt=now - keep_expired).delete()
    StatusPass.objects.create(
        public_id=pass_id,
        person=person,
        colour=current.colour,
        reasons=current.reasons,
        rule_set=current.rule_set,
        kid=key.kid,
        issued_at=now,
        expires_at=expires_at,
    )
    return IssuedPass(
        token=sign_pass(private_key=private, kid=key.kid, pass_id=pass_id, exp=exp),
        expires_at=expires_at,
        colour=current.colour,
        reasons=current.reasons,
        rule_set=current.rule_set,
    )


def issue_status_pass(*, person: Person, at: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    """A signed pass for `person`'s current status, valid 5 minutes: (token, expires_at)."""
    issued = issue_pass(person=person, at=at)
    return issued.token, issued.expires_at


def verify_status_pass(token: object, *, at: dt.datetime | None = None) -> PassView:
    """Check a scanned pass and say whose status it shows, or raise PassError with the reason.

    Checks run cheapest first (format, key, signature, expiry) and only then is the pass
    read, in one query with its person. Any input ends in a PassView or a PassError.
    """
    parsed = parse_pass(token)
    public_key = keys.public_key(parsed.kid)
    if public_key is None:
        raise PassError(PassRefusal.UNKNOWN_KEY)
    try:
        public_key.verify(parsed.signature, parsed.signed_part.encode("ascii"))
    except InvalidSignature:
        raise PassError(PassRefusal.BAD_SIGNATURE) from None
    now = at or timezone.now()
    if int(now.timestamp()) >= parsed.exp:
        raise PassError(PassRefusal.EXPIRED)
    found = (
        StatusPass.objects.select_related("person")
        .only(
            "public_id",
            "colour",
            "reasons",
            "rule_set",
            "issued_at",
            "expires_at",
            "person__nik_masked",
            "person__full_name",
            "person__nik_index",
            "person__birth_date",
        )
        .filter(public_id=parsed.pass_id)
        .first()
    )
    if found is None:
        raise PassError(PassRefusal.UNKNOWN)
    if now >= found.expires_at:
        raise PassError(PassRefusal.EXPIRED)
    return PassView(
        pass_id=found.public_id,
        colour=found.colour,
        reasons=list(found.reasons),
        rule_set=found.rule_set,
        nik_masked=found.person.nik_masked,
        full_name=found.person.full_name,
        issued_at=found.issued_at,
        expires_at=found.expires_at,
        nik_index=found.person.nik_index,
        birth_date=found.person.birth_date,
    )


def do_verify_status_pass(
    *, scanned: object, actor: User, ip: str | None = None, at: dt.datetime | None = None
) -> PassView:
    """Verify a pass for a guard and audit the check (pass id and outcome, never the NIK):
    an audited read naming the pass's holder, whose name and colour the guard sees."""
    try:
        view = verify_status_pass(scanned, at=at)
    except PassError as exc:
        audit.record_read(
            actor=actor,
            action="screening.pass_refused",
            purpose=Purpose.ENTRY_CHECK,
            subjects=[],
            ip=ip,
            code=exc.code.value,
        )
        raise
    audit.record_read(
        actor=actor,
        action="screening.pass_verified",
        purpose=Purpose.ENTRY_CHECK,
        subjects=[view.nik_index],
        ip=ip,
        pass_id=view.pass_id,
        colour=view.colour,
        rule_set=view.rule_set,
    )
    return view
