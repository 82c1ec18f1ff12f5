from django.db import models
from django.utils.translation import pgettext_lazy


class CacheVersion(models.Model):
    """How many times the data behind one process cache (`core.process_cache`) changed.

    Every process reads all rows in one query at most once a second and reloads a cache
    whose row moved. The database is the one service every process always shares, so a
    change reaches them all without Redis.
    """

    key = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = pgettext_lazy("model name", "versi cache")
        verbose_name_plural = pgettext_lazy("model name plural", "versi cache")

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"
