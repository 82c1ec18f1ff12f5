"""Tracing profiles: the rules of a contact search as versioned data, one document per
pathogen (format "jejak-tracing/1", specified in docs/tracing.md, "Profiles").

A profile says how long before onset a case was infectious, which of the case's stays
count, how long the air stays infectious after the case left (the tail), what makes a
close contact, how infectious the case was on each day, how much a minute counts at each
sector, how long a close contact is designated, how old a result may be to open a case,
and what the system designates on its own in a mass event. Searches record the profile
(slug and version) they used, so a number shown today is explained by the rules that
made it, even after a newer version is loaded.

A stored version is never changed: loading a document with the slug and version of a
stored one is a no-op when it is the same and refused when it differs.

The accessors: `for_case(case)` (the case's profile, compiled), `default_row()` (the
deployment's default, JEJAK_TRACE_PROFILE, latest version), `compile_row(row)`,
`load(document)`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import transaction

from jejak.tracing import memo
from jejak.tracing.overlap import Presence
from jejak.tracing.reference import SHIPPED_PROFILES

if TYPE_CHECKING:
    from jejak.accounts.models import User
    from jejak.tracing.models import Case, TracingProfile

FORMAT = "jejak-tracing/1"
# The profiles shipped with Jejak (stored by reference.ensure_profiles).
SHIPPED = SHIPPED_PROFILES
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
DOCUMENT_KEYS = {
    "format": True,
    "slug": True,
    "version": True,
    "name": True,
    "pathogen": True,
    "disease": False,
    "description": False,
    "sources": False,
    "case_window": True,
    "case_min_stay_minutes": True,
    "tail": True,
    "threshold": True,
    "infectiousness": True,
    "sectors": True,
    "designation_days": True,
    "auto_open_days": True,
    "automation": True,
}
TAIL_RULES = {"proportional", "fixed"}
THRESHOLD_RULES = {"minutes", "any"}
DESIGNATE = {"close", "none"}


class ProfileRefused(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Threshold:
    rule: str  # "minutes": the venue minimum within `within`; "any": any shared time
    minutes: int  # the minimum of a sector the profile does not list
    within_hours: int | None  # None: summed over the whole window

    @property
    def within(self) -> dt.timedelta | None:
        return None if self.within_hours is None else dt.timedelta(hours=self.within_hours)


@dataclass(frozen=True)
class SectorRule:
    weight: Decimal
    min_contact_minutes: int


@dataclass(frozen=True)
class Automation:
    designate: str  # "close": the system designates close contacts from min_score up
    min_score: Decimal


@dataclass(frozen=True)
class Profile:
    slug: str
    version: int
    name: str
    pathogen: str
    disease: str  # what the messages call it ("COVID-19", "campak")
    days_before: int
    presence: Presence
    threshold: Threshold
    infectiousness: dict[int, Decimal]
    infectiousness_otherwise: Decimal
    sectors: dict[str, SectorRule]  # by sector slug
    designation_days: int | None  # None: the screening rule set decides
    auto_open_days: int
    automation: Automation

    @property
    def label(self) -> str:
        return f"{self.slug} v{self.version}"

    @property
    def flat(self) -> bool:
        """Every day weighs the same (no day needs its own interval)."""
        return all(w == self.infectiousness_otherwise for w in self.infectiousness.values())

    def infectiousness_on(self, day: int) -> Decimal:
        """The weight of a minute on `day` (0: the day of onset, or of the specimen)."""
        return self.infectiousness.get(day, self.infectiousness_otherwise)


# --- The document --------------------------------------------------------------------


def validate_document(doc: object) -> list[str]:
    """Every problem that makes `doc` unusable as a profile, each as "where: what"."""
    if not isinstance(doc, dict):
        return ["document: must be a JSON object"]
    problems = [
        f"{key}: missing" for key, needed in DOCUMENT_KEYS.items() if needed and key not in doc
    ]
    problems += [f"{key}: unknown key" for key in doc if key not in DOCUMENT_KEYS]
    if problems:
        return problems
    if doc["format"] != FORMAT:
        problems.append(f"format: must be {FORMAT!r}")
    if not isinstance(doc["slug"], str) or not SLUG_RE.fullmatch(doc["slug"]):
        problems.append("slug: lower-case letters, digits and '-', at most 40")
    _int(problems, doc, "version", 1, 10_000)
    for key in ("name", "pathogen", "disease"):
        value = doc.get(key, "-")
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            problems.append(f"{key}: a text of 1 to 100 characters")
    window = doc["case_window"]
    if not isinstance(window, dict) or set(window) != {"days_before_onset"}:
        problems.append("case_window: an object with days_before_onset only")
    else:
        _int(problems, window, "days_before_onset", 0, 21, where="case_window.")
    _int(problems, doc, "case_min_stay_minutes", 0, 240)
    _tail(problems, doc["tail"])
    _threshold(problems, doc["threshold"])
    _infectiousness(problems, doc["infectiousness"])
    _sectors(problems, doc["sectors"])
    if doc["designation_days"] is not None:
        _int(problems, doc, "designation_days", 1, 90)
    _int(problems, doc, "auto_open_days", 1, 60)
    automation = doc["automation"]
    if not isinstance(automation, dict) or set(automation) != {"designate", "min_score"}:
        problems.append("automation: an object with designate and min_score")
    else:
        if automation["designate"] not in DESIGNATE:
            problems.append(f"automation.designate: one of {sorted(DESIGNATE)}")
        _decimal(problems, automation["min_score"], "automation.min_score", Decimal(10_000))
    return problems


def _int(
    problems: list[str], doc: dict[str, Any], key: str, low: int, high: int, where: str = ""
) -> None:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{where}{key}: a whole number from {low} to {high}")


def _decimal(problems: list[str], value: object, where: str, high: Decimal) -> None:
    # Decimals as strings, so "0.8" stays 0.8 (JSON numbers are binary floats).
    try:
        number = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not Decimal(0) <= number <= high:
        problems.append(f'{where}: a decimal as a string, from 0 to {high} (e.g. "1.0")')


def _tail(problems: list[str], tail: object) -> None:
    if not isinstance(tail, dict) or set(tail) != {"rule", "minutes"}:
        problems.append("tail: an object with rule and minutes")
        return
    if tail["rule"] not in TAIL_RULES:
        problems.append(f"tail.rule: one of {sorted(TAIL_RULES)}")
    _int(problems, tail, "minutes", 0, 24 * 60, where="tail.")


def _threshold(problems: list[str], threshold: object) -> None:
    if not isinstance(threshold, dict) or set(threshold) != {"rule", "minutes", "within_hours"}:
        problems.append("threshold: an object with rule, minutes and within_hours")
        return
    if threshold["rule"] not in THRESHOLD_RULES:
        problems.append(f"threshold.rule: one of {sorted(THRESHOLD_RULES)}")
    _int(problems, threshold, "minutes", 1, 24 * 60, where="threshold.")
    if threshold["within_hours"] is not None:
        _int(problems, threshold, "within_hours", 1, 24 * 28, where="threshold.")


def _infectiousness(problems: list[str], weights: object) -> None:
    if not isinstance(weights, dict) or set(weights) != {"by_day", "otherwise"}:
        problems.append("infectiousness: an object with by_day and otherwise")
        return
    _decimal(problems, weights["otherwise"], "infectiousness.otherwise", Decimal(10))
    by_day = weights["by_day"]
    if not isinstance(by_day, dict):
        problems.append("infectiousness.by_day: an object of day: weight")
        return
    for day, weight in by_day.items():
        if not re.fullmatch(r"-?[0-9]{1,2}", day):
            problems.append(f"infectiousness.by_day.{day}: a day from -99 to 99")
        _decimal(problems, weight, f"infectiousness.by_day.{day}", Decimal(10))


def _sectors(problems: list[str], sectors: object) -> None:
    if not isinstance(sectors, dict):
        problems.append("sectors: an object of sector slug: {weight, min_contact_minutes}")
        return
    for slug, rule in sectors.items():
        where = f"sectors.{slug}"
        if not isinstance(rule, dict) or set(rule) != {"weight", "min_contact_minutes"}:
            problems.append(f"{where}: an object with weight and min_contact_minutes")
            continue
        _decimal(problems, rule["weight"], f"{where}.weight", Decimal(10))
        _int(problems, rule, "min_contact_minutes", 1, 24 * 60, where=f"{where}.")


def compile_document(doc: dict[str, Any]) -> Profile:
    """A validated document as the search reads it."""
    tail, threshold, weights = doc["tail"], doc["threshold"], doc["infectiousness"]
    automation = doc["automation"]
    return Profile(
        slug=doc["slug"],
        version=doc["version"],
        name=doc["name"],
        pathogen=doc["pathogen"],
        disease=doc.get("disease", doc["name"]),
        days_before=doc["case_window"]["days_before_onset"],
        presence=Presence(
            min_stay=dt.timedelta(minutes=doc["case_min_stay_minutes"]),
            tail_rule=tail["rule"],
            tail=dt.timedelta(minutes=tail["minutes"]),
        ),
        threshold=Threshold(threshold["rule"], threshold["minutes"], threshold["within_hours"]),
        infectiousness={int(day): Decimal(w) for day, w in weights["by_day"].items()},
        infectiousness_otherwise=Decimal(weights["otherwise"]),
        sectors={
            slug: SectorRule(Decimal(rule["weight"]), rule["min_contact_minutes"])
            for slug, rule in doc["sectors"].items()
        },
        designation_days=doc["designation_days"],
        auto_open_days=doc["auto_open_days"],
        automation=Automation(automation["designate"], Decimal(automation["min_score"])),
    )


# --- Stored profiles -------------------------------------------------------------------


def compile_row(row: TracingProfile) -> Profile:
    # Kept on the row as well: a mass run's messages ask for each contact's profile, and
    # serialising the document to find it in the cache cost 7 % of their time.
    compiled = row.__dict__.get("_compiled")
    if compiled is None:
        compiled = _compiled(row.pk, json.dumps(row.document, sort_keys=True))
        row.__dict__["_compiled"] = compiled
    return cast(Profile, compiled)


@functools.lru_cache(maxsize=64)
def _compiled(pk: int, document: str) -> Profile:
    # Keyed by the document too: a test database reuses primary keys.
    return compile_document(json.loads(document))


def default_row() -> TracingProfile:
    """The deployment's default profile (JEJAK_TRACE_PROFILE), its latest version."""
    from jejak.tracing.models import TracingProfile

    slug = settings.JEJAK_TRACE_PROFILE
    row = memo.table(
        f"profile:{slug}",
        lambda: TracingProfile.objects.filter(slug=slug).order_by("-version").first(),
    )
    if row is None:
        raise TracingProfile.DoesNotExist(
            f"No tracing profile {slug!r} is loaded (JEJAK_TRACE_PROFILE); "
            "load one with `jejak load-tracing-profile FILE`."
        )
    return row


