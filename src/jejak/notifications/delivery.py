"""Sending what the outbox queued: claim due rows, hand each to its channel (SMS gateway,
e-mail, in-app), retry failures with exponential backoff, give up after
JEJAK_NOTIFY_MAX_ATTEMPTS attempts, purge finished rows. Run by the tasks in tasks.py and
by `jejak run-periodic`, each gateway at its rate (JEJAK_NOTIFY_RATES, rates.py);
docs/notifications.md."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from jejak.notifications import rates, rendering, sms
from jejak.notifications.addresses import open_address
from jejak.notifications.metrics import SENDS
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


# A claimed row as it was before the claim: put back as it was when its gateway's window
# turns out to be full (another process took the room first), so a message waiting for
# the window is neither failed nor counted as an attempt.
Before = dict[int, tuple[str, int, dt.datetime]]


def _claim(
    ids: Sequence[int] | None, now: dt.datetime, limit: int, *, channel: str | None = None
) -> tuple[list[Message], Before]:
    """Take due rows for this sender: mark them `sending` under a lease, in a short
    transaction, so a second sender (another worker, the periodic runner) skips them."""
    with transaction.atomic():
        rows = Message.objects.filter(DUE_Q, next_attempt_at__lte=now)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        if channel is not None:
            rows = rows.filter(channel=channel)
        if connection.features.has_select_for_update:
            rows = rows.select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked
            )
        claimed = list(rows.order_by("next_attempt_at", "id")[:limit])
        before = {m.pk: (m.status, m.attempts, m.next_attempt_at) for m in claimed}
        for message in claimed:
            message.status = Status.SENDING
            message.attempts += 1
            message.next_attempt_at = now + LEASE
        Message.objects.bulk_update(claimed, ["status", "attempts", "next_attempt_at"])
    return claimed, before


def _release(messages: Sequence[Message], before: Before) -> None:
    """Put claimed rows back as they were: still due, no attempt counted."""
    for message in messages:
        message.status, message.attempts, message.next_attempt_at = before[message.pk]
    Message.objects.bulk_update(messages, ["status", "attempts", "next_attempt_at"])


def _redact(message: Message, error: str) -> str:
    # Officers read last_error in the delivery status; an SMTP refusal quotes the address.
    address = open_address(message)
    return error.replace(address, message.address_masked) if address else error


def _deliver(message: Message, now: dt.datetime) -> bool:
    """Hand one claimed message to its channel and record how it went."""
    sender = SENDERS[message.channel]
    try:
        # A message queued in bulk is rendered now, once (rendering.py).
        rendering.fill([message])
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
        SENDS.labels(message.channel, message.status).inc()
        return False
    message.status = Status.SENT
    message.sent_at = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        status=message.status, sent_at=message.sent_at, last_error=""
    )
    SENDS.labels(message.channel, message.status).inc()
    return True


def send(message_id: int, *, now: dt.datetime | None = None) -> bool:
    """Send one message if it is due, nobody else is sending it and its gateway has room
    (JEJAK_NOTIFY_RATES); True if it went. A message whose gateway is at its rate stays
    due, its attempts untouched: `send_due` sends it when the window opens."""
    now = now or timezone.now()
    due = Message.objects.filter(DUE_Q, pk=message_id, next_attempt_at__lte=now)
    channel = due.values_list("channel", flat=True).first()
    if channel is None:
        return False
    gateways = rates.gateways()
    if gateways.room(channel) == 0:
        logger.debug("%s message %s waits: the gateway is at its rate", channel, message_id)
        return False
    claimed, before = _claim([message_id], now, 1)
    if not claimed:
        return False
    if not gateways.acquire(channel):
        _release(claimed, before)
        return False
    return _deliver(claimed[0], now)


# The longest send_due waits in all, per call, for saturated gateways' windows to open
# while they still have due messages. The periodic runner's other steps (black-status
# alerts among them) wait meanwhile, then the runner sleeps its --interval: a backlog
# drains at the gateway's rate for this long each round.
DRAIN_SECONDS = 50.0
MIN_PAUSE = 0.01


def _order(channels: Sequence[str]) -> list[str]:
    # Unlimited channels (in-app: a row update each) first: they never wait behind a
    # gateway's sends.
    configured = rates.configured()
    return sorted(channels, key=lambda channel: configured[channel] is not None)


def _send_channel(
    channel: str, now: dt.datetime, counts: dict[str, int], gateways: rates.Gateways
) -> bool:
    """Send the channel's due messages while its gateway has room; True if it stopped
    at the gateway's rate with messages still due."""
    while True:
        room = gateways.room(channel)
        if room == 0:
            return Message.objects.filter(DUE_Q, channel=channel, next_attempt_at__lte=now).exists()
        batch, before = _claim(
            None, now, BATCH if room is None else min(BATCH, room), channel=channel
        )
        if not batch:
            return False
        for index, message in enumerate(batch):
            if not gateways.acquire(channel):
                # Another process took the room: the rest of the batch waits, unattempted.
                _release(batch[index:], before)
                return True
            counts["sent" if _deliver(message, now) else "failed"] += 1


def send_due(
    now: dt.datetime | None = None, *, drain_seconds: float | None = None
) -> dict[str, int]:
    """Send every message that is due (new ones whose task was lost, retries, and those
    that waited for their gateway's window); returns {"sent": n, "failed": m}. The
    periodic runner calls this.

    Channel by channel, each at its rate (rates.py): a gateway at its rate is left and the
    others go on, so in-app messages never wait behind SMS. Then, while a gateway still
    has due messages, it waits for the window to open and goes on, up to `drain_seconds`
    (DRAIN_SECONDS) in all, or until the process is asked to stop."""
    now = now or timezone.now()
    gateways = rates.gateways()
    deadline = rates.clock.time() + (DRAIN_SECONDS if drain_seconds is None else drain_seconds)
    counts = {"sent": 0, "failed": 0}
    # Each message is tried at most once per call: a failure or a claim moves its
    # next_attempt_at past `now` (a release puts back one that was not tried).
    waiting = _order(Channel.values)
    while waiting := [c for c in waiting if _send_channel(c, now, counts, gateways)]:
        # At least a moment: a window with room that still refused (another process took
        # it, or its edge) must not be asked again in a busy loop.
        pause = max(MIN_PAUSE, min(gateways.opens_in(channel) for channel in waiting))
        if rates.clock.time() + pause > deadline:
            logger.info(
                "outbox: %s at the send rate, due messages left for the next round",
                ", ".join(waiting),
            )
            break
        if not rates.clock.pause(pause):
            break
    return counts


def purge_finished(
    *, now: dt.datetime | None = None, batch: int = 2000, dry_run: bool = False
) -> dict[str, int]:
    """Delete messages sent or given up more than JEJAK_MESSAGE_RETENTION_DAYS ago
    (`dry_run`: count them).

    An exposure notice says that someone was near a case at a place and time: personal
    health data, kept no longer than the check-ins it came from. Messages still due are
    kept whatever their age. Oldest ids first, in short transactions."""
    before = (now or timezone.now()) - dt.timedelta(days=settings.JEJAK_MESSAGE_RETENTION_DAYS)
    old = Message.objects.filter(
        created_at__lt=before, status__in=[Status.SENT, Status.GAVE_UP]
    ).order_by("pk")
    if dry_run:
        return {"messages": old.count()}
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            deleted += Message.objects.filter(pk__in=ids).delete()[0]
    return {"messages": deleted}
