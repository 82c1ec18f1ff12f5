"""Who a breach touched: people with an account, chosen by fixed filters only.

Each filter given narrows the selection (they are ANDed):

- check-ins (any decision, refusals included) at the venues named by short code, in the
  local date range, at venues inside the regions named: one criterion over one check-in;
- residence inside the regions named: the civil registry's region of the NIK when the
  registry extract holds it, else, for a province or city code, the region that issued the
  NIK (the masked NIK keeps its first four digits, so nothing is decrypted);
- classes of data: people who have data of at least one of the classes (NIK, name and
  birth date: everyone with a profile).

"All accounts" is a choice of its own and takes no other filter, so that nobody selects
everyone by leaving the form empty. There is no free query: an officer cannot reach data
the filters do not name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from jejak.audit.models import AuditEvent, AuditSubject
from jejak.breaches.errors import BreachError, BreachErrorCode
from jejak.breaches.models import Breach, DataClass
from jejak.checkins.models import CheckIn
from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.identity.models import Resident
from jejak.people.models import Person
from jejak.regions.models import Region
from jejak.venues.models import Venue

# Classes every person with a profile has.
PROFILE_CLASSES = frozenset({DataClass.NIK, DataClass.NAME, DataClass.BIRTH_DATE})
HEALTH_MODELS = (VaccinationDose, LabResult, Designation, TravelQuarantine, VaccinationExemption)


@dataclass(frozen=True)
class Selection:
    all_accounts: bool = False
    venues: tuple[str, ...] = ()
    checkins_from: dt.date | None = None
    checkins_to: dt.date | None = None
    venue_regions: tuple[str, ...] = ()
    residence_regions: tuple[str, ...] = ()
    data_classes: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, breach: Breach) -> Selection:
        return cls(
            all_accounts=breach.select_all_accounts,
            venues=tuple(breach.select_venues),
            checkins_from=breach.select_checkins_from,
            checkins_to=breach.select_checkins_to,
            venue_regions=tuple(breach.select_venue_regions),
            residence_regions=tuple(breach.select_residence_regions),
            data_classes=tuple(breach.select_data_classes),
        )

    @property
    def by_checkins(self) -> bool:
        return bool(self.venues or self.checkins_from or self.checkins_to or self.venue_regions)

    @property
    def is_empty(self) -> bool:
        return not (self.by_checkins or self.residence_regions or self.data_classes)


@dataclass(frozen=True)
class Counts:
    people: int
    accounts: int
    with_phone: int


def validate(selection: Selection) -> None:
    """Raise BreachError unless the selection names known venues, regions and classes
    and either some filter or, alone, "all accounts"."""
    if selection.all_accounts and not selection.is_empty:
        raise BreachError(BreachErrorCode.ALL_WITH_FILTERS)
    if not selection.all_accounts and selection.is_empty:
        raise BreachError(BreachErrorCode.NO_FILTER)
    if set(selection.data_classes) - set(DataClass.values):
        raise BreachError(BreachErrorCode.UNKNOWN_DATA_CLASS)
    frm, to = selection.checkins_from, selection.checkins_to
    if frm is not None and to is not None and to < frm:
        raise BreachError(BreachErrorCode.DATE_ORDER)
    if selection.venues:
        known = set(
            Venue.objects.filter(short_code__in=selection.venues).values_list(
                "short_code", flat=True
            )
        )
        if unknown := sorted(set(selection.venues) - known):
            raise BreachError.listing(BreachErrorCode.UNKNOWN_VENUES, unknown)
    codes = set(selection.venue_regions) | set(selection.residence_regions)
    if codes:
        known = set(Region.objects.filter(code__in=codes).values_list("code", flat=True))
        if unknown := sorted(codes - known):
            raise BreachError.listing(BreachErrorCode.UNKNOWN_REGIONS, unknown)


def people(selection: Selection) -> QuerySet[Person]:
    """The people the selection finds (call `validate` first): each filter narrows."""
    found = Person.objects.all()
    if selection.all_accounts:
        return found
    if selection.is_empty:
        # Never everyone by omission.
        return found.none()
    if selection.by_checkins:
        found = found.filter(pk__in=_checkins(selection).values("person_id"))
    if selection.residence_regions:
        found = found.filter(_residence_q(selection.residence_regions))
    if selection.data_classes:
        found = found.filter(_classes_q(set(selection.data_classes)))
    return found


def count(selection: Selection) -> Counts:
    """How many people the selection finds, on how many accounts, how many with a phone
    number for the SMS (everyone gets the in-app notice)."""
    found = people(selection)
    return Counts(
        people=found.count(),
        accounts=found.values("account_id").distinct().count(),
        with_phone=found.filter(_phone_q()).count(),
    )


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _checkins(selection: Selection) -> QuerySet[CheckIn]:
    rows = CheckIn.objects.all()
    if selection.venues:
        rows = rows.filter(venue__short_code__in=selection.venues)
    if selection.checkins_from:
        rows = rows.filter(scanned_at__gte=_local_midnight(selection.checkins_from))
    if selection.checkins_to:
        end = _local_midnight(selection.checkins_to + dt.timedelta(days=1))
        rows = rows.filter(scanned_at__lt=end)
    if selection.venue_regions:
        rows = rows.filter(_subtree_q("venue__region__code", selection.venue_regions))
    return rows


def _subtree_q(field_name: str, codes: tuple[str, ...]) -> Q:
    q = Q()
    for code in codes:
        q |= Q(**{field_name: code}) | Q(**{f"{field_name}__startswith": code + "."})
    return q


def _residence_q(codes: tuple[str, ...]) -> Q:
    registered = Resident.objects.filter(_subtree_q("region_code", codes))
    q = Q(nik_index__in=registered.values("nik_index"))
    # Without a registry row: the NIK's issuing province or city, read off the masked NIK
    # ("3671********0001"); a kecamatan's digits are masked.
    prefixes = [code.replace(".", "") for code in codes if code.count(".") <= 1]
    if prefixes:
        issued = Q()
        for prefix in prefixes:
            issued |= Q(nik_masked__startswith=prefix)
        unregistered = ~Exists(Resident.objects.filter(nik_index=OuterRef("nik_index")))
        q |= issued & Q(unregistered)
    return q


def _phone_q() -> Q:
    return Q(account__phone_index__isnull=False) | ~Q(account__phone="")


def _classes_q(classes: set[str]) -> Q:
    if classes & PROFILE_CLASSES:
        return Q()
    q = Q(pk__in=[])
    if DataClass.PHONE in classes:
        q |= _phone_q()
    if DataClass.HEALTH_RECORDS in classes:
        for model in HEALTH_MODELS:
            q |= Q(nik_index__in=model.objects.values("nik_index"))
    if DataClass.CHECKIN_HISTORY in classes:
        q |= Q(Exists(CheckIn.objects.filter(person=OuterRef("pk"))))
    if DataClass.AUDIT_IP in classes:
        q |= Q(nik_index__in=AuditSubject.objects.values("nik_index"))
        q |= Q(Exists(AuditEvent.objects.filter(actor=OuterRef("account_id"), ip__isnull=False)))
    return q
