from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Provinsi")
    REGENCY = "regency", _("Kabupaten/Kota")
    DISTRICT = "district", _("Kecamatan")
    VILLAGE = "village", _("Kelurahan/Desa")


# A Kemendagri code's depth tells its level: 36 / 36.71 / 36.71.01 / 36.71.01.1001.
LEVEL_BY_DEPTH = {
    1: RegionLevel.PROVINCE,
    2: RegionLevel.REGENCY,
    3: RegionLevel.DISTRICT,
    4: RegionLevel.VILLAGE,
}


class Region(models.Model):
    """One node of Indonesia's administrative hierarchy, keyed by its Kemendagri code.

    The dotted code is also the tree path: everything inside Kota Tangerang (36.71) has a
    code starting with "36.71.", which makes jurisdiction a single indexed prefix query.
    """

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    level = models.CharField(max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "wilayah")
        verbose_name_plural = pgettext_lazy("model name plural", "wilayah")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def city(self) -> Region | None:
        """The regency/city this region lies in (itself for a regency)."""
        parts = self.code.split(".")
        if len(parts) < 2:
            return None
        if len(parts) == 2:
            return self
        return Region.objects.filter(code=".".join(parts[:2])).first()

    def subtree_q(self, field: str = "region") -> Q:
        """A filter matching `field` (a Region foreign key; "" for Region itself) equal to
        this region or anything inside it."""
        return self.codes_q(f"{field}__code" if field else "code")

    def codes_q(self, column: str) -> Q:
        """A filter matching a region code kept in `column` (a lookup path, or a copied
        code such as the dashboards' rollup rows keep) equal to this region's or inside."""
        return Q(**{column: self.code}) | Q(**{f"{column}__startswith": self.code + "."})

    def contains(self, other: Region | None) -> bool:
        return other is not None and (
            other.code == self.code or other.code.startswith(self.code + ".")
        )
