"""Screening rule sets as data: a declarative document per set, with effective dates, so
the issuer publishes a new set without a code change and every decision names the set
that made it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Colour(models.TextChoices):
    HIJAU = "hijau", _("Hijau")
    KUNING = "kuning", _("Kuning")
    MERAH = "merah", _("Merah")
    HITAM = "hitam", _("Hitam")


class RuleSet(models.Model):
    slug = models.SlugField(max_length=50, unique=True)  # e.g. "2021-09", "2022-07-17"
    name = models.CharField(max_length=150)
    effective_from = models.DateTimeField()
    effective_until = models.DateTimeField(null=True, blank=True)
    document = models.JSONField()  # validated by screening/ruleset.py on every save path
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.slug} ({self.effective_from:%Y-%m-%d})"
