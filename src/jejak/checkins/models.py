"""Check-ins, the live occupancy counter of each venue, and black-status alerts.

The hot path writes one `CheckInRequest` and one `CheckIn` per person, and updates one
`VenueOccupancy` row. Indexes are partial where the rows that matter ("inside now") are a
small slice of a table that grows by millions a day: they stay small and cheap to update.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jejak.checkins.errors import Decision


class VisitorType(models.TextChoices):
    GUEST = "guest", _("Pengunjung")
    EMPLOYEE = "employee", _("Karyawan")


class CheckoutMethod(models.TextChoices):
    EXPLICIT = "explicit", _("Tombol check-out")
    RESCAN = "rescan", _("Pindai ulang kode tempat")
    ELSEWHERE = "elsewhere", _("Check-in di tempat lain")
    STAFF_ALL = "staff_all", _("Petugas mengeluarkan semua pengunjung")
    AUTOMATIC = "automatic", _("Otomatis setelah lama kunjungan")


ADMITTED = (Decision.ALLOWED, Decision.ALLOWED_AFTER_STAFF_CHECK)
# "Inside now": admitted and not yet out. Shared by the partial indexes and the queries,
# so the planner can use the indexes (the query must repeat the index's condition).
ACTIVE_Q = Q(decision__in=ADMITTED, checked_out_at__isnull=True)


def new_public_id() -> str:
    """16 random base32 characters (80 bits, a-z and 2-7): how a check-in is named in the API."""
    # One call for the 80 bits, not a draw per character: this runs for every check-in.
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()


class CheckInRequest(models.Model):
    """One accepted POST /checkins: its idempotency key and the exact result it returned.

    The unique (account, nonce) makes a retried upload a no-op even when retries race:
    the loser's insert fails, its transaction rolls back, and it returns the winner's
    stored result. Storing the result (not rebuilding it from CheckIn rows) is what lets
    a retry of a rescan, which writes no CheckIn, answer the same. Its rows also count
    the per-account burst limit.
    """

    # Indexed by the nonce constraint and checkin_req_recent (account first).
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    nonce = models.UUIDField()
    received_at = models.DateTimeField(default=timezone.now)
    result = models.JSONField()

    class Meta:
        verbose_name = pgettext_lazy("model name", "permintaan check-in")
        verbose_name_plural = pgettext_lazy("model name plural", "permintaan check-in")
        constraints = [
            models.UniqueConstraint(fields=["account", "nonce"], name="checkin_request_nonce")
        ]
        # The burst limit counts an account's requests of the last minute.
        indexes = [models.Index(fields=["account", "received_at"], name="checkin_req_recent")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.nonce}"


class CheckIn(models.Model):
    """One person's entry decision at one entrance, and (if admitted) their stay.

    Every decision is stored, refusals included, with the rule set and PPKM policy that
    made it. `checked_in_at` is the scan's moment (an offline scan's `scanned_at`), which
    is what tracing needs; `received_at` is when the server heard of it.
    """

    # Unique through a constraint, not unique=True: on PostgreSQL that would add a second
    # (pattern) index, and every index is paid on each of millions of inserts a day.
    public_id = models.CharField(max_length=16, default=new_public_id)
    # The references are foreign keys in the database too (checked at commit). Measured
    # with the batcher (docs/performance.md), they cost about 0.1 ms of PostgreSQL's CPU
    # per check-in, within the machine's drift. They stay on the partitioned table
    # (PostgreSQL: a partition per day, docs/partitions.md); keys *into* check-ins
    # (alerts, tracing's case visits) have no constraint, and dropping a day deletes
    # what points at its rows (checkins/partitions.py, `cascade`).
    request = models.ForeignKey(CheckInRequest, on_delete=models.CASCADE, related_name="checkins")
    # Indexed by checkin_person_history (person first), as venue is by checkin_venue_time.
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="checkins",
        db_index=False,
    )
    # Who submitted it: the person's guardian account (dependants have no account).
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    venue = models.ForeignKey(
        "venues.Venue",
        on_delete=models.CASCADE,
        related_name="checkins",
        db_index=False,
    )
    entry_point = models.ForeignKey(
        "venues.EntryPoint", on_delete=models.CASCADE, related_name="checkins"
    )
    visitor_type = models.CharField(max_length=10, choices=VisitorType.choices)
    decision = models.CharField(max_length=30, choices=Decision.choices)
    reasons = models.JSONField(default=list)  # DenialReason values; empty when admitted
    colour = models.CharField(max_length=10)
    colour_reasons = models.JSONField(default=list)  # the screening's reasons (owner only)
    rule_set = models.CharField(max_length=50)
    policy = models.JSONField(default=dict)  # {level, rule_id, rule_version}
    scanned_at = models.DateTimeField()
    received_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)  # null when denied
    planned_checkout_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    checkout_method = models.CharField(
        max_length=10, choices=CheckoutMethod.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "check-in")
        verbose_name_plural = pgettext_lazy("model name plural", "check-in")
        ordering = ["-scanned_at", "-id"]
        # On PostgreSQL the table is partitioned by day of `scanned_at`, and a unique
        # index must hold the partition key (migration 0010, docs/partitions.md): the
        # primary key is (id, scanned_at) there, `checkin_public_id` is unique on
        # (public_id, scanned_at) (80 random bits name a check-in), and
        # `checkin_one_active_per_person` is a plain partial index, one active stay per
        # person being kept by the writers' lock on the person (people_lock.py).
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="checkin_public_id"),
            # One active check-in per person. Writers also lock the account's people, so
            # this only backs that up (on SQLite; PostgreSQL relies on the lock).
            models.UniqueConstraint(
                fields=["person"], condition=ACTIVE_Q, name="checkin_one_active_per_person"
            ),
        ]
        indexes = [
            # Who is inside a venue, and whose stay is over (lazy check-out, staff "all").
            models.Index(
                fields=["venue", "planned_checkout_at"], condition=ACTIVE_Q, name="checkin_inside"
            ),
            # The periodic check-out: stays over anywhere.
            models.Index(
                fields=["planned_checkout_at"], condition=ACTIVE_Q, name="checkin_overdue"
            ),
            # A person's history, newest first.
            models.Index(fields=["person", "scanned_at"], name="checkin_person_history"),
            # Who was at a venue when: tracing (an admitted stay's checked_in_at is its
            # scanned_at) and the dashboards' counts, refusals included.
            # Covering on PostgreSQL: the contact search reads every stay at a venue over
            # three weeks and answers from the index alone (docs/performance.md: p99 per
            # case 157 -> 91 ms at 10 million check-ins). SQLite ignores `include`.
            models.Index(
                fields=["venue", "scanned_at"],
                include=[
                    "checked_in_at",
                    "checked_out_at",
                    "planned_checkout_at",
                    "person",
                    "visitor_type",
                    "id",
                ],
                name="checkin_venue_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.decision}"

    @property
    def is_active(self) -> bool:
        return self.decision in ADMITTED and self.checked_out_at is None


class HeldCheckIn(models.Model):
    """A check-in past retention that a legal hold still keeps (an open case's visit, a
    cluster alert not yet handled), copied here before its day's partition is dropped
    (PostgreSQL; docs/partitions.md). The same columns as `CheckIn`, so tracing reads
    both tables as one (`UNION ALL`); it goes when no hold keeps it any more.

    Empty on SQLite, where retention deletes check-ins row by row and held ones stay
    where they are. No constraints: the rows are copies, their references kept as they
    were; deleting a person, venue or account deletes their held rows (Django's cascade).
    """

    id = models.BigIntegerField(primary_key=True)  # the check-in's own id
    public_id = models.CharField(max_length=16)
    # The request is not kept for a held check-in: only its id (nothing reads it).
    request_id = models.BigIntegerField()
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    venue = models.ForeignKey(
        "venues.Venue",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    entry_point = models.ForeignKey(
        "venues.EntryPoint",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    visitor_type = models.CharField(max_length=10, choices=VisitorType.choices)
    decision = models.CharField(max_length=30, choices=Decision.choices)
    reasons = models.JSONField(default=list)
    colour = models.CharField(max_length=10)
    colour_reasons = models.JSONField(default=list)
    rule_set = models.CharField(max_length=50)
    policy = models.JSONField(default=dict)
    scanned_at = models.DateTimeField()
    received_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    planned_checkout_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    checkout_method = models.CharField(
        max_length=10, choices=CheckoutMethod.choices, blank=True, default=""
    )

    class Meta:
        db_table = "checkins_checkin_held"
        verbose_name = pgettext_lazy("model name", "check-in ditahan")
        verbose_name_plural = pgettext_lazy("model name plural", "check-in ditahan")
        ordering = ["-scanned_at", "-id"]
        indexes = [
            # The contact search's branch reads it as it reads checkin_venue_time.
            models.Index(
                fields=["venue", "scanned_at"],
                include=[
                    "checked_in_at",
                    "checked_out_at",
                    "planned_checkout_at",
                    "person",
                    "visitor_type",
                    "id",
                ],
                name="held_checkin_venue_time",
            ),
            # A case's own stays, and erasure's look-up by person.
            models.Index(fields=["person", "scanned_at"], name="held_checkin_person_history"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.decision} (held)"


class VenueOccupancy(models.Model):
    """How many people are inside a venue now: the one row check-ins contend for.

    Every change to `inside` happens while this row is locked (select_for_update), in
    the transaction that changes the check-ins it counts. That is what makes capacity
    exact under concurrency: of 50 simultaneous check-ins for the last 10 places, the
    locks queue them and exactly 10 see room. Only admitted, not checked-out check-ins
    count.
    """

    venue = models.OneToOneField("venues.Venue", on_delete=models.CASCADE, related_name="occupancy")
    inside = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    # No open stay here is planned to end before this (a lower bound, never later than
    # the earliest one): the lazy check-out sweep is skipped while it is in the future.
    # NULL: not known yet, sweep. Kept under the row lock by checkins.occupancy.
    sweep_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "keterisian tempat")
        verbose_name_plural = pgettext_lazy("model name plural", "keterisian tempat")

    def __str__(self) -> str:
        return f"{self.venue_id}: {self.inside}"


class BlackStatusAlert(models.Model):
    """A person with status black was refused at a venue: its staff and the health
    officers of the person's home region are told. Staff see the colour, nothing more."""

    venue = models.ForeignKey(
        "venues.Venue", on_delete=models.CASCADE, related_name="black_status_alerts"
    )
    # No constraint: a key into a partitioned table must name the partition key too.
    # Deleting the check-in deletes the alert (Django's cascade, or the drop of the
    # check-in's day: checkins/partitions.py).
    checkin = models.OneToOneField(
        CheckIn, on_delete=models.CASCADE, related_name="alert", db_constraint=False
    )
    # The regency of the person's NIK (its first four digits): whose health officers to tell.
    home_region_code = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When its recipients' messages were written (alerts.notify_black_status). Null: not
    # yet, and the periodic sweep notifies it if its task was lost.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "peringatan status hitam")
        verbose_name_plural = pgettext_lazy("model name plural", "peringatan status hitam")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["venue", "created_at"], name="black_alert_venue"),
            # The sweep's look-up: only the few alerts still waiting are in it.
            models.Index(
                fields=["created_at"],
                condition=models.Q(notified_at__isnull=True),
                name="black_alert_unnotified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.created_at:%Y-%m-%d %H:%M}"
