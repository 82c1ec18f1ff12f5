"""The outbox: queue messages inside the caller's transaction, send them after it commits.

    from jejak.notifications import outbox

    outbox.enqueue(template="black_status_staff", context={...}, channels=["inapp", "sms"],
                   to_user=user, ref=f"checkins.black_alert:{alert.pk}")

Each channel's text comes from the Django template
`notifications/messages/<template>.<channel>.txt` (e-mail and in-app messages also use
`<template>.subject.txt`), rendered in the recipient's language. Rows are written in the
caller's transaction; the send task is enqueued when it commits, so a rolled-back action
sends nothing. A failed send is retried by `send_due` with exponential backoff, and given
up after JEJAK_NOTIFY_MAX_ATTEMPTS attempts. See docs/notifications.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.template import Context, TemplateDoesNotExist, engines
from django.utils import timezone, translation

from jejak.core import crypto
from jejak.notifications import sms
from jejak.notifications.models import DUE_Q, Channel, Message, Status

logger = logging.getLogger(__name__)

# The longest wait between two attempts; the first waits 1 minute, then 2, 4, 8, ...
MAX_BACKOFF = dt.timedelta(hours=1)
# How long a sender owns a row it claimed; if it dies meanwhile, the row is due again then.
LEASE = dt.timedelta(minutes=10)
# Rows claimed per round of send_due; it loops until nothing is due.
BATCH = 100


class DeliveryError(Exception):
    """A channel backend could not hand the message over."""


# --- Addresses ------------------------------------------------------------------------


def _aad(channel: str, index: str) -> bytes:
    # Bound to the channel and the address's own index: a blob copied elsewhere won't open.
    return f"notifications.message.address:{channel}:{index}".encode()


def _address_index(channel: str, address: str) -> str:
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
        message.address_encrypted, aad=_aad(message.channel, message.address_index)
    ).decode()


def _user_phone(user: Any) -> str | None:
    from jejak.accounts.phone import PhoneInvalid, normalize_phone, open_phone

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


def _address_for(
    channel: str, *, to_user: Any, to_person: Any, to_phone: str | None, to_email: str | None
) -> str | None:
    """The phone or e-mail for `channel`: the one given, else the account's (a person's
    messages go to the account that holds them: a dependant's to the guardian)."""
    account = to_user if to_user is not None else getattr(to_person, "account", None)
    if channel == Channel.SMS:
        if to_phone:
            from jejak.accounts.phone import normalize_phone

            return normalize_phone(to_phone)
        return _user_phone(account) if account is not None else None
    if channel == Channel.EMAIL:
        if to_email:
            return to_email.strip()
        return (account.email or None) if account is not None else None
    return None


# --- Enqueueing -----------------------------------------------------------------------


def _render_text(name: str, context: dict[str, Any]) -> str:
    # Plain text: HTML escaping would turn a venue called "Toko & Co" into "Toko &amp; Co"
    # in an SMS. The inbox page escapes the body when it shows it.
    template = engines["django"].engine.get_template(name)  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def _render(template: str, channel: str, context: dict[str, Any]) -> tuple[str, str]:
    body = _render_text(f"notifications/messages/{template}.{channel}.txt", context).strip()
    subject = ""
    if channel in (Channel.EMAIL, Channel.INAPP):
        try:
            subject = _render_text(f"notifications/messages/{template}.subject.txt", context)
        except TemplateDoesNotExist:
            if channel == Channel.EMAIL:
                raise
        # A subject is one line whatever the template's line breaks.
        subject = " ".join(subject.split())
    return subject, body


def enqueue(
    *,
    template: str,
    context: dict[str, Any],
    channels: Sequence[str],
    to_user: Any = None,
    to_person: Any = None,
    to_phone: str | None = None,
    to_email: str | None = None,
    language: str | None = None,
    ref: str = "",
) -> list[Message]:
    """Queue one message per channel to one recipient; returns the rows written.

    A channel with no address (an SMS to an account without a phone number, an e-mail to
    one without an address, an in-app message to a bare number) is skipped. Raises
    ValueError for an unknown channel or no recipient, PhoneInvalid for a bad `to_phone`,
    TemplateDoesNotExist for a missing template.
    """
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"unknown channels: {', '.join(sorted(unknown))}")
    if to_user is None and to_person is None and not to_phone and not to_email:
        raise ValueError("a message needs a recipient")
    lang = language or settings.LANGUAGE_CODE
    rows = []
    for channel in dict.fromkeys(channels):
        message = Message(
            to_user=to_user,
            to_person=to_person,
            channel=channel,
            template=template,
            language=lang,
            ref=ref,
        )
        if channel == Channel.INAPP:
            if to_user is None and to_person is None:
                continue
        else:
            address = _address_for(
                channel, to_user=to_user, to_person=to_person, to_phone=to_phone, to_email=to_email
            )
            if not address:
                continue
            index = _address_index(channel, address)
            message.address_index = index
            message.address_encrypted = crypto.encrypt(address.encode(), aad=_aad(channel, index))
            if channel == Channel.SMS:
                from jejak.accounts.phone import mask_phone

                message.address_masked = mask_phone(address)
            else:
                message.address_masked = mask_email(address)
        with translation.override(lang):
            message.subject, message.body = _render(template, channel, context)
        rows.append(message)
    rows = Message.objects.bulk_create(rows)
    ids = [m.pk for m in rows]
    if ids:
        transaction.on_commit(lambda: _enqueue_sends(ids))
    return rows


def _enqueue_sends(ids: list[int]) -> None:
    from jejak.notifications.tasks import send_message

    for message_id in ids:
        send_message.enqueue(message_id=message_id)


# --- Reading --------------------------------------------------------------------------


