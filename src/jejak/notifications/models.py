"""The outbox: one `Message` row per message per channel, written by `outbox.enqueue` and
sent by the task worker (or inline), with retries.

A phone number or e-mail address is stored encrypted with a keyed hash and a masked form
(like accounts' phone fields), so lists and the officers' delivery status never decrypt.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Surel")
    INAPP = "inapp", _("Di aplikasi")


class Status(models.TextChoices):
    PENDING = "pending", _("Menunggu dikirim")
    SENDING = "sending", _("Sedang dikirim")
    SENT = "sent", _("Terkirim")
    FAILED = "failed", _("Gagal, akan dicoba lagi")
    GAVE_UP = "gave_up", _("Gagal terkirim")


# Rows a sender may still pick up. A row stuck in `sending` (its sender died) comes back
# when its lease (next_attempt_at) runs out.
DUE_STATUSES = (Status.PENDING, Status.FAILED, Status.SENDING)
DUE_Q = Q(status__in=DUE_STATUSES)


class Message(models.Model):
    """One message to one recipient through one channel, and how its delivery went."""

    # No index of its own: `outbox_inbox` begins with it (an account's inbox, its rights
    # export and the cascade when it is erased all look it up there).
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    to_person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # The phone (E.164) or e-mail address the message went to; empty for in-app messages.
    # Its keyed hash binds the ciphertext (addresses.address_aad); nothing searches by it,
    # so it has no index: a mass run writes a million of these rows.
    address_encrypted = models.BinaryField(null=True, blank=True)
    address_index = models.CharField(max_length=64, blank=True)
    address_masked = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    template = models.CharField(max_length=100)
    language = models.CharField(max_length=8, default="id")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # A message queued in bulk (a mass tracing run's) keeps its template's arguments here
    # until it is sent or first read, then its text replaces them (rendering.py).
    context = models.JSONField(null=True, blank=True, editable=False)
    # What the message is about, e.g. "tracing.case:12": how other apps list their messages.
    ref = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a sender may next pick the row up (the retry time, or the end of a lease).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "pesan")
        verbose_name_plural = pgettext_lazy("model name plural", "pesan")
        ordering = ["-created_at", "-id"]
        indexes = [
            # send_due, one channel at a time (each gateway at its rate): the due rows only,
            # a small slice of a table that keeps every message. By channel first, so
            # in-app messages are found without stepping over a backlog of SMS.
            models.Index(
                fields=["channel", "next_attempt_at"], condition=DUE_Q, name="outbox_due_channel"
            ),
            models.Index(fields=["to_user", "channel", "created_at"], name="outbox_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} {self.status}"

    @property
    def recipient_masked(self) -> str:
        """Who the message went to, safe to show an officer: a masked number or address,
        or the masked NIK / account of an in-app recipient."""
        if self.address_masked:
            return self.address_masked
        if self.to_person_id is not None and self.to_person is not None:
            return self.to_person.nik_masked
        if self.to_user_id is not None and self.to_user is not None:
            return self.to_user.phone_masked or self.to_user.username
        return ""

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
