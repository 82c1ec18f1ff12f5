"""Staff rosters: adding and ending entries, CSV import, and the check-in path's look-up.

Every write is audited with the masked identifier only. The phone number or NIK is kept
encrypted (core.crypto) next to the keyed hash that finds it, exactly as accounts and
people keep theirs, so the roster matches a visitor account (`User.phone_index`) or a
person (`Person.nik_index`) without decrypting anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from jejak.audit import service as audit
from jejak.audit import subjects as audit_subjects
from jejak.audit.models import Purpose
from jejak.core import crypto
from jejak.core.phone import PhoneInvalid, mask_phone, normalize_phone, phone_index
from jejak.core.reencryption import reencrypt_rows
from jejak.people.masking import mask_nik
from jejak.people.models import Person, Relation
from jejak.people.nik import NikError, nik_index, parse_nik
from jejak.rosters.errors import Reason, RosterError
from jejak.rosters.models import RosterEntry, covers
from jejak.venues.models import Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User

ROLE_MAX = 100
# An import is a venue's staff list, not a city's: these bound a mistaken upload.
MAX_IMPORT_BYTES = 512 * 1024
MAX_IMPORT_ROWS = 1000


@dataclass(frozen=True)
class _Candidate:
    """A validated roster entry, not yet written."""

    kind: str  # "phone" or "nik"
    value: str  # the normalised number or the NIK
    index: str
    role: str
    valid_from: dt.date
    valid_until: dt.date | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.index)


def _aad(kind: str, index: str) -> bytes:
    # Bound to its own index, as core.phone does: a blob copied onto another entry
    # does not decrypt there.
    return f"rosters.entry.{kind}:".encode() + index.encode()


def _candidate(
    *,
    phone: str,
    nik: str,
    role: str,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
    today: dt.date,
) -> _Candidate:
    """Validate one entry's fields; raises RosterError with the first problem found."""
    phone, nik, role = (phone or "").strip(), "".join((nik or "").split()), (role or "").strip()
    if bool(phone) == bool(nik):
        raise RosterError(Reason.IDENTIFIER_MISSING)
    if phone:
        try:
            number = normalize_phone(phone)
        except PhoneInvalid:
            raise RosterError(Reason.PHONE_INVALID) from None
        kind, value, index = "phone", number, phone_index(number)
    else:
        try:
            parse_nik(nik)
        except NikError:
            raise RosterError(Reason.NIK_INVALID) from None
        kind, value, index = "nik", nik, nik_index(nik)
    # Control characters: a NUL cannot even be stored in PostgreSQL's text.
    if not role or len(role) > ROLE_MAX or not role.isprintable():
        raise RosterError(Reason.ROLE_INVALID)
    start = valid_from or today
    if valid_until is not None and valid_until < start:
        raise RosterError(Reason.PERIOD_INVALID)
    return _Candidate(kind, value, index, role, start, valid_until)


def _lock_venue(venue: Venue) -> None:
    # Serialises one venue's roster writes, so two managers cannot both add one person.
    list(Venue.objects.select_for_update().filter(pk=venue.pk).values("pk"))


def _overlaps(entry: RosterEntry, candidate: _Candidate) -> bool:
    ends = entry.valid_until or dt.date.max
    return entry.valid_from <= (candidate.valid_until or dt.date.max) and ends >= (
        candidate.valid_from
    )


def _conflicts(venue: Venue, candidates: Iterable[_Candidate]) -> set[tuple[str, str]]:
    """The candidates' keys that an entry not yet ended already covers in part."""
    wanted = list(candidates)
    phones = [c.index for c in wanted if c.kind == "phone"]
    niks = [c.index for c in wanted if c.kind == "nik"]
    if not wanted:
        return set()
    open_entries = RosterEntry.objects.filter(venue=venue, ended_at__isnull=True).filter(
        Q(phone_index__in=phones) | Q(nik_index__in=niks)
    )
    by_key: dict[tuple[str, str], list[RosterEntry]] = defaultdict(list)
    for entry in open_entries:
        by_key[(entry.kind, entry.phone_index or entry.nik_index)].append(entry)
    return {c.key for c in wanted if any(_overlaps(e, c) for e in by_key[c.key])}


