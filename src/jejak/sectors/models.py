from django.db import models
from django.utils.translation import get_language, pgettext_lazy


class Sector(models.Model):
    """An activity sector (the article's twelve), or a sub-category of one."""

    slug = models.SlugField(max_length=50, unique=True)
    name_id = models.CharField("nama (Indonesia)", max_length=100)
    name_en = models.CharField("name (English)", max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subsectors"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = pgettext_lazy("model name", "sektor")
        verbose_name_plural = pgettext_lazy("model name plural", "sektor")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name(get_language() or "id")

    @property
    def root(self) -> "Sector":
        return self.parent.root if self.parent_id and self.parent else self

    def name(self, language: str = "id") -> str:
        return self.name_en if language.startswith("en") else self.name_id


class Agency(models.Model):
    """A city's sector agency (OPD), responsible for pushing its sectors' venues."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=150)
    short_name = models.CharField(max_length=30, blank=True)
    sectors = models.ManyToManyField(Sector, related_name="agencies", blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "OPD")
        verbose_name_plural = pgettext_lazy("model name plural", "OPD")
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="agency_unique_per_region")
        ]

    def __str__(self) -> str:
        return self.short_name or self.name
