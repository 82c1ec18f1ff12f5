"""What flows through a check-in batch: the requests (`Ask`), their outcomes, and each
request's plan on its way through the decision."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jejak.checkins.decision import Entry
from jejak.checkins.errors import CheckInError
from jejak.checkins.people_lock import LockedPerson
from jejak.checkins.scan import Location
from jejak.people.models import Person
from jejak.qrcodes.errors import QrError
from jejak.venues.models import Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User


@dataclass(frozen=True)
class CheckInResult:
    """What a check-in request returned; `data` is the JSON stored for replays."""

    data: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class Ask:
    """One check-in request as the service takes it: a visitor's scan for "self" and/or
    dependants (`people`), or a staff member's check-in of one `person` (`record_staff_checkin`).
    """

    account: User
    nonce: uuid.UUID
    visitor_type: str
    qr: str = ""
    people: Sequence[str] = ()
    scanned_at: dt.datetime | None = None
    location: Location | None = None
    # Staff check-ins: the person (matched by NIK at the desk) and the entrance.
    person: Person | None = None
    entry_point: Any = None
    # Who submitted it, for the apps that listen to signals.recorded (a partner app's
    # check-in); never read by the decision.
    origin: Any = None


Outcome = CheckInResult | CheckInError | QrError


@dataclass
class Plan:
    """One request of a batch on its way through the decision."""

    index: int
    ask: Ask
    venue: Venue
    entry_point: Any
    scanned: dt.datetime
    chosen: list[LockedPerson] = field(default_factory=list)
    leaving: list[LockedPerson] = field(default_factory=list)
    entering: list[LockedPerson] = field(default_factory=list)
    policy: Any = None
    closed: bool = False
    rule_set: str = ""
    entries: list[Entry] = field(default_factory=list)
