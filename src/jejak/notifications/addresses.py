"""Where a message goes: each recipient's address, encrypted in the message row, a keyed
hash to find it and a mask to show it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from jejak.core import crypto
from jejak.core.phone import PhoneInvalid, normalize_phone, open_phone
from jejak.core.reencryption import reencrypt_rows
from jejak.notifications.models import Channel, Message

if TYPE_CHECKING:
    from jejak.accounts.models import User
    from jejak.people.models import Person

logger = logging.getLogger(__name__)

# --- Addresses ------------------------------------------------------------------------


def address_aad(channel: str, index: str) -> bytes:
    # Bound to the channel and the address's own index: a blob copied elsewhere won't open.
    return f"notifications.message.address:{channel}:{index}".encode()


def address_index(channel: str, address: str) -> str:
    return crypto.blind_index(address, purpose="phone" if channel == Channel.SMS else "email")


def mask_email(address: str) -> str:
    """`b***@example.org`: enough for the owner to recognise."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def open_address(message: Message) -> str:
    """The stored phone number or e-mail address of a message (decrypted for sending)."""
    if message.address_encrypted is None:
        return ""
    return crypto.decrypt(
        message.address_encrypted, aad=address_aad(message.channel, message.address_index)
    ).decode()


def _user_phone(user: User) -> str | None:

    if user.phone_encrypted is not None and user.phone_index:
        try:
            return open_phone(index=user.phone_index, blob=user.phone_encrypted)
        except crypto.DecryptionError:
            # A key dropped too early must not fail the action that sends the message.
            logger.error("phone number of user %s does not decrypt; no SMS", user.pk)
            return None
    # Staff keep a plain contact number for colleagues; use it if it is a mobile number.
    if user.phone:
        try:
            return normalize_phone(user.phone)
        except PhoneInvalid:
            return None
    return None


def address_for(
    channel: str,
    *,
    to_user: User | None,
    to_person: Person | None,
    to_phone: str | None,
    to_email: str | None,
) -> str | None:
    """The phone or e-mail for `channel`: the one given, else the account's (a person's
    messages go to the account that holds them: a dependant's to the guardian)."""
    account = to_user if to_user is not None else getattr(to_person, "account", None)
    if channel == Channel.SMS:
        if to_phone:
            return normalize_phone(to_phone)
        return _user_phone(account) if account is not None else None
    if channel == Channel.EMAIL:
        if to_email:
            return to_email.strip()
        return (account.email or None) if account is not None else None
    return None


def reencrypt_addresses() -> int:
    """Re-encrypt the stored addresses of messages not under the first JEJAK_DATA_KEYS
    entry (step two of a key rotation, `jejak reencrypt`)."""
    messages = Message.objects.filter(address_encrypted__isnull=False).only(
        "channel", "address_index", "address_encrypted"
    )
    return reencrypt_rows(
        messages, {"address_encrypted": lambda m: address_aad(m.channel, m.address_index)}
    )
