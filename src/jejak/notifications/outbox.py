"""The outbox: queue messages inside the caller's transaction, send them after it commits.

    from jejak.notifications import outbox

    outbox.enqueue(template="black_status_staff", context={...}, channels=["inapp", "sms"],
                   to_user=user, ref=f"checkins.black_alert:{alert.pk}")

Each channel's text comes from the Django template
`notifications/messages/<template>.<channel>.txt` (e-mail and in-app messages also use
`<template>.subject.txt`), rendered in the recipient's language. Rows are written in the
caller's transaction; the send task is enqueued when it commits, so a rolled-back action
sends nothing. Sending, retries and backoff are delivery.py's. See docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from jejak.core import crypto, sql
from jejak.core.phone import mask_phone
from jejak.notifications import rendering
from jejak.notifications.addresses import address_aad, address_for, address_index, mask_email
from jejak.notifications.models import Channel, Message, Status
from jejak.notifications.tasks import send_due, send_message

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser, User
    from jejak.people.models import Person

# --- Enqueueing -----------------------------------------------------------------------


def _language_of(to_user: User | None, to_person: Person | None) -> str:
    """The language the recipient's account last used (accounts/language.py), when the
    account is at hand without a query: the message is rendered in it."""
    account = to_user
    if account is None and to_person is not None:
        account = to_person._state.fields_cache.get("account")
    stored = str(getattr(account, "language", "") or "")
    return stored if stored in {code for code, _name in settings.LANGUAGES} else ""


def enqueue(
    *,
    template: str,
    context: dict[str, Any],
    channels: Sequence[str],
    to_user: User | None = None,
    to_person: Person | None = None,
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
    rows = Message.objects.bulk_create(
        _messages(
            template=template, context=context, channels=channels, to_user=to_user,
            to_person=to_person, to_phone=to_phone, to_email=to_email, language=language,
            ref=ref,
        )
    )  # fmt: skip
    ids = [m.pk for m in rows]
    if ids:
        transaction.on_commit(lambda: _enqueue_sends(ids))
    return rows


def enqueue_many(
    items: Iterable[dict[str, Any]], *, batch_size: int = 1000, deferred: bool = False
) -> int:
    """`enqueue` for many recipients at once (a mass tracing run's notices): each item
    holds enqueue's keyword arguments. The rows are written `batch_size` at a time; once
    the caller's transaction commits, one `send_due` task sends them (each gateway at its
    rate), not a task per message. `deferred`: each text is rendered when it is sent or
    first read, not now (rendering.py; its context must be plain data and dates).
    Returns how many rows."""
    written = 0
    batch: list[Message] = []
    for item in items:
        batch += _messages(**item, deferred=deferred)
        if len(batch) >= batch_size:
            written, batch = written + _write(batch), []
    if batch:
        written += _write(batch)
    if written:
        transaction.on_commit(lambda: send_due.enqueue())
    return written


def _write(batch: list[Message]) -> int:
    # COPY on PostgreSQL: a mass run writes hundreds of thousands of messages, and
    # bulk_create spent more time quoting their values than the database storing them.
    if sql.vendor() == "postgresql":
        return sql.copy_in(Message, batch)
    Message.objects.bulk_create(batch)
    return len(batch)


def _messages(
    *,
    template: str,
    context: dict[str, Any],
    channels: Sequence[str],
    to_user: User | None = None,
    to_person: Person | None = None,
    to_phone: str | None = None,
    to_email: str | None = None,
    language: str | None = None,
    ref: str = "",
    deferred: bool = False,
) -> list[Message]:
    """The rows of one recipient's message, rendered (or its context kept, `deferred`)
    and addressed, not yet written."""
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"unknown channels: {', '.join(sorted(unknown))}")
    if to_user is None and to_person is None and not to_phone and not to_email:
        raise ValueError("a message needs a recipient")
    lang = language or _language_of(to_user, to_person) or settings.LANGUAGE_CODE
    kept = None
    if deferred:
        try:
            kept = rendering.pack(context)
        except TypeError:
            kept = None  # not plain data: rendered now
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
            address = address_for(
                channel, to_user=to_user, to_person=to_person, to_phone=to_phone, to_email=to_email
            )
            if not address:
                continue
            index = address_index(channel, address)
            message.address_index = index
            message.address_encrypted = crypto.encrypt(
                address.encode(), aad=address_aad(channel, index)
            )
            if channel == Channel.SMS:
                message.address_masked = mask_phone(address)
            else:
                message.address_masked = mask_email(address)
        if kept is not None:
            rendering.check_template(template, channel)
            message.context = kept
        else:
            with translation.override(lang):
                message.subject, message.body = rendering.render(template, channel, context)
        rows.append(message)
    return rows


def _enqueue_sends(ids: list[int]) -> None:
    for message_id in ids:
        send_message.enqueue(message_id=message_id)


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


# --- Reading --------------------------------------------------------------------------


def messages_for(ref: str) -> QuerySet[Message]:
    """Every message with this purpose tag, newest first (for an officer's delivery status)."""
    return Message.objects.filter(ref=ref).select_related("to_user", "to_person")


def inbox(user: RequestUser) -> QuerySet[Message]:
    """In-app messages to `user` or to one of the people on their account, newest first."""
    if not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(
        Q(to_user=user) | Q(to_person__account=user), channel=Channel.INAPP
    ).order_by("-created_at", "-id")


def unread_count(user: RequestUser) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


# The largest id a bigint column holds; a larger one in a URL must be a 404, not a 500.
MAX_ID = 2**63 - 1


def mark_read(user: RequestUser, message_id: int) -> Message | None:
    """Mark one of the user's in-app messages read (idempotent); None if it is not theirs."""
    if not 0 < message_id <= MAX_ID:
        return None
    message = inbox(user).filter(pk=message_id).first()
    if message is not None:
        rendering.fill([message])
    if message is not None and message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message