def messages_for(ref: str) -> QuerySet[Message]:
    """Every message with this purpose tag, newest first (for an officer's delivery status)."""
    return Message.objects.filter(ref=ref).select_related("to_user", "to_person")


def inbox(user: Any) -> QuerySet[Message]:
    """In-app messages to `user` or to one of the people on their account, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Message.objects.none()
    return Message.objects.filter(
        Q(to_user=user) | Q(to_person__account=user), channel=Channel.INAPP
    ).order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


# The largest id a bigint column holds; a larger one in a URL must be a 404, not a 500.
MAX_ID = 2**63 - 1


def mark_read(user: Any, message_id: int) -> Message | None:
    """Mark one of the user's in-app messages read (idempotent); None if it is not theirs."""
    if not 0 < message_id <= MAX_ID:
        return None
    message = inbox(user).filter(pk=message_id).first()
    if message is not None and message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


# --- Sending --------------------------------------------------------------------------


def _send_sms(message: Message) -> None:
    backend = sms.BACKENDS.get(settings.JEJAK_SMS_BACKEND)
    if backend is None:
        raise DeliveryError(f"unknown JEJAK_SMS_BACKEND {settings.JEJAK_SMS_BACKEND!r}")
    backend(open_address(message), message.body)


def _send_email(message: Message) -> None:
    send_mail(message.subject, message.body, None, [open_address(message)], fail_silently=False)


def _send_inapp(message: Message) -> None:
    # Stored is delivered: the recipient reads it in the app.
    return None


# One sender per channel; each raises on failure. Tests swap in failing fakes.
SENDERS: dict[str, Callable[[Message], None]] = {
    Channel.SMS: _send_sms,
    Channel.EMAIL: _send_email,
    Channel.INAPP: _send_inapp,
}


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, 8 ... minutes, capped."""
    return min(dt.timedelta(minutes=2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _claim(ids: Sequence[int] | None, now: dt.datetime, limit: int) -> list[Message]:
    """Take due rows for this sender: mark them `sending` under a lease, in a short
    transaction, so a second sender (another worker, the periodic runner) skips them."""
    with transaction.atomic():
        rows = Message.objects.filter(DUE_Q, next_attempt_at__lte=now)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        if connection.features.has_select_for_update:
            rows = rows.select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked
            )
        claimed = list(rows.order_by("next_attempt_at", "id")[:limit])
        for message in claimed:
            message.status = Status.SENDING
            message.attempts += 1
            message.next_attempt_at = now + LEASE
        Message.objects.bulk_update(claimed, ["status", "attempts", "next_attempt_at"])
    return claimed


def _redact(message: Message, error: str) -> str:
    # Officers read last_error in the delivery status; an SMTP refusal quotes the address.
    address = open_address(message)
    return error.replace(address, message.address_masked) if address else error


def _deliver(message: Message, now: dt.datetime) -> bool:
    """Hand one claimed message to its channel and record how it went."""
    sender = SENDERS[message.channel]
    try:
        sender(message)
    except Exception as exc:
        # Deliberately broad: a message's failure must not stop the others.
        message.last_error = _redact(message, f"{type(exc).__name__}: {exc}")[:500]
        if message.attempts >= settings.JEJAK_NOTIFY_MAX_ATTEMPTS:
            message.status = Status.GAVE_UP
        else:
            message.status = Status.FAILED
            message.next_attempt_at = now + backoff(message.attempts)
        logger.warning(
            "%s message %s failed (attempt %d): %s",
            message.channel,
            message.pk,
            message.attempts,
            message.last_error,
        )
        Message.objects.filter(pk=message.pk).update(
            status=message.status,
            next_attempt_at=message.next_attempt_at,
            last_error=message.last_error,
        )
        return False
    message.status = Status.SENT
    message.sent_at = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        status=message.status, sent_at=message.sent_at, last_error=""
    )
    return True


def send(message_id: int, *, now: dt.datetime | None = None) -> bool:
    """Send one message if it is due and nobody else is sending it; True if it went."""
    now = now or timezone.now()
    claimed = _claim([message_id], now, 1)
    return bool(claimed) and _deliver(claimed[0], now)


def send_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Send every message that is due (new ones whose task was lost, and retries);
    returns {"sent": n, "failed": m}. The periodic runner calls this."""
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0}
    # Each message is tried at most once per call: a failure or a claim moves its
    # next_attempt_at past `now`.
    while batch := _claim(None, now, BATCH):
        for message in batch:
            counts["sent" if _deliver(message, now) else "failed"] += 1
    return counts


def retry(message_ids: Sequence[int]) -> int:
    """Queue failed or given-up messages again now, with a fresh count of attempts
    (an operator's action once a gateway is back); returns how many."""
    ids = list(
        Message.objects.filter(
            pk__in=message_ids, status__in=[Status.FAILED, Status.GAVE_UP]
        ).values_list("pk", flat=True)
    )
    Message.objects.filter(pk__in=ids).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if ids:
        transaction.on_commit(lambda: _enqueue_sends(ids))
    return len(ids)


def purge_finished(*, now: dt.datetime | None = None, batch: int = 2000) -> dict[str, int]:
    """Delete messages sent or given up more than JEJAK_MESSAGE_RETENTION_DAYS ago.

    An exposure notice says that someone was near a case at a place and time: personal
    health data, kept no longer than the check-ins it came from. Messages still due are
    kept whatever their age. Oldest ids first, in short transactions."""
    before = (now or timezone.now()) - dt.timedelta(days=settings.JEJAK_MESSAGE_RETENTION_DAYS)
    old = Message.objects.filter(
        created_at__lt=before, status__in=[Status.SENT, Status.GAVE_UP]
    ).order_by("pk")
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            deleted += Message.objects.filter(pk__in=ids).delete()[0]
    return {"messages": deleted}
