"""The thresholds document: its format, its validator and the classification. The
document (format "jejak-zones/1", docs/zones.md) lists the levels in ascending order,
each with its zone and the weekly rate it stays below; the last level has no bound:

    {"format": "jejak-zones/1",
     "metric": "weekly_cases_per_100k",
     "source": "WHO interim guidance, 14 June 2021 ...",
     "levels": [
       {"level": 1, "zone": "rendah", "below": 20},
       {"level": 2, "zone": "sedang", "below": 50},
       {"level": 3, "zone": "tinggi", "below": 150},
       {"level": 4, "zone": "sangat_tinggi"}]}

A rate equal to a bound belongs to the level above it (20 is level 2), as in the guidance
("20 to under 50"). A file to load also carries the set's identity (`slug`, `name`,
`effective_from`, `effective_until`); the stored document does not, the row does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from django.db.models import Q

from jejak.zones.models import ThresholdSet, Zone

FORMAT = "jejak-zones/1"
METRIC = "weekly_cases_per_100k"
PER = 100_000
DOCUMENT_KEYS = frozenset({"format", "description", "source", "metric", "levels"})
METADATA_KEYS = frozenset({"slug", "name", "effective_from", "effective_until"})
LEVEL_KEYS = frozenset({"level", "zone", "below", "note"})
MAX_LEVELS = 10
SHIPPED = Path(__file__).resolve().parent / "data" / "thresholds"
DEFAULT_FILE = SHIPPED / "who-2021-06-14.json"


@dataclass(frozen=True)
class Classified:
    level: int
    zone: str


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def validate_document(doc: object, *, allow_metadata: bool = True) -> list[str]:
    """Problems that make `doc` unusable as thresholds; an empty list means it is valid."""
    if not isinstance(doc, dict):
        return ["document: must be a JSON object"]
    allowed = DOCUMENT_KEYS | METADATA_KEYS if allow_metadata else DOCUMENT_KEYS
    problems = [f"{key}: unknown key" for key in sorted(set(doc) - allowed)]
    if doc.get("format") != FORMAT:
        problems.append(f"format: must be {FORMAT!r}")
    if doc.get("metric") != METRIC:
        problems.append(f"metric: must be {METRIC!r}")
    if not (isinstance(doc.get("source"), str) and doc["source"].strip()):
        problems.append("source: say where the thresholds come from")
    levels = doc.get("levels")
    if not isinstance(levels, list) or not 2 <= len(levels) <= MAX_LEVELS:
        problems.append(f"levels: a list of 2 to {MAX_LEVELS} levels")
        return problems
    previous: float = 0
    for i, level in enumerate(levels):
        where = f"levels[{i}]"
        if not isinstance(level, dict):
            problems.append(f"{where}: must be an object")
            continue
        problems += [f"{where}.{key}: unknown key" for key in sorted(set(level) - LEVEL_KEYS)]
        if level.get("level") != i + 1 or isinstance(level.get("level"), bool):
            problems.append(f"{where}.level: must be {i + 1} (levels ascend from 1)")
        if level.get("zone") not in Zone.values:
            problems.append(f"{where}.zone: one of {', '.join(Zone.values)}")
        last = i == len(levels) - 1
        if last:
            if "below" in level:
                problems.append(f"{where}.below: the last level has no upper bound")
        elif not _number(level.get("below")):
            problems.append(f"{where}.below: a positive number")
        elif level["below"] <= previous:
            problems.append(f"{where}.below: must be greater than the level before")
        else:
            previous = level["below"]
    return problems


def split_file(doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A loaded file's (identity, document to store)."""
    metadata = {key: doc[key] for key in METADATA_KEYS if key in doc}
    document = {key: value for key, value in doc.items() if key not in METADATA_KEYS}
    return metadata, document


def read_file(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def classify(document: Mapping[str, Any], *, cases: int, population: int) -> Classified:
    """The level and zone of `cases` new confirmed cases in a week among `population`
    residents (population > 0). Exact arithmetic: a bound is never missed by rounding."""
    rate = Fraction(cases * PER, population)
    levels = document["levels"]
    for level in levels[:-1]:
        if rate < Fraction(str(level["below"])):
            return Classified(level["level"], level["zone"])
    return Classified(levels[-1]["level"], levels[-1]["zone"])


def in_force_q(at: dt.datetime) -> Q:
    return Q(effective_from__lte=at) & (Q(effective_until__isnull=True) | Q(effective_until__gt=at))


def in_force(at: dt.datetime) -> ThresholdSet | None:
    """The set in force at `at` (its range includes its start, not its end); None before
    the first."""
    return ThresholdSet.objects.filter(in_force_q(at)).order_by("-effective_from", "-pk").first()
