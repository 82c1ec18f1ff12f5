"""The seeded rules: every level for every sector; the twelve stay the only top level."""

from __future__ import annotations

from jejak.ppkm.models import SectorRule
from jejak.ppkm.seed import RULES, SUBSECTORS
from jejak.ppkm.service import rule_problems
from jejak.sectors.models import Sector
from jejak.sectors.reference import SECTORS


def test_the_twelve_sectors_stay_the_only_top_level(db):
    assert sorted(Sector.objects.filter(parent=None).values_list("slug", flat=True)) == sorted(
        slug for slug, _, _ in SECTORS
    )


def test_sub_categories_sit_under_their_parent(db):
    for slug, _name_id, _name_en, parent in SUBSECTORS:
        assert Sector.objects.get(slug=slug).parent.slug == parent


def test_every_sector_has_a_rule_at_every_level(db):
    slugs = {slug for slug, _, _ in SECTORS} | {slug for slug, *_ in SUBSECTORS}
    assert set(RULES) == slugs
    assert SectorRule.objects.count() == 4 * len(slugs)


def test_seeded_rules_are_valid(db):
    for rule in SectorRule.objects.all():
        values = {
            name: getattr(rule, name)
            for name in (
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
            )
        }
        assert rule_problems(values) == {}, rule
        assert rule.version == 1