def latest(slug: str) -> TracingProfile | None:
    from jejak.tracing.models import TracingProfile

    return TracingProfile.objects.filter(slug=slug).order_by("-version").first()


def row_for(case: Case) -> TracingProfile:
    """The stored profile the case is traced with (the default for a case without one)."""
    return case.profile if case.profile is not None else default_row()


def for_case(case: Case) -> Profile:
    """The profile the case is traced with, compiled."""
    return compile_row(row_for(case))


def load(document: object, *, actor: User | None = None) -> tuple[TracingProfile, bool]:
    """Validate and store a profile version; (row, created). Refuses (ProfileRefused) an
    invalid document, a sector slug that does not exist, and a stored slug and version
    with a different document."""
    from jejak.audit import service as audit
    from jejak.sectors.models import Sector
    from jejak.tracing.models import TracingProfile

    problems = validate_document(document)
    if problems:
        raise ProfileRefused(problems)
    assert isinstance(document, dict)
    known = set(Sector.objects.values_list("slug", flat=True))
    unknown = sorted(set(document["sectors"]) - known)
    if unknown:
        raise ProfileRefused([f"sectors.{slug}: no such sector" for slug in unknown])
    with transaction.atomic():
        stored = (
            TracingProfile.objects.select_for_update()
            .filter(slug=document["slug"], version=document["version"])
            .first()
        )
        if stored is not None:
            if stored.document != document:
                raise ProfileRefused(
                    [
                        f"version: {document['slug']} v{document['version']} is stored with "
                        "other rules; a stored version never changes, load it as a new version"
                    ]
                )
            return stored, False
        row = TracingProfile.objects.create(
            slug=document["slug"],
            version=document["version"],
            name=document["name"],
            pathogen=document["pathogen"],
            document=document,
            loaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor=actor,
            action="tracing.profile.load",
            obj=row,
            slug=row.slug,
            version=row.version,
        )
    return row, True
