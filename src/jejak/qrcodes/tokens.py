"""The J1 token: what a QR code carries. Pure functions, no database; see docs/qr-format.md.

    J1.<kid>.<kind>.<public_id>.<exp>.<sig>

`sig` is Ed25519 over the ASCII bytes of everything before the last dot. Every other
field is in a small URL-safe alphabet so the token can sit in a URL path unescaped.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from jejak.core.public_url import public_base_url
from jejak.qrcodes.errors import QrError, Reason

VERSION = "J1"
STATIC = "s"
DYNAMIC = "d"
KIND_NAMES = {STATIC: "static", DYNAMIC: "dynamic"}

# Anything longer is not ours; checked before any regex or decoding work.
MAX_SCANNED_LENGTH = 1024
PUBLIC_ID_LENGTH = 16

_TOKEN_RE = re.compile(
    r"J1\.(?P<kid>[a-z0-9]{4,16})\.(?P<kind>[sd])\.(?P<public_id>[a-z2-7]{16})"
    r"\.(?P<exp>0|[1-9a-z][0-9a-z]{0,7})\.(?P<sig>[A-Za-z0-9_-]{86})",
    re.ASCII,
)
_KID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Token:
    """A token that parsed; its signature has not been checked yet."""

    kid: str
    kind: str
    public_id: str
    exp: int  # unix seconds; 0 for a static code
    signature: bytes
    signed_part: str

    @property
    def expires_at(self) -> dt.datetime | None:
        return dt.datetime.fromtimestamp(self.exp, tz=dt.UTC) if self.exp else None


def new_kid() -> str:
    return "".join(secrets.choice(_KID_ALPHABET) for _ in range(8))


def new_public_id() -> str:
    """80 random bits in lowercase base32: 16 characters, no padding."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def to_base36(n: int) -> str:
    if n <= 0:
        return "0"
    digits = []
    while n:
        n, r = divmod(n, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[r])
    return "".join(reversed(digits))


def sign(
    *, private_key: Ed25519PrivateKey, kid: str, kind: str, public_id: str, exp: int = 0
) -> str:
    """Build and sign a token. Static codes have exp 0; dynamic ones a unix time."""
    if kind not in KIND_NAMES or (kind == STATIC) != (exp == 0):
        raise ValueError("A static token has exp 0 and a dynamic one a positive exp.")
    signed_part = f"{VERSION}.{kid}.{kind}.{public_id}.{to_base36(exp)}"
    token = f"{signed_part}.{b64url(private_key.sign(signed_part.encode('ascii')))}"
    if not _TOKEN_RE.fullmatch(token):
        raise ValueError(f"Fields outside the J1 grammar: {signed_part!r}")
    return token


def qr_url(token: str, base_url: str | None = None) -> str:
    """What the QR code encodes: the landing page a phone camera opens, under `base_url`
    (by default the site's public address, core/public_url.py)."""
    return f"{(base_url or public_base_url()).rstrip('/')}/q/{token}"


def extract_token(scanned: object) -> str:
    """The bare token from what a scanner read: a full URL ending in /q/<token> or the token.

    Scheme, host and any path before /q/ are ignored (another deployment's URL carries
    our token just as well: the signature, not the address, makes it genuine), as are a
    query string, a fragment, one trailing slash and surrounding whitespace.
    """
    if isinstance(scanned, bytes | bytearray):
        try:
            scanned = bytes(scanned).decode("utf-8")
        except UnicodeDecodeError:
            raise QrError(Reason.MALFORMED) from None
    if not isinstance(scanned, str) or len(scanned) > MAX_SCANNED_LENGTH:
        raise QrError(Reason.MALFORMED)
    text = re.split(r"[?#]", scanned.strip(), maxsplit=1)[0]
    if text.endswith("/"):
        text = text[:-1]
    if "/" in text:
        _head, sep, text = text.rpartition("/q/")
        if not sep:
            raise QrError(Reason.MALFORMED)
    return text


def parse(scanned: object) -> Token:
    """Parse scanned text into a Token, or raise QrError(qr_malformed). Checks no signature."""
    text = extract_token(scanned)
    match = _TOKEN_RE.fullmatch(text)
    if match is None:
        raise QrError(Reason.MALFORMED)
    kind, exp_text, sig_text = match["kind"], match["exp"], match["sig"]
    if (kind == STATIC) != (exp_text == "0"):
        raise QrError(Reason.MALFORMED)
    try:
        signature = b64url_decode(sig_text)
    except (binascii.Error, ValueError):
        raise QrError(Reason.MALFORMED) from None
    # 86 characters carry 516 bits for 512: the spare bits must be zero, so that exactly
    # one spelling of each signature exists and a token's text identifies it.
    if len(signature) != 64 or b64url(signature) != sig_text:
        raise QrError(Reason.MALFORMED)
    return Token(
        kid=match["kid"],
        kind=kind,
        public_id=match["public_id"],
        exp=int(exp_text, 36),
        signature=signature,
        signed_part=text.rsplit(".", 1)[0],
    )


def check_signature(token: Token, public_key: Ed25519PublicKey) -> None:
    """Raise QrError(qr_bad_signature) unless `public_key` signed `token`."""
    try:
        public_key.verify(token.signature, token.signed_part.encode("ascii"))
    except InvalidSignature:
        raise QrError(Reason.BAD_SIGNATURE) from None


def check_expiry(token: Token, now: dt.datetime) -> None:
    """A dynamic token is refused from its exp second on (exp itself is already too late)."""
    if token.exp and int(now.timestamp()) >= token.exp:
        raise QrError(Reason.EXPIRED)
