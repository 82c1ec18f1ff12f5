"""The rollout table of the founding article: QR codes per sector (and per region) at
each stage of the registration workflow.

A "code" is an entry point: a venue asks for one code per entrance, so the city hall
with four entrances counts four. Stages are cumulative where the article's reader expects
it: `issued` counts every code issued and still valid, including those since installed
(and suspended ones, which come back); `installed` those confirmed on the wall.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, F, Q, When
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from jejak.accounts.jurisdiction import is_national
from jejak.accounts.roles import Role
from jejak.regions.models import Region
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueStatus, venues_visible_to

if TYPE_CHECKING:
    from jejak.accounts.models import User

S = VenueStatus
STAGES: dict[str, frozenset[str]] = {
    "requested": frozenset(set(S) - {S.REGISTERED}),
    "pending": frozenset({S.REQUESTED, S.UNDER_REVIEW, S.APPROVED}),
    "rejected": frozenset({S.REJECTED}),
    "issued": frozenset({S.ISSUED, S.INSTALLED, S.SUSPENDED}),
    "installed": frozenset({S.INSTALLED}),
    "suspended": frozenset({S.SUSPENDED}),
    "revoked": frozenset({S.REVOKED}),
}
COLUMNS = list(STAGES)
COLUMN_LABELS = {
    "requested": _("Diajukan"),
    "pending": _("Menunggu"),
    "rejected": _("Ditolak"),
    "issued": _("Terbit"),
    "installed": _("Terpasang"),
    "suspended": _("Ditangguhkan"),
    "revoked": _("Dicabut"),
}


@dataclass
class Counts:
    requested: int = 0
    pending: int = 0
    rejected: int = 0
    issued: int = 0
    installed: int = 0
    suspended: int = 0
    revoked: int = 0

    def add(self, status: str, n: int) -> None:
        for stage, statuses in STAGES.items():
            if status in statuses:
                setattr(self, stage, getattr(self, stage) + n)


@dataclass
class Row:
    key: str  # sector slug or region code
    name: str
    counts: Counts = field(default_factory=Counts)


@dataclass
class Rollout:
    region: Region | None
    sectors: list[Row]
    regions: list[Row]
    total: Counts

    def as_json(self, language: str = "id") -> dict[str, Any]:
        return {
            "region": {"code": self.region.code, "name": self.region.name} if self.region else None,
            "sectors": [{"slug": r.key, "name": r.name, **asdict(r.counts)} for r in self.sectors],
            "regions": [{"code": r.key, "name": r.name, **asdict(r.counts)} for r in self.regions],
            "total": asdict(self.total),
        }

    def table(self, by: str = "sector") -> tuple[list[str], list[list[Any]]]:
        rows = self.sectors if by == "sector" else self.regions
        headers = ["sector" if by == "sector" else "region", "name", *COLUMNS]
        body = [[r.key, r.name, *asdict(r.counts).values()] for r in rows]
        body.append(["total", "", *asdict(self.total).values()])
        return headers, body


def _child_code_length(region: Region | None) -> int:
    # 36 -> 36.71 (5), 36.71 -> 36.71.01 (8), 36.71.01 -> 36.71.01.1001 (13)
    if region is None:
        return 2
    return {1: 5, 2: 8, 3: 13}.get(len(region.code.split(".")), len(region.code))


def compute_rollout(
    *, user: User | None = None, region: Region | None = None, language: str = "id"
) -> Rollout:
    """Count codes by sector and by sub-region, within what `user` may see (all if None)."""
    venues = Venue.objects.all() if user is None else venues_visible_to(user)
    if region is None and user is not None and not is_national(user):
        # A city's officers think in kecamatan: default to their own region's breakdown.
        region = getattr(user, "region", None)
    if region is not None:
        venues = venues.filter(region.subtree_q("region"))
    child_len = _child_code_length(region)
    grouped = (
        venues.annotate(
            sector_root=_sector_root(),
            area=Substr("region__code", 1, child_len),
        )
        .values("sector_root", "area", "status")
        .annotate(n=Count("entry_points"))
        .order_by()
    )

    top_sectors = list(Sector.objects.filter(parent__isnull=True))
    if user is not None and getattr(user, "role", None) == Role.AGENCY_OFFICER:
        own = set(user.sectors.values_list("id", flat=True))
        top_sectors = [s for s in top_sectors if s.pk in own]
    by_sector = {s.pk: Row(s.slug, s.name(language)) for s in top_sectors}
    by_area: dict[str, Row] = {}
    total = Counts()
    for item in grouped:
        status, n = item["status"], item["n"]
        row = by_sector.get(item["sector_root"])
        if row is not None:
            row.counts.add(status, n)
        by_area.setdefault(item["area"], Row(item["area"], "")).counts.add(status, n)
        total.add(status, n)

    names = dict(Region.objects.filter(code__in=by_area).values_list("code", "name"))
    for code, row in by_area.items():
        row.name = names.get(code, "")
    return Rollout(
        region=region,
        sectors=list(by_sector.values()),
        regions=sorted(by_area.values(), key=lambda r: r.key),
        total=total,
    )


def _sector_root() -> Any:
    """The top-level sector of a venue's sector (sub-categories roll up to their parent)."""
    return Case(When(sector__parent__isnull=False, then=F("sector__parent")), default=F("sector"))


def stage_filter(stage: str) -> Q:
    """A Venue filter for one rollout column, for drilling down from a count to the venues."""
    return Q(status__in=STAGES[stage])
