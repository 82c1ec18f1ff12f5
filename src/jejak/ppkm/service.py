"""PPKM: which level a region is on, what the level allows in a venue's sector, and the
two writes that change them (`assign_level`, `update_sector_rule`).

`policy_for` runs on every check-in (8 million a day at the 2021 peak), so it reads from
an in-process snapshot of all level assignments and sector rules: a few thousand rows
nationally. A warm call costs no query. The snapshot is dropped when this process writes
(signals.py), and other processes reload it within a second of the commit, when the
version row in the database moves (core.process_cache). Level changes are scheduled by
date and the snapshot holds the whole history, so a change still takes effect exactly at
midnight.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jejak.accounts.capabilities import Cap, has_capability
from jejak.accounts.jurisdiction import is_national, region_checker
from jejak.audit import service as audit
from jejak.core.process_cache import VersionedProcessCache
from jejak.ppkm.errors import PpkmError, PpkmErrorCode
from jejak.ppkm.models import ChildrenRule, LevelAssignment, SectorRule
from jejak.regions.models import Region
from jejak.screening.models import Colour
from jejak.sectors.models import Sector
from jejak.venues.models import Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User

VERSION_KEY = "ppkm:snapshot-version"

VISITOR_GUEST = "guest"
VISITOR_EMPLOYEE = "employee"


@dataclass(frozen=True)
class Policy:
    """What a venue's sector may do at the PPKM level in force: the data the check-in
    decision applies. `as_reference()` is stored with each decision."""

    level: int  # 1-4; 0 when no level is assigned (fallback policy)
    rule_id: int | None  # SectorRule pk used (None for the built-in fallback)
    rule_version: int  # SectorRule.version (0 for fallback)
    capacity_percent: int
    capacity_max_people: int | None
    guest_colours: frozenset[str]
    employee_colours: frozenset[str]
    staff_check_colours: frozenset[str]
    opens_at: dt.time | None
    closes_at: dt.time | None
    max_stay_minutes: int | None
    children_rule: str  # "allowed" | "with_parent" | "negative_test" | "denied"
    children_age_below: int

    def capacity_for(self, venue_capacity: int) -> int:
        """People allowed inside: the percentage of the venue's capacity, rounded down,
        capped by `capacity_max_people`; at least 1 unless the percentage is 0."""
        if self.capacity_percent <= 0:
            return 0
        allowed = max(1, math.floor(venue_capacity * self.capacity_percent / 100))
        if self.capacity_max_people is not None:
            allowed = min(allowed, self.capacity_max_people)
        return allowed

    def is_open(self, at_local: dt.datetime) -> bool:
        """Whether `at_local` falls in the opening window. An aware datetime is converted
        to Asia/Jakarta first. No times: always open; only a closing time: from 00:00;
        `closes_at <= opens_at`: the window crosses midnight (18:00-00:00)."""
        if self.opens_at is None and self.closes_at is None:
            return True
        if timezone.is_aware(at_local):
            at_local = timezone.localtime(at_local, timezone.get_default_timezone())
        now = at_local.time()
        opens = self.opens_at or dt.time(0, 0)
        if self.closes_at is None:
            return now >= opens
        if self.closes_at > opens:
            return opens <= now < self.closes_at
        return now >= opens or now < self.closes_at

    def admits(self, colour: str, visitor_type: str) -> bool:
        """Whether a `visitor_type` ("guest" or "employee") of `colour` may enter, perhaps
        after the staff check (`needs_staff_check`). Unknown types are refused."""
        if visitor_type == VISITOR_GUEST:
            return colour in self.guest_colours
        if visitor_type == VISITOR_EMPLOYEE:
            return colour in self.employee_colours
        return False

    def needs_staff_check(self, colour: str, visitor_type: str) -> bool:
        """Whether an admitted guest of `colour` enters only after staff check them
        (`allowed_after_staff_check`). Employees are admitted by `employee_colours` alone."""
        return visitor_type == VISITOR_GUEST and colour in self.staff_check_colours

    def as_reference(self) -> dict[str, Any]:
        return {"level": self.level, "rule_id": self.rule_id, "rule_version": self.rule_version}


def _fallback(level: int) -> Policy:
    # Screening still applies where no level or no rule is known: the defaults of the
    # sectors the PPKM table does not name (docs/ppkm.md).
    return Policy(
        level=level,
        rule_id=None,
        rule_version=0,
        capacity_percent=100,
        capacity_max_people=None,
        guest_colours=frozenset({Colour.HIJAU.value, Colour.KUNING.value}),
        employee_colours=frozenset({Colour.HIJAU.value, Colour.KUNING.value, Colour.MERAH.value}),
        staff_check_colours=frozenset({Colour.KUNING.value}),
        opens_at=None,
        closes_at=None,
        max_stay_minutes=None,
        children_rule=ChildrenRule.ALLOWED.value,
        children_age_below=12,
    )


FALLBACK_POLICIES = {level: _fallback(level) for level in range(5)}


def policy_of_rule(rule: SectorRule) -> Policy:
    return Policy(
        level=rule.level,
        rule_id=rule.pk,
        rule_version=rule.version,
        capacity_percent=rule.capacity_percent,
        capacity_max_people=rule.capacity_max_people,
        guest_colours=frozenset(rule.guest_colours),
        employee_colours=frozenset(rule.employee_colours),
        staff_check_colours=frozenset(rule.staff_check_colours),
        opens_at=rule.opens_at,
        closes_at=rule.closes_at,
        max_stay_minutes=rule.max_stay_minutes,
        children_rule=rule.children_rule,
        children_age_below=rule.children_age_below,
    )


# --- the in-process snapshot -------------------------------------------------------------


@dataclass
class _Snapshot:
    # region code -> (effective dates ascending, levels in the same order)
    levels: dict[str, tuple[list[dt.date], list[int]]]
    policies: dict[tuple[int, int], Policy]  # (level, sector id)
    sector_parent: dict[int, int | None]
    # Filled lazily for venues whose region was not loaded with them.
    region_codes: dict[int, str] = field(default_factory=dict)


def _load() -> _Snapshot:

    levels: dict[str, tuple[list[dt.date], list[int]]] = {}
    rows = LevelAssignment.objects.order_by("effective_from").values_list(
        "region__code", "effective_from", "level"
    )
    for code, effective_from, level in rows:
        dates, values = levels.setdefault(code, ([], []))
        dates.append(effective_from)
        values.append(level)
    policies = {(r.level, r.sector_id): policy_of_rule(r) for r in SectorRule.objects.all()}
    sector_parent: dict[int, int | None] = dict(Sector.objects.values_list("id", "parent_id"))
    return _Snapshot(levels, policies, sector_parent)


_snapshot = VersionedProcessCache(key=VERSION_KEY, load=_load)


def _current() -> _Snapshot:
    return _snapshot.get()


def invalidate(*, shared: bool = True) -> None:
    """Drop this process's snapshot; with `shared`, make every other process reload too."""
    _snapshot.invalidate(shared=shared)


