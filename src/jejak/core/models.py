from django.db import models


class CacheVersion(models.Model):
    """How many times the data behind one process cache (`core.process_cache`) changed.

    Every process reads all rows in one query at most once a second and reloads a cache
    whose row moved. The database is the one service every process always shares, so a
    change reaches them all without Redis.
    """

    key = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"
