"""Indonesian mobile numbers: one spelling (E.164), a keyed hash to find it, a mask to show it.

People write the same number as `0812-3456-7890`, `62812...`, `+62 812 ...` or `812...`;
all of them must find the same account, so every number is normalised before it is hashed,
stored or compared. Only mobile numbers are accepted (a code is sent by SMS): `+62 8...`
with a national significant number of 9 to 12 digits.
"""

from __future__ import annotations

import re

from jejak.core import crypto

E164 = re.compile(r"\+628\d{8,11}")
# Separators people type between digit groups; anything else is not a phone number.
_SEPARATORS = re.compile(r"[\s\-.()]")
_DIGITS = re.compile(r"[0-9]+")
# Far longer than any spelling of a valid number; refuses pasted essays before any work.
_MAX_INPUT = 40


class PhoneInvalid(ValueError):
    """Not an Indonesian mobile number. `code` is the stable reason code."""

    code = "phone_invalid"


def normalize_phone(raw: str) -> str:
    """Return the number in E.164 (`+628...`), or raise PhoneInvalid."""
    if not isinstance(raw, str) or len(raw) > _MAX_INPUT:
        raise PhoneInvalid(raw)
    text = _SEPARATORS.sub("", raw)
    if text.startswith("+"):
        if not text.startswith("+62"):
            raise PhoneInvalid(raw)
        text = text[1:]
    if not _DIGITS.fullmatch(text):
        raise PhoneInvalid(raw)
    if text.startswith("0062"):
        national = text[4:]
    elif text.startswith("62"):
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        national = text
    # "+62 0812..." keeps the trunk zero after the country code; common enough to accept.
    if national.startswith("08"):
        national = national[1:]
    number = "+62" + national
    if not E164.fullmatch(number):
        raise PhoneInvalid(raw)
    return number


def phone_index(number: str) -> str:
    """The keyed hash that finds a normalised number (User.phone_index)."""
    return crypto.blind_index(number, purpose="phone")


def mask_phone(number: str) -> str:
    """`+62812****7890`: enough for the owner to recognise, too little to call."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def phone_aad(index: str) -> bytes:
    # Binding the blob to its own index means a ciphertext copied onto another account
    # does not decrypt there.
    return b"accounts.user.phone:" + index.encode()


def seal_phone(number: str, *, index: str) -> bytes:
    """Encrypt a normalised number for User.phone_encrypted."""
    return crypto.encrypt(number.encode(), aad=phone_aad(index))


def open_phone(*, index: str, blob: bytes | memoryview) -> str:
    """Decrypt User.phone_encrypted (raises crypto.DecryptionError if it was tampered with)."""
    return crypto.decrypt(blob, aad=phone_aad(index)).decode()