def _write(*, actor: User, venue: Venue, candidate: _Candidate, now: dt.datetime) -> RosterEntry:
    entry = RosterEntry(
        venue=venue,
        role=candidate.role,
        valid_from=candidate.valid_from,
        valid_until=candidate.valid_until,
        created_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    sealed = crypto.encrypt(candidate.value.encode(), aad=_aad(candidate.kind, candidate.index))
    if candidate.kind == "phone":
        entry.phone_index, entry.phone_encrypted = candidate.index, sealed
        entry.phone_masked = mask_phone(candidate.value)
    else:
        entry.nik_index, entry.nik_encrypted = candidate.index, sealed
        entry.nik_masked = mask_nik(candidate.value)
    entry.save(force_insert=True)
    return entry


def subjects_of(entries: Iterable[RosterEntry]) -> list[str]:
    """Whom roster entries are about (audited reads name them): a NIK entry the NIK's
    holder; a phone entry the visitor account with that number, by its own person (nobody
    while no account has the number)."""
    entries = list(entries)
    by_phone = audit_subjects.of_phone_indexes(e.phone_index for e in entries)
    return [e.nik_index or by_phone.get(e.phone_index, "") for e in entries]


def read_entries(
    *, actor: User, venue: Venue, limit: int, ip: str | None = None
) -> list[RosterEntry]:
    """`entries_of` for a manager's page or list: an audited read naming the people."""
    entries = list(entries_of(venue=venue)[:limit])
    audit.record_read(
        actor=actor,
        action="rosters.entries_read",
        purpose=Purpose.ADMINISTRATION,
        subjects=subjects_of(entries),
        obj=venue,
        ip=ip,
        rows=len(entries),
    )
    return entries


def _audit_added(*, actor: User, entry: RosterEntry, venue: Venue, source: str) -> None:
    audit.record_read(
        actor=actor,
        action="rosters.entry_added",
        purpose=Purpose.ADMINISTRATION,
        subjects=subjects_of([entry]),
        obj=entry,
        venue=venue.short_code,
        identifier=entry.kind,
        masked=entry.masked,
        role=entry.role,
        valid_from=entry.valid_from.isoformat(),
        valid_until=entry.valid_until.isoformat() if entry.valid_until else None,
        source=source,
    )


def add_entry(
    *,
    actor: User,
    venue: Venue,
    role: str,
    phone: str = "",
    nik: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    source: str = "form",
    now: dt.datetime | None = None,
) -> RosterEntry:
    """Put a person (by visitor phone number or NIK) on `venue`'s staff roster; audited.

    The caller has checked that `actor` manages the venue. `valid_from` defaults to
    today; `source` names the channel in the audit row (form, api). Raises RosterError
    (already_on_roster when an entry not yet ended covers part of the period)."""
    now = now or timezone.now()
    candidate = _candidate(
        phone=phone,
        nik=nik,
        role=role,
        valid_from=valid_from,
        valid_until=valid_until,
        today=timezone.localtime(now).date(),
    )
    with transaction.atomic():
        _lock_venue(venue)
        if _conflicts(venue, [candidate]):
            raise RosterError(Reason.ALREADY_ON_ROSTER)
        entry = _write(actor=actor, venue=venue, candidate=candidate, now=now)
        _audit_added(actor=actor, entry=entry, venue=venue, source=source)
    return entry


def end_entry(
    *, actor: User, venue: Venue, entry_id: int, now: dt.datetime | None = None
) -> RosterEntry:
    """End a roster entry of `venue` now (the person no longer works there); audited.

    Ending an ended entry changes nothing. Raises RosterError(entry_not_found) for an
    entry of another venue."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = RosterEntry.objects.select_for_update().filter(pk=entry_id, venue=venue).first()
        if entry is None:
            raise RosterError(Reason.ENTRY_NOT_FOUND)
        if entry.ended_at is not None:
            return entry
        entry.ended_at = now
        entry.ended_by = actor if getattr(actor, "is_authenticated", False) else None
        entry.save(update_fields=["ended_at", "ended_by"])
        audit.record_read(
            actor=actor,
            action="rosters.entry_ended",
            purpose=Purpose.ADMINISTRATION,
            subjects=subjects_of([entry]),
            obj=entry,
            venue=venue.short_code,
            identifier=entry.kind,
            masked=entry.masked,
        )
    return entry


def entries_of(*, venue: Venue) -> QuerySet[RosterEntry]:
    """`venue`'s roster, entries not yet ended first (the caller checked access)."""
    return RosterEntry.objects.filter(venue=venue).order_by("ended_at", "-valid_from", "-id")


# --- CSV import ---------------------------------------------------------------------

# Spreadsheets exported in Indonesian name the columns in Indonesian.
_COLUMNS = {
    "phone": "phone",
    "nomor_hp": "phone",
    "hp": "phone",
    "nik": "nik",
    "role": "role",
    "jabatan": "role",
    "valid_from": "valid_from",
    "berlaku_mulai": "valid_from",
    "valid_until": "valid_until",
    "berlaku_sampai": "valid_until",
}
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


@dataclass(frozen=True)
class RowError:
    """One refused line of an import: its line number in the file (the header is 1)."""

    row: int
    code: str
    message: str


@dataclass
class ImportResult:
    """What an import did: every entry written, or (any error) nothing and the errors."""

    created: list[RosterEntry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    # 31/12/2022: how Indonesian spreadsheets write dates.
    found = _DAY_FIRST.fullmatch(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise RosterError(Reason.DATE_INVALID)


def _rows(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The known columns and each data line (with its line number); raises RosterError."""
    if len(data) > MAX_IMPORT_BYTES:
        raise RosterError(Reason.CSV_INVALID)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(Reason.CSV_INVALID) from None
    first = text.split("\n", 1)[0]
    # Excel set to Indonesian saves with semicolons.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise RosterError(Reason.CSV_INVALID) from None
    columns = [_COLUMNS.get(h.strip().lower().replace(" ", "_"), "") for h in header]
    if "role" not in columns or not {"phone", "nik"} & set(columns):
        raise RosterError(Reason.CSV_INVALID)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise RosterError(Reason.CSV_INVALID)
            values = dict.fromkeys(_COLUMNS.values(), "")
            for name, cell in zip(columns, cells, strict=False):
                if name:
                    values[name] = cell
            rows.append((reader.line_num, values))
    except csv.Error:
        raise RosterError(Reason.CSV_INVALID) from None
    return columns, rows


def import_csv(
    *, actor: User, venue: Venue, data: bytes, now: dt.datetime | None = None
) -> ImportResult:
    """Add every line of a CSV (columns phone or nik, role, valid_from, valid_until) to
    `venue`'s roster, or none: any invalid line, duplicate or person already on the
    roster writes nothing and is reported by line. Each entry written is audited."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    result = ImportResult()
    try:
        _columns, rows = _rows(data)
    except RosterError as exc:
        result.errors.append(RowError(1, exc.code.value, exc.message))
        return result
    if not rows:
        error = RosterError(Reason.CSV_INVALID)
        result.errors.append(RowError(1, error.code.value, error.message))
        return result
    found: list[tuple[int, _Candidate]] = []
    seen: set[tuple[str, str]] = set()
    for line, values in rows:
        try:
            candidate = _candidate(
                phone=values["phone"],
                nik=values["nik"],
                role=values["role"],
                valid_from=_date(values["valid_from"]),
                valid_until=_date(values["valid_until"]),
                today=today,
            )
            if candidate.key in seen:
                raise RosterError(Reason.DUPLICATE_IN_FILE)
        except RosterError as exc:
            result.errors.append(RowError(line, exc.code.value, exc.message))
            continue
        seen.add(candidate.key)
        found.append((line, candidate))
    if result.errors:
        return result
    with transaction.atomic():
        _lock_venue(venue)
        taken = _conflicts(venue, [c for _line, c in found])
        if taken:
            error = RosterError(Reason.ALREADY_ON_ROSTER)
            result.errors = [
                RowError(line, error.code.value, error.message)
                for line, c in found
                if c.key in taken
            ]
            return result
        for _line, candidate in found:
            entry = _write(actor=actor, venue=venue, candidate=candidate, now=now)
            _audit_added(actor=actor, entry=entry, venue=venue, source="csv")
            result.created.append(entry)
    return result


# --- the check-in path --------------------------------------------------------------

# (person id, venue id, scan time): "this person works at this venue at this moment".
Claim = tuple[int, int, dt.datetime]


def rostered(*, claims: Collection[Claim]) -> set[Claim]:
    """The claims that hold: the person is on the venue's roster at that moment.

    Two statements for any number of claims (a check-in batch's), none for no claims."""
    if not claims:
        return set()
    by_nik: dict[str, list[int]] = defaultdict(list)
    by_phone: dict[str, list[int]] = defaultdict(list)
    people = Person.objects.filter(pk__in={c[0] for c in claims}).values_list(
        "pk", "nik_index", "identity_verified_at", "relation", "account__phone_index"
    )
    for pk, nik_key, verified_at, relation, phone_key in people:
        # An unverified NIK is only typed in: anyone could type a colleague's.
        if verified_at is not None:
            by_nik[nik_key].append(pk)
        # A phone number proves the account (a one-time code), so it names the holder
        # only, never the dependants on the account.
        if relation == Relation.SELF and phone_key:
            by_phone[phone_key].append(pk)
    if not by_nik and not by_phone:
        return set()
    entries = (
        RosterEntry.objects.filter(venue_id__in={c[1] for c in claims})
        .filter(Q(nik_index__in=list(by_nik)) | Q(phone_index__in=list(by_phone)))
        .values_list(
            "venue_id", "nik_index", "phone_index", "valid_from", "valid_until", "ended_at"
        )
    )
    Span = tuple[dt.date, dt.date | None, dt.datetime | None]
    spans: dict[tuple[int, int], list[Span]] = defaultdict(list)
    for venue_id, nik_key, phone_key, starts, ends, ended in entries:
        # A blank index (the entry names the other way) matches nobody: "" is no key.
        named = by_nik.get(nik_key, []) + by_phone.get(phone_key, [])
        for person_id in set(named):
            spans[(person_id, venue_id)].append((starts, ends, ended))
    return {
        claim
        for claim in claims
        if any(
            covers(starts, ends, ended, claim[2])
            for starts, ends, ended in spans.get((claim[0], claim[1]), ())
        )
    }


def reencrypt_entries() -> int:
    """Re-encrypt roster entries' phone numbers and NIKs not under the first
    JEJAK_DATA_KEYS entry (step two of a key rotation, `jejak reencrypt`)."""
    entries = RosterEntry.objects.only(
        "phone_index", "phone_encrypted", "nik_index", "nik_encrypted"
    )
    return reencrypt_rows(
        entries,
        {
            "phone_encrypted": lambda entry: _aad("phone", entry.phone_index),
            "nik_encrypted": lambda entry: _aad("nik", entry.nik_index),
        },
    )