def changed() -> None:
    """Called after any write to levels, rules or sectors (signals.py). This process
    forgets at once (the next read inside the same transaction sees the write); the
    others are told after commit, so none reloads rows that are not yet visible."""
    _snapshot.changed()


# --- reading ------------------------------------------------------------------------------


def _ancestor_codes(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _level_in(snap: _Snapshot, code: str, on: dt.date) -> int:
    for candidate in _ancestor_codes(code):
        history = snap.levels.get(candidate)
        if history is None:
            continue
        dates, values = history
        index = bisect.bisect_right(dates, on)
        if index:
            return values[index - 1]
    return 0


def level_for(*, region: Region, on: dt.date) -> int:
    """The PPKM level of `region` on local date `on`, or 0 when none is assigned.

    The most specific assignment wins: the region's own, else its nearest ancestor's by
    Kemendagri code prefix (36.71.01 -> 36.71 -> 36), each taking the latest assignment
    with effective_from <= on. A kecamatan with its own level keeps it when its city
    changes level later.
    """
    return _level_in(_current(), region.code, on)


def _venue_region_code(snap: _Snapshot, venue: Venue) -> str:

    if Venue.region.is_cached(venue):
        return venue.region.code
    code = snap.region_codes.get(venue.region_id)
    if code is None:
        code = Region.objects.values_list("code", flat=True).get(pk=venue.region_id)
        snap.region_codes[venue.region_id] = code
    return code


def policy_for(*, venue: Venue, at: dt.datetime) -> Policy:
    """The policy for `venue` at moment `at`: the level of the venue's region on the local
    (Asia/Jakarta) date of `at`, then the rule of that level for the venue's sector, else
    its parent sector's, else the built-in fallback (docs/ppkm.md).

    No query once warm, provided the venue's region came with it (select_related) or was
    seen before; the sector needs only `sector_id`.
    """
    snap = _current()
    on = timezone.localtime(at, timezone.get_default_timezone()).date()
    level = _level_in(snap, _venue_region_code(snap, venue), on)
    if level == 0:
        return FALLBACK_POLICIES[0]
    sector_id: int | None = venue.sector_id
    seen: set[int] = set()
    while sector_id is not None and sector_id not in seen:
        policy = snap.policies.get((level, sector_id))
        if policy is not None:
            return policy
        seen.add(sector_id)
        sector_id = snap.sector_parent.get(sector_id)
    return FALLBACK_POLICIES[level]


def current_levels(*, regions: list[Region], on: dt.date) -> dict[int, int]:
    """The level of each region on `on` (0: none), by region pk, for the levels page."""
    snap = _current()
    return {r.pk: _level_in(snap, r.code, on) for r in regions}


# --- writing ------------------------------------------------------------------------------


def may_assign_level(actor: User | None, region: Region) -> bool:
    """The issuer for any region; a city admin inside their own region's subtree."""
    if actor is None or is_national(actor):
        return True
    if not has_capability(actor, Cap.ASSIGN_PPKM_LEVELS):
        return False
    return region_checker(actor)(region)


def assign_level(
    *, region: Region, level: int, effective_from: dt.date, actor: User | None, reason: str
) -> LevelAssignment:
    """Put `region` on PPKM `level` from local midnight of `effective_from` on.

    Allowed to the issuer for any region and to a city admin for their own region and
    what lies inside it (other roles: refused). Adds a row; history is never rewritten,
    and a second level for the same region and date is refused. `actor` None is the
    system (the demo, a command).
    """
    if actor is not None and not has_capability(actor, Cap.ASSIGN_PPKM_LEVELS):
        raise PpkmError(PpkmErrorCode.FORBIDDEN)
    if not may_assign_level(actor, region):
        raise PpkmError(PpkmErrorCode.OUTSIDE_JURISDICTION)
    if level not in (1, 2, 3, 4):
        raise PpkmError(PpkmErrorCode.INVALID_LEVEL)
    reason = (reason or "").strip()
    if not reason:
        raise PpkmError(PpkmErrorCode.REASON_REQUIRED)
    with transaction.atomic():
        if LevelAssignment.objects.filter(region=region, effective_from=effective_from).exists():
            raise PpkmError(PpkmErrorCode.ALREADY_SCHEDULED)
        assignment = LevelAssignment.objects.create(
            region=region,
            level=level,
            effective_from=effective_from,
            reason=reason[:300],
            set_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor=actor,
            action="ppkm.level_assigned",
            obj=assignment,
            region=region.code,
            level=level,
            effective_from=effective_from.isoformat(),
            reason=assignment.reason,
        )
    return assignment


RULE_FIELDS = frozenset(
    {
        "capacity_percent",
        "capacity_max_people",
        "guest_colours",
        "employee_colours",
        "staff_check_colours",
        "opens_at",
        "closes_at",
        "max_stay_minutes",
        "children_rule",
        "children_age_below",
    }
)
ADMISSIBLE_COLOURS = frozenset({Colour.HIJAU.value, Colour.KUNING.value, Colour.MERAH.value})


def rule_problems(values: dict[str, Any]) -> dict[str, str]:
    """What is wrong with a sector rule's values, by field (empty when valid)."""
    from django.utils.translation import gettext as _

    problems: dict[str, str] = {}
    percent = values.get("capacity_percent")
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
        problems["capacity_percent"] = _("Kapasitas harus bilangan bulat 0 sampai 100.")
    for name in ("capacity_max_people", "max_stay_minutes"):
        value = values.get(name)
        if value is not None and (not isinstance(value, int) or value < 1):
            problems[name] = _("Harus kosong atau bilangan bulat positif.")
    for name in ("guest_colours", "employee_colours", "staff_check_colours"):
        colours = values.get(name)
        if not isinstance(colours, list | tuple | set | frozenset) or not all(
            isinstance(c, str) for c in colours
        ):
            problems[name] = _("Harus berupa daftar warna.")
        elif Colour.HITAM.value in colours:
            # Black is refused everywhere; the venue is alerted instead (issue 4, section 7).
            problems[name] = _("Warna hitam tidak pernah boleh masuk.")
        elif not set(colours) <= ADMISSIBLE_COLOURS:
            problems[name] = _("Warna tidak dikenal: %(colours)s.") % {
                "colours": ", ".join(sorted(set(colours) - ADMISSIBLE_COLOURS))
            }
    staff_check = set(values.get("staff_check_colours") or ())
    guests = set(values.get("guest_colours") or ())
    if not problems.keys() & {"staff_check_colours", "guest_colours"} and not staff_check <= guests:
        problems["staff_check_colours"] = _(
            "Warna dengan pemeriksaan petugas harus termasuk warna pengunjung yang boleh masuk."
        )
    for name in ("opens_at", "closes_at"):
        value = values.get(name)
        if value is not None and not isinstance(value, dt.time):
            problems[name] = _("Jam tidak valid.")
    if values.get("children_rule") not in ChildrenRule.values:
        problems["children_rule"] = _("Aturan anak tidak dikenal.")
    age = values.get("children_age_below")
    if not isinstance(age, int) or not 1 <= age <= 18:
        problems["children_age_below"] = _("Batas usia anak harus 1 sampai 18 tahun.")
    return problems


def _check_rule_actor(actor: User | None) -> None:
    # Sector rules are national data (Inmendagri); cities choose levels, not the rules.
    if actor is not None and not is_national(actor):
        raise PpkmError(PpkmErrorCode.FORBIDDEN)


def _apply_rule_fields(rule: SectorRule, fields: dict[str, Any]) -> None:
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise PpkmError(PpkmErrorCode.INVALID_RULE, f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        if name.endswith("_colours") and isinstance(value, list | tuple | set | frozenset):
            value = sorted(set(value), key=_colour_order)
        setattr(rule, name, value)
    problems = rule_problems({name: getattr(rule, name) for name in RULE_FIELDS})
    if problems:
        raise PpkmError(
            PpkmErrorCode.INVALID_RULE, "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
        )


def _colour_order(colour: str) -> int:
    order = [c.value for c in Colour]
    return order.index(colour) if colour in order else len(order)


def update_sector_rule(*, rule: SectorRule, actor: User | None, **fields: Any) -> SectorRule:
    """Change a sector rule: validated, version + 1, audited. Issuer only: sector rules
    are national data (Inmendagri), while city admins set their city's level. Returns the
    saved row (a fresh instance; `rule` is not modified)."""
    _check_rule_actor(actor)
    with transaction.atomic():
        locked = SectorRule.objects.select_for_update().get(pk=rule.pk)
        before = {name: _jsonable(getattr(locked, name)) for name in fields if name in RULE_FIELDS}
        _apply_rule_fields(locked, fields)
        after = {name: _jsonable(getattr(locked, name)) for name in before}
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save()
        audit.record(
            actor=actor,
            action="ppkm.sector_rule_changed",
            obj=locked,
            level=locked.level,
            sector=locked.sector_id,
            version=locked.version,
            changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
    return locked


def create_sector_rule(
    *, level: int, sector: Sector, actor: User | None, **fields: Any
) -> SectorRule:
    """Add the rule of `level` for a sector that has none (a new sub-category, say).
    Issuer only; validated and audited like an update."""
    _check_rule_actor(actor)
    if level not in (1, 2, 3, 4):
        raise PpkmError(PpkmErrorCode.INVALID_LEVEL)
    rule = SectorRule(level=level, sector=sector)
    _apply_rule_fields(rule, fields)
    with transaction.atomic():
        if SectorRule.objects.filter(level=level, sector=sector).exists():
            raise PpkmError(
                PpkmErrorCode.INVALID_RULE, gettext("Aturan level dan sektor ini sudah ada.")
            )
        rule.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        rule.save()
        audit.record(
            actor=actor,
            action="ppkm.sector_rule_added",
            obj=rule,
            level=level,
            sector=sector.pk,
            version=rule.version,
        )
    return rule


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.time) else value
